"""Snapshots of the explorer and its views at fixed sizes and seeds, on the shipped networks; no timer runs in
any of them, and each waits for the workers (roles, ablation sweep) to finish.

After a deliberate change, rebuild them with `pytest tests/test_snapshots.py --snapshot-update` and
look at every SVG in tests/__snapshots__/ before committing it.
"""

from __future__ import annotations

import pytest

from rnnmem_tui.app import CompareApp, ExplorerApp
from rnnmem_tui.paths import data_dir
from rnnmem_tui.weights import default_network, load, shipped, task_for


def app_for(task: str, **kw) -> ExplorerApp:
    """The explorer on the shipped network for task, sampling seed 0."""
    path = shipped(task, **kw)
    net = load(path)
    return ExplorerApp(net, task_for(net), seed=0, source=path.name)


async def labelled(pilot) -> None:
    """Wait for the workers, then for the role labels to reach the explorer: for the data, not for a time."""
    explorer = pilot.app.screen_stack[0]
    for _ in range(100):  # the roles worker starts once the first frame is drawn
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if explorer.roles:
            return
    raise AssertionError("the role labels never arrived")


def steps(n: int, *keys: str):
    """A run_before that takes n steps (the `n` key's action) without a key press each, presses keys, then
    waits for the labels."""

    async def run(pilot) -> None:
        await pilot.pause()  # run_before may start before the screen is composed
        for _ in range(n):
            pilot.app.screen.action_step()
        await pilot.press(*keys)
        await labelled(pilot)

    return run


def test_count(snap_compare):
    assert snap_compare(app_for("count"), run_before=steps(60))


def test_fill(snap_compare):
    assert snap_compare(app_for("fill"), run_before=steps(25))


def test_an_lstm_s_c_units_are_rows_of_their_own_and_hold_when_zeroed(snap_compare):
    """grammar-lstm-3: rows h0-h2, then c0-c2 drawn over their own ranges; c0 (the selection moved down
    three rows) zeroed."""
    path = data_dir("weights") / "grammar-lstm-3.npz"
    net = load(path)
    app = ExplorerApp(net, task_for(net), seed=0, source=path.name)
    assert snap_compare(app, run_before=steps(40, "down", "down", "down", "z"))


def test_three_in_a_row_at_100x30(snap_compare):
    assert snap_compare(app_for("three-in-a-row"), terminal_size=(100, 30), run_before=steps(40))


def test_grammar(snap_compare):
    assert snap_compare(app_for("grammar"), run_before=steps(60))


def test_a_zeroed_and_a_clamped_neuron(snap_compare):
    """fill-10 with neuron 3 zeroed and neuron 7 clamped at +1: illegal moves show in red."""

    async def run(pilot) -> None:
        await steps(12)(pilot)
        await pilot.press("3", "z", "7", "C")
        await steps(30)(pilot)

    assert snap_compare(app_for("fill"), run_before=run)


def test_teacher_mode_on_fill(snap_compare):
    async def run(pilot) -> None:
        await pilot.pause()
        await pilot.press("m")
        await steps(30)(pilot)

    assert snap_compare(app_for("fill"), run_before=run)


def test_help_screen(snap_compare):
    assert snap_compare(app_for("count"), run_before=steps(0, "question_mark"))


def test_thirty_neurons_at_80x24_scrolled_to_the_selection(snap_compare):
    async def run(pilot) -> None:
        await steps(40)(pilot)
        await pilot.press("2", "6")

    assert snap_compare(app_for("three-in-a-row"), run_before=run)


# ---- the analysis views ----


def test_activation_heatmap_of_count(snap_compare):
    assert snap_compare(app_for("count"), run_before=steps(40, "h"))


def test_activation_heatmap_of_thirty_neurons_frozen_and_scrolled(snap_compare):
    async def run(pilot) -> None:
        await steps(30, "h", "f")(pilot)
        await steps(10, "2", "2")(pilot)

    assert snap_compare(app_for("three-in-a-row"), run_before=run)


