"""What several test files share: a command-line process that takes Ctrl-C as a foreground process does."""

from __future__ import annotations

import signal
import subprocess
import sys


def interruptible(*args: str) -> subprocess.Popen:
    """`python -m rnnmem_tui ARGS` with pipes, and SIGINT at its default.

    A suite started in the background (as CI may be) inherits SIGINT ignored, and Python then installs
    no KeyboardInterrupt handler in the child, so a test's Ctrl-C would never arrive.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "rnnmem_tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
