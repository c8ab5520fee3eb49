"""The headless command line: each verb works, and bad input ends in one clear line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import numpy as np
import pytest

from helpers import interruptible
from rnnmem_tui.cli import VERBS, main, root, run
from rnnmem_tui.cli.explore import explorer
from rnnmem_tui.meta import source_id
from rnnmem_tui.screens.keys import key_rows
from rnnmem_tui.train import SETTINGS
from rnnmem_tui.tasks import load_task
from rnnmem_tui.train import TrainConfig, train, train_population
from rnnmem_tui.weights import load, shipped

FILL_OPT = str(shipped("fill", optimal=True))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnmem_tui", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["eval", "missing.npz"], "missing.npz: no such weights file"),
        (["sample", FILL_OPT, "--zero", "10"], "neuron 10 is out of range"),
        (["sample", FILL_OPT, "--clamp", "3=2"], "VALUE in [-1, 1]"),
        (["sample", FILL_OPT, "--clamp", "3"], "NEURON=VALUE"),
        (["train", "chess", "--out", "x.npz"], "unknown task 'chess'"),
        (["build-optimal", "fill", "--hidden", "5", "--out", "x.npz"], "sizes with one: 9, 10"),
        (["eval", FILL_OPT, "--bogus"], "No such option '--bogus'"),
        (["--weights", "missing.npz"], "missing.npz: no such weights file"),
        (
            ["explain", FILL_OPT, "--feature", "nope"],
            "unknown feature 'nope' for fill; its features: cell0 (cell 0 filled)",
        ),
        (["explain", FILL_OPT, "--streams", "0"], "argument --streams: must be at least 1"),
        (["calibrate", "missing.npz"], "missing.npz: no such weights file"),
        (["eval", "count-2", "--n-max", "9"], "task 'count' (count) has no length test"),
        (["eval", "grammar-4", "--n-max", "51"], "--n-max for grammar must be in 10..50"),
        (["eval", "grammar-4", "--plot"], "--plot charts the length test: give --n-max too"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(args, message):
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("rnnmem-tui")


def test_corrupt_file_is_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00" * 64)
    r = cli("eval", str(bad))
    assert r.returncode == 2 and "not an .npz" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("verb", [*VERBS, "TASK"])
def test_every_verb_has_help_naming_each_of_its_flags(verb, capsys):
    """Each verb's --help (and the explorer's, `rnnmem-tui TASK --help`) exits 0 and names every flag it takes."""
    argv, command = (["count", "--help"], explorer) if verb == "TASK" else ([verb, "--help"], root.commands[verb])
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: rnnmem-tui")
    for param in command.params:
        for flag in param.opts if isinstance(param, click.Option) else ():
            assert flag in out, (verb, flag)


def test_the_explorers_help_lists_every_key_of_the_registry(capsys):
    assert main(["grammar", "--help"]) == 0
    keys = capsys.readouterr().out.split("Keys:")[1]
    for key, text in key_rows():
        assert f"{key} " in keys and text in keys
    assert {"d", "k", "E", "W"} <= {line.split()[0] for line in keys.splitlines() if line.strip()}


def test_compare_s_help_lists_the_keys_of_its_screen(capsys):
    from rnnmem_tui.screens.compare import CompareScreen

    assert main(["compare", "--help"]) == 0
    keys = capsys.readouterr().out.split("Keys:")[1]
    assert all(b.tooltip in keys for b in CompareScreen.BINDINGS) and "q      Quit" in keys


def test_version_names_the_commit(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rnnmem-tui ") and source_id() in out


@pytest.mark.parametrize(
    "args, says",
    [
        (
            ["explain", "no-such-file.npz", "--seed", "-1"],
            "rnnmem-tui explain: error: argument --seed: must be at least 0",
        ),
        (["eval", "no-such-file.npz", "--seeds", "0"], "argument --seeds: wants N (that many, from 0)"),
        (["eval", "no-such-file.npz", "--seeds", "١٢"], "argument --seeds: wants N (that many, from 0)"),
        (["train", "count", "--max-steps", "1_000", "--out", "x.npz"], "argument --max-steps: wants a whole number"),
        (["automaton", "no-such-file.npz", "--resolution", "1e-12"], "argument --resolution: must be at least 1e-06"),
        (["eval", "no-such-file.npz", "--json", "--markdown"], "give --json or --markdown, not both"),
        (["explain", "no-such-file.npz", "--feature", ""], "argument --feature: wants a feature's machine name"),
        (["train", "count", "--jobs", "0", "--seeds", "2", "--out", "d"], "argument --jobs: must be in 1..256, got 0"),
        (["sweep", "count", "--jobs", "0"], "argument --jobs"),
        (["ablate", "no-such-file.npz", "--units", "0"], "argument --units: must be at least 1"),
        (["fixed-points", "no-such-file.npz", "--max-points", "-3"], "argument --max-points"),
        (["train", "count", "--margin", "1", "--out", "x.npz"], "argument --margin: must be below 1.0"),
        (["train", "count", "--recipe", "nope", "--out", "x.npz"], "argument --recipe"),
        (["trian"], "did you mean train?"),
    ],
)
def test_every_bad_number_names_its_flag_before_any_file_is_read(args, says, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and err[0].startswith("rnnmem-tui"), err


def test_eval_takes_the_one_form_of_seeds(capsys):
    assert run(["eval", "count-2", "--seeds", "0..2", "--units", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["seeds"] == 3
    assert run(["eval", "count-2", "--seeds", "2", "--seed", "5", "--units", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["seeds"] == 2
    assert run(["eval", "count-2", "--seeds", "1,5", "--units", "100"]) == 0
    assert "2 sampling seeds (1,5) x 100 units" in capsys.readouterr().err


def test_a_table_is_tab_separated_under_one_header_off_a_terminal(capsys):
    assert run(["eval", FILL_OPT, "--units", "100", "--seeds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["file", "task", "H"] and len(lines) == 2
    assert lines[1].split("\t")[:3] == ["fill-optimal-10.npz", "fill", "10"]


def test_the_trainers_flags_come_from_its_settings():
    """A new setting is one field of TrainConfig: train and sweep get its flag, and the flag its help."""
    names = {p.name for p in root.commands["train"].params}
    assert set(SETTINGS) <= names and set(SETTINGS) - {"lr"} <= {p.name for p in root.commands["sweep"].params}
    for name, f in SETTINGS.items():
        option = next(p for p in root.commands["train"].params if p.name == name)
        assert option.default is None and f.metadata["help"] in option.help


def test_eval_json_reports_the_metrics_and_verdict(capsys):
    assert run(["eval", FILL_OPT, "--json", "--units", "200"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["validity"] == 1.0 and row["meets"] is True and row["hidden"] == 10
    assert row["verdict"] == "meets" and row["units"] == 10 * 200
    lo, hi = row["validity_interval"]
    assert lo < 1.0 == hi and len(row["tvd_interval"]) == len(row["bad_mean_interval"]) == 2
    assert {"tvd", "bad_mean", "bad_max", "target", "file", "task"} <= row.keys()  # the keys it always had


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: "", "the output path is empty"),
        (lambda d: str(d), "is a directory"),
        (lambda d: str(d / "plain.txt" / "x.npz"), "is a file, not a directory"),
        (lambda d: str(d / "kept.npz"), "already exists; pass --force"),
        (lambda d: "/proc/x.npz", "cannot write there"),
    ],
)
def test_a_bad_destination_is_refused_before_any_training(tmp_path, make, message):
    (tmp_path / "plain.txt").write_text("keep me")
    kept = tmp_path / "kept.npz"
    kept.write_bytes(b"an earlier network")
    for verb in (["train", "count", "--max-steps", "100000"], ["build-optimal", "fill"]):
        r = cli(*verb, "--out", make(tmp_path))
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "step" not in r.stderr  # refused before the first update
    assert kept.read_bytes() == b"an earlier network" and (tmp_path / "plain.txt").read_text() == "keep me"


def test_force_replaces_a_file_and_is_not_recorded(tmp_path, capsys):
    out = tmp_path / "c.npz"
    out.write_bytes(b"old")
    assert run(["train", "count", "--max-steps", "20", "--out", str(out), "--force"]) == 0
    assert "--force" not in load(out).meta.command


def test_saved_files_get_the_usual_mode(tmp_path, capsys):
    import os
    import stat

    old = os.umask(0o022)
    try:
        assert run(["build-optimal", "count", "--out", str(tmp_path / "c.npz")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c.npz").stat().st_mode) == 0o644


def test_train_records_its_budget_why_it_stopped_and_both_protocols(tmp_path, capsys):
    assert run(["train", "count", "--hidden", "2", "--max-steps", "40", "--out", str(tmp_path / "c.npz")]) == 0
    meta = load(tmp_path / "c.npz").meta
    assert meta.steps == 40 and meta.trainer["max_steps"] == 40 and meta.stopped_by == "steps"
    assert meta.verdict["verdict"] == "misses" and meta.verdict["units"] >= 0
    assert meta.verdict["protocol"].startswith("10 sampling seeds")
    assert "used its update budget" in capsys.readouterr().out


def test_a_time_cap_that_binds_says_so(tmp_path, capsys):
    assert run(["train", "count", "--max-seconds", "1e-9", "--out", str(tmp_path / "c.npz")]) == 0
    assert load(tmp_path / "c.npz").meta.stopped_by == "time"
    assert "stopped by the --max-seconds cap" in capsys.readouterr().out


def test_sweeps_with_an_update_budget_give_the_same_table(capsys):
    def sweep() -> list:
        assert run(["sweep", "count", "--hidden", "1,2", "--seeds", "1", "--max-steps", "300", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)["sizes"]
        return [{k: v for k, v in run_.items() if k != "seconds"} for r in rows for run_ in r["runs"]]

    first = sweep()
    assert [r["steps"] for r in first] == [300, 300] and first == sweep()


def test_sample_prints_games_as_rows_and_zeroing_breaks_them(capsys):
    run(["sample", FILL_OPT, "--n", "60", "--seed", "1"])
    out = capsys.readouterr()
    assert "invalid" not in out.out and out.out.splitlines()[0].count(" ") == 9
    run(["sample", FILL_OPT, "--n", "300", "--seed", "1", "--zero", "4"])
    out = capsys.readouterr()
    assert "<- invalid" in out.out and "neuron 4 zeroed" in out.err


def test_build_optimal_and_train_write_loadable_files(tmp_path, capsys):
    assert run(["build-optimal", "fill", "--out", str(tmp_path / "opt.npz")]) == 0
    assert load(tmp_path / "opt.npz").meta.metrics["validity"] == 1.0
    assert run(["train", "count", "--hidden", "2", "--max-steps", "30", "--out", str(tmp_path / "c.npz")]) == 0
    net = load(tmp_path / "c.npz")
    assert net.meta.command.startswith("rnnmem-tui train count") and net.meta.seed == 0
    assert net.meta.trainer["hidden"] == 2 and "validity" in net.meta.metrics


def test_training_is_deterministic_under_a_seed():
    task = load_task("count")
    cfg = TrainConfig(hidden=2, seed=3, max_steps=40, eval_symbols=10_000)
    a, b = train(task, cfg).net, train(task, cfg).net
    for k, v in a.params.items():
        assert np.array_equal(v, b.params[k])


@pytest.mark.parametrize("seeds", [[0], [0, 1, 2]])
def test_interrupt_keeps_the_best_network(seeds):
    task = load_task("count")
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        if calls["n"] > 60:
            raise KeyboardInterrupt
        return False

    results = train_population(
        task, [TrainConfig(hidden=2, seed=s, eval_symbols=20_000) for s in seeds], should_stop=stop
    )
    for seed, r in zip(seeds, results):  # each network of a population keeps its own best
        assert r.interrupted and r.best is not None and r.steps == 60 and r.net.meta.seed == seed


def test_ctrl_c_saves_the_best_network_and_exits_cleanly(tmp_path):
    import signal

    out = tmp_path / "c.npz"
    proc = interruptible("train", "count-reverse", "--hidden", "2", "--max-steps", "1000000", "--out", str(out))
    first = proc.stderr.readline()  # the progress bar's first line comes after the first validation
    assert "step" in first, first
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=60)
    stderr = first + rest
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stdout
    assert load(out).meta.steps > 0


def test_bench_says_how_to_get_pytorch_and_interleaves_the_sides(monkeypatch, capsys):
    from rnnmem_tui.cli import bench

    monkeypatch.setattr(bench, "torch_version", lambda: None)
    assert run(["bench", "--tasks", "count", "--seeds", "2", "--max-steps", "30"]) == 0
    out = capsys.readouterr().out
    assert "pip install 'rnnmem-tui[bench]'" in out
    runs = [line.split("\t") for line in out.splitlines() if line.startswith("count\t")][:4]  # then the summary
    assert [r[1] for r in runs] == ["ours", "seed method", "ours", "seed method"]  # seed by seed, not side by side
    updates = [int(r[-1]) for r in runs]
    assert len(updates) == 4 and max(updates) <= 30  # --max-steps bounds every side, the seed method too
    assert {r[3] for r in runs} <= {"meets", "undecided", "misses"}  # each run judged under the verdict protocol


@pytest.mark.slow  # four training processes
def test_bench_times_a_population_against_its_seeds_alone(capsys):
    """The population goal as a command: the population, each seed alone, the population again, as a user runs them."""
    assert run(["bench", "--population", "--tasks", "count", "--seeds", "2", "--max-steps", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "--seeds 0,1" in lines[0]
    assert [line.split("  ")[0].strip() for line in lines[1:5]] == [
        "population",
        "seed 0 alone",
        "seed 1 alone",
        "population again",
    ]
    assert all(line.endswith(("of 2 meet", "of 1 meet")) for line in lines[1:5])
    assert lines[5].startswith("median alone") and "(the goal: at most 2x)" in lines[5]


def test_sweep_shows_validity_against_updates(capsys):
    """The curve a budget is chosen from: each run's best validation so far, at checkpoints of the budget."""
    assert run(["sweep", "count", "--hidden", "2", "--seeds", "2", "--max-steps", "1000"]) == 0
    out = capsys.readouterr().out
    assert "validity against updates" in out
    header, row = (line.split() for line in out.split("validity against updates")[1].splitlines()[1:3])
    assert header[1:9] == [str(k * 125) for k in range(1, 9)] and row[0] == "2"
    meds = [float(cell.split("/")[0]) for cell in row[1:9]]
    assert meds == sorted(meds)  # a best-so-far never falls
