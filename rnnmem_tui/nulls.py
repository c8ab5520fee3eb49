"""The random-network null of the role instrument: for each task shape, what the best neuron of a random network scores."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cells import CELLS as CELL_KINDS
from .meta import Meta
from .paths import PathError, check_destination, write_atomically
from .probe import STREAMS, UNITS, Stopped, candidates, layout, resolution, score_stream
from .tasks import Task

Q = 0.05  # the false discovery rate Benjamini-Hochberg controls over a neuron's features
LEAST = 200  # random networks per shape, at least; more for tasks of many features (`nets_for`)
SEED = 1_000_000  # their seeds are SEED, SEED + 1, ...; tests and acceptance use seeds below it
VERSION = 2  # bump whenever the probe's scores change: tables of another version are recalibrated
SHIPPED = Path(__file__).with_name("nulls.json")
CELLS = 4_000_000  # activations scored at once (steps x neurons of several networks): about 32 MB a copy
PLAIN = "N(0, 1)"  # how random networks' weights are drawn (`rule`); a table entry that names no rule: so


def rule(cell: str = "rnn") -> str:
    """How a random network of the cell is drawn, as a shape's table entry records it: every matrix and bias
    from N(0, 1), except an unbounded cell's recurrent weights. A random ReLU network's state has nothing to
    hold it, and with N(0, 1) recurrent weights it grows to 1e112 within 200 steps at 30 units, where no unit
    can score and the null asks nothing. From N(0, 1/H), the recurrent matrix's spectral radius is about 1."""
    return PLAIN if CELL_KINDS[cell].h_bounded else PLAIN + ", recurrent N(0, 1/H)"


def draw(task: Task, hidden: int, seed: int, cell: str = "rnn") -> dict[str, np.ndarray]:
    """The matrices and biases of one random network of the cell, drawn as `rule` says, in the order of the
    cell's parameters."""
    rng = np.random.default_rng(seed)
    shapes = CELL_KINDS[cell].shapes(hidden, len(task.vocab))
    drawn = {k: rng.standard_normal(shape) for k, shape in shapes.items()}
    if not CELL_KINDS[cell].h_bounded:
        drawn["weight_hh"] /= np.sqrt(hidden)
    return drawn


def random_net(task: Task, hidden: int, seed: int, cell: str = "rnn"):
    """A random network of the cell, drawn as `rule` says."""
    meta = Meta(
        task=task.family,
        hidden=hidden,
        **({} if cell == "rnn" else {"cell": cell, "format": 2}),
        spec=task.name,
        params=dict(task.params),
        seed=seed,
        construction=f"{rule(cell)} null",
    )
    return CELL_KINDS[cell].net(draw(task, hidden, seed, cell), task.vocab, meta)


def shape_key(task: Task, hidden: int, cell: str = "rnn") -> str:
    """The table key of a shape: family, parameters, hidden size, and the cell when it is not rnn."""
    return f"{task.family} {json.dumps(task.params, sort_keys=True)} H={hidden}" + (f" cell={cell}" * (cell != "rnn"))


@dataclass(frozen=True)
class Null:
    """A shape's per-network null: for each memory feature, the best score of each random network, over its
    neurons and over the feature's lags and phases, for `nets` networks. Only the largest are kept, enough
    for every p-value up to Q; a score below all of them has p > Q, which never passes."""

    nets: int
    top: dict[str, np.ndarray]  # feature -> the largest per-network maxima, descending
    draw: str = PLAIN  # how its random networks were drawn (`rule`)

    def p(self, name: str, score: float) -> float:
        """The empirical p-value of a neuron's best score for feature `name`: (1 + networks whose best neuron
        scored as high) / (nets + 1); 1 when the score is below every kept maximum (its p-value exceeds Q)."""
        top = self.top.get(name)
        if top is None or not np.isfinite(score):
            return 1.0
        above = int(np.sum(top >= score))
        return 1.0 if above >= len(top) else (1 + above) / (self.nets + 1)

    def bar(self, name: str, cutoff: float) -> float:
        """The score a neuron must exceed for a p-value at or below `cutoff`: inf when no score can reach it."""
        top = self.top.get(name)
        j = int(np.floor(cutoff * (self.nets + 1) + 1e-9))  # at most j - 1 networks may score as high
        if top is None or j < 1 or j > len(top):
            return np.inf if j < 1 else 0.0
        return float(top[j - 1])

    def as_json(self) -> dict:
        """`{"nets": N, "draw": rule, "top": {feature: [largest, ...]}}`, scores to 4 decimals."""
        top = {k: [round(float(x), 4) for x in v] for k, v in self.top.items()}
        return {"nets": self.nets, "draw": self.draw, "top": top}

    @classmethod
    def from_json(cls, obj: dict) -> Null:
        """The null of a table's shape entry."""
        top = {k: np.asarray(v, dtype=float) for k, v in obj["top"].items()}
        return cls(int(obj["nets"]), top, obj.get("draw", PLAIN))


