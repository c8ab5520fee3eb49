"""The probability heatmap sizes its cells from the room its frame has, whenever the frame's size settles."""

from __future__ import annotations

from textual.app import App, ComposeResult

from rnnmem_tui.session import Session
from rnnmem_tui.weights import load, shipped, task_for
from rnnmem_tui.widgets.probs import ProbsView


NET = load(shipped("fill", optimal=True))


class Holder(App):
    """Just a ProbsView."""

    def compose(self) -> ComposeResult:
        yield ProbsView(Session(NET, task_for(NET)))


def header(app: App) -> str:
    """The figure's first line: the outputs, one column each."""
    return str(app.query_one("#probs-figure").render()).splitlines()[0]


async def test_cells_follow_the_frame_when_only_the_frame_resizes():
    """The layout may settle the frame after the view: the view's own size never changes here."""
    net = NET
    app = Holder()
    async with app.run_test(size=(100, 30)) as pilot:
        scroll = app.query_one("#probs-scroll")
        scroll.styles.width = 20
        await pilot.pause()
        app.query_one(ProbsView).grid = Session(net, task_for(net)).probability_grid("012345678")
        await pilot.pause()
        assert len(header(app)) <= 50  # the 4-column cells of a frame with no room
        scroll.styles.width = "1fr"
        await pilot.pause()
        assert len(header(app)) > 60, header(app)  # 10 outputs at wider cells
