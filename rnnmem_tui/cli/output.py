"""How the verbs print tables and progress: rich on a terminal; tab-separated rows and plain lines elsewhere."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Column
from rich.table import Table as RichTable
from rich.text import Text

PLAIN_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def chart(
    series: dict[str, tuple[list, list]],
    title: str,
    xlabel: str,
    ylim: tuple[float, float] | None = None,
    xticks=None,
    log_x: bool = False,
    markers: dict[str, str] | None = None,
    hlines: tuple[float, ...] = (),
) -> str:
    """A plotext line chart of each labelled series (xs, ys), without colour codes; with `markers` (a character
    per label), a line of those characters, so that series tell apart in plain text."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(70, 18)
    plt.theme("clear")
    for label, (xs, ys) in series.items():
        plt.plot(xs, ys, label=label, marker=markers[label] if markers else "braille")
    for y in hlines:
        plt.hline(y)
    if ylim:
        plt.ylim(*ylim)
    if log_x:
        plt.xscale("log")
    if xticks:
        plt.xticks(xticks)
    plt.title(title)
    plt.xlabel(xlabel)
    return ANSI.sub("", plt.build())


class Table:
    """A table on stdout. On a terminal, a rich table (redrawn as rows come when `live`); elsewhere one header
    line and tab-separated rows, each printed as it comes, for scripts. The caption goes under the rich table,
    or to stderr so that the rows stay clean."""

    def __init__(self, columns: Sequence[str | Column], caption: str = "", live: bool = False) -> None:
        self.columns = [c if isinstance(c, Column) else Column(c, no_wrap=True) for c in columns]
        self.columns[-1].no_wrap = False  # the last column takes what is left of a narrow terminal
        self.caption, self.live = caption, live
        self.tty = sys.stdout.isatty()
        self.rich = RichTable(*self.columns, caption=caption or None, caption_justify="left")
        self.console: Console | None = None
        self.shown: Live | None = None

    def __enter__(self) -> Table:
        if self.tty:
            self.console = Console()
            if self.live:
                self.shown = Live(self.rich, console=self.console, auto_refresh=False)
                self.shown.start()
        else:
            print("\t".join(str(c.header) for c in self.columns), flush=True)
        return self

    def add(self, *cells: object) -> None:
        """One row."""
        text = ["" if c is None else str(c) for c in cells]
        if not self.tty:
            print("\t".join(text), flush=True)
            return
        self.rich.add_row(*map(Text, text))  # as written: a role's brackets are not markup
        if self.shown:
            self.shown.refresh()

    def __exit__(self, *exc) -> None:
        if self.shown:
            self.shown.stop()
        elif self.tty:
            self.console.print(self.rich)
        if not self.tty and self.caption:
            print(self.caption, file=sys.stderr)


def table(columns: Sequence[str | Column], rows: Iterable[Sequence], caption: str = "") -> None:
    """Print a whole table (see Table)."""
    with Table(columns, caption) as t:
        for row in rows:
            t.add(*row)


def right(header: str) -> Column:
    """A right-justified column, for numbers."""
    return Column(header, justify="right", no_wrap=True)


@contextmanager
def progress(total: float, label: str) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr, given as `update(done, text="")`: rich's on a terminal, cleared at the end;
    elsewhere a plain line every few seconds (the first at once)."""
    if not sys.stderr.isatty():
        last = [-PLAIN_EVERY]

        def plain(done: float, text: str = "") -> None:
            now = time.monotonic()
            if now - last[0] >= PLAIN_EVERY:
                print(f"{label}: {text or f'{done:g}/{total:g}'}", file=sys.stderr, flush=True)
                last[0] = now

        yield plain
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, TextColumn("{task.fields[text]}"), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, text="")
        yield lambda done, text="": bar.update(task, completed=done, text=text)