def test_heatmap_of_four_pinned_neurons_sorted_by_role(snap_compare):
    """Four neurons of three-in-a-row-30 (two unexplained, then cell 7's and cell 3's bits, as explain labels
    them with the shipped null), pinned and sorted once their roles are known: the bits first."""
    from rnnmem_tui.figures import pin

    async def run(pilot) -> None:
        await steps(30, "h", *pin(23, 1, 0, 16))(pilot)
        await pilot.press("g")
        await pilot.pause()

    assert snap_compare(app_for("three-in-a-row"), terminal_size=(120, 24), run_before=run)


def test_probability_heatmap_of_fill_10_with_a_cell_bit_zeroed(snap_compare):
    assert snap_compare(app_for("fill"), run_before=steps(0, "p", "3", "z"))


def test_probability_heatmap_of_the_hand_built_fill_at_100x30(snap_compare):
    assert snap_compare(app_for("fill", optimal=True), terminal_size=(100, 30), run_before=steps(0, "p"))


def test_weights_of_fill_10_with_neuron_3_selected(snap_compare):
    assert snap_compare(app_for("fill"), run_before=steps(0, "w", "3"))


def test_ablation_of_fill_10(snap_compare):
    assert snap_compare(app_for("fill"), run_before=steps(0, "a"))


# ---- the intact twin, the badge, compare ----


def test_intact_twin_beside_count_2_with_its_counter_zeroed(snap_compare):
    """After `0 z`, the twin runs on the same draws: intact and held since the fork, ┊ where it began."""

    async def run(pilot) -> None:
        await steps(40)(pilot)
        await pilot.press("0", "z")
        await steps(120)(pilot)

    assert snap_compare(app_for("count"), run_before=run)


def test_badge_of_the_default_fill_network_at_120x40(snap_compare):
    path = default_network("fill")
    net = load(path)
    app = ExplorerApp(net, task_for(net), seed=0, source=path.name)
    assert snap_compare(app, terminal_size=(120, 40), run_before=steps(30))


def test_compare_grammar_4_with_its_construction_at_80x24(snap_compare):
    async def run(pilot) -> None:
        await pilot.pause()
        for _ in range(30):
            pilot.app.screen.action_step()
        await pilot.pause()

    a, b = load(shipped("grammar")), load(shipped("grammar", optimal=True))
    app = CompareApp(a, b, task_for(a), names=("grammar-4.npz", "grammar-optimal-4.npz"))
    assert snap_compare(app, run_before=run)


def test_compare_opens_the_heatmap_on_the_side_in_focus(snap_compare):
    """Issue 24: compare opens the explorer's views on the side in focus (here B, the construction, zeroed)."""

    async def run(pilot) -> None:
        await pilot.pause()
        for _ in range(30):
            pilot.app.screen.action_step()
        await pilot.press("tab", "down", "z", "h")
        await pilot.pause()

    a, b = load(shipped("grammar")), load(shipped("grammar", optimal=True))
    app = CompareApp(a, b, task_for(a), names=("grammar-4.npz", "grammar-optimal-4.npz"))
    assert snap_compare(app, run_before=run)


def test_exporting_the_steps_with_a_neuron_zeroed(snap_compare, tmp_path, monkeypatch):
    """E writes the steps kept, as `trace` does, and says where (a relative folder, so the path is fixed)."""
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    path = shipped("count")
    net = load(path)
    app = ExplorerApp(net, task_for(net), seed=0, source=path.name, export_dir=Path("exports"))

    async def run(pilot) -> None:  # E last, once the labels are in: its note shows for 6 s
        await steps(12, "0", "z", "n")(pilot)
        await pilot.press("E")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run)
    assert (tmp_path / "exports" / "count-2-steps0-13.npz").is_file()


VIEW_KEYS = {"grammar": ("h", "w", "a", "d", "k"), "fill": ("p",)}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("task, key", [(t, k) for t, keys in VIEW_KEYS.items() for k in keys])
def test_every_view_at_both_sizes(snap_compare, task, key, size):
    """Each view of the default network at the smallest and a roomy terminal (issue 24's space review)."""
    net = load(default_network(task))
    app = ExplorerApp(net, task_for(net), seed=0, source=default_network(task).name)
    assert snap_compare(app, terminal_size=size, run_before=steps(30, key))