def kept(nets: int) -> int:
    """How many of a feature's largest maxima a table keeps: every one a p-value up to Q can count."""
    return int(np.ceil(Q * (nets + 1)))


def nets_for(task: Task) -> int:
    """How many random networks a shape's null draws: enough that a neuron beating every one of them passes
    Benjamini-Hochberg alone among all the task's features (p = 1 / (nets + 1) <= Q / features), at least
    LEAST, rounded up to a hundred: 800 for a 3x3 grid's 36 features, 1,000 for a 4x4 grid's 49. (The shipped
    tables of the 3x3 grids drew 1,100, and fill-4x4-17's 1,500, under an earlier margin; each table records
    its own count, which its p-values use.)"""
    m = len(task.state_features)
    return max(LEAST, int(np.ceil((m / Q + 1) / 100)) * 100)


def feature_best(task: Task, score: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each memory feature's best over its lags and phases, from median scores (C, ...) of all candidates:
    (feature names, (F, ...))."""
    rows: dict[str, list[int]] = {}
    for i, c in enumerate(candidates(task)):
        if c.memory:
            rows.setdefault(c.feature.name, []).append(i)
    return list(rows), np.stack([score[r].max(axis=0) for r in rows.values()])


@np.errstate(over="ignore", invalid="ignore")  # a random ReLU network can overflow: its units score NaN, no warning
def maxima(
    task: Task, hidden: int, seeds: range, should_stop: Callable[[], bool] | None = None, cell: str = "rnn"
) -> tuple[list[str], np.ndarray]:
    """Each random network's best score for each memory feature, over its neurons, lags and phases:
    (feature names, (networks, features)).

    A neuron's score is its median over STREAMS teacher streams of UNITS units, as `explain` scores any
    network (`probe.score_stream`, at each neuron's `resolution`). Random networks are run together, and
    their neurons scored side by side. Every random neuron counts as read: with random weights nothing is
    cut off (`probe.unread` would need a forward pass per neuron).
    """
    cands = candidates(task)
    T = max(len(layout(task, s, UNITS).symbols) for s in range(STREAMS))
    kind = CELL_KINDS[cell]
    width = kind.width(hidden)  # the state's units: an LSTM's h and c
    chunk = max(1, CELLS // (T * width))
    names, out = [], []
    for first in range(seeds.start, seeds.stop, chunk):
        group = range(first, min(first + chunk, seeds.stop))
        drawn = [draw(task, hidden, s, cell) for s in group]
        P = {k: np.stack([d[k] for d in drawn]) for k in drawn[0]}
        step = np.concatenate([resolution(kind.net(d, task.vocab)) for d in drawn])  # (n W,)
        scores = []
        for stream in range(STREAMS):
            if should_stop and should_stop():
                raise Stopped
            lay = layout(task, stream, UNITS)
            with np.errstate(over="ignore", invalid="ignore"):  # a random ReLU network's states may blow up
                hs = np.concatenate(kind.stack_states(P, [lay.symbols] * len(group)), axis=1)  # (T, n W)
            scores.append(score_stream(hs, step, lay, len(cands))[0])  # (C, n H)
        s = np.stack(scores)
        med = np.median(np.where(np.isnan(s), -np.inf, s), axis=0)  # a candidate undefined on a stream fails there
        names, best = feature_best(task, med)  # (F, n H)
        out.append(best.reshape(len(names), len(group), width).max(axis=2).T)  # (n, F)
    return names, np.maximum(np.concatenate(out), 0.0)


def calibrate(
    task: Task,
    hidden: int,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    nets: int | None = None,
    cell: str = "rnn",
) -> Null:
    """The per-network null of one shape, measured now.

    `nets_for(task)` random networks drawn as `rule` says (seeds SEED, SEED + 1, ...) are probed like any
    network; for each memory feature, a network's draw is the best score among its neurons, lags and phases. A neuron is then judged against networks, not pooled neurons: one random
    network whose oscillation fits a feature counts once, however many of its neurons share it, and the
    best of the lags and phases is what a neuron's best must beat. `roles.Verdict` turns these into p-values
    and controls the false discovery rate over the features.
    """
    nets = nets or nets_for(task)
    names, got = [], []
    step = max(1 if cell == "rnn" else 10, nets // 20)  # another cell's steps run in Python: more nets a call
    for first in range(0, nets, step):
        names, block = maxima(task, hidden, range(SEED + first, SEED + min(first + step, nets)), should_stop, cell)
        got.append(block)
        if progress:
            progress(min(first + step, nets), nets)
    allm = np.concatenate(got)  # (nets, F)
    k = kept(nets)
    return Null(nets, {n: np.sort(allm[:, j])[::-1][:k].copy() for j, n in enumerate(names)}, rule(cell))


def user_cache() -> Path:
    """Where thresholds of shapes not shipped are kept."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnmem-tui" / "nulls.json"


def read_table(path: Path) -> dict[str, dict]:
    """The shapes of a thresholds table; empty when it is missing, unreadable or of another version."""
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict) or table.get("version") != VERSION:
        return {}
    return table.get("shapes", {})


def write_table(path: Path, shapes: dict[str, dict]) -> None:
    """Merge shapes (each a `Null.as_json()`) into the table at path, written atomically."""
    table = {
        "version": VERSION,
        "nets": f"max({LEAST}, features / {Q} + 1), in hundreds; each shape records its own",
        "seed": SEED,
        "kept": f"each feature's largest per-network maxima, enough for p-values up to {Q}",
        "streams": STREAMS,
        "units": UNITS,
        "command": "rnnmem-tui calibrate",
        "shapes": read_table(path) | shapes,
    }
    table["shapes"] = dict(sorted(table["shapes"].items()))
    write_atomically(path, lambda f: f.write((json.dumps(table, indent=1) + "\n").encode()))


def check_table(path: Path, force: bool = False) -> Path:
    """Check, before calibrating, that the table at `path` can be written: a place for a file, and either no
    file yet or a thresholds table of this version to merge into (anything else only with `force`, which
    replaces it). Raises PathError."""
    path = check_destination(path, force=True)
    if path.exists() and not force:
        try:
            ours = json.loads(path.read_text()).get("version") == VERSION
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise PathError(f"{path}: is not a thresholds table of version {VERSION}; pass --force to replace it")
    return path


def covers(found: dict | None, task: Task, cell: str = "rnn") -> bool:
    """Whether a table's entry for a shape (None: it has none) can be used: it has every feature of the task
    (one made before a feature was added has not), and its networks were drawn as `rule` says today."""
    if found is None or found.get("draw", PLAIN) != rule(cell):
        return False
    return {f.name for f in task.state_features} <= set(found.get("top", {}))


def thresholds(task: Task, hidden: int, should_stop: Callable[[], bool] | None = None, cell: str = "rnn") -> Null:
    """The per-network null of a shape: shipped, else cached, else calibrated now and cached if possible.

    The shipped networks' shapes ship in SHIPPED, made by `rnnmem-tui calibrate --out rnnmem_tui/nulls.json`;
    any other shape is calibrated on first use (a minute or a few) and kept in the user cache,
    `$XDG_CACHE_HOME/rnnmem-tui/nulls.json` (by default under `~/.cache`). An entry that does not `cover` the
    shape is calibrated again.
    """
    name = shape_key(task, hidden, cell)
    for path in (SHIPPED, user_cache()):
        found = read_table(path).get(name)
        if covers(found, task, cell):
            return Null.from_json(found)
    null = calibrate(task, hidden, should_stop=should_stop, cell=cell)
    try:
        write_table(user_cache(), {name: null.as_json()})
    except (OSError, PathError):
        pass  # a read-only home: calibrate again next time
    return null
