"""What the explorer and the comparison need before they open: every check runs before Textual is imported."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .bugs import report_bug
from .paths import check_folder
from .tasks import is_spec_file, load_spec, load_task
from .train import TrainConfig
from .weights import default_network, load, of_cell, resolve, shipped, smaller_that_meets, task_for

MIN_COLUMNS, MIN_LINES = 80, 24


class UsageError(ValueError):
    """A bad command line."""


def prepare(args) -> dict:
    """The ExplorerApp arguments for a parsed command line; raises UsageError, TaskError or WeightsError."""
    if sum(map(bool, (args.weights, args.optimal, args.train))) > 1:
        raise UsageError("give at most one of --weights, --optimal and --train")
    if args.weights and args.hidden is not None:
        raise UsageError("--hidden picks a shipped network; it cannot be combined with --weights")
    cell = getattr(args, "cell", "rnn")
    if cell != "rnn" and (args.optimal or args.weights):
        raise UsageError(
            "--cell picks a shipped or trained network; hand-built (--optimal) networks are rnn's, and a --weights "
            "file says its own cell"
        )
    check_folder(args.export_dir, "--export-dir")
    if args.weights:  # the file's own task; TASK must name the same one (its file need not be here)
        net = load(args.weights)
        meta_task = task_for(net)
        if args.task != meta_task.name:
            task = load_task(args.task)
            if (task.family, task.params) != (meta_task.family, meta_task.params):
                raise UsageError(
                    f"{args.weights} holds a {meta_task.name} network, not {task.name}; "
                    f"try rnnmem-tui --weights {args.weights}"
                )
        return dict(
            net=net,
            task=meta_task,
            seed=args.seed,
            source=Path(args.weights).name,
            export_dir=args.export_dir,
            play=not args.paused,
            note="",
        )
    task = load_task(args.task)
    if args.train:
        hidden = args.hidden or load_spec(args.task).get("hidden", 2)
        return dict(
            net=None,
            task=task,
            seed=args.seed,
            export_dir=args.export_dir,
            play=not args.paused,
            train=TrainConfig(
                hidden=hidden, seed=args.seed, cell=cell, max_seconds=args.max_seconds, max_steps=args.max_steps
            ),
        )
    if is_spec_file(args.task):
        raise UsageError(
            f"{args.task} is your own task: nothing is shipped for it; give --train, or "
            "--weights PATH for a network trained on it"
        )
    note = hint = ""
    if cell != "rnn":
        path = of_cell(args.task, cell, args.hidden)
    elif args.hidden is None and not args.optimal:
        path = default_network(args.task)
        if load(path).meta.recorded != "meets":
            note = "study's size, none meets"  # no shipped trained network meets its target
        elif smaller := smaller_that_meets(path):  # the study's size opens; a smaller network meets too
            hint = f"{smaller.stem} meets its target too, with fewer neurons: rnnmem-tui {smaller.stem}"
    else:
        path = shipped(args.task, args.hidden, optimal=args.optimal)
    net = load(path)
    return dict(
        net=net,
        task=task_for(net),
        seed=args.seed,
        source=path.name,
        export_dir=args.export_dir,
        play=not args.paused,
        note=note,
        hint=hint,
    )


def check_terminal() -> int:
    """0 when stdin and stdout are a terminal of at least MIN_COLUMNS x MIN_LINES, or when a browser is the screen
    (`rnnmem-tui serve`: the page sets its own size), else 2 after one line."""
    if in_a_browser():
        return 0
    if not on_a_terminal():
        print(
            "rnnmem-tui: error: the explorer needs a terminal (stdin and stdout); for text output "
            "use rnnmem-tui sample, trace, eval or explain",
            file=sys.stderr,
        )
        return 2
    cols, lines = shutil.get_terminal_size()
    if cols < MIN_COLUMNS or lines < MIN_LINES:
        print(
            f"rnnmem-tui: error: the terminal is {cols}x{lines}; the explorer needs at least {MIN_COLUMNS}x{MIN_LINES}",
            file=sys.stderr,
        )
        return 2
    return 0


def prepare_compare(args) -> dict:
    """The CompareApp arguments; raises UsageError or WeightsError."""
    a, b = load(args.a), load(args.b)
    ta, tb = task_for(a), task_for(b)
    if ta.name != tb.name:
        raise UsageError(f"{args.a} is a {ta.name} network and {args.b} a {tb.name} one; compare needs one task")
    return dict(
        a=a,
        b=b,
        task=ta,
        seed=args.seed,
        names=(resolve(args.a).name, resolve(args.b).name),
        mode=args.mode,
        play=not args.paused,
    )


WEB_DRIVER = "textual.drivers.web_driver"  # the module of the driver textual-serve runs each session with


def in_a_browser() -> bool:
    """True when Textual is to run on its web driver, as textual-serve asks through the environment variable
    TEXTUAL_DRIVER (`module:Class`, which Textual's App.get_driver_class imports): stdin and stdout are then the
    server's pipes, not a terminal."""
    return os.environ.get("TEXTUAL_DRIVER", "").partition(":")[0] == WEB_DRIVER


def on_a_terminal() -> bool:
    """True when both stdin and stdout are a terminal, as a full-screen app needs."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_app(options: dict, headless: bool = False, app: str = "explorer") -> int:
    """Run the explorer (or the comparison); an unhandled exception (a bug) becomes one line, a saved
    traceback and exit 1."""
    from .app import CompareApp, ExplorerApp  # Textual loads only once everything checked out

    app = (CompareApp if app == "compare" else ExplorerApp)(**options)
    app.run(headless=headless)
    if app.crash is None:
        return 0 if app.return_code in (None, 0) else app.return_code
    return report_bug(app.crash)
