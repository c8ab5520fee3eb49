"""The options several verbs share, declared once: numbers checked where they are parsed, each error naming its flag."""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Callable

import click

from ..recipes import RECIPES
from ..seeds import SEEDS_FORM, parse_seeds, whole
from ..train import SETTINGS, flag

MAX_TRAIN_HIDDEN = 1024  # the largest network `train` makes (loading accepts up to 4096)
MAX_SAMPLE = 10**8  # symbols `sample` prints at most


class Whole(click.ParamType):
    """A whole number in lo..hi (no upper bound when hi is None)."""

    name = "N"

    def __init__(self, lo: int, hi: int | None = None) -> None:
        self.lo, self.hi = lo, hi

    def convert(self, value, param, ctx) -> int:
        """The number, or a one-line failure naming the flag."""
        try:
            number = whole(value)
        except (TypeError, ValueError):
            self.fail(f"wants a whole number in digits 0-9, got {value!r}", param, ctx)
        if number < self.lo or (self.hi is not None and number > self.hi):
            span = f"at least {self.lo}" if self.hi is None else f"in {self.lo}..{self.hi}"
            self.fail(f"must be {span}, got {number}", param, ctx)
        return number


class Real(click.ParamType):
    """A finite number with lo <= x <= hi, above < x and x < below, for the bounds that are given."""

    name = "X"

    def __init__(self, lo=None, hi=None, above=None, below=None) -> None:
        self.lo, self.hi, self.above, self.below = lo, hi, above, below

    def convert(self, value, param, ctx) -> float:
        """The number, or a one-line failure naming the flag."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"wants a number, got {value!r}", param, ctx)
        if not math.isfinite(number):
            self.fail(f"must be a finite number, got {value}", param, ctx)
        for bound, ok, words in (
            (self.lo, lambda b: number >= b, "at least"),
            (self.hi, lambda b: number <= b, "at most"),
            (self.above, lambda b: number > b, "above"),
            (self.below, lambda b: number < b, "below"),
        ):
            if bound is not None and not ok(bound):
                self.fail(f"must be {words} {bound}, got {value}", param, ctx)
        return number


class Seeds(click.ParamType):
    """The one form of a seeds flag: `N` (that many, from 0), `A..B` or `a,b,c`."""

    name = "SEEDS"

    def convert(self, value, param, ctx) -> list[int]:
        """The seeds, or a one-line failure naming the flag."""
        if isinstance(value, list):
            return value
        try:
            return parse_seeds(value, "")
        except ValueError as e:
            self.fail(str(e).strip(), param, ctx)


SEED = Whole(0)
COUNT = Whole(1)
HIDDEN = Whole(1, MAX_TRAIN_HIDDEN)
POSITIVE = Real(above=0.0)

Decorator = Callable[[Callable], Callable]


def stack(*decorators: Decorator) -> Decorator:
    """Several option decorators as one, in the order given (the first is the first in --help)."""

    def apply(f: Callable) -> Callable:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def seed(help: str, default: int | None = 0) -> Decorator:
    """--seed S: one seed, whose meaning each verb says."""
    shown = "" if default is None else f" (default {default})"
    return click.option("--seed", type=SEED, default=default, metavar="S", help=help + shown)


def seeds(help: str, default: str | None = None) -> Decorator:
    """--seeds N | A..B | a,b,c, the one form everywhere."""
    shown = "" if default is None else f" (default {default})"
    return click.option("--seeds", type=Seeds(), default=default, help=f"{help}: {SEEDS_FORM}{shown}")


def all_cores(ctx, param, value: int | None) -> int:
    """--jobs left out means every core."""
    return value if value is not None else os.cpu_count() or 1


def jobs(help: str) -> Decorator:
    """--jobs N: worker processes, all cores by default; 0 is refused."""
    return click.option(
        "--jobs", type=Whole(1, 256), default=None, callback=all_cores, help=f"{help} (default: all cores)"
    )


def out(help: str, required: bool = True, default: str | None = None, metavar: str = "PATH") -> Decorator:
    """--out PATH and --force: where a file goes, never replacing one unless asked."""
    return stack(
        click.option(
            "--out", required=required, metavar=metavar, help=help, **({} if required else {"default": default})
        ),
        click.option("--force", is_flag=True, help="replace existing files (never recorded in the meta)"),
    )


def record(help: str) -> Decorator:
    """--record FILE.jsonl: where a verb appends each finished run as a search record (searches.py)."""
    return click.option("--record", metavar="FILE.jsonl", default=None, help=help)


def interventions(f: Callable) -> Callable:
    """--zero I and --clamp I=V, each repeatable, for the verbs that run a network with neurons held."""
    return stack(
        click.option("--zero", multiple=True, metavar="I", help="hold neuron I at 0 (repeatable; an LSTM's h3 or c3)"),
        click.option(
            "--clamp",
            multiple=True,
            metavar="I=V",
            help="hold neuron I at V, in [-1, 1] for tanh units (repeatable; an LSTM's h3=V or c3=V)",
        ),
    )(f)


def json_flag(help: str = "print JSON") -> Decorator:
    """--json: output for programs."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def setting_type(meta: dict) -> click.ParamType:
    """The click type of a trainer setting, from its field's metadata."""
    if "choices" in meta:
        return click.Choice(sorted(meta["choices"]()))
    bounds = {k: meta[k] for k in ("lo", "hi", "above", "below") if k in meta}
    if meta["kind"] is int:
        return Whole(bounds.get("lo", 0), bounds.get("hi"))
    return Real(**bounds)


def defaults_text(name: str) -> str:
    """A setting's default, per recipe when the recipes differ on it, e.g. `windows 32, lines 128`."""
    default, meta = SETTINGS[name].default, SETTINGS[name].metadata
    shown = meta.get("shown")  # how a default of None reads
    per_recipe = [
        f"{r.name} {shown if r.defaults[name] is None and shown else r.defaults[name]}"
        for r in RECIPES.values()
        if name in r.defaults
    ]
    if per_recipe:
        return ", ".join(per_recipe)
    return shown if shown else f"{default:g}" if isinstance(default, float) else str(default)


def setting(name: str, default=None, help: str | None = None) -> Decorator:
    """The flag of one trainer setting, from TrainConfig's field; None by default, so that the task's [train]
    table and the recipe fill it."""
    meta = SETTINGS[name].metadata
    text = help or f"{meta['help']} ({defaults_text(name)})"
    if meta.get("kind") is bool:
        return click.option(flag(name), name, flag_value=False, default=None, help=meta["help"])
    return click.option(flag(name), name, type=setting_type(meta), default=default, help=text)


def settings(skip: tuple[str, ...] = (), **given: tuple) -> Decorator:
    """Every trainer setting's flag but those skipped; `given` maps a setting to (default, help) for this verb."""
    return stack(*(setting(n, *given.get(n, ())) for n in SETTINGS if n not in skip))


def given_settings(values: dict) -> dict:
    """The trainer settings among a verb's values that the user gave (or the verb defaulted)."""
    return {k: v for k, v in values.items() if k in SETTINGS and v is not None}


def recorded_command() -> str:
    """The command line that reproduces this run's file (the root context holds its argv), without --force."""
    argv = click.get_current_context().find_root().obj or []
    return shlex.join(["rnnmem-tui", *(a for a in argv if a != "--force")])
