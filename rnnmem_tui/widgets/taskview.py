"""The base of the two task views (the board, the lines): the frame they draw and a finished unit's ✓/✗ mark."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from ..session import Frame, Unit
from .textlines import TextLines


class TaskView(TextLines):
    """A panel drawn from the frame on screen, with `valid`, `invalid` and `dim` component classes."""

    data: reactive[Frame | None] = reactive(None)  # the frame on screen

    def mark(self, unit: Unit, lead: str = "") -> Text:
        """✓ or ✗ after lead, dimmed when the network did not write the whole unit itself."""
        mark = Text.assemble((lead + ("✓" if unit.valid else "✗"), self.style("valid" if unit.valid else "invalid")))
        if not unit.own:
            mark.stylize(self.style("dim"))
        return mark

    def needs(self) -> int:
        """The columns that show a whole unit with its mark."""
        raise NotImplementedError
