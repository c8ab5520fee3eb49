"""What several test files share: a command-line process that takes Ctrl-C as a foreground process does, and
the CPU time a process has used, which a loaded machine does not stretch as it stretches wall time."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path


def children_cpu() -> float:
    """CPU seconds used by this process's finished (waited-for) children so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def cpu_of(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
