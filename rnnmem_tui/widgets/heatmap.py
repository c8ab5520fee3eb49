"""The activation heatmap, as in the seed's figures: a row per neuron, a column per step, the symbols read below."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from textual.binding import Binding

from ..model import NONE, Interventions
from .neurons import LEVELS, scale_rgb
from .output import show_symbol
from .view import Seen, View

CELL = 2  # columns per step
TALLEST = 8  # lines per neuron at most: the rows fill the height
SPAN = 240  # the most steps it shows


@lru_cache(maxsize=2 * LEVELS + 1)
def _paint(level: int) -> Style:
    return Style(bgcolor=Color.from_rgb(*scale_rgb(level / LEVELS)))


@dataclass(frozen=True, eq=False)
class HeatmapData:
    """The steps on show: hidden states and the symbols read, the interventions, the selection."""

    history: np.ndarray  # (T, H) oldest first; the last row is the state on screen
    symbols: str  # (T,) the symbol each of those steps read
    interventions: Interventions = NONE
    selected: int = 0


class HeatmapView(ScrollView, can_focus=False):
    """Neurons down, steps across (newest right), coloured -1 blue, 0 white, +1 red; scrolls by neuron.

    The bottom line always shows the symbols read, so it stays under the columns while the rows scroll.
    """

    COMPONENT_CLASSES = {"heatmap--index", "heatmap--selected", "heatmap--held", "heatmap--symbol"}

    data: reactive[HeatmapData | None] = reactive(None, layout=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.still: tuple[np.ndarray, str] | None = None  # the frozen steps: hidden states and symbols

    def action_freeze(self) -> None:
        """Keep the steps on show, or follow the stream again."""
        d = self.data
        self.still = None if self.still is not None or d is None else (d.history, d.symbols)
        self.border_subtitle = "frozen: f follows the stream again" if self.still is not None else ""

    def rows(self) -> int:
        """Lines per neuron: up to TALLEST when the view has room, so a small network's cells look square."""
        H, height = self.data.history.shape[1], self.scrollable_content_region.height
        return max(1, min(TALLEST, (height - 1) // H)) if height else 1

    def watch_data(self, data: HeatmapData | None) -> None:
        """Size the scroll area (the neurons' lines, then the symbols), keep the selection in view, redraw."""
        if data is None:
            return
        H, k, height = data.history.shape[1], self.rows(), self.scrollable_content_region.height
        self.virtual_size = Size(self.scrollable_content_region.width, H * k + 1)
        top, lines = int(self.scroll_y), height - 1  # the last line is the symbols'
        first, last = data.selected * k, data.selected * k + k - 1
        if lines > 0 and not (top <= first and last < top + lines):
            self.scroll_to(y=first if first < top else last - lines + 1, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        """The number of columns and the lines per neuron depend on the size."""
        if self.data is not None:
            self.watch_data(self.data)

    def render_line(self, y: int) -> Strip:
        """A line of a neuron's cells, or the symbols under the columns (just below the last row on show)."""
        d, width, plain = self.data, self.scrollable_content_region.width, self.rich_style
        if d is None:
            return Strip.blank(width, plain)
        T, H = d.history.shape
        k, height = self.rows(), self.scrollable_content_region.height
        index = len(str(H - 1)) + 2  # marker, number, gap
        steps = min(T, max(1, (width - index) // CELL))
        pad = " " * (width - index - steps * CELL)
        if y == min(H * k - int(self.scroll_y), height - 1):
            look = plain + self.get_component_rich_style("heatmap--symbol")
            text = "".join(show_symbol(c).center(CELL) for c in d.symbols[-steps:])
            return Strip([Segment(" " * index, plain), Segment(pad, plain), Segment(text, look)])
        i, sub = divmod(y + int(self.scroll_y), k)
        if i >= H or y >= height - 1:
            return Strip.blank(width, plain)
        sel, held = i == d.selected, d.interventions.of(i)
        look = plain + self.get_component_rich_style("heatmap--index")
        if held:
            look += self.get_component_rich_style("heatmap--held")
        if sel:
            look += self.get_component_rich_style("heatmap--selected")
        label = f"{'▶' if sel else ' '}{i:>{index - 2}} " if sub == k // 2 else " " * index
        segs = [Segment(label, look), Segment(pad, plain)]
        levels = np.rint(np.clip(d.history[-steps:, i], -1.0, 1.0) * LEVELS).astype(int).tolist()
        start = 0
        for t in range(1, len(levels) + 1):  # one segment per run of one colour
            if t == len(levels) or levels[t] != levels[start]:
                segs.append(Segment(" " * (CELL * (t - start)), _paint(levels[start])))
                start = t
        return Strip(segs).adjust_cell_length(width, plain)


def show(view: HeatmapView, seen: Seen) -> None:
    """The last SPAN steps, or the frozen ones, with the interventions and the selection."""
    s = seen.session
    history, symbols = view.still or (s.window(SPAN), s.symbols(SPAN))
    view.data = HeatmapData(history, symbols, seen.interventions, seen.selected)


VIEW = View("h", "heatmap", "Heatmap", "activations · -1 blue, 0 white, +1 red",
            "The seed's activation figure: a row per neuron, a column per step, the symbols read below. "
            "It follows the stream; f freezes it.",
            tip="Activation heatmap: neurons × steps",
            make=lambda session: HeatmapView(), show=show,
            depends=lambda seen: (seen.frame, seen.interventions, seen.selected),
            keys=(Binding("f", "freeze", "Freeze", tooltip="Freeze the heatmap, or follow the stream again"),))
