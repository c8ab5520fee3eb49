"""The explorer's command line, `rnnmem-tui TASK [options]`: every check runs before Textual is imported."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .bugs import report_bug
from .paths import PathError, check_folder
from .tasks import TaskError, is_spec_file, load_spec, load_task, task_names
from .train import TrainConfig
from .weights import WeightsError, default_network, load, resolve, shipped, smaller_that_meets, task_for

MIN_COLUMNS, MIN_LINES = 80, 24

KEYS = """\
keys: space play/pause · n or → step · ← step back · + - speed · r reset · m mode (sample,
teacher, type) · t T temperature · ↑ ↓ or 0-9 select a neuron · z zero it · c clamp it at its
value · C clamp it at +1/-1 · x release it · X release all · h activation heatmap (f freezes it) ·
p probability heatmap (o types a fill order) · w weights · a ablation sweep · esc back · s save the
screen as SVG · ? help · q quit"""


class UsageError(ValueError):
    """A bad command line."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is raised so that it is reported in one line."""

    def error(self, message: str):
        """Raise instead of printing usage and exiting."""
        raise UsageError(message)


def build_parser() -> Parser:
    """The parser of `rnnmem-tui TASK`."""
    p = Parser(
        prog="rnnmem-tui",
        usage="rnnmem-tui TASK [--hidden N | --weights PATH | --optimal | --train] "
        "[--seed S] [--max-steps N] [--max-seconds S] [--paused] [--export-dir DIR]",
        description="Open the explorer: watch a tiny RNN write its task's units, every neuron live,\n"
        "and zero or clamp neurons from the keyboard. By default it opens the smallest\n"
        "shipped trained network for TASK whose recorded verdict is 'meets'; if there is\n"
        "none, the shipped network at the seed study's size, and the header says so.",
        epilog=KEYS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("task", metavar="TASK", help=f"one of: {', '.join(task_names())}, or a path to your own .toml spec")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--weights", metavar="PATH", help="open this weights file; its task comes from its meta and must be TASK's"
    )
    src.add_argument(
        "--optimal", action="store_true", help="open the hand-built network (at the seed's size, or --hidden N)"
    )
    src.add_argument(
        "--train",
        action="store_true",
        help="train a fresh network inside the app, with a live loss and validity plot, then explore it",
    )
    p.add_argument(
        "--hidden",
        type=int,
        metavar="N",
        help="the shipped network of N neurons (with --train: the size to train; default the seed's)",
    )
    p.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed of the sampling draws, and of --train (default 0)"
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=TrainConfig.max_steps,
        metavar="N",
        help=f"update budget of --train (default {TrainConfig.max_steps})",
    )
    p.add_argument("--max-seconds", type=float, default=60.0, metavar="S", help="time cap of --train (default 60)")
    p.add_argument("--paused", action="store_true", help="open paused at step 0 (default: play at once)")
    p.add_argument(
        "--export-dir",
        default=".",
        metavar="DIR",
        help="where the s key saves SVG screenshots (default the current directory)",
    )
    return p


def prepare(args: argparse.Namespace) -> dict:
    """The ExplorerApp arguments for a parsed command line; raises UsageError, TaskError or WeightsError."""
    if args.seed < 0:
        raise UsageError("--seed must be 0 or more")
    if args.hidden is not None and args.hidden < 1:
        raise UsageError("--hidden must be at least 1")
    if args.weights and args.hidden is not None:
        raise UsageError("--hidden picks a shipped network; it cannot be combined with --weights")
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
        if args.max_seconds <= 0 or args.max_steps < 1:
            raise UsageError("--max-seconds and --max-steps must be positive")
        return dict(
            net=None,
            task=task,
            seed=args.seed,
            export_dir=args.export_dir,
            play=not args.paused,
            train=TrainConfig(hidden=hidden, seed=args.seed, max_seconds=args.max_seconds, max_steps=args.max_steps),
        )
    if is_spec_file(args.task):
        raise UsageError(
            f"{args.task} is your own task: nothing is shipped for it; give --train, or "
            "--weights PATH for a network trained on it"
        )
    note = hint = ""
    if args.hidden is None and not args.optimal:
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


def run_explorer(argv: list[str]) -> int:
    """Check the command line and the terminal, then run the app; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        options = prepare(args)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except (UsageError, TaskError, WeightsError, PathError) as e:
        print(f"rnnmem-tui: error: {e}", file=sys.stderr)
        return 2
    return check_terminal() or run_app(options)


def check_terminal() -> int:
    """0 when stdin and stdout are a terminal of at least MIN_COLUMNS x MIN_LINES, else 2 after one line."""
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


def compare_parser() -> Parser:
    """The parser of `rnnmem-tui compare A B`."""
    p = Parser(
        prog="rnnmem-tui compare",
        usage="rnnmem-tui compare A B [--mode teacher|type] [--seed S] [--paused]",
        description="Two networks of one task side by side, reading the same input stream: valid units "
        "fed in (teacher) or the symbols you type (type). Each shows its sparkbars, its "
        "next-symbol probabilities and its running bad mass. A and B are weights files or "
        "shipped names, e.g. rnnmem-tui compare fill-10 fill-optimal-10.",
        epilog="keys: space play/pause · n or → step · m mode · ↑ ↓ select a neuron in both · + - speed · "
        "r reset · q quit",
    )
    p.add_argument("a", metavar="A", help="weights file or shipped name")
    p.add_argument("b", metavar="B", help="weights file or shipped name, of A's task")
    p.add_argument("--mode", choices=("teacher", "type"), default="teacher", help="default teacher")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the teacher's stream (default 0)")
    p.add_argument("--paused", action="store_true", help="open paused at step 0 (default: play at once)")
    return p


def prepare_compare(args: argparse.Namespace) -> dict:
    """The CompareApp arguments; raises UsageError or WeightsError."""
    if args.seed < 0:
        raise UsageError("--seed must be 0 or more")
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


def run_compare(argv: list[str]) -> int:
    """Check the command line and the terminal, then compare two networks; returns the exit code."""
    try:
        options = prepare_compare(compare_parser().parse_args(argv))
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except (UsageError, TaskError, WeightsError) as e:
        print(f"rnnmem-tui compare: error: {e}", file=sys.stderr)
        return 2
    return check_terminal() or run_app(options, app="compare")


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
