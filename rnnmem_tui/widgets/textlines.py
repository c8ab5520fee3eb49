"""The base of the panels drawn from one Rich Text per frame, through the Line API.

Rich renders a Text to segments several times faster than Textual's `render()` path converts it,
which matters at 30 redraws a second on a shared machine.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget


class TextLines(Widget):
    """A widget whose lines come from `text()`, rendered once each time `key()` (or size, theme) changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._drawn: tuple[object, Style, list[Strip]] | None = None  # (drawn from, base style, lines)
        self._styles: dict[str, Style | str] = {}  # component styles by name; "" holds their theme

    def style(self, name: str) -> Style:
        """The Rich style of the component class `<prefix>--name`, looked up once per redraw.

        Use it in spans, never as a Text's base style, which would spill onto any Text joined to it.
        """
        return self._styles[name]

    def text(self) -> Text:
        """The whole panel as one Text, one line per row; called only while `data` is set."""
        raise NotImplementedError

    def key(self) -> object:
        """What the text depends on besides the size and the theme: the `data` reactive each panel declares."""
        return self.data

    def render_line(self, y: int) -> Strip:
        """Line y of the text, cropped or padded to the width, over the widget's own style."""
        width = self.size.width
        key = (self.key(), self.size, self.app.theme)
        if self._drawn is None or self._drawn[0] != key:
            base, console = self.rich_style, self.app.console
            if self._styles.get("") != self.app.theme:  # looking styles up is slow; they change with the theme
                self._styles = {
                    c.split("--", 1)[1]: self.get_component_rich_style(c) for c in self.COMPONENT_CLASSES
                } | {"": self.app.theme}
            lines = self.text().split("\n", allow_blank=True) if self.data is not None else []
            self._drawn = (key, base, [Strip(list(line.render(console))).apply_style(base) for line in lines])
        _, base, strips = self._drawn
        return (strips[y] if y < len(strips) else Strip.blank(width, base)).adjust_cell_length(width, base)
