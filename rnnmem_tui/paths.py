"""Where the shipped task specs and weights live, in a checkout or in an installed package."""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `tasks` or `weights`: packaged copy first, then the source checkout's."""
    packaged = _PKG / "data" / name
    return packaged if packaged.is_dir() else _PKG.parent / name
