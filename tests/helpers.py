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


PEAK = "peak-rss-kib"
MEASURED = (
    "import resource, sys\n"
    "from rnnmem_tui.cli import main\n"
    "code = main(sys.argv[1:])\n"
    f"print('{PEAK}', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def measured(*args: str, cwd=None, timeout: float = 120, **popen) -> tuple[subprocess.CompletedProcess, float]:
    """`rnnmem-tui ARGS` in a child, and the child's peak resident memory in MiB (its own, from getrusage
    at exit); the measurement's line is taken out of stderr."""
    r = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, **popen
    )
    lines = r.stderr.splitlines(keepends=True)
    peak = [float(line.split()[1]) / 1024 for line in lines if line.startswith(PEAK)]
    r.stderr = "".join(line for line in lines if not line.startswith(PEAK))
    return r, peak[0] if peak else 0.0
