"""Training recipes: each is a configuration of the one engine in train.py, its batches and its schedule.

A recipe names the settings it uses, with their defaults, a source of batches and the phases of its
schedule. A setting it does not use is refused, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .model import encode
from .tasks import Task, TaskError, load_spec

FRESH = 50  # whole-line batches: new data every this many updates
RESTARTS = 4  # whole-line recipe: short runs from fresh weights; the best by validation is polished
RESTART_STEPS = 1500  # updates per restart and per polish cycle


class Windows:
    """B endless streams of valid units, each starting with the start token, cut into windows.

    The engine carries each stream's hidden state from one window to the next (unless told not to).
    """

    carries = True

    def __init__(self, task: Task, rng: np.random.Generator, batch: int, window: int, windows_ahead: int = 64) -> None:
        self.task, self.rng, self.window, self.ahead = task, rng, window, windows_ahead
        self.end = int(encode(task.vocab, task.end)[0])
        self.rest = [np.array([self.end])] * batch  # per stream, symbols drawn but not yet in the buffer
        self.buf = np.zeros((batch, 0), dtype=np.intp)  # (B, L) symbols ready to serve
        self.pos = 0

    def _refill(self) -> None:
        """Serve the next `windows_ahead` windows: every stream's units come from one draw of whole units,
        cut between units, so each stream holds at most one unfinished unit beyond the buffer."""
        keep = self.buf[:, self.pos :]  # (B, k) the unserved tail, at most one symbol
        take = self.ahead * self.window + 1 - keep.shape[1]
        need = [max(0, take - len(r)) for r in self.rest]  # (B,) symbols each stream still lacks
        units = self.task.generate_indices(self.rng, sum(need) // self.task.max_len + len(need))
        ends = np.flatnonzero(units == self.end) + 1  # (n,) where each unit ends
        shares, start = [], 0
        for n in need:  # each stream's share ends at the first unit end that covers it
            k = np.searchsorted(ends, start + n)
            while k == len(ends):  # the draw was short: draw about what is still lacking, by the mean length
                lack = (sum(need) - start) * len(ends) / len(units)
                units = np.concatenate([units, self.task.generate_indices(self.rng, int(1.1 * lack) + len(need))])
                ends = np.flatnonzero(units == self.end) + 1
                k = np.searchsorted(ends, start + n)
            shares.append(units[start : ends[k]])
            start = ends[k]
        rows = [np.concatenate([r, share]) for r, share in zip(self.rest, shares)]
        self.buf = np.concatenate([keep, np.stack([r[:take] for r in rows])], 1)
        self.rest = [r[take:] for r in rows]
        self.pos = 0

    def next(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The next window: inputs X (B, T) and targets Y (B, T), Y shifted one step ahead."""
        T = self.window
        if self.pos + T + 1 > self.buf.shape[1]:
            self._refill()
        W = self.buf[:, self.pos : self.pos + T + 1]  # (B, T+1)
        self.pos += T
        return W[:, :-1], W[:, 1:]


