"""The weights view: Whh, Wxh and Why as coloured grids side by side, a row per neuron, the selected one marked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.reactive import reactive
from textual.widgets import Static

from ..model import NONE, RNN, Interventions
from .neurons import LEVELS, level_of, scale_rgb
from .output import show_symbol
from .view import Seen, View

GAP = 3  # columns between grids


@lru_cache(maxsize=4 * LEVELS + 2)
def _paint(level: int, marked: bool) -> Style:
    r, g, b = scale_rgb(level / LEVELS)
    ink = "black" if r + g + b > 420 else "white"
    return Style(color=ink, bgcolor=f"rgb({r},{g},{b})", bold=marked)


@dataclass(frozen=True, eq=False)
class WeightsData:
    """The network whose weights are shown, the selected neuron, its interventions and its role."""

    net: RNN
    selected: int = 0
    interventions: Interventions = NONE
    role: str = ""  # the selected neuron's role label, when known


def grids(net: RNN) -> list[tuple[str, np.ndarray, list[str]]]:
    """The three grids with a row per neuron: title, (H, n) weights, column labels.

    Why is shown transposed, so that a neuron's row holds everything it reads and writes.
    """
    H = net.hidden
    symbols = [show_symbol(c) for c in net.vocab]
    return [
        ("Whh", net.Whh, [str(j) for j in range(H)]),  # column j feeds row i
        ("Wxh", net.Wxh, symbols),  # column: the symbol read
        ("Why", net.Why.T, symbols),
    ]  # column: the symbol scored


WIDEST, TALLEST = 8, 5  # the most columns and lines a weight's cell takes
NUMBERED = 6  # cells this wide print their weight
BELOW = 6  # lines under the grids and above them: titles, labels, scales, the selection


def cell_size(net: RNN, width: int, height: int) -> tuple[int, int]:
    """Columns and lines per weight: 2 x 1, wider and taller where the three grids fit (a few neurons on a
    big screen: then each cell prints its weight), 1 column when they fit only so (thirty neurons at 80)."""
    n = sum(w.shape[1] for _, w, _ in grids(net))
    fits = (width - len(str(net.hidden - 1)) - 2 - 2 * GAP) // n
    cw = min(max(fits, 1 if fits == 1 else 2), WIDEST)
    rows = max(1, min(TALLEST, (height - BELOW - (net.hidden > 10)) // net.hidden))
    return cw, rows if cw >= NUMBERED else 1


def figure(d: WeightsData, styles: dict[str, Style], cw: int = 2, rh: int = 1) -> Text:
    """Titles, column labels (tens above units), a row per neuron, then the scales and the selection.

    Each weight takes cw columns and rh lines; a cell NUMBERED wide prints its weight on its middle line.
    """
    net, sel = d.net, d.selected
    H, index = net.hidden, len(str(net.hidden - 1)) + 2
    blocks = grids(net)
    widths = [max(cw * w.shape[1], len(t) + 1) for t, w, _ in blocks]
    out = Text(no_wrap=True, overflow="crop")

    def header(texts: list[str]) -> None:
        """One header line: a text over each grid."""
        out.append(" " * index)
        for text, width in zip(texts, widths):
            out.append(text.ljust(width) + " " * GAP, styles["title"])
        out.append("\n")

    header([t for t, _, _ in blocks])
    if H > 10:
        header(["".join((str(j // 10) if j % 10 == 0 and j else " ").rjust(cw) for j in range(H)), "", ""])
    out.append(" " * index)
    for (title, w, labels), width in zip(blocks, widths):
        for j, c in enumerate(labels):
            mark = title == "Whh" and j == sel
            out.append(
                (c[-1] if title == "Whh" and H > 10 else c).rjust(cw), styles["selected"] if mark else styles["label"]
            )
        out.append(" " * (width - cw * len(labels) + GAP))
    scales = [max(float(np.abs(w).max()), 1e-9) for _, w, _ in blocks]
    for i in range(H):
        held = d.interventions.of(i)
        look = styles["selected"] if i == sel else styles["held"] if held else styles["label"]
        for line in range(rh):
            middle = line == rh // 2
            out.append(f"\n{'▶' if i == sel else ' '}{i:>{index - 2}} " if middle else "\n" + " " * index, look)
            for (title, w, _), width, top in zip(blocks, widths, scales):
                for j in range(w.shape[1]):
                    marked = i == sel or (title == "Whh" and j == sel)
                    text = f"{w[i, j]:+.2f}"[: cw - 1].center(cw) if middle and cw >= NUMBERED else " " * cw
                    out.append(
                        "·" * cw if marked and not text.strip() else text, _paint(level_of(w[i, j] / top), marked)
                    )
                out.append(" " * (width - cw * w.shape[1] + GAP))
    out.append(
        "\n\nscales "
        + " · ".join(f"{t} ±{top:.2f}" for (t, _, _), top in zip(blocks, scales))
        + ": blue −, white 0, red +",
        styles["label"],
    )
    out.append("\nWhh: column j feeds neuron i · Why transposed: a row is what the neuron scores", styles["label"])
    held = d.interventions.of(sel)
    out.append(
        f"\n▶ n{sel}{' (' + held + ')' if held else ''}: {d.role or 'role not known yet'} · "
        f"self {net.Whh[sel, sel]:+.2f} · bias {net.bh[sel]:+.2f}",
        styles["selected"],
    )
    return out


class WeightsView(ScrollableContainer, can_focus=False):
    """The weights figure, scrolling both ways on big networks; redrawn when the data changes."""

    COMPONENT_CLASSES = {"weights--title", "weights--label", "weights--selected", "weights--held"}

    data: reactive[WeightsData | None] = reactive(None)

    def compose(self):
        """One Static holds the figure."""
        yield Static(id="weights-figure")

    def watch_data(self, d: WeightsData | None) -> None:
        """Redraw the figure."""
        if d is None:
            return
        styles = {k: self.get_component_rich_style(f"weights--{k}") for k in ("title", "label", "selected", "held")}
        region = self.scrollable_content_region
        cw, rh = cell_size(d.net, region.width, region.height)
        self.query_one("#weights-figure", Static).update(figure(d, styles, cw, rh))

    def on_resize(self) -> None:
        """Bigger cells when the grids fit."""
        self.watch_data(self.data)


def show(view: WeightsView, seen: Seen) -> None:
    """The network's weights, the selection, its interventions and its role."""
    role = seen.roles[seen.selected].label if seen.roles else ""
    view.data = WeightsData(seen.session.net, seen.selected, seen.interventions, role)


VIEW = View(
    "w",
    "weights",
    "Weights",
    "weights · a row per neuron",
    "Whh, Wxh and Why (transposed) with a row per neuron, blue − white 0 red +, each scaled to its "
    "largest weight; the selected neuron's row and column dotted.",
    tip="Whh, Wxh, Why as coloured grids",
    make=lambda session: WeightsView(),
    show=show,
    depends=lambda seen: (seen.interventions, seen.selected, len(seen.roles)),
)
