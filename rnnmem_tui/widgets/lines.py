"""The task view of line tasks: the emitted lines, each finished one marked valid or invalid, the cursor lit."""

from __future__ import annotations

import textwrap

from rich.style import Style
from rich.text import Text

from .taskview import TaskView

HELD = "┊"  # where an intervention began (or changed) in a line


class LinesView(TaskView):
    """The last lines of the stream, newest at the bottom; the symbol just read is highlighted."""

    COMPONENT_CLASSES = {
        "lines--valid",
        "lines--invalid",
        "lines--cursor",
        "lines--broken",
        "lines--dim",
        "lines--held",
    }

    def __init__(self, longest: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.longest = longest  # the longest valid line, newline included: where the marks go

    def needs(self) -> int:
        """The longest line, a gap and its mark."""
        return self.longest + 3

    def line(self, text: str, broke_at: int | None, cursor: bool, width: int, began: int | None = None) -> Text:
        """One line's symbols, red from where it broke the rules, the last one lit when it is the cursor,
        and a HELD mark where the interventions changed.

        A line wider than width shows its end when it is being written, else its start and its end.
        """
        shown = text.replace("\n", "↵")
        keep = list(range(len(shown)))
        if len(shown) > width:
            keep = keep[len(shown) - width + 1 :] if cursor else keep[: width - 2] + keep[-1:]
        out = Text()
        for n, k in enumerate(keep):
            if k > (keep[n - 1] + 1 if n else 0):  # symbols left out here
                out.append("…", self.style("dim"))
            style = self.style("broken") if broke_at is not None and k >= broke_at else Style()
            if cursor and k == len(shown) - 1:
                style = self.style("cursor") + style
            if k == began:
                out.append(HELD, self.style("held"))
            out.append(shown[k], style)
        if began is not None and began >= len(shown):
            out.append(HELD, self.style("held"))
        return out

    def text(self) -> Text:
        """The last finished lines with their marks, then the line being written."""
        f = self.data
        width, height = self.size.width, self.size.height
        if f.t == 0:
            words = "h = 0, the start token read. space plays, n steps, ? shows every key."
            lines = textwrap.wrap(words, max(width, 20))  # never cut at 80 columns
            return Text.assemble(("\n".join(lines), self.style("dim")))
        rows: list[Text] = []
        units = f.recent[-max(0, height - (0 if f.finished else 1)) :] if height else ()
        column = min(self.longest, width - 2)
        for k, unit in enumerate(units):
            newest = f.finished is not None and k == len(units) - 1
            row = self.line(unit.text, unit.broke_at, newest, column, unit.began)
            row.pad_right(column - row.cell_len)
            rows.append(row + Text(" ") + self.mark(unit))
        if f.finished is None:
            rows.append(self.line(f.prefix, f.broke_at, f.t > 0, width, f.began))
        return Text("\n").join(rows[-height:] if height else [])
