"""The explorer's analysis views driven by their keys: role labels, heatmaps, weights, ablation, SVG export."""
from __future__ import annotations

import numpy as np
from textual.widgets import Footer

from rnnmem_tui.app import ExplorerApp
from rnnmem_tui.weights import load, shipped, task_for
from rnnmem_tui.widgets.ablation import AblationView
from rnnmem_tui.widgets.heatmap import HeatmapView
from rnnmem_tui.widgets.help import keys_table
from rnnmem_tui.widgets.probs import ProbsView
from rnnmem_tui.widgets.weights import WeightsView

SIZE = (80, 24)


def app_for(task: str, tmp=".", **kw) -> ExplorerApp:
    """The explorer on a shipped network, its SVGs going to tmp."""
    path = shipped(task, **kw)
    net = load(path)
    return ExplorerApp(net, task_for(net), source=path.name, export_dir=tmp)


async def settled(pilot) -> None:
    """Let the workers finish and their messages land, the role labels included."""
    for _ in range(100):  # the roles worker starts once the first frame is drawn
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.screen_stack[0].roles:
            return
    raise AssertionError("the role labels never arrived")


def panel_text(app: ExplorerApp) -> str:
    """Every line of the neuron panel, as plain text."""
    neurons = app.screen.query_one("#neurons")
    return "\n".join(neurons.render_line(y).text for y in range(neurons.size.height))


async def test_roles_label_count_2s_counter_and_newline_reader_above_their_bars():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        roles = app.screen.roles
        assert [n.kind for n in roles] == ["counter", "input"] and roles[0].top.feature == "remaining"
        text = panel_text(app)
        assert "counter: c's still to print (ρ 0.99)" in text and "input: reads a newline (AUC 1.00)" in text


async def test_role_labels_beside_the_bars_give_up_the_kind_before_the_words_or_the_measure():
    app = app_for("fill", optimal=True)
    async with app.run_test(size=SIZE) as pilot:  # ten neurons on nineteen lines: a line each
        await settled(pilot)
        text = panel_text(app)
        assert "cell 6 filled (AUC 1.00)" in text and "all cells fi… (AUC 1.00)" in text


async def test_roles_find_fill_optimal_10s_cell_bits():
    app = app_for("fill", optimal=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        roles = app.screen.roles
        assert [(n.kind, n.top.feature) for n in roles[:9]] == [("bit", f"cell{i}") for i in range(9)]
        assert (roles[9].kind, roles[9].top.feature) == ("flag", "full")
        assert "bit: cell 6 filled (AUC 1.00)" in panel_text(app)


async def test_probability_heatmap_bad_mass_rises_when_a_cell_bit_is_zeroed():
    app = app_for("fill", optimal=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        view = app.screen.query_one(ProbsView)
        g = view.grid
        assert g.order == "012345678" and g.rows[0] == "EMPTY" and g.rows[-1] == "8, FULL"
        assert g.columns[-1] == "END" and g.p.shape == (10, 10)
        assert g.bad_mass < 1e-3
        assert g.bad[3, :3].all() and not g.bad[3, 3:9].any() and g.bad[:9, 9].all() and not g.bad[9, 9]
        await pilot.press("4", "z")
        assert view.grid.bad_mass > 0.1 and view.grid.interventions.of(4) == "zeroed"
        await pilot.press("X")
        assert view.grid.bad_mass < 1e-3


async def test_a_typed_fill_order_is_completed_and_a_bad_one_refused():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p", "o", *"408", "enter")
        assert app.screen.query_one(ProbsView).grid.order == "408123567"
        assert app.screen.focused is None
        await pilot.press("z")  # the explorer's keys work again once the order is read
        assert app.screen.session.interventions.of(0) == "zeroed"
        await pilot.press("o", "4", "4", "enter")  # the line is selected on focus: typing replaces it
        assert app.screen.query_one(ProbsView).grid.order == "408123567"
        await pilot.press("escape", "o", "1", "escape")  # escape drops the typing, then leaves the view
        assert app.screen.view == "probs" and app.screen.focused is None
        assert app.screen.query_one("#probs-order").value == "408123567"
        await pilot.press("escape")
        assert app.screen.view == "main"


async def test_probability_heatmap_of_three_in_a_row_ends_at_the_first_line():
    app = app_for("three-in-a-row")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        g = app.screen.query_one(ProbsView).grid
        assert g.order == "012" and g.rows == ("EMPTY", "0", "1", "2, DONE")
        assert g.p[-1, -1] > 0.9


async def test_probabilities_are_offered_on_grid_tasks_only():
    app = app_for("count")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert app.screen.view == "main"
        assert not app.screen.query(ProbsView)


async def test_activation_heatmap_follows_the_stream_until_frozen():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", *"nnnnn")
        s, view = app.screen.session, app.screen.query_one(HeatmapView)
        assert np.array_equal(view.data.history[-1], s.frame.step.h) and view.data.symbols[-5:] == s.symbols(5)
        await pilot.press("f", *"nnn")
        assert app.screen.frozen and view.data.history.shape[0] == 6 and s.frame.t == 8
        await pilot.press("3")  # the selection still moves on a frozen heatmap
        assert view.data.selected == 3 and view.data.history.shape[0] == 6
        await pilot.press("f")
        assert np.array_equal(view.data.history[-1], s.frame.step.h) and view.data.history.shape[0] == 9
        await pilot.press("escape")
        assert app.screen.view == "main"


async def test_weights_view_marks_the_selected_neuron():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w", "3")
        view = app.screen.query_one(WeightsView)
        assert view.data.selected == 3
        text = str(view.query_one("#weights-figure").render())
        assert "▶3" in text and "Whh" in text and "Wxh" in text and "Why" in text


async def test_ablation_view_lists_every_neuron_by_damage_with_its_role():
    app = app_for("fill", hidden=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settled(pilot)
        data = app.screen.query_one(AblationView).data
        assert data.intact is not None and data.done == data.total == 5
        assert sorted(a.neurons[0] for a in data.rows) == list(range(5))
        damage = [a.damage for a in data.rows]
        assert damage == sorted(damage, reverse=True)
        kinds = ("bit", "counter", "flag", "phase", "parity", "input", "unexplained")
        assert len(data.roles) == 5 and all(r.startswith(kinds) for r in data.roles)


async def test_s_saves_the_screen_as_svg(tmp_path):
    app = app_for("fill", tmp=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "h", "s", "s")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fill-10-heatmap-step1-2.svg",
                                                              "fill-10-heatmap-step1.svg"]
        assert (tmp_path / "fill-10-heatmap-step1.svg").read_text().lstrip().startswith("<svg")


async def test_type_mode_types_symbols_that_are_also_view_keys():
    app = app_for("grammar")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "m", "a", "a", "b")
        assert app.screen.view == "main" and app.screen.session.frame.prefix == "aab"
        await pilot.press("w")
        assert app.screen.view == "weights"


async def test_the_palette_and_the_help_list_the_views():
    app = app_for("fill")
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Heatmap", "Probabilities", "Weights", "Ablation", "SVG", "Freeze", "Order"} <= titles
    help_keys = [str(cell) for column in keys_table().columns for cell in column.cells]
    assert {"h", "p", "w", "a", "s", "esc", "f", "o"} <= set(help_keys)


async def test_the_footer_fits_80_columns_in_every_view():
    app = app_for("fill")
    async with app.run_test(size=SIZE) as pilot:
        for key in ("escape", "h", "p", "w", "a"):
            await pilot.press(key)
            await pilot.pause()
            footer = app.screen.query_one(Footer)
            assert footer.children and footer.virtual_size.width <= SIZE[0], key
