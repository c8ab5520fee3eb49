"""The explorer's runner: a bug inside the app is one line and exit 1; without a terminal it refuses."""

from __future__ import annotations

import subprocess
import sys

from rnnmem_tui.weights import load, shipped, task_for


def test_a_crash_inside_the_app_is_one_line_and_exit_1(monkeypatch, capsys):
    from rnnmem_tui.explore import run_app
    from rnnmem_tui.screens.explorer import ExploreScreen

    def broken(self) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ExploreScreen, "on_mount", broken)
    net = load(shipped("count"))
    assert run_app(dict(net=net, task=task_for(net)), headless=True) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rnnmem-tui: internal error: ZeroDivisionError: a bug") and "Traceback" not in "".join(
        err
    )


def test_the_explorer_refuses_a_non_terminal_but_help_works_through_a_pipe():
    r = subprocess.run([sys.executable, "-m", "rnnmem_tui", "count"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "needs a terminal" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "count", "--help"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "Usage: rnnmem-tui TASK" in r.stdout


def test_the_app_s_thread_pool_does_not_wait_for_running_work_at_exit():
    """`q` must not wait for a worker still labelling a large network's neurons."""
    import threading
    import time

    from rnnmem_tui.app import AbandoningExecutor

    release = threading.Event()
    pool = AbandoningExecutor()
    pool.submit(release.wait, 30)
    start = time.perf_counter()
    pool.shutdown(wait=True)
    assert time.perf_counter() - start < 5.0  # at once, not after the 30 s task: generous for a loaded machine
    release.set()


def test_a_bug_in_a_command_is_one_line_and_exit_1(monkeypatch, capsys):
    from rnnmem_tui import cli
    from rnnmem_tui.cli import measure

    def broken(**values) -> int:
        raise TypeError("a bug")

    monkeypatch.setattr(measure.sample, "callback", broken)
    assert cli.main(["sample", "count-2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rnnmem-tui: internal error: TypeError: a bug (a bug;") and len(err) == 1
