"""The probability heatmap, as in the seed's figures: a teacher-forced game's outputs after each board state."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from ..session import ProbGrid, Session, describe
from .view import View

RED = (255, 40, 40)  # the colour of probability 1


def shade(p: float, base: tuple[int, int, int]) -> Style:
    """The background colour for probability p: the panel's own at 0 (as the seed's white page), red at 1.

    The square root lets small masses show.
    """
    a = min(max(p, 0.0), 1.0) ** 0.5
    r, g, b = (int(round(x + a * (y - x))) for x, y in zip(base, RED))
    return Style(color="white", bgcolor=f"rgb({r},{g},{b})")


def figure(g: ProbGrid, line: Style, base: tuple[int, int, int], width: int = 4, tall: int = 1) -> Text:
    """The grid as text: a header of outputs, then `tall` lines per board state, `width` columns per output.

    Each cell shows its probability (blank under 0.005). The boundary between allowed and forbidden
    outputs is drawn in the `line` style: a bar between cells side by side, and under a cell whose
    status differs from the one below, a line of ▁ (two lines per state) or an underline (one).
    """
    R, V = g.p.shape
    label = max(len(r) for r in g.rows) + 1
    out = Text(no_wrap=True, overflow="crop")
    out.append(" " * label)
    for c in g.columns:
        out.append(c.rjust(width - 1)[-(width - 1) :] + " ")
    for r in range(R):
        for sub in range(tall):
            first, last = sub == 0, sub == tall - 1
            out.append("\n" + (g.rows[r] if first else "").rjust(label - 1) + " ")
            for k in range(V):
                bad = bool(g.bad[r, k])
                edge = k + 1 < V and bad != bool(g.bad[r, k + 1])
                under = last and r + 1 < R and bad != bool(g.bad[r + 1, k])
                right = under and k + 1 < V and bool(g.bad[r, k + 1]) != bool(g.bad[r + 1, k + 1])
                p, look = float(g.p[r, k]), shade(float(g.p[r, k]), base)
                if tall > 1 and last:
                    out.append(("▁" if under else " ") * (width - 1), look + Style(color=line.color) if under else look)
                    out.append("│" if edge else "▁" if right else " ", line)
                    continue
                text = "" if p < 0.005 else "1.0" if p >= 0.995 else f"{p:.2f}"[1:]
                if under:  # one line per state: the boundary is an underline, and the digits take its colour
                    look += Style(underline=True, color=line.color, bold=True)
                out.append(text.rjust(width - 1), look)
                out.append("│" if edge else " ", line + Style(underline=right))
    return out


class FigureScroll(ScrollableContainer):
    """The figure's scrolling frame: the room it has sets the figure's cell size."""

    def on_resize(self) -> None:
        """Redraw once the frame has its size: the grid may have been set before the layout gave it one."""
        self.query_ancestor(ProbsView).draw()


class ProbsView(Vertical):
    """The grid (scrolls when it does not fit), then a line to type a fill order, and the bad mass."""

    COMPONENT_CLASSES = {"probs--line", "probs--good", "probs--bad"}

    grid: reactive[ProbGrid | None] = reactive(None)

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.order = session.game()  # the game played: the cells in board order to start with

    def update_grid(self) -> None:
        """Teacher-force the order under the interventions the session holds."""
        self.grid = self.session.probability_grid(self.order)

    def action_order(self) -> None:
        """Put the cursor in the fill order line."""
        self.query_one("#probs-order", Input).focus()

    def action_escape(self) -> None:
        """Drop the typing: the line shows the order played again."""
        self.query_one("#probs-order", Input).value = self.order
        self.screen.set_focus(None)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """A typed fill order: play it (the other cells follow in board order)."""
        message.stop()
        try:
            self.order = self.session.game(message.value.strip())
        except ValueError as e:
            self.notify(str(e), severity="error", timeout=4)
            return
        self.screen.set_focus(None)
        self.update_grid()

    def compose(self) -> ComposeResult:
        """The figure, then the order and the caption."""
        with FigureScroll(id="probs-scroll"):
            yield Static(id="probs-figure")
        with Horizontal(id="probs-bar"):
            yield Label("order ", id="probs-label")
            yield Input(
                placeholder="cells in play order", compact=True, id="probs-order", restrict=r"[0-9a-z]*", max_length=36
            )
            yield Static(id="probs-caption")

    def watch_grid(self, g: ProbGrid | None) -> None:
        """Draw the figure and the caption for a new grid."""
        if g is None:
            return
        self.draw()
        mass = g.bad_mass
        caption = Text(no_wrap=True, overflow="ellipsis")
        caption.append(
            f" bad mass {mass:.3f}", self.get_component_rich_style("probs--good" if mass < 0.01 else "probs--bad")
        )
        caption.append(f" per state, the mean of {len(g.rows)}")
        if g.interventions:
            caption.append(f" · {describe(g.interventions)}")
        self.query_one("#probs-caption", Static).update(caption)
        order = self.query_one("#probs-order", Input)
        if not order.has_focus:
            order.value = g.order

    def draw(self) -> None:
        """The figure at the size that fits: wider cells and two lines per state when there is room."""
        g, room = self.grid, self.query_one("#probs-scroll").scrollable_content_region
        if g is None:
            return
        R, V = g.p.shape
        label = max(len(r) for r in g.rows) + 1
        width = min(max((room.width - label) // V, 4), 7)
        tall = 2 if room.height >= 2 * R + 1 else 1
        bg = self.background_colors[1].rgb
        figure_ = figure(g, self.get_component_rich_style("probs--line"), bg, width, tall)
        self.query_one("#probs-figure", Static).update(figure_)


VIEW = View(
    "p",
    "probs",
    "Probabilities",
    "next-symbol probabilities by board state",
    "The seed's probability figure (grid tasks): a game fed from EMPTY to FULL (o types its order), "
    "the outputs after each state. Left of and under the orange line the rules forbid; the bad mass "
    "is what lands there, a mean over the states as `eval` gives it, under the interventions held.",
    tip="Probability heatmap of a fill order (grid tasks)",
    make=ProbsView,
    show=lambda view, seen: view.update_grid(),
    depends=lambda seen: seen.interventions,
    applies=lambda task: task.is_grid,
    keys=(Binding("o", "order", "Order", tooltip="Type the fill order of the probability heatmap"),),
)
