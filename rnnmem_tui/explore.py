"""Placeholder: the explorer's command line (`rnnmem-tui TASK`), built in the explorer issue."""
from __future__ import annotations

import sys


def run_explorer(argv: list[str]) -> int:
    """Open the explorer; not built yet."""
    print("rnnmem-tui: error: the explorer is not built yet", file=sys.stderr)
    return 2
