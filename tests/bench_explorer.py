"""Benchmark of the explorer in a real pseudo-terminal: time to first frame, and playback rate and smoothness.

Not a test (pytest does not collect it): run it by hand on a quiet machine and quote medians.

    /work/venv/bin/python tests/bench_explorer.py --task three-in-a-row --size 120x40 --repeats 3

Each repeat starts `rnnmem-tui TASK` in a pty of the given size (80x24 by default), times the first frame (the first time the
neuron panel's title reaches the terminal), then sets the speed, plays for a few seconds and reads
the step counter the app writes, timing every redraw.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time

STEP = re.compile(rb"step (\d+)")
SPEEDS = (1, 2, 5, 10, 20, 30, 60, 120, 240)  # as in screens/explorer.py; 10 is the start


def spawn(argv: list[str], cols: int = 80, rows: int = 24) -> tuple[int, int]:
    """Start argv in a new pty of the given size; returns (pid, fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = str(cols), str(rows)
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def read_until(fd: int, pattern: bytes, timeout: float) -> tuple[float, bytes]:
    """Read until pattern shows up; returns the time it did and everything read."""
    buf, end = b"", time.perf_counter() + timeout
    while time.perf_counter() < end:
        r, _, _ = select.select([fd], [], [], 0.005)
        if r:
            buf += os.read(fd, 65536)
            if pattern in buf:
                return time.perf_counter(), buf
    raise TimeoutError(f"{pattern!r} did not appear in {timeout} s")


def play(fd: int, seconds: float) -> list[tuple[float, int]]:
    """Read for a while; returns (time, step) for each step counter the app drew."""
    seen, buf, end = [], b"", time.perf_counter() + seconds
    while time.perf_counter() < end:
        r, _, _ = select.select([fd], [], [], 0.002)
        if r:
            chunk = os.read(fd, 65536)
            now = time.perf_counter()
            buf = (buf + chunk)[-64:] if not STEP.search(chunk) else chunk[-64:]
            for m in STEP.finditer(chunk):
                seen.append((now, int(m.group(1))))
    return seen


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(exe: str, task: str, speed: int, seconds: float, size: tuple[int, int] = (80, 24)) -> tuple[float, ...]:
    """First-frame seconds, achieved steps/s, median and worst redraw interval (ms), CPU share of a core."""
    t0 = time.perf_counter()
    pid, fd = spawn([exe, *task.split(), "--paused"], *size)
    try:
        first, _ = read_until(fd, b"neurons", 10.0)
        time.sleep(0.5)
        presses = SPEEDS.index(speed) - SPEEDS.index(10)
        os.write(fd, (b"+" if presses > 0 else b"-") * abs(presses))
        time.sleep(0.3)
        os.write(fd, b" ")
        time.sleep(0.5)  # let playback settle
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        seen = play(fd, seconds)
        cpu = (cpu_seconds(pid) - cpu0) / (time.perf_counter() - wall0)
        os.write(fd, b"q")
    finally:
        time.sleep(0.3)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    times = [t for t, _ in seen]
    rate = (seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0])
    gaps = [1000 * (b - a) for a, b in zip(times, times[1:])]
    return first - t0, rate, statistics.median(gaps), max(gaps), 100 * cpu


def main() -> None:
    """Run the repeats and print each, then the medians."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--task",
        default="three-in-a-row",
        help="the explorer's arguments before --paused, e.g. 'fill --hidden 10' (default three-in-a-row)",
    )
    p.add_argument(
        "--size",
        default="80x24",
        type=lambda s: tuple(int(v) for v in s.lower().split("x")),
        help="terminal COLSxROWS (default 80x24)",
    )
    p.add_argument("--speed", type=int, default=30, choices=SPEEDS, help="steps per second to ask for")
    p.add_argument("--seconds", type=float, default=5.0, help="playback measured per repeat")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--exe", default=os.path.join(os.path.dirname(sys.executable), "rnnmem-tui"))
    args = p.parse_args()
    rows = []
    for k in range(args.repeats):
        row = one_run(args.exe, args.task, args.speed, args.seconds, args.size)
        rows.append(row)
        print(
            f"run {k + 1}: first frame {row[0]:.3f} s, {row[1]:.1f} steps/s, "
            f"redraw every {row[2]:.1f} ms (worst {row[3]:.1f} ms), {row[4]:.0f}% of a core",
            flush=True,
        )
    med = [statistics.median(c) for c in zip(*rows)]
    print(
        f"{args.task} at {args.size[0]}x{args.size[1]}, median of {args.repeats}: first frame {med[0]:.3f} s, {med[1]:.1f} steps/s at {args.speed} asked, "
        f"redraw every {med[2]:.1f} ms, worst gap {med[3]:.1f} ms, {med[4]:.0f}% of a core"
    )


if __name__ == "__main__":
    main()
