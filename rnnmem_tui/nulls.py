"""The random-network null of the role instrument: for each task shape, the scores random neurons reach."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .meta import Meta
from .model import RNN
from .paths import PathError, check_destination, write_atomically
from .probe import STREAMS, UNITS, probe
from .tasks import Task

NETS = 20  # random networks per shape, at least
DRAWS = 400  # and at least this many neurons in all
SEED = 1_000_000  # their seeds are SEED, SEED + 1, ...; tests and acceptance use seeds below it
PERCENTILE = 99
VERSION = 1  # bump whenever the probe's scores change: tables of another version are recalibrated
SHIPPED = Path(__file__).with_name("nulls.json")


def random_net(task: Task, hidden: int, seed: int) -> RNN:
    """A network whose matrices and biases are all drawn from N(0, 1)."""
    rng = np.random.default_rng(seed)
    V = len(task.vocab)
    return RNN(
        Wxh=rng.standard_normal((hidden, V)),
        Whh=rng.standard_normal((hidden, hidden)),
        Why=rng.standard_normal((V, hidden)),
        bh=rng.standard_normal(hidden),
        by=rng.standard_normal(V),
        vocab=task.vocab,
        meta=Meta(
            task=task.family,
            hidden=hidden,
            spec=task.name,
            params=dict(task.params),
            seed=seed,
            construction="N(0, 1) null",
        ),
    )


def null_size(hidden: int) -> int:
    """How many random networks a shape's null draws."""
    return max(NETS, -(-DRAWS // hidden))


def shape_key(task: Task, hidden: int) -> str:
    """The table key of a shape: family, parameters and hidden size."""
    return f"{task.family} {json.dumps(task.params, sort_keys=True)} H={hidden}"


def best_scores(net: RNN, task: Task, should_stop: Callable[[], bool] | None = None) -> dict[str, np.ndarray]:
    """Each neuron's best median score for each memory feature, over its lags and phases: {feature: (H,)}."""
    p = probe(net, task, should_stop=should_stop)
    med = np.median(np.nan_to_num(p.score, nan=0.0), axis=0)  # (C, H); a candidate undefined on a stream scores 0
    out: dict[str, np.ndarray] = {}
    for c, row in zip(p.candidates, med):
        if c.memory:
            out[c.feature.name] = np.maximum(out.get(c.feature.name, row), row)
    return out


def calibrate(
    task: Task,
    hidden: int,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, float]:
    """The null thresholds of one shape, measured now: {feature: PERCENTILE-th percentile of best scores}.

    Random networks with every matrix and bias drawn from N(0, 1) (seeds SEED, SEED + 1, ...) are probed
    like any network: at least NETS of them, and enough for DRAWS neurons, since a 99th percentile needs a
    few hundred draws to settle (with 80, one lucky network moves it). For each feature, each random
    neuron's best score over the feature's lags and phases is one draw. One threshold per feature, not
    one for all: the easiest feature would set the bar for every other (random grammar networks hold
    "b seen" at AUC 1.00, since the last two symbols decide it, and one shared threshold would forbid
    every role).
    """
    draws: dict[str, list[np.ndarray]] = {}
    nets = null_size(hidden)
    for i in range(nets):
        for m, best in best_scores(random_net(task, hidden, SEED + i), task, should_stop).items():
            draws.setdefault(m, []).append(best)
        if progress:
            progress(i + 1, nets)
    return {f: round(float(np.percentile(np.concatenate(v), PERCENTILE)), 6) for f, v in draws.items()}


def user_cache() -> Path:
    """Where thresholds of shapes not shipped are kept."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnmem-tui" / "nulls.json"


def read_table(path: Path) -> dict[str, dict[str, float]]:
    """The shapes of a thresholds table; empty when it is missing, unreadable or of another version."""
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict) or table.get("version") != VERSION:
        return {}
    return table.get("shapes", {})


def write_table(path: Path, shapes: dict[str, dict[str, float]]) -> None:
    """Merge shapes into the table at path, written atomically."""
    table = {
        "version": VERSION,
        "nets": f"max({NETS}, {DRAWS} / H)",
        "seed": SEED,
        "percentile": PERCENTILE,
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


def thresholds(task: Task, hidden: int, should_stop: Callable[[], bool] | None = None) -> dict[str, float]:
    """The null thresholds of a shape: shipped, else cached, else calibrated now and cached if possible.

    The shipped networks' shapes ship in SHIPPED, made by `rnnmem-tui calibrate --out rnnmem_tui/nulls.json`;
    any other shape is calibrated on first use (a minute or two) and kept in the user cache,
    `$XDG_CACHE_HOME/rnnmem-tui/nulls.json` (by default under `~/.cache`). A table that lacks one of the
    task's features (made before the feature existed) is calibrated again.
    """
    key, features = shape_key(task, hidden), {f.name for f in task.state_features}
    for path in (SHIPPED, user_cache()):
        found = read_table(path).get(key)
        if found is not None and features <= set(found):  # a table from before a feature was added lacks it
            return found
    found = calibrate(task, hidden, should_stop=should_stop)
    try:
        write_table(user_cache(), {key: found})
    except (OSError, PathError):
        pass  # a read-only home: calibrate again next time
    return found
