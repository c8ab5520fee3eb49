"""The serve verb: the explorer in a browser, one process per tab, for a class (textual-serve, the [web] extra)."""

from __future__ import annotations

import shlex
import sys
from importlib.util import find_spec
from pathlib import Path

import click

from ..explore import prepare
from ..weights import load, task_for
from . import options as o
from .explore import explorer, parse

NEEDS = "rnnmem-tui serve needs textual-serve: pip install 'rnnmem-tui[web]'"
MINUTES = o.Real(above=0.0)


def explorer_argv(task: str | None, weights: str | None, export_dir: str | None = None) -> list[str]:
    """The explorer's command line for TASK and --weights PATH (TASK from the file's meta when left out) and
    --export-dir, checked as the explorer checks it; raises click.UsageError or the explorer's one-line errors."""
    if task is None and weights is None:
        raise click.UsageError("give a TASK, or --weights PATH")
    if weights is not None:
        weights = str(Path(weights).resolve()) if Path(weights).exists() else weights
        task = task or task_for(load(weights)).name
    argv = [task] + (["--weights", weights] if weights else [])
    argv += ["--export-dir", str(Path(export_dir).resolve())] if export_dir else []
    prepare(parse(explorer, argv))  # a bad name or file: one line and exit 2 now, not in every session
    return argv


def session_command(argv: list[str]) -> str:
    """The shell command each session runs: the explorer, with this Python; `exec`, so that the session's process
    is the explorer itself (a child of the server) rather than a shell around it."""
    return "exec " + shlex.join([sys.executable, "-m", "rnnmem_tui", *argv])


@click.command(
    "serve",
    short_help="serves the explorer to browsers: one URL for a class, one process per tab",
    help="Serve the explorer on TASK (or --weights PATH) to web browsers with textual-serve (extra [web]): each "
    "tab that opens the URL gets its own explorer, in a process of its own with its own copy of the network, "
    "which ends when the tab closes. There is no authentication: anyone who can open the URL runs a session on "
    "this machine. The default --host 127.0.0.1 serves this machine only; --host 0.0.0.0 lets anyone on the "
    "network open sessions.",
)
@click.argument("task", metavar="[TASK]", required=False)
@click.option(
    "--weights", metavar="PATH", help="serve this weights file; its task comes from its meta (TASK may be left out)"
)
@click.option(
    "--export-dir",
    metavar="DIR",
    help="where the sessions' s and E keys save their files, on this machine (default the current directory)",
)
@click.option(
    "--host",
    default="127.0.0.1",
    metavar="HOST",
    help="the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every machine on the network)",
)
@click.option("--port", type=o.Whole(1, 65535), default=8000, help="the port to listen on (default 8000)")
@click.option(
    "--max-sessions",
    type=o.COUNT,
    default=8,
    help="sessions open at once at most; a browser beyond them is told the class is full (default 8)",
)
@click.option(
    "--idle-minutes",
    type=MINUTES,
    default=15.0,
    metavar="X",
    help="close a session after this long without a key, a click or a mouse move (default 15)",
)
def serve(task, weights, export_dir, host, port, max_sessions, idle_minutes) -> int:
    """Check TASK or --weights as the explorer would, then serve it until Ctrl-C."""
    if find_spec("textual_serve") is None:
        print(NEEDS, file=sys.stderr)
        return 2
    argv = explorer_argv(task, weights, export_dir)
    from ..classroom import Classroom  # aiohttp and textual-serve load only once everything checked out

    Classroom(
        session_command(argv),
        host=host,
        port=port,
        title="rnnmem-tui " + (f"--weights {Path(weights).name}" if weights else task),
        max_sessions=max_sessions,
        idle_seconds=idle_minutes * 60,
    ).serve()
    return 0


COMMANDS = (serve,)
