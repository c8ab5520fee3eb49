"""The console entry point: loads the command line only inside the Ctrl-C guard, so an early Ctrl-C is quiet."""

from __future__ import annotations

import sys


def main() -> None:
    """Run `rnnmem-tui`; a Ctrl-C at any moment, even while the program is still loading, exits 130."""
    try:
        from .cli import finish
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.exit(130)
    finish(cli_main())
