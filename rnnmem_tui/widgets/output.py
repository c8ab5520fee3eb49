"""The output panel: next-symbol probabilities as vertical bars, legal symbols marked, the next symbol shown."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.reactive import reactive

from .textlines import TextLines

EIGHTHS = " ▁▂▃▄▅▆▇█"
ROWS = 5  # bar height in lines: 40 steps of 2.5%


def show_symbol(c: str) -> str:
    """A symbol as one printable cell; the newline is shown as ↵."""
    return "↵" if c == "\n" else c


@dataclass(frozen=True, eq=False)
class OutputData:
    """The probabilities on screen and what to mark on them."""

    vocab: tuple[str, ...]
    p: np.ndarray  # (V,) next-symbol probabilities
    legal: frozenset[str]  # empty when the unit so far already broke the rules
    next: str | None  # the symbol the next step will read (sampled or the teacher's); None in type mode
    how: str  # what picks the next symbol: "next" (the sampler) or "teacher"
    bad: float  # probability on illegal symbols


class OutputView(TextLines):
    """Bars of p over the vocabulary: green when legal, red when not; the next symbol is reversed."""

    COMPONENT_CLASSES = {"output--legal", "output--illegal", "output--next", "output--dim"}

    data: reactive[OutputData | None] = reactive(None)

    def text(self) -> Text:
        """Bars, then the symbols, then the caption."""
        d = self.data
        V = len(d.vocab)
        gap = " " if 2 * V - 1 <= self.size.width else ""
        legal, illegal, dim, nxt = (self.style(k) for k in ("legal", "illegal", "dim", "next"))
        styles = [legal if c in d.legal else illegal for c in d.vocab]
        levels = np.rint(d.p * ROWS * 8).astype(int)  # (V,) in eighths of a line
        out = Text(no_wrap=True, overflow="crop")
        for row in range(ROWS - 1, -1, -1):
            for k in range(V):
                fill = min(max(levels[k] - row * 8, 0), 8)
                out.append(EIGHTHS[fill] if fill or row else "▁", styles[k] if fill else dim)
                out.append(gap)
            out.append("\n")
        for k, c in enumerate(d.vocab):
            out.append(show_symbol(c), nxt if c == d.next else styles[k])
            out.append(gap)
        out.append("\n")
        out.append_text(self.caption(d))
        return out

    def caption(self, d: OutputData) -> Text:
        """One line under the bars: the next symbol and its probability, the illegal mass."""
        line = Text(no_wrap=True, overflow="ellipsis")
        if d.next is not None:
            k = d.vocab.index(d.next)
            line.append(f"{d.how} {show_symbol(d.next)} ", self.style("next"))
            line.append(f" p={d.p[k]:.2f}")
        else:
            k = int(np.argmax(d.p))
            line.append(f"predicts {show_symbol(d.vocab[k])}", self.style("next"))
            line.append(f" p={d.p[k]:.2f}")
        style = self.style("illegal" if d.bad >= 0.01 else "dim")
        line.append(f"  illegal {d.bad:.3f}" if d.legal else "  off the rules", style)
        return line
