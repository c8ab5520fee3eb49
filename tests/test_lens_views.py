"""The phase portrait and the automaton view, each in a small app of its own (the explorer registers them)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from rnnmem_tui.session import Session
from rnnmem_tui.weights import load, task_for
from rnnmem_tui.widgets.machine import MachineView
from rnnmem_tui.widgets.phase import PhaseView

SIZE = (80, 24)


class LensApp(App):
    """One view on a Session of a shipped network, stepped `steps` times in teacher mode."""

    def __init__(self, name: str, view: type, steps: int = 0, mode: str = "teacher") -> None:
        super().__init__()
        net = load(name)
        self.session = Session(net, task_for(net), seed=0)
        self.session.mode = mode
        for _ in range(steps):
            self.session.step()
        self.view_type = view

    def compose(self) -> ComposeResult:
        yield self.view_type(self.session, id="view")

    def on_mount(self) -> None:
        self.query_one("#view").show()

    def advance(self, n: int = 1) -> None:
        """Step the session n times and redraw, as the explorer's timer does."""
        for _ in range(n):
            self.session.step()
        self.query_one("#view").show()


async def settle(pilot) -> None:
    """Wait for the view's worker and the redraw it asks for: for the data, not for a time."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app: App) -> str:
    view = app.query_one("#view")
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def test_the_phase_portrait_of_count_optimal_2_shows_the_one_attractor_of_c():
    app = LensApp("count-optimal-2", PhaseView, steps=4)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.query_one(PhaseView)
        assert view.ready
        text = screen_text(app)
        assert "●" in text and "n0 →" in text
        while app.session.net.vocab[app.session.frame.step.x] != "c":
            app.advance()
        await settle(pilot)
        (point,) = view.points[view.key()]
        assert point.kind == "stable" and point.point[1] < -0.5  # the counter's attractor, below its floor
        assert "c: 1 stable" in screen_text(app)


async def test_zeroing_a_neuron_moves_the_fixed_points_live():
    app = LensApp("count-optimal-2", PhaseView, steps=6)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.query_one(PhaseView)
        before = view.points[view.key()]
        app.session.zero(1)
        view.show()
        await settle(pilot)
        after = view.points[view.key()]
        assert after and all(p.point[1] == 0 for p in after) and [p.point[1] for p in before] != [0.0] * len(before)
        assert "n1 zeroed" in screen_text(app)


async def test_a_larger_network_is_drawn_in_its_first_two_principal_components():
    app = LensApp("fill-10", PhaseView, steps=5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "PC1" in screen_text(app) and app.query_one(PhaseView).ready


def test_phase_portrait_snapshot(snap_compare):
    async def run(pilot) -> None:
        await settle(pilot)

    assert snap_compare(LensApp("count-2", PhaseView, steps=7), terminal_size=SIZE, run_before=run)


async def test_the_automaton_view_follows_count_optimal_2_through_its_eleven_states():
    app = LensApp("count-optimal-2", MachineView, steps=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.query_one(MachineView)
        assert view.report.extracted.machine.states == 11
        seen = set()
        for _ in range(40):
            app.advance()
            now = view.report.extracted.state_of(app.session.frame.step.h)[0]
            seen.add(now)
            assert view.trail[-1] == now
            assert "on the task's machine" in screen_text(app)
        assert len(seen) >= 5


async def test_zeroing_the_counter_takes_the_network_off_the_tasks_machine_live():
    app = LensApp("count-optimal-2", MachineView, steps=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.zero(1)
        app.query_one(MachineView).show()
        await settle(pilot)
        assert app.query_one(MachineView).report.extracted.machine.states == 2
        text = ""
        for _ in range(30):  # teacher mode feeds valid lines: where a line must end, the network says c
            app.advance()
            text = screen_text(app)
            if "off the task's machine" in text:
                break
        assert "the network allows c where the task allows ↵" in text and "n1 zeroed" in text


async def test_a_machine_too_large_to_list_is_summed_up_from_the_current_state():
    """Issue 24: three-in-a-row-30's 6228 states showed one line, then blank lines."""
    app = LensApp("fill-optimal-10", MachineView, steps=4)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "network's machine 512 states" in text and "512 states, too many to list" in text
        assert "the last steps went through 0 → " in text and "→" in text.split("from the current one:")[1]
        assert "states allow what the task's machine does" in text or "states allow other symbols" in text


async def test_a_small_machine_lists_each_state_with_its_transitions():
    app = LensApp("count-optimal-1", MachineView, steps=3)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "where each symbol leads" in text and " c→" in text


def test_automaton_view_snapshot(snap_compare):
    async def run(pilot) -> None:
        await settle(pilot)

    assert snap_compare(LensApp("grammar-3", MachineView, steps=9), terminal_size=SIZE, run_before=run)
