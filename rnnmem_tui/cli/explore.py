"""The verbs that open a screen: `rnnmem-tui TASK` (the explorer) and `rnnmem-tui compare A B`."""

from __future__ import annotations

from types import SimpleNamespace

import click

from ..cells import CELLS
from ..explore import check_terminal, prepare, prepare_compare, run_app
from ..tasks import task_names
from ..train import TrainConfig
from . import options as o


class WithKeys(click.Command):
    """A command whose help ends with its screen's keys, from the bindings the screen is built from."""

    def keys(self) -> list[tuple[str, str]]:
        """The screen's keys and what each does (Textual loads only for this help)."""
        from ..screens.keys import key_rows

        return key_rows()

    def format_epilog(self, ctx, formatter) -> None:
        """Every key and what it does."""
        formatter.write_paragraph()
        formatter.write_text("Keys:")
        with formatter.indentation():
            formatter.write_dl(self.keys())


class Explorer(WithKeys):
    """`rnnmem-tui TASK`: its usage starts with the task, and its help ends with the explorer's keys."""

    def format_usage(self, ctx, formatter) -> None:
        """`rnnmem-tui TASK [...]`: the task comes first, where no verb stands."""
        formatter.write_usage(
            ctx.command_path, "TASK [--hidden N | --weights PATH | --optimal | --train] [--cell CELL] [OPTIONS]"
        )


class Compare(WithKeys):
    """`rnnmem-tui compare`: its help ends with the keys of the side-by-side screen."""

    def keys(self) -> list[tuple[str, str]]:
        """The compare screen's keys, and the app's."""
        from ..app import CompareApp
        from ..screens.compare import CompareScreen
        from ..screens.keys import key_rows

        return key_rows(CompareScreen.BINDINGS, [(b.key, b.description) for b in CompareApp.BINDINGS])


@click.command(
    "rnnmem-tui",
    cls=Explorer,
    short_help="open the explorer on TASK",
    help="Open the explorer: watch a tiny RNN write its task's units, every neuron live, and zero or clamp neurons "
    "from the keyboard. By default it opens, for a task of the study, the shipped trained network at the study's "
    "size when its recorded verdict is 'meets' (and says when a smaller one meets too); otherwise the smallest "
    "shipped trained network that meets; if none does, the study's size, and the header says so. "
    f"TASK is one of: {', '.join(task_names())}, or a path to your own .toml spec.",
)
@click.argument("task", metavar="TASK")
@click.option(
    "--weights", metavar="PATH", help="open this weights file; its task comes from its meta and must be TASK's"
)
@click.option("--optimal", is_flag=True, help="open the hand-built network (at the seed's size, or --hidden N)")
@click.option(
    "--train",
    is_flag=True,
    help="train a fresh network inside the app, with a live loss and validity plot, then explore it",
)
@click.option(
    "--hidden",
    type=o.HIDDEN,
    default=None,
    help="the shipped network of N neurons (with --train: the size to train; default the seed's)",
)
@click.option(
    "--cell",
    type=click.Choice(list(CELLS)),
    default="rnn",
    help="the recurrent cell: the smallest shipped network of it that meets (or at --hidden N), or with --train "
    "the cell to train (default rnn)",
)
@o.seed("seed of the sampling draws, and of --train")
@o.setting("max_steps", TrainConfig.max_steps, f"update budget of --train (default {TrainConfig.max_steps})")
@o.setting("max_seconds", 60.0, "time cap of --train (default 60)")
@click.option("--paused", is_flag=True, help="open paused at step 0 (default: play at once)")
@click.option(
    "--export-dir",
    default=".",
    metavar="DIR",
    help="where the s key saves SVG screenshots (default the current directory)",
)
def explorer(**given) -> int:
    """Check the command line and the terminal, then run the app."""
    options = prepare(SimpleNamespace(**given))
    return check_terminal() or run_app(options)


@click.command(
    "compare",
    short_help="two networks of one task side by side on one input stream",
    help="Two networks of one task side by side, reading the same input stream: valid units fed in (teacher) or "
    "the symbols you type (type). Each shows its sparkbars, its next-symbol probabilities and its running bad "
    "mass. A and B are weights files or shipped names, e.g. rnnmem-tui compare fill-10 fill-optimal-10.",
    cls=Compare,
)
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--mode", type=click.Choice(["teacher", "type"]), default="teacher", help="default teacher")
@o.seed("seed of the teacher's stream")
@click.option("--paused", is_flag=True, help="open paused at step 0 (default: play at once)")
def compare(**given) -> int:
    """Check the command line and the terminal, then compare two networks."""
    options = prepare_compare(SimpleNamespace(**given))
    return check_terminal() or run_app(options, app="compare")


def parse(command: click.Command, argv: list[str]) -> SimpleNamespace:
    """A command line's values, as the command would get them (for tests and tools); raises click's errors."""
    with command.make_context(command.name, list(argv)) as ctx:
        return SimpleNamespace(**ctx.params)


COMMANDS = (compare,)
