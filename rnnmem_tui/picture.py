"""Figure files: the explorer's SVG made portable (our bundled monospace font, no fetch from a CDN), and its PNG
rendered by resvg with that font, so a figure looks the same offline and on any machine."""

from __future__ import annotations

import re
from pathlib import Path

FONTS = Path(__file__).with_name("fonts")  # DejaVu Sans Mono, under the Bitstream Vera licence (LICENSE-DejaVu.txt)
FAMILY = "DejaVu Sans Mono"
FACES = re.compile(r"@font-face\s*\{.*?\}\s*", re.S)  # Textual's faces, fetched from a CDN
FAMILIES = re.compile(r"font-family: (?:Fira Code, monospace|arial)")


def portable(svg: str) -> str:
    """Textual's SVG with its web fonts replaced by our bundled family (any monospace where that is missing)."""
    return FAMILIES.sub(f'font-family: "{FAMILY}", monospace', FACES.sub("", svg))


def png(svg: str, zoom: float = 1.0) -> bytes:
    """The PNG of a (portable) SVG, drawn by resvg with the bundled font only: the same pixels on any machine
    with the same resvg. Raises ValueError when resvg cannot draw it."""
    import resvg_py

    fonts = sorted(str(p) for p in FONTS.glob("*.ttf"))
    return bytes(
        resvg_py.svg_to_bytes(
            svg_string=portable(svg),
            skip_system_fonts=True,
            font_files=fonts,
            font_family=FAMILY,
            monospace_family=FAMILY,
            zoom=zoom,
        )
    )
