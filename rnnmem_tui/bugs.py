"""What the program says when it meets a bug: one line and exit code 1, the traceback saved to a file."""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path


def report_bug(error: BaseException) -> int:
    """Save the traceback of an unexpected exception, print one line pointing at it; returns exit code 1."""
    report = Path(tempfile.gettempdir()) / "rnnmem-tui-crash.txt"
    try:
        report.write_text("".join(traceback.format_exception(error)))
        where = f"the traceback is in {report}"
    except OSError:
        where = "the traceback could not be saved"
    print(
        f"rnnmem-tui: internal error: {type(error).__name__}: {error} (a bug; {where}; please report it)",
        file=sys.stderr,
    )
    return 1
