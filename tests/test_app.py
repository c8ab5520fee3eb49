"""The explorer driven by its keys (Textual's pilot), and its command line's checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rnnmem_tui.app import ExplorerApp
from rnnmem_tui.cli import run_explorer
from rnnmem_tui.cli.explore import explorer, parse
from rnnmem_tui.explore import prepare
from rnnmem_tui.paths import data_dir
from rnnmem_tui.train import TrainConfig
from rnnmem_tui.weights import default_network, load, shipped, task_for
from rnnmem_tui.screens.explorer import SPEEDS, ExploreScreen
from rnnmem_tui.screens.help import HelpScreen
from rnnmem_tui.screens.keys import key_rows, markdown
from rnnmem_tui.screens.views import VIEWS
from rnnmem_tui.screens.training import TrainScreen

SIZE = (80, 24)


def app_for(task: str, seed: int = 0, **kw) -> ExplorerApp:
    """The explorer on a shipped network."""
    net = load(shipped(task, **kw))
    return ExplorerApp(net, task_for(net), seed=seed, source=shipped(task, **kw).name)


async def steps(pilot, n: int) -> None:
    """n steps through the action the `n` key runs; each key press costs the pilot ~40 ms."""
    for _ in range(n):
        pilot.app.screen.action_step()
    await pilot.pause()


def frames(app: ExplorerApp) -> list:
    """The frames kept so far, oldest first."""
    return list(app.screen.session.frames)


async def test_zero_holds_the_selected_neuron_at_exactly_zero():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnn", "down", "z")
        assert app.screen.session.interventions.of(1) == "zeroed"
        await pilot.press("n", "right")
        await steps(pilot, 59)
        later = frames(app)[5:]
        assert len(later) == 62 and all(f.step.h[1] == 0.0 for f in later)
        assert any(f.step.h[0] != 0.0 for f in later)


async def test_clamp_holds_its_value_and_C_cycles_plus_minus_one():
    app = app_for("grammar")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnn", "2", "c")
        v = app.screen.session.frame.step.h[2]
        await steps(pilot, 30)
        held = frames(app)[4:]
        assert len(held) >= 30 and all(f.step.h[2] == v for f in held)
        await pilot.press("C", "n")
        assert app.screen.session.frame.step.h[2] == 1.0
        await pilot.press("C", "n")
        assert app.screen.session.frame.step.h[2] == -1.0
        await pilot.press("x", "n")
        assert app.screen.session.interventions.of(2) is None


async def test_release_all_restores_the_unablated_trajectory_bit_for_bit():
    plain = app_for("count", seed=7)
    async with plain.run_test(size=SIZE) as pilot:
        await steps(pilot, 80)
        want = frames(plain)
    app = app_for("count", seed=7)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z", "down", "C")
        await steps(pilot, 40)
        held = frames(app)
        assert any(not np.array_equal(a.step.h, b.step.h) for a, b in zip(held, want))
        await pilot.press("X", "r")
        await steps(pilot, 80)
        got = frames(app)
        assert not app.screen.session.interventions
        assert got and [f.step.x for f in got] == [f.step.x for f in want]
        assert all(np.array_equal(a.step.h, b.step.h) and np.array_equal(a.step.p, b.step.p) for a, b in zip(got, want))


async def test_zeroing_count_2s_counter_neuron_drops_the_running_validity():
    net = load(shipped("count"))
    task = task_for(net)
    app = ExplorerApp(net, task)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, 300)
        s = app.screen.session
        # the counter is the neuron that tracks the c's still to print: find it by trying each
        kept = frames(app)[1:]
        remaining = np.array([task.features_of(f.prefix)["remaining"] for f in kept])
        corr = [abs(np.corrcoef([f.step.h[i] for f in kept], remaining)[0, 1]) for i in range(net.hidden)]
        counter = int(np.argmax(corr))
        before = s.running()
        assert before.now > 0.9 and not before.twin
        await pilot.press(str(counter), "z")
        await steps(pilot, 300)
        after = s.running()
        assert after.n_now > 0 and after.now < before.now - 0.3
        assert after.twin and after.n_free > 0 and after.free > 0.9  # the intact twin, on the same draws
        status = app.screen.query_one("#status").text().plain
        assert f"n{counter} zeroed" in status and "intact" in status and "held" in status
        await pilot.press("X")
        assert s.twin is None and "intact" not in app.screen.query_one("#status").text().plain


async def test_left_after_right_returns_to_the_same_state():
    app = app_for("three-in-a-row")
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, 25)
        s = app.screen.session
        before = s.frame
        await pilot.press("right")
        assert s.frame.t == before.t + 1
        await pilot.press("left")
        assert s.frame is before
        await pilot.press(*["left"] * 5, *["right"] * 5)
        again = s.frame
        assert again.t == before.t and np.array_equal(again.step.h, before.step.h)
        assert again.prefix == before.prefix and again.recent == before.recent


async def test_teacher_mode_emits_only_valid_units():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "n")
        await steps(pilot, 119)
        s = app.screen.session
        assert s.mode == "teacher"
        units = [f.finished for f in frames(app) if f.finished]
        assert len(units) >= 10 and all(u.valid for u in units)
        assert s.running().name == "bad mass" and s.running().now < 0.05


async def test_type_mode_reads_typed_symbols_even_where_keys_are_bound():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "m")
        s = app.screen.session
        assert s.mode == "type"
        await pilot.press("3", "c", "c", "c", "enter", "n")
        assert s.frame.t == 5 and s.frame.finished.text == "3ccc\n" and s.frame.finished.valid
        assert not s.interventions and app.screen.selected == 0  # c and 3 typed, not bound
        await pilot.press("m")
        assert s.mode == "sample"


async def test_keys_select_change_speed_and_play():
    app = app_for("three-in-a-row")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("2", "5")
        assert screen.selected == 25
        await pilot.press("down", "down", "down", "down", "down")
        assert screen.selected == 29
        await pilot.press("up")
        assert screen.selected == 28
        await pilot.press("plus", "plus")
        assert SPEEDS[screen.speed] == 30
        await pilot.press("minus")
        assert SPEEDS[screen.speed] == 20
        await pilot.press("space")
        assert screen.playing
        await pilot.pause(0.3)
        await pilot.press("space")
        assert not screen.playing and screen.session.frame.t > 0


async def test_a_click_selects_a_neuron():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        neurons = app.screen.query_one("#neurons")
        row = neurons.content_region.y - neurons.region.y + 4  # the fifth neuron's line
        await pilot.click("#neurons", offset=(10, row))
        assert app.screen.selected == 4


async def test_role_labels_show_beside_their_neurons():
    net = load(shipped("count"))
    app = ExplorerApp(net, task_for(net), labels=["flag", "counter: k remaining (r=0.97)"])
    async with app.run_test(size=(100, 30)) as pilot:
        await steps(pilot, 5)
        neurons = app.screen.query_one("#neurons")
        rows = [neurons.render_line(y).text for y in range(neurons.size.height)]
        assert any("flag" in r for r in rows) and any("counter: k remaining (r=0.97)" in r for r in rows)


async def test_temperature_keys_work_in_sample_mode_only():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert app.screen.session.temperature == 1.5
        await pilot.press("T", "T")
        assert app.screen.session.temperature == 0.75
        await pilot.press("m", "t")
        assert app.screen.session.temperature == 0.75


async def test_help_screen_opens_and_closes():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("n")  # the explorer's keys do nothing under the help
        await pilot.press("escape")
        assert isinstance(app.screen, ExploreScreen) and app.screen.session.frame.t == 0


async def test_command_palette_lists_the_explorer_actions():
    app = app_for("count")
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Zero", "Free all", "Mode", "Step"} <= titles


async def test_train_runs_in_a_worker_then_explores_the_trained_net_which_W_saves(tmp_path):
    task = task_for(load(shipped("count")))
    app = ExplorerApp(None, task, seed=0, train=TrainConfig(hidden=2, seed=0, max_seconds=1.5), export_dir=tmp_path)
    assert "s" not in {k for b in TrainScreen.BINDINGS for k in b.key.split(",")}  # no hidden alias of stop
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, ExploreScreen):
                break
        assert isinstance(app.screen, ExploreScreen)
        assert app.screen.session.net.hidden == 2
        await pilot.press("n")
        assert app.screen.session.frame.t == 1
        for _ in range(100):  # the roles worker starts once the first frame is drawn
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.screen.roles:
                break
        assert len(app.screen.roles) == 2 and len(app.screen.labels) == 2  # the trained net's roles
        await pilot.press("W")
        saved = load(tmp_path / "count-2-trained-s0.npz")
        assert np.array_equal(saved.Whh, app.screen.session.net.Whh) and "--train" in saved.meta.command
        assert app.screen.check_action("save_network", ()) is False  # saved once; the key goes


async def test_W_is_offered_only_for_a_network_trained_in_the_app(tmp_path):
    app = ExplorerApp(load(shipped("count")), task_for(load(shipped("count"))), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("W")
        assert not list(tmp_path.iterdir())
        assert "Save net" not in {c.title for c in app.get_system_commands(app.screen)}


@pytest.mark.parametrize(
    "task, source, smaller",
    [
        ("count", "count-2.npz", "count-1"),  # the study's size meets; so does one neuron
        ("fill", "fill-10.npz", "fill-9"),
        ("grammar", "grammar-4.npz", "grammar-3"),
        ("three-in-a-row", "three-in-a-row-30.npz", "three-in-a-row-10"),
        ("count-reverse", "count-reverse-2.npz", ""),  # not run by the study: the smallest that meets
        ("dyck", "dyck-4.npz", ""),
    ],
)
def test_a_bare_task_opens_the_study_s_size_when_it_meets_else_the_smallest_that_meets(task, source, smaller):
    """DESIGN.md's rule, on the shipped files: each of these meets, as its recorded verdict says."""
    options = prepare(parse(explorer, [task]))
    assert options["source"] == source and options["note"] == ""
    said = f"{smaller} meets its target too, with fewer neurons: rnnmem-tui {smaller}"
    assert options["hint"] == (said if smaller else "")
    assert load(data_dir("weights") / source).meta.recorded == "meets"


