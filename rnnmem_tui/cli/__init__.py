"""The command line: `rnnmem-tui VERB ...` (click, one module per group of verbs) and `rnnmem-tui TASK`, the
explorer; every usage error is one line and exit code 2."""

from __future__ import annotations

import difflib
import os
import sys
import threading
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed

import click

from ..bugs import report_bug
from ..meta import source_id
from ..tasks import is_spec_file, task_names
from ..weights import WeightsError, load, task_for
from . import bench, explore, lenses, measure, report, serve, study, train

PROG = "rnnmem-tui"


def version() -> str:
    """The package's version and the code's commit."""
    try:
        number = installed("rnnmem-tui")
    except PackageNotFoundError:
        number = "unknown"
    return f"{PROG} {number} ({source_id()})"


def show_version(ctx, param, value: bool) -> None:
    """--version: the version and the commit, then exit."""
    if value and not ctx.resilient_parsing:
        click.echo(version())
        ctx.exit()


@click.group(
    PROG,
    options_metavar="[--version]",
    subcommand_metavar="TASK [OPTIONS] | COMMAND ...",
    help="Explore how tiny recurrent networks store information: train, measure and sample min-char-rnn style "
    f"RNNs on toy tasks ({', '.join(task_names())}, or a path to your own .toml spec).",
    epilog="rnnmem-tui TASK opens the explorer on the shipped network for TASK, and rnnmem-tui --weights PATH on "
    "any weights file; see rnnmem-tui TASK --help.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=show_version,
    help="say the version and the commit",
)
def root() -> None:
    """The group of every verb."""


for module in (train, measure, explore, study, lenses, bench, report, serve):
    for command in module.COMMANDS:
        root.add_command(command)

VERBS = tuple(root.commands)


def one_line(e: click.UsageError, hint: str | None) -> str:
    """A usage error as one line: what is wrong, naming the flag, and where the help is."""
    where = e.ctx.command_path if e.ctx else PROG
    if isinstance(e, click.BadParameter) and not isinstance(e, click.MissingParameter) and e.param is not None:
        name = "/".join(e.param.opts) if isinstance(e.param, click.Option) else e.param.human_readable_name
        message = f"argument {name}: {e.message}"
    else:
        message = e.format_message()
    return f"{where}: error: {message} (see {hint or where} --help)"


def invoke(command: click.Command, argv: list[str], hint: str | None = None) -> int:
    """Parse argv and run the command; returns its exit code. A usage error or a bad file or value is one
    line on stderr and exit code 2."""
    try:
        with command.make_context(PROG, list(argv), obj=list(argv)) as ctx:
            return command.invoke(ctx) or 0
    except click.exceptions.Exit as e:  # --help, --version
        return e.exit_code
    except click.UsageError as e:
        print(one_line(e, hint), file=sys.stderr)
        return 2
    except click.exceptions.Abort:
        return 130
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, OSError) as e:  # a bad file, task or value, each with its one-line message
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2


def run_explorer(argv: list[str]) -> int:
    """`rnnmem-tui TASK [options]`: the explorer; returns the exit code."""
    return invoke(explore.explorer, argv, hint=f"{PROG} TASK")


def weights_task(argv: list[str]) -> str:
    """The task name of the file in `--weights PATH` (or `--weights=PATH`); raises WeightsError."""
    flag = argv[0]
    path = flag.partition("=")[2] if "=" in flag else (argv[1] if len(argv) > 1 else "")
    if not path or path.startswith("-"):
        raise WeightsError("--weights needs a PATH to a weights file")
    return task_for(load(path)).name


def suggestion(word: str) -> str | None:
    """The verb a mistyped word most likely meant, or None."""
    near = [v for v in VERBS if word.startswith(v) or v.startswith(word)]
    return (near or difflib.get_close_matches(word, VERBS, n=1, cutoff=0.6) or [None])[0]


def run(argv: list[str]) -> int:
    """Run a command line: a verb, or a task (or `--weights PATH`) for the explorer; returns the exit code."""
    if argv and argv[0].split("=")[0] == "--weights":  # the explorer on a file: its task is in its meta
        try:
            return run_explorer([weights_task(argv), *argv])
        except WeightsError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 2
    if argv and not argv[0].startswith("-") and argv[0] not in VERBS:
        word, near = argv[0], suggestion(argv[0])
        if near and word not in task_names() and not is_spec_file(word):
            print(f"{PROG}: error: no command or task {word!r}; did you mean {near}?", file=sys.stderr)
            return 2
        return run_explorer(argv)
    return invoke(root, argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code: 130 on Ctrl-C, 1 with one line on a bug."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: one line, not a traceback
        return report_bug(e)


def finish(code: int) -> None:
    """Exit with `code` now. Work still running in a thread (an explorer's worker computing roles
    after `q`) is abandoned instead of joined, so the program ends at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1:
        os._exit(code)
    sys.exit(code)
