"""The neuron panel: one row per neuron with a sparkbar on a fixed [-1, 1] scale, its value and intervention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..cells import cell_of
from ..model import NONE, Interventions
from ..session import Session

EIGHTHS = " ▁▂▃▄▅▆▇█"
LEVELS = 20  # colour steps on each side of 0
TALLEST = 12  # lines per neuron at most: a line of text above the bars, then the bars
LABEL = 48  # the most cells a role label takes from the sparkbar when it shares the bar's line
SPARK = 240  # hidden states handed to the panel: its widest sparkbar
LEAST_LABEL = 20  # the cells a label keeps when the sparkbar widens to show one whole unit
SPLIT = 19  # the narrowest column of neurons when they stand in two columns
VALUE = 7  # the value and intervention columns before the bars, when the label is above them
SHORT = {"zeroed": "z", "clamped": "c"}  # an intervention in one cell, as the keys that make it


def scale_rgb(v: float) -> tuple[int, int, int]:
    """The seed's figures' colour for an activation: -1 blue, 0 white, +1 red."""
    v = min(max(v, -1.0), 1.0)
    fade = int(round(255 * (1.0 - abs(v))))
    return (fade, fade, 255) if v < 0 else (255, fade, fade)


@lru_cache(maxsize=2 * LEVELS + 1)
def _fg(level: int) -> Style:
    return Style(color=Color.from_rgb(*scale_rgb(level / LEVELS)))


@lru_cache(maxsize=2 * LEVELS + 1)
def _cell(level: int) -> Style:
    r, g, b = scale_rgb(level / LEVELS)
    ink = "black" if r + g + b > 420 else "white"  # readable text on a pale or a deep colour
    return Style.parse(f"{ink} on rgb({r},{g},{b})")


def level_of(v: float) -> int:
    """The colour step of an activation, -LEVELS..LEVELS."""
    return int(round(min(max(v, -1.0), 1.0) * LEVELS))


def mark(iv: Interventions, i: int) -> str:
    """The intervention on neuron i in one cell, `z` (zeroed) or `c` (clamped at the value shown); '' when free.

    One cell, so that the label beside it never changes width when a neuron is held."""
    return SHORT.get((iv.of(i) or "").split(" ")[0], "")


def fit(label: str, n: int) -> str:
    """A label in n cells: whole, else without its `kind: ` prefix, else its words cut short before its
    `(measure score)` tail, else cut."""
    if len(label) > n and ": " in label:
        label = label.split(": ", 1)[1]
    if len(label) <= n:
        return label
    head, paren, tail = label.rpartition(" (")
    if paren and n - len(tail) - 3 >= 4:
        return f"{head[: n - len(tail) - 3].rstrip()}… ({tail}"
    return label[: n - 1] + "…"


@dataclass(frozen=True, eq=False)
class NeuronData:
    """What the panel shows: recent hidden states and the symbols read, the interventions, the selection,
    role labels."""

    history: np.ndarray  # (T, H) oldest first; the last row is the state on screen
    interventions: Interventions = NONE
    selected: int = 0
    labels: Sequence[str | None] = ()  # an optional short role per neuron, e.g. "counter: c's still to print (ρ 0.99)"
    symbols: str = ""  # (T,) the symbol each of those steps read, shown under the bars
    unit: int = 0  # the steps of one unit (a game, a line): the sparkbar shows one whole where the labels leave room
    names: Sequence[str] = ()  # each row's name when not its number (an LSTM's h0.., c0..)
    bounded: bool = True  # every unit within [-1, 1]; else each row's bars span its own range over the window

    @classmethod
    def of(cls, session: Session, selected: int, labels: Sequence[str | None] = ()) -> NeuronData:
        """The session's last SPARK states and symbols, its interventions, its task's longest unit, and what its
        cell says of its units."""
        return cls(
            session.window(SPARK),
            session.interventions,
            selected,
            labels,
            session.symbols(SPARK),
            session.task.max_len,
            session.unit_names,
            cell_of(session.net).bounded,
        )


class NeuronsView(ScrollView, can_focus=False):
    """Rows of neurons, then the symbols read under the bars' columns; scrolls when there are more neurons
    than lines.

    With room for three lines or more a neuron, its label takes the line above its bars, and its value and
    intervention the start of its bars' bottom line, the bars the rest of the width; else value,
    intervention and label follow the bars on their line. The columns never change when a neuron is held.
    """

    COMPONENT_CLASSES = {"neurons--index", "neurons--selected", "neurons--held", "neurons--label"}

    data: reactive[NeuronData | None] = reactive(None, layout=False)

    class Picked(Message):
        """A neuron was clicked: the screen selects it."""

        def __init__(self, neuron: int) -> None:
            super().__init__()
            self.neuron = neuron

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._look: dict | None = None  # per-frame layout and styles, made on first use

    def lines(self) -> int:
        """Lines for the neurons: all but the last, which shows the symbols read."""
        return max(1, self.scrollable_content_region.height - 1)

    def columns(self) -> int:
        """Neurons side by side: two, a line each, when there are more neurons than lines and room for two
        columns of bars (thirty neurons at 80x24); else one."""
        H, width = self.data.history.shape[1], self.scrollable_content_region.width
        return 2 if H > self.lines() and width >= 2 * SPLIT else 1

    def per_column(self) -> int:
        """Neurons in each column."""
        return -(-self.data.history.shape[1] // self.columns())

    def rows(self) -> tuple[int, int]:
        """Lines per neuron, and how many of them hold its bar: taller bars when the panel has room."""
        if self.columns() > 1:
            return 1, 1
        H = self.data.history.shape[1]
        k = max(1, min(TALLEST, self.lines() // H))
        return k, (k - 1 if k > 2 else k)

    def watch_data(self, data: NeuronData | None) -> None:
        """Size the scroll area, keep the selected neuron in view, redraw."""
        if data is None:
            return
        k, _ = self.rows()
        per = self.per_column()
        self.virtual_size = Size(self.scrollable_content_region.width, per * k + 1)
        top, lines = int(self.scroll_y), self.lines()
        first = data.selected % per * k
        last = first + k - 1
        if self.columns() > 1 and data.labels:  # no room for labels beside the bars: the selected one's below
            text = data.labels[data.selected] if data.selected < len(data.labels) else None
            self.border_subtitle = f"▶{data.selected} {text}" if text else ""
        if self.scrollable_content_region.height and not (top <= first and last < top + lines):
            self.scroll_to(y=first if first < top else last - lines + 1, animate=False, immediate=True)
        self._look = None
        self.refresh()

    def on_resize(self) -> None:
        """Rows per neuron and column widths depend on the size."""
        if self.data is not None:
            self.watch_data(self.data)

    def on_click(self, event: events.Click) -> None:
        """Ask for the clicked neuron to be selected."""
        at = event.get_content_offset(self)
        if self.data is None or at is None:
            return
        i = (at.y + int(self.scroll_y)) // self.rows()[0]
        if self.columns() > 1 and at.x >= self.scrollable_content_region.width // 2:
            i += self.per_column()
        if i < self.data.history.shape[1] and at.y < self.lines():
            self.post_message(self.Picked(i))

    def layout_widths(self, width: int, above: bool) -> tuple[int, int, int, int]:
        """Widths of the index, the sparkbar, the intervention and the label columns. With the label `above`
        the bars, it takes the width, and the bars what the value and the intervention leave."""
        d = self.data
        H = d.history.shape[1]
        index = max(map(len, d.names)) if d.names else len(str(H - 1))
        if above:
            return index, max(8, width - index - 2 - VALUE), 1, max(0, width - index - 2)
        label = max((len(s or "") for s in d.labels), default=0) if self.columns() == 1 else 0
        fixed = 1 + index + 1 + 1 + 5  # marker, index, the intervention's cell, a gap, value
        least = max(8, min(d.unit, width - fixed - 1 - LEAST_LABEL))  # one unit, leaving the label its least
        spark = max(least, width - fixed - (min(label, LABEL) + 1 if label else 0))
        return index, spark, 1, max(0, width - fixed - spark - 1)

    def look(self) -> dict:
        """Everything the rows share for one frame, worked out once: widths, styles, glyphs and colours."""
        if self._look is None:
            d, cols = self.data, self.columns()
            width = self.scrollable_content_region.width // cols
            k, tall = self.rows()
            index, spark, held, label = self.layout_widths(width, tall < k)
            label = label if cols == 1 else 0
            h = d.history[-spark:]  # (T, H) newest last
            if not d.bounded:  # unbounded units (ReLU, an LSTM's c): each row over its own range, at least [-1, 1]
                h = h / np.maximum(np.abs(h).max(axis=0), 1.0)
            h = np.clip(h, -1.0, 1.0)
            plain = self.rich_style
            self._look = dict(
                width=width,
                k=k,
                tall=tall,
                above=tall < k,
                index=index,
                spark=spark,
                held=held,
                label=label,
                plain=plain,
                selected=plain + self.get_component_rich_style("neurons--selected"),
                idx=self.get_component_rich_style("neurons--index"),
                hold=self.get_component_rich_style("neurons--held"),
                tag=self.get_component_rich_style("neurons--label"),
                levels=np.rint(h * LEVELS).astype(int).T.tolist(),  # (H, T) colour steps
                eighths=(1 + np.rint((h + 1.0) / 2.0 * (8 * tall - 1)).astype(int)).T,  # (H, T) bar heights
                bar={lv: plain + _fg(lv) for lv in range(-LEVELS, LEVELS + 1)},
            )
        return self._look

    def symbols_line(self, L: dict) -> Strip:
        """The symbols read, each under its column of the bars."""
        shown = "".join("↵" if c == "\n" else c for c in self.data.symbols[-L["spark"] :])
        lead = 1 + L["index"] + 1 + (VALUE if L["above"] else 0) + L["spark"] - len(shown)
        segs = [Segment(" " * lead, L["plain"]), Segment(shown, L["plain"] + L["idx"])]
        return Strip(segs).adjust_cell_length(L["width"], L["plain"])

    def value(self, i: int, L: dict, base: Style) -> list[Segment]:
        """Neuron i's value now in its colour, then its intervention in one cell."""
        v, what = float(self.data.history[-1, i]), mark(self.data.interventions, i)
        return [Segment(f"{v:+.2f}"[:5], _cell(level_of(v))), Segment(what or " ", base + L["hold"] if what else base)]

    def render_line(self, y: int) -> Strip:
        """One line of the panel: a neuron's text line or bar line (its bottom one carrying the text when
        there is no line above), or the symbols under the last neuron."""
        d = self.data
        if d is None:
            return Strip.blank(self.scrollable_content_region.width, self.rich_style)
        L = self.look()
        k, plain, per = L["k"], L["plain"], self.per_column()
        full, at = self.scrollable_content_region.width, min(per * k - int(self.scroll_y), self.lines())
        if y == at:  # the symbols, under each column
            strips = [self.symbols_line(L)] * self.columns()
        elif y > at:
            return Strip.blank(full, plain)
        else:
            i, sub = divmod(y + int(self.scroll_y), k)
            strips = [self.neuron_line(i + c * per, sub, L) for c in range(self.columns())]
        return Strip.join(strips).adjust_cell_length(full, plain)

    def neuron_line(self, i: int, sub: int, L: dict) -> Strip:
        """Line sub of neuron i's block, L["width"] wide: its label line or a bar line."""
        d, k, tall, plain = self.data, L["k"], L["tall"], L["plain"]
        if i >= d.history.shape[1]:
            return Strip.blank(L["width"], plain)
        line = k - 1 - sub  # counted from the bottom of the neuron's block
        text = (d.labels[i] if i < len(d.labels) else None) or ""
        if line == tall and L["above"] and text and L["label"]:  # the line above the bars
            segs = [Segment(" " * (L["index"] + 2), plain), Segment(fit(text, L["label"]), plain + L["tag"])]
            return Strip(segs).adjust_cell_length(L["width"], plain)
        if line >= tall:
            return Strip.blank(L["width"], plain)
        sel, bottom = i == d.selected, line == 0
        base = L["selected"] if sel else plain
        what = mark(d.interventions, i) if bottom and not L["above"] else ""
        segs = [
            Segment("▶" if sel and bottom else " ", base),
            Segment(f"{d.names[i] if d.names else i:>{L['index']}}" if bottom else " " * L["index"], base + L["idx"]),
            Segment(what or " ", base + L["hold"] if what else base),
        ]  # beside: the intervention
        if L["above"]:  # the value and the intervention before the bars
            segs += self.value(i, L, base) + [Segment(" ", plain)] if bottom else [Segment(" " * VALUE, plain)]
        levels = L["levels"][i]
        glyphs = "".join(EIGHTHS[e] for e in np.clip(L["eighths"][i] - 8 * line, 0, 8).tolist())
        segs.append(Segment(" " * (L["spark"] - len(levels)), plain))
        start = 0
        for t in range(1, len(levels) + 1):  # one segment per run of one colour
            if t == len(levels) or levels[t] != levels[start]:
                segs.append(Segment(glyphs[start:t], L["bar"][levels[start]]))
                start = t
        if not bottom or L["above"]:
            return Strip(segs).adjust_cell_length(L["width"], plain)
        v = float(d.history[-1, i])
        segs += [Segment(" ", plain), Segment(f"{v:+.2f}"[:5], _cell(level_of(v)))]
        if L["label"] and text:
            segs.append(Segment(" " + fit(text, L["label"]), base + L["tag"]))
        return Strip(segs).adjust_cell_length(L["width"], base)