async def test_the_header_badge_gives_the_recorded_verdict_and_interval():
    net = load(default_network("fill"))  # one with a recorded verdict
    v = net.meta.verdict
    app = ExplorerApp(net, task_for(net))
    async with app.run_test(size=SIZE):
        title = str(app.screen.query_one("#neurons").border_title)
        lo, hi = v["validity_interval"]
        assert title == f"{net.hidden} neurons · meets {v['validity']:.3f} [{lo:.3f}, {hi:.3f}]"
    bare = replace(net, meta=replace(net.meta, verdict=None))
    app = ExplorerApp(bare, task_for(net), note="study's size, none meets")
    async with app.run_test(size=SIZE):
        title = str(app.screen.query_one("#neurons").border_title)
        assert title == f"{net.hidden} neurons · no recorded verdict · study's size, none meets"


def test_no_two_bindings_of_the_explorer_share_a_key():
    keys = [k for b in [*ExplorerApp.BINDINGS, *ExploreScreen.BINDINGS] for k in b.key.split(",")]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_the_docs_key_table_is_the_registrys():
    """The key table of docs/reference/explorer.md is generated from the bindings and the views' registry, and
    names every view."""
    page = (Path(__file__).parent.parent / "docs" / "reference" / "explorer.md").read_text()
    assert markdown() in page, "regenerate it: python -m rnnmem_tui.screens.keys --markdown"
    keys = [k for k, _ in key_rows()]
    assert all(v.key in keys for v in VIEWS) and {"d", "k", "E", "W"} <= set(keys)


