"""The activation heatmap, as in the seed's figures: a row per neuron, a column per step, the symbols read below."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..cells import cell_of
from ..model import NONE, Interventions
from ..tasks import Task
from .neurons import LEVELS, fit, scale_rgb
from .output import show_symbol
from .view import Seen, View

CELL = 2  # columns per step
TALLEST = 8  # lines per neuron at most: the rows fill the height
SPAN = 240  # the most steps it shows


@lru_cache(maxsize=2 * LEVELS + 1)
def _paint(level: int) -> Style:
    return Style(bgcolor=Color.from_rgb(*scale_rgb(level / LEVELS)))


KINDS = ("bit", "counter", "flag", "phase", "parity", "input", "unexplained")  # the order of `g`


@dataclass(frozen=True, eq=False)
class HeatmapData:
    """The steps on show: hidden states and the symbols read, the interventions, the selection, which
    neurons in which order, and the games (or lines) to mark under the symbols."""

    history: np.ndarray  # (T, H) oldest first; the last row is the state on screen
    symbols: str  # (T,) the symbol each of those steps read
    interventions: Interventions = NONE
    selected: int = 0
    neurons: tuple[int, ...] | None = None  # the rows, top first; None: every neuron in order
    units: tuple[tuple[int, int, str], ...] = ()  # (start, stop, note) of each unit in symbols, to mark
    labels: tuple[str, ...] = ()  # each neuron's role, short (empty until the roles are known)
    autoscale: bool = False  # each row coloured over its own range on show, which its label gives
    names: tuple[str, ...] = ()  # each row's name when not its number (an LSTM's h0.., c0..)

    @property
    def rows_shown(self) -> tuple[int, ...]:
        """The neurons drawn, top first."""
        return self.neurons if self.neurons is not None else tuple(range(self.history.shape[1]))


class HeatmapView(ScrollView, can_focus=False):
    """Neurons down, steps across (newest right), coloured -1 blue, 0 white, +1 red; scrolls by neuron.

    The bottom line always shows the symbols read, so it stays under the columns while the rows scroll.
    """

    COMPONENT_CLASSES = {"heatmap--index", "heatmap--selected", "heatmap--held", "heatmap--symbol", "heatmap--game"}

    data: reactive[HeatmapData | None] = reactive(None, layout=False)

    @staticmethod
    def number(d: HeatmapData) -> int:
        """The width of the rows' names (their numbers, or an LSTM's h0.. and c0..)."""
        return max(map(len, d.names)) if d.names else len(str(d.history.shape[1] - 1))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.still: tuple[np.ndarray, str] | None = None  # the frozen steps: hidden states and symbols
        self.pinned: list[int] = []  # when any, only these neurons, in the order pinned
        self.by_role = False  # rows sorted by their role's kind and words
        self.autoscale = False  # each row coloured over its own range (u)

    def action_autoscale(self) -> None:
        """Colour each row over its own range on show (a counter that moves by 0.003 shows), or over -1..+1."""
        self.autoscale = not self.autoscale
        self.caption()

    def action_pin(self) -> None:
        """Pin the selected neuron (only pinned neurons show), or unpin it."""
        if self.data is not None:
            i = self.data.selected
            self.pinned = [j for j in self.pinned if j != i] if i in self.pinned else [*self.pinned, i]
            self.caption()

    def action_sort(self) -> None:
        """Sort the rows by role (bits, counters, flags...), or back to neuron order."""
        self.by_role = not self.by_role
        self.caption()

    def caption(self) -> None:
        """Say what the view holds back: the freeze, the pins, the order."""
        notes = [
            "frozen: f follows the stream" if self.still is not None else "",
            f"pinned {' '.join(map(str, self.pinned))}: i unpins" if self.pinned else "",
            "sorted by role: g" if self.by_role else "",
            "each row over its own range: u" if self.autoscale else "",
        ]
        self.border_subtitle = " · ".join(n for n in notes if n)

    def action_freeze(self) -> None:
        """Keep the steps on show, or follow the stream again."""
        d = self.data
        self.still = None if self.still is not None or d is None else (d.history, d.symbols)
        self.caption()

    def rows(self) -> int:
        """Lines per neuron: up to TALLEST when the view has room, so a small network's cells look square."""
        H, height = len(self.data.rows_shown), self.scrollable_content_region.height - self.notes()
        return max(1, min(TALLEST, (height - 1) // H)) if height > 1 else 1

    def notes(self) -> int:
        """Lines under the symbols for the units' notes (the line that ended each game): 0 or 1."""
        return int(any(note for _, _, note in self.data.units))

    def watch_data(self, data: HeatmapData | None) -> None:
        """Size the scroll area (the neurons' lines, then the symbols), keep the selection in view, redraw."""
        if data is None:
            return
        shown = data.rows_shown
        H, k, height = len(shown), self.rows(), self.scrollable_content_region.height
        self.virtual_size = Size(self.scrollable_content_region.width, H * k + 1 + self.notes())
        top, lines = int(self.scroll_y), height - 1 - self.notes()  # the last lines are the symbols'
        row = shown.index(data.selected) if data.selected in shown else 0
        first, last = row * k, row * k + k - 1
        if lines > 0 and not (top <= first and last < top + lines):
            self.scroll_to(y=first if first < top else last - lines + 1, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        """The number of columns and the lines per neuron depend on the size."""
        if self.data is not None:
            self.watch_data(self.data)

    def under(self, d: HeatmapData, first: int, steps: int, plain: Style, notes: bool) -> list[Segment]:
        """The symbols under the columns from step `first`, every other game shaded as in the seed's figures;
        or (notes) under each game the words of what ended it."""
        look = plain + self.get_component_rich_style("heatmap--symbol")
        shade = plain + self.get_component_rich_style("heatmap--game")
        quiet = plain + self.get_component_rich_style("heatmap--index")
        marked = [False] * len(d.symbols)  # (T,) shaded
        words = [" " * CELL] * len(d.symbols)  # (T,) each step's cells of the notes line
        for n, (start, stop, note) in enumerate(d.units):
            for t in range(start, stop):
                marked[t] = n % 2 == 0
            text = note[: CELL * (stop - start) - 1].ljust(CELL * (stop - start))
            for j, t in enumerate(range(start, stop)):
                words[t] = text[CELL * j : CELL * j + CELL]
        segs = []
        for t in range(first, first + steps):
            text = words[t] if notes else show_symbol(d.symbols[t]).center(CELL)
            style = quiet if notes else shade if marked[t] else look
            segs.append(Segment(text, style))
        return segs

    def render_line(self, y: int) -> Strip:
        """A line of a neuron's cells, or the symbols under the columns (just below the last row on show)."""
        d, width, plain = self.data, self.scrollable_content_region.width, self.rich_style
        if d is None:
            return Strip.blank(width, plain)
        T, shown = d.history.shape[0], d.rows_shown
        H, notes = len(shown), self.notes()
        k, height = self.rows(), self.scrollable_content_region.height
        index = self.number(d) + 2  # marker, number, gap
        index += self.label_width(d, width - index)
        steps = min(T, max(1, (width - index) // CELL))
        pad = " " * (width - index - steps * CELL)
        at = min(H * k - int(self.scroll_y), height - 1 - notes)  # the symbols' line
        if y == at or (notes and y == at + 1):
            return Strip(
                [
                    Segment(" " * index, plain),
                    Segment(pad, plain),
                    *self.under(d, T - steps, steps, plain, notes=y > at),
                ]
            )
        row, sub = divmod(y + int(self.scroll_y), k)
        if row >= H or y >= at:
            return Strip.blank(width, plain)
        i = shown[row]
        sel, held = i == d.selected, d.interventions.of(i)
        look = plain + self.get_component_rich_style("heatmap--index")
        if held:
            look += self.get_component_rich_style("heatmap--held")
        if sel:
            look += self.get_component_rich_style("heatmap--selected")
        number = self.number(d)
        row_values = d.history[-steps:, i]
        label = " " * index
        if sub == k // 2:
            name = d.names[i] if d.names else i
            label = f"{'▶' if sel else ' '}{name:>{number}} {self.tag(d, i, row_values, index - number - 2)}"
        elif d.autoscale and k > 1 and sub == k // 2 + 1:
            label = " " * (number + 2) + span(row_values).ljust(index - number - 2)
        segs = [Segment(label[:index].ljust(index), look), Segment(pad, plain)]
        if d.autoscale:
            lo, hi = float(row_values.min()), float(row_values.max())
            half = (hi - lo) / 2
            row_values = (row_values - (lo + hi) / 2) / half if half > 1e-12 else np.zeros_like(row_values)
        levels = np.rint(np.clip(row_values, -1.0, 1.0) * LEVELS).astype(int).tolist()  # (steps,)
        start = 0
        for t in range(1, len(levels) + 1):  # one segment per run of one colour
            if t == len(levels) or levels[t] != levels[start]:
                segs.append(Segment(" " * (CELL * (t - start)), _paint(levels[start])))
                start = t
        return Strip(segs).adjust_cell_length(width, plain)

    def label_width(self, d: HeatmapData, room: int) -> int:
        """Cells for the roles beside the numbers (and each row's range, autoscaled): what the longest needs, up
        to a third of the room (none before the roles are known)."""
        if not d.labels:
            return SPAN_CELLS + 1 if d.autoscale else 0
        want = max(len(label) for label in d.labels) + 1
        return min(want, max(SPAN_CELLS + 1, room // 3))

    def tag(self, d: HeatmapData, i: int, values: np.ndarray, n: int) -> str:
        """Neuron i's role in n cells; autoscaled and on one line a row, its range instead when there is no room
        for both."""
        label = d.labels[i] if i < len(d.labels) else ""
        if d.autoscale and self.rows() == 1:
            rest = n - SPAN_CELLS - 1
            return (fit(label, rest) + " " if rest >= 6 and label else "") + span(values)
        return fit(label, n) if label else ""


SPAN_CELLS = 15  # `[+0.005,+0.018]`: a row's range on show


def span(values: np.ndarray) -> str:
    """A row's range on show, in SPAN_CELLS cells."""
    return f"[{values.min():+.3f},{values.max():+.3f}]"


def show(view: HeatmapView, seen: Seen) -> None:
    """The last SPAN steps, or the frozen ones, with the interventions, the selection, the rows pinned or
    sorted, and the games marked."""
    s = seen.session
    history, symbols = view.still or (s.window(SPAN), s.symbols(SPAN))
    neurons = tuple(view.pinned) or None
    if view.by_role and seen.roles:
        order = sorted(
            neurons or range(s.net.hidden),
            key=lambda i: (
                KINDS.index(seen.roles[i].kind) if seen.roles[i].kind in KINDS else len(KINDS),
                seen.roles[i].label,
                i,
            ),
        )
        neurons = tuple(order)
    view.data = HeatmapData(
        history,
        symbols,
        seen.interventions,
        seen.selected,
        neurons,
        units_of(s.task, symbols),
        seen.short,
        view.autoscale or not cell_of(s.net).bounded,  # unbounded units (ReLU, c) always span their own range
        s.unit_names,
    )


def units_of(task: Task, symbols: str) -> tuple[tuple[int, int, str], ...]:
    """Each whole unit of a grid task in symbols, as (start, stop, what ended it); none for line tasks."""
    if not task.is_grid:
        return ()
    out, start = [], symbols.find(task.end) + 1  # the first whole unit starts after a clear
    if start == 0:
        return ()
    for stop in range(start, len(symbols)):
        if symbols[stop] == task.end:
            out.append((start, stop + 1, task.ending(symbols[start : stop + 1])))
            start = stop + 1
    return tuple(out)


VIEW = View(
    "h",
    "heatmap",
    "Heatmap",
    "activations · -1 blue, 0 white, +1 red",
    "The seed's activation figure: a row per neuron, a column per step, the symbols read below "
    "(every other game shaded, and what ended it under it). It follows the stream; f freezes it; "
    "i pins the selected neuron (then only pinned neurons show, in the order pinned); g sorts the "
    "rows by role; u colours each row over its own range (a counter that moves by 0.003 shows), and its "
    "label gives the range. Each row is labelled with its neuron's role once the roles are known.",
    tip="Activation heatmap: neurons × steps",
    make=lambda session: HeatmapView(),
    show=show,
    depends=lambda seen: (seen.frame, seen.interventions, seen.selected, seen.short),
    keys=(
        Binding("f", "freeze", "Freeze", tooltip="Freeze the heatmap, or follow the stream again"),
        Binding("i", "pin", "Pin", show=False, tooltip="Pin the selected neuron: the heatmap shows the pinned only"),
        Binding("g", "sort", "By role", show=False, tooltip="Sort the heatmap's rows by role, or by number"),
        Binding("u", "autoscale", "Autoscale", show=False, tooltip="Colour each heatmap row over its own range"),
    ),
)
