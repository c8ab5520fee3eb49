"""Argparse types for numeric flags: each value is checked where it is parsed, and the error names the flag."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MAX_TRAIN_HIDDEN = 1024  # the largest network `train` makes (loading accepts up to 4096)
MAX_SAMPLE = 10**8  # symbols `sample` prints at most


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: the problem, and where the help is."""

    def error(self, message: str):
        """Print the problem in one line and exit 2 (argparse prints the whole usage first)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """A whole number in lo..hi (no upper bound when hi is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a whole number, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            span = f"at least {lo}" if hi is None else f"in {lo}..{hi}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def real(
    lo: float | None = None, hi: float | None = None, above: float | None = None, below: float | None = None
) -> Callable[[str], float]:
    """A finite number with lo <= x <= hi, above < x and x < below, for the bounds that are given."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        for ok, words in (
            (lo is None or value >= lo, f"at least {lo}"),
            (hi is None or value <= hi, f"at most {hi}"),
            (above is None or value > above, f"above {above}"),
            (below is None or value < below, f"below {below}"),
        ):
            if not ok:
                raise argparse.ArgumentTypeError(f"must be {words}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


SEED = whole(0)
COUNT = whole(1)
HIDDEN = whole(1, MAX_TRAIN_HIDDEN)
POSITIVE = real(above=0.0)
NON_NEGATIVE = real(lo=0.0)


def add_interventions(p: argparse.ArgumentParser) -> None:
    """The --zero and --clamp flags of every command that runs a network with neurons held."""
    p.add_argument("--zero", type=SEED, nargs="+", action="extend", default=[], metavar="I", help="hold neuron I at 0")
    p.add_argument(
        "--clamp", nargs="+", action="extend", default=[], metavar="I=V", help="hold neuron I at V in [-1, 1]"
    )
