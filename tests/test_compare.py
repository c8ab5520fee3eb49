"""`rnnmem-tui compare A B`: two networks of one task read one input stream side by side."""

from __future__ import annotations

import click
import pytest

from rnnmem_tui.app import CompareApp
from rnnmem_tui.cli import run
from rnnmem_tui.cli.explore import compare, parse
from rnnmem_tui.explore import prepare_compare
from rnnmem_tui.screens.compare import CompareScreen
from rnnmem_tui.widgets.neurons import NeuronsView
from rnnmem_tui.weights import load, shipped, task_for


def app_for(a: str, b: str, **kw) -> CompareApp:
    """The comparison of two shipped networks."""
    return CompareApp(**prepare_compare(parse(compare, [a, b, "--paused"])), **kw)


def panel(app, k: int) -> str:
    """Side k's neuron panel as plain text."""
    view = app.screen.query_one(f"#neurons-{k}", NeuronsView)
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def test_two_4_neuron_networks_read_one_stream_at_80x24():
    app = app_for("grammar-4", "grammar-optimal-4")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(30):
            await pilot.press("n")
        a, b = app.screen.sessions
        assert a.frame.t == b.frame.t == 30 and a.symbols(31) == b.symbols(31)
        assert a.task.is_valid(a.frame.recent[0].text)  # the teacher's units
        for k in (0, 1):
            text = panel(app, k)
            assert all(f"{i} " in text for i in range(4)), text  # every neuron on screen
        await pilot.press("m", "a", "b", "a")
        # the teacher's unfinished line is finished by the rules first: a typed unit starts a line of its own
        assert a.mode == b.mode == "type" and a.symbols(3) == b.symbols(3) == "aba" and a.frame.t == b.frame.t >= 33
        assert a.frame.prefix == b.frame.prefix
        assert "A bad mass" not in str(app.screen.query_one("#compare-status").render())


@pytest.mark.slow  # two 30-neuron panels
async def test_two_30_neuron_panels_scroll_to_the_selection():
    app = app_for("three-in-a-row-30", "three-in-a-row-30")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(27):
            await pilot.press("down")
        assert app.screen.selected == 27
        for k in (0, 1):
            view = app.screen.query_one(f"#neurons-{k}", NeuronsView)
            assert view.scroll_y > 0 and "▶27" in panel(app, k)


def test_compare_refuses_networks_of_two_tasks(capsys):
    assert run(["compare", "count-2", "fill-10"]) == 2
    err = capsys.readouterr().err
    assert "compare needs one task" in err and len(err.strip().splitlines()) == 1


def test_compare_refuses_to_run_without_a_terminal(capsys):
    assert run(["compare", "count-2", "count-optimal-2"]) == 2  # pytest's stdin is not a terminal
    assert "needs a terminal" in capsys.readouterr().err


def test_compare_takes_no_sampling_mode():
    net = load(shipped("count"))
    with pytest.raises(ValueError):
        CompareScreen([], [], mode="sample")
    with pytest.raises(click.UsageError):
        parse(compare, ["count-2", "count-2", "--mode", "sample"])
    assert task_for(net).name == "count"


async def test_an_intervention_acts_on_the_side_in_focus_and_tab_moves_the_focus():
    """Issue 24: compare was a reduced app: z, c, ←, ? and s did nothing, and +/- showed at the next step."""
    from rnnmem_tui.app import CompareApp
    from rnnmem_tui.weights import load, task_for

    a, b = load("grammar-4"), load("grammar-optimal-4")
    app = CompareApp(a, b, task_for(a), names=("grammar-4", "grammar-optimal-4"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("n", "n", "n", "down", "z")
        assert screen.sessions[0].interventions.of(1) == "zeroed" and not screen.sessions[1].interventions
        await pilot.press("tab", "c")
        assert screen.sessions[1].interventions.of(1).startswith("clamped") and screen.side == 1
        assert "▶B" in str(screen.query_one("#neurons-1").border_title)
        t = screen.sessions[0].frame.t
        await pilot.press("left")
        assert screen.sessions[0].frame.t == t - 1 == screen.sessions[1].frame.t
        await pilot.press("plus")
        assert "20 steps/s" in str(screen.query_one("#compare-status").render())
        await pilot.press("X")
        assert not screen.sessions[1].interventions and screen.sessions[0].interventions


async def test_compare_opens_the_explorers_views_on_the_side_in_focus():
    """Issue 24: compare gets the explorer's views through the same registry: h, w, a, d, k open on the side in
    focus, tab turns the open view to the other side, escape goes back, and ? shows compare's own keys."""
    from rnnmem_tui.app import CompareApp
    from rnnmem_tui.screens.help import HelpScreen
    from rnnmem_tui.weights import load, task_for

    a, b = load("grammar-4"), load("grammar-optimal-4")
    app = CompareApp(a, b, task_for(a), names=("grammar-4", "grammar-optimal-4"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("n", "n", "h")
        switcher = screen.query_one("#views")
        assert switcher.current == "heatmap-0" and "grammar-4" in str(screen.query_one("#heatmap-0").border_title)
        await pilot.press("tab")
        assert switcher.current == "heatmap-1" and "grammar-optimal-4" in str(
            screen.query_one("#heatmap-1").border_title
        )
        await pilot.press("z", "u")  # an intervention and a view's own key act on B, the side in focus
        assert screen.sessions[1].interventions and not screen.sessions[0].interventions
        assert screen.query_one("#heatmap-1").autoscale
        await pilot.press("w")
        assert switcher.current == "weights-1"
        await pilot.press("escape")
        assert switcher.current == "main"
        await pilot.press("p")  # the probability heatmap is for grid tasks: not offered here
        assert switcher.current == "main"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and app.screen.title_ == "compare: keys"
