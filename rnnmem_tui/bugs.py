"""What the program says when it meets a bug: one line and exit code 1, the traceback saved to a file."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback


def report_bug(error: BaseException) -> int:
    """Save the traceback of an unexpected exception, print one line pointing at it; returns exit code 1."""
    try:  # a new file each time, created exclusively: it never follows a link or overwrites the last report
        fd, name = tempfile.mkstemp(prefix="rnnmem-tui-crash-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write("".join(traceback.format_exception(error)))
        where = f"the traceback is in {name}"
    except OSError:
        where = "the traceback could not be saved"
    print(
        f"rnnmem-tui: internal error: {type(error).__name__}: {error} (a bug; {where}; please report it)",
        file=sys.stderr,
    )
    return 1