# ---- the command line: one clear line and exit code 2, before any screen ----


@pytest.fixture(autouse=True)
def no_screen(monkeypatch):
    """A command line that wrongly got through must fail the test, not hang it in a headless app."""
    monkeypatch.setattr(ExplorerApp, "run", lambda self, *a, **k: pytest.fail("the explorer opened"))


@pytest.mark.parametrize(
    "argv, says",
    [
        (["nope"], "unknown task 'nope'"),
        (["count", "--hidden", "7"], "no shipped network count-7.npz"),
        (["count", "--weights", "/nonexistent.npz"], "no such weights file"),
        (["count", "--weights", __file__], "not an .npz"),
        (["count", "--bogus"], "No such option '--bogus'"),
        (["count", "--weights", "x.npz", "--hidden", "2"], "cannot be combined"),
        (["fill", "--optimal", "--hidden", "99"], "no shipped network fill-optimal-99.npz"),
        (["count", "--seed", "-1"], "argument --seed: must be at least 0"),
        (["count", "--optimal", "--train"], "at most one of --weights, --optimal and --train"),
    ],
)
def test_bad_command_lines_fail_in_one_line(argv, says, capsys):
    assert run_explorer(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnnmem-tui: error: ") and says in err


def test_a_weights_file_of_another_task_is_refused(capsys):
    assert run_explorer(["count", "--weights", str(shipped("fill"))]) == 2
    assert "holds a fill network, not count" in capsys.readouterr().err


def test_a_small_terminal_is_refused(monkeypatch, capsys):
    import os

    monkeypatch.setattr(
        "shutil.get_terminal_size", lambda *a, **k: os.terminal_size((70, 20))
    )  # pytest asks too, with fallback=
    monkeypatch.setattr("rnnmem_tui.explore.on_a_terminal", lambda: True)
    assert run_explorer(["count"]) == 2
    assert "needs at least 80x24" in capsys.readouterr().err


def test_help_exits_zero_and_names_every_option(capsys):
    assert run_explorer(["count", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--hidden", "--weights", "--optimal", "--train", "--seed", "--max-seconds"):
        assert flag in out


async def test_the_command_line_explorer_plays_at_once_and_paused_waits():
    net = load(shipped("grammar"))
    playing = ExplorerApp(net, task_for(net), play=True)
    async with playing.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert playing.screen.playing and len(frames(playing)) > 1
    paused = ExplorerApp(net, task_for(net))
    async with paused.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert not paused.screen.playing and len(frames(paused)) == 1


async def test_the_opening_hint_is_said_once_as_a_notification():
    net = load(default_network("count"))
    app = ExplorerApp(net, task_for(net), source="count-2.npz", hint="count-1 meets its target too")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["count-1 meets its target too"]


async def test_releasing_every_neuron_goes_on_from_the_intact_twins_state():
    """Issue 24: after zeroing a neuron, the held grammar network falls into its own newline loop; `X` used to
    leave it there (valid 0% of 80 after release). Releasing all now takes the intact twin's steps."""
    net = load(default_network("grammar"))
    app = ExplorerApp(net, task_for(net), seed=2)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, 30)
        await pilot.press("1", "z")
        await steps(pilot, 60)
        s = app.screen.session
        intact = list(s.twin.frames)
        await pilot.press("X")
        assert s.twin is None and not s.interventions
        assert [f.step.x for f in frames(app)[-len(intact) :]] == [f.step.x for f in intact]
        await steps(pilot, 80)
        run = s.running()
        assert run.n_now > 0 and run.now > 0.9, run


async def test_a_typed_unit_starts_a_fresh_line_after_teacher_mode():
    """Issue 24: `m`, 25 teacher steps, `m`, then `aababb` enter showed `aaaaaaaaababaababb↵ ✗`: the typed
    symbols went on from the teacher's unfinished line. The rules now finish that line, unscored."""
    net = load(default_network("grammar"))
    app = ExplorerApp(net, task_for(net), seed=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await steps(pilot, 25)
        s = app.screen.session
        await pilot.press("m")
        assert s.mode == "type"
        await pilot.press(*"aababb", "enter")
        unit = s.frame.recent[-1]
        assert unit.text == "aababb\n" and unit.valid
        finished = s.frame.recent[-2]
        assert finished.valid and not finished.own  # the teacher's line, finished by the rules


async def trained_app(tmp_path):
    """The explorer on a count network trained in the app for a second, once training has ended."""
    task = task_for(load(shipped("count")))
    return ExplorerApp(None, task, seed=0, train=TrainConfig(hidden=2, seed=0, max_seconds=1.0), export_dir=tmp_path)


async def until_explorer(app, pilot) -> None:
    """Wait for training to end and the explorer to open."""
    for _ in range(200):
        await pilot.pause(0.05)
        if isinstance(app.screen, ExploreScreen):
            return
    raise AssertionError("the explorer did not open")


async def test_quitting_with_an_unsaved_trained_network_asks_first(tmp_path):
    """Issue 24: `count --train --hidden 2`, then `q`, lost the network with no word."""
    from rnnmem_tui.screens.quitting import QuitScreen

    app = await trained_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until_explorer(app, pilot)
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen) and app.is_running
        await pilot.press("escape")  # stay
        assert isinstance(app.screen, ExploreScreen) and app.is_running
        await pilot.press("q", "s")  # save and quit
        await pilot.pause()
    assert app.return_code == 0 and [p.name for p in tmp_path.iterdir()] == ["count-2-trained-s0.npz"]
    app = await trained_app(tmp_path / "other")
    async with app.run_test(size=SIZE) as pilot:
        await until_explorer(app, pilot)
        await pilot.press("q", "q")  # quit and lose it
        await pilot.pause()
    assert not (tmp_path / "other").exists() or not list((tmp_path / "other").iterdir())


async def test_the_training_curve_stays_viewable_after_training(tmp_path):
    from rnnmem_tui.screens.training import CurveScreen

    app = await trained_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until_explorer(app, pilot)
        await pilot.press("L")
        assert isinstance(app.screen, CurveScreen) and app.screen.history
        await pilot.press("escape", "L")  # shown again, as often as asked
        assert isinstance(app.screen, CurveScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ExploreScreen)
    plain = app_for("count")
    async with plain.run_test(size=SIZE) as pilot:
        await pilot.press("L")
        assert isinstance(plain.screen, ExploreScreen) and plain.screen.check_action("training_curve", ()) is False


async def test_after_a_second_intervention_both_counts_restart_together():
    """Issue 24: after a second intervention "held" restarted its count and "intact" did not."""
    app = app_for("count", seed=3)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, 50)
        await pilot.press("0", "z")
        await steps(pilot, 200)
        s = app.screen.session
        assert s.running().n_now > 0 and s.running().n_free > 0
        await pilot.press("1", "c")  # the second intervention
        run = s.running()
        assert (run.n_now, run.n_free) == (0, 0)
        units = s.twin.frame.units
        await steps(pilot, 200)
        run = s.running()
        # the intact twin counts the units it finished since the change, less the one it was in, if any
        assert run.n_now > 0 and s.twin.frame.units - units - run.n_free in (0, 1)


async def test_the_palette_names_each_command_once_finds_common_words_and_its_screenshot_saves(tmp_path):
    """Issue 24: the palette had two "Back"s, found nothing for "temperature", "speed" or "help", and Textual's
    Screenshot failed (it saves into ~/Downloads)."""
    app = ExplorerApp(load(shipped("count")), task_for(load(shipped("count"))), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
        for word in ("temperature", "speed", "help", "screenshot"):
            assert any(word in t.lower() for t in titles), word
        shot = next(c for c in commands if c.title == "Screenshot")
        shot.callback()
        await pilot.pause()
        assert [p.suffix for p in tmp_path.iterdir()] == [".svg"]


@pytest.mark.parametrize(
    "task, keys, said",
    [
        ("count", "W", "W saves a network trained here"),
        ("fill", "f", "works in the Heatmap view: press h"),
        ("fill", "i", "works in the Heatmap view: press h"),
        ("fill", "g", "works in the Heatmap view: press h"),
        ("fill", "o", "press p to open it"),
        ("grammar", "p", "not offered for grammar"),
    ],
)
async def test_a_key_that_does_nothing_here_says_why(task, keys, said):
    app = app_for(task)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert any(said in n for n in notes), notes


async def test_an_exported_step_records_the_interventions_in_force_and_the_file_what_it_is_of(tmp_path):
    """Issue 24: `E` kept only the last step's interventions, and no network name, mode or seed."""
    import json

    net = load(shipped("count"))
    app = ExplorerApp(net, task_for(net), seed=5, source="count-2.npz", export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, 10)
        await pilot.press("0", "z")
        await steps(pilot, 10)
        await pilot.press("1", "c")
        await steps(pilot, 10)
        await pilot.press("m", "E")
        await pilot.pause()
    (path,) = tmp_path.glob("*.npz")
    d = np.load(path, allow_pickle=False)
    held = d["held"]
    assert np.isnan(held[:10]).all()  # free at first
    assert (held[11:20, 0] == 0).all() and np.isnan(held[11:20, 1]).all()  # n0 zeroed
    assert (held[21:, 0] == 0).all() and np.isfinite(held[21:, 1]).all()  # and n1 clamped
    about = json.loads(str(d["about"]))
    assert about == {"network": "count-2.npz", "task": "count", "mode": "teacher", "seed": 5, "temperature": 1.0}


async def test_the_roles_of_a_network_with_a_large_task_arrive():
    """dyck-5's question to the measuring process (about 36 KB pickled) arrives whole while the screen plays:
    before, what `communicate` had not written within its first timeout was never sent, and the panel said
    'finding roles…' for ever."""
    app = app_for("dyck")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(600):  # up to a minute: the measurement takes about 6 s on a quiet core
            await pilot.pause(0.1)
            if app.screen.roles:
                break
        assert len(app.screen.roles) == 5 and app.screen.query_one("#neurons").border_subtitle != "finding roles…"
