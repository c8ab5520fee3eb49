"""The help screen: every key of the explorer, the modes and how to read the panels."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..widgets.neurons import scale_rgb
from .explorer import ExploreScreen
from .keys import key_rows
from .views import VIEWS, View

MODES = [
    (
        "sample",
        "The network writes freely at temperature T (t and T change it). The units it "
        "wrote are scored: the share valid among the last 100.",
    ),
    (
        "teacher",
        "Valid units from the task's generator are fed in; the status shows the mean "
        "probability the network puts on illegal next symbols.",
    ),
    ("type", "You type the task's symbols (enter for a newline); the network reads each one and predicts the next."),
]

PANELS = [
    (
        "lines",
        "Each finished line marked ✓ or ✗, red from where it broke the rules; the symbol "
        "just read is reversed; ┊ marks where an intervention began.",
    ),
    (
        "board",
        "Filled cells [4] on blue, the last move >4< orange, a cell !4! red when a move on it was "
        "illegal (filled already, or the game should have cleared); the last games beside it, "
        "┊ where an intervention began.",
    ),
    (
        "neurons",
        "Each neuron's last steps on a fixed scale from -1 (blue) through 0 (white) to "
        "+1 (red), as in the seed study's figures, the symbols read under the columns; its value "
        "now and its intervention: z zeroed, c clamped (at the value shown). An intervention is "
        "applied by every step, never to the weights.",
    ),
    (
        "next symbol",
        "The probability of each next symbol: green bars legal, red illegal. The "
        "reversed symbol is the one the next step reads.",
    ),
    (
        "status",
        "'valid' counts the units the network wrote under the current interventions and "
        "temperature, among the last 100. When the first neuron is held, an intact twin forks from "
        "the same step and runs alongside on the same draws: 'intact' and 'held' then count only "
        "the units since the fork; X drops the twin. Marks are dimmed on units the network did "
        "not write alone (fed, typed, or across a change). A unit twice as long as the longest "
        "valid one counts once, as invalid.",
    ),
    (
        "roles",
        "Beside each bar, what `rnnmem-tui explain` finds the neuron holds: its kind (bit, counter, "
        "flag, phase, parity, or input when it only mirrors the symbol read), the task's words, and the "
        "score by its measure (AUC, ρ Spearman's, r Pearson's), beyond the symbols just read and above "
        "random networks. A '?' after the score when its interval over the teacher streams straddles the "
        "threshold; '? words' when no role passes, with the best candidate. The kind gives way first "
        "when the panel is narrow.",
    ),
]


def terms(rows: list[tuple[str, str]]) -> Table:
    """A two-column table of terms and their wrapped explanations."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for row in rows:
        table.add_row(*row)
    return table


def keys_table(bindings: list[Binding] = ExploreScreen.BINDINGS) -> Table:
    """The bindings in declaration order, in two columns, the digits folded into one row."""
    rows = key_rows(bindings)
    half = (len(rows) + 1) // 2
    table = Table.grid(padding=(0, 1))
    for _ in range(2):
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
    for left, right in zip(rows[:half], rows[half:] + [("", "")]):
        table.add_row(*left, *right)
    return table


def colour_scale() -> Text:
    """The activation colours from -1 to +1, as in the seed study's figures."""
    out = Text("activation -1 ")
    for k in range(-10, 11):
        r, g, b = scale_rgb(k / 10)
        out.append("█", style=f"rgb({r},{g},{b})")
    return out + Text(" +1")


class HelpScreen(ModalScreen):
    """Keys, modes and panels (the explorer's unless given); any of escape, ? or q closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(
        self,
        bindings: list[Binding] = ExploreScreen.BINDINGS,
        modes: list[tuple[str, str]] = MODES,
        panels: list[tuple[str, str]] = PANELS,
        views: tuple[View, ...] = VIEWS,
        title: str = "rnnmem-tui keys",
    ) -> None:
        super().__init__()
        self.bindings, self.modes, self.panels, self.views, self.title_ = bindings, modes, panels, views, title

    def compose(self) -> ComposeResult:
        """Keys, modes, panels and the colour scale, scrollable."""
        with VerticalScroll(id="help"):
            yield Static(keys_table(self.bindings))
            yield Static(terms(self.modes), classes="help-section")
            yield Static(
                terms(self.panels + [(f"{v.key} {v.name}", v.help) for v in self.views]), classes="help-section"
            )
            yield Static(colour_scale(), classes="help-section")

    def on_mount(self) -> None:
        """Title the help."""
        self.query_one("#help").border_title = self.title_
        self.query_one("#help").border_subtitle = "esc to close"