def line_batch(task: Task, rng: np.random.Generator, batch: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """B fresh streams that each start at a line start (after the start token), cut to `window` inputs.

    Returns X (B, T) and Y (B, T), Y shifted one step ahead; every stream starts from h = 0 reading
    the start token, as the sampling protocol does, so no state is carried between batches.
    """
    n = window // 2 + 2  # enough lines to fill the window: every unit has at least 2 symbols
    start = encode(task.vocab, task.end)
    W = np.stack(
        [np.concatenate([start, task.generate_indices(rng, n)])[: window + 1] for _ in range(batch)]
    )  # (B, T+1)
    return W[:, :-1], W[:, 1:]


class Lines:
    """Whole lines from h = 0: `line_batch`, drawn afresh every FRESH updates."""

    carries = False

    def __init__(self, task: Task, rng: np.random.Generator, batch: int, window: int) -> None:
        self.task, self.rng, self.batch, self.window = task, rng, batch, window

    def next(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch for update i of a phase: X (B, T) and Y (B, T)."""
        if i % FRESH == 0:
            self.X, self.Y = line_batch(self.task, self.rng, self.batch, self.window)
        return self.X, self.Y


def cosine(lr, i: int, steps: int, floor: float = 1e-4):
    """Learning rate at step i of a cosine decay from lr (a number or an array) to floor over `steps`."""
    return floor + (lr - floor) * 0.5 * (1.0 + np.cos(np.pi * min(i, steps) / steps))


@dataclass(frozen=True)
class Phase:
    """A stretch of updates with one start, one learning-rate shape and one batch size."""

    steps: int | None  # updates; None: until the budget runs out or every network reaches the target
    start: str  # "fresh": new weights from each network's generator; "best": its best so far
    batch: int
    lr: float = 1.0  # times each network's lr
    floor: float = 0.0  # the lowest learning rate of the phase
    cosine: bool = False  # decay to 1e-4 over the phase; otherwise constant
    every: int | None = None  # updates between validations; None: once, at the phase's end
    anneal: float = 1.0  # lr factor once a network's validity first reaches the target
    decay: float | None = None  # the lr's fraction left at the budget's end, along a cosine; None: constant


def window_phases(cfg) -> Iterator[Phase]:
    """One phase with validation every cfg.eval_symbols symbols and anneal-on-target, at a constant rate or
    one falling over the budget."""
    every = max(1, cfg.eval_symbols // (cfg.batch * cfg.window))
    yield Phase(None, "fresh", cfg.batch, every=every, anneal=cfg.anneal, decay=cfg.decay)


def line_phases(cfg) -> Iterator[Phase]:
    """RESTARTS cosine runs from fresh weights, then endless polish cycles from the best at lower rates."""
    for _ in range(RESTARTS):
        yield Phase(RESTART_STEPS, "fresh", cfg.batch, cosine=True)
    k = 0
    while True:  # late cycles need small steps: 0.986 -> 0.993 measured
        yield Phase(RESTART_STEPS, "best", 2 * cfg.batch, lr=0.7**k / 3, floor=1e-4 if k else 0.0, cosine=True)
        k += 1


@dataclass(frozen=True)
class Recipe:
    """A configuration of the engine: the settings it uses (with defaults), its batches and its phases."""

    name: str
    defaults: dict  # the recipe-specific settings it uses, with their defaults
    source: Callable  # (task, rng, batch, window) -> a batch source with next(i) and `carries`
    phases: Callable  # cfg -> the phases of its schedule
    ready: str  # when a validation earns a full confirmation: "validity" alone, or the whole "target"
    why: str  # why it refuses the settings it does not use


RECIPES = {
    "windows": Recipe(
        "windows",
        {
            "batch": 32,
            "window": 25,
            "init_scale": 0.1,
            "anneal": 0.2,
            "decay": None,
            "carry": True,
            "eval_symbols": 200_000,
        },
        Windows,
        window_phases,
        "validity",
        "",
    ),
    "lines": Recipe(
        "lines",
        {"batch": 128, "window": 80, "init_scale": 0.5},
        Lines,
        line_phases,
        "target",
        "it starts every batch from h = 0 and follows cosine cycles with restarts",
    ),
}
SPECIFIC = set().union(*(r.defaults for r in RECIPES.values()))  # the settings recipes differ on


def table_settings(task_name: str, cell: str = "rnn") -> dict:
    """A task's own training defaults for a cell: the `[train]` table of its TOML (maybe empty), then its
    `[train.CELL]` table when it has one; raises TaskError."""
    from .cells import CELLS
    from .train import TrainConfig  # the settings are TrainConfig's fields

    table = dict(load_spec(task_name).get("train", {}))
    cells = {k: table.pop(k) for k in [k for k, v in table.items() if isinstance(v, dict)]}
    if unknown := sorted(cells.keys() - CELLS.keys()):
        raise TaskError(f"task {task_name!r}: [train.{unknown[0]}] names no cell; known: {', '.join(CELLS)}")
    for name, own in {"train": {}, **{f"train.{c}": t for c, t in cells.items()}}.items():
        try:
            TrainConfig(**(table | own), cell=name.removeprefix("train.") if "." in name else "rnn")
        except (TypeError, ValueError) as e:
            raise TaskError(f"task {task_name!r}: bad [{name}] table: {e}") from None
        if {"hidden", "seed", "cell"} & (table.keys() | own.keys()):
            raise TaskError(f"task {task_name!r}: the [{name}] table may not set hidden, seed or cell")
    table |= cells.get(cell, {})
    return table


def settings_for(task_name: str, given: dict) -> dict:
    """The settings of a run: the task's `[train]` table and its cell's `[train.CELL]`, overridden by the
    flags the user gave.

    A table belongs to its recipe: a user who picks another recipe gets that recipe's defaults.
    """
    table = table_settings(task_name, given.get("cell", "rnn"))
    if given.get("recipe", table.get("recipe", "windows")) != table.get("recipe", "windows"):
        table = {}
    return {**table, **given}
