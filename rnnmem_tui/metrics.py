"""The metrics of DESIGN.md, one function each: validity, fidelity (TVD) and teacher-forced bad mass."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .model import NONE, RNN, Interventions
from .tasks import Task


@dataclass(frozen=True)
class Protocol:
    """How a network is measured: sampled units after one burn-in unit, teacher-forced units, a seed."""

    units: int = 5000  # sampled units scored for validity and TVD (TVD's noise floor is ~0.015)
    bad_units: int = 200  # teacher-forced units for bad mass
    seed: int = 0
    temperature: float = 1.0


@dataclass(frozen=True)
class Scores:
    """A network's measured figures under one protocol."""

    validity: float
    tvd: float
    bad_mean: float
    bad_max: float
    units: int  # how many sampled units were scored

    def meets(self, target: dict, margin: float = 0.0) -> bool:
        """True when every bound in a task's target (validity, tvd, bad_mass) holds.

        A margin in [0, 1) tightens each bound by that fraction of its distance to perfect.
        """
        v = target.get("validity", 0.0)
        return (self.validity >= v + margin * (1.0 - v)
                and self.tvd <= target.get("tvd", 1.0) * (1.0 - margin)
                and self.bad_mean <= target.get("bad_mass", 1.0) * (1.0 - margin))

    def score(self) -> float:
        """One number to rank networks by: validity, less the TVD and the mean bad mass."""
        return self.validity - self.tvd - self.bad_mean

    def as_dict(self) -> dict:
        """Plain dict with rounded figures, for meta and JSON output."""
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in asdict(self).items()}


def sample_units(net: RNN, task: Task, n: int, rng: np.random.Generator,
                 interventions: Interventions = NONE, temperature: float = 1.0) -> list[str]:
    """Sample from h = 0 after the start token until n units follow the burn-in unit; return them.

    The first unit (burn-in) and the unfinished last one are dropped. A network that stops
    emitting unit ends yields fewer than n units: the stream is capped at twice the longest unit.
    """
    end = int(net.index(task.end)[0])
    cap = (n + 1) * 2 * task.max_len
    out, _ = net.sample(np.zeros(net.hidden), end, cap, rng, temperature, interventions,
                        stop=end, stop_count=n + 1)
    units, _tail = task.split("".join(net.vocab[i] for i in out))
    return units[1:]


def validity(task: Task, units: list[str], valid: list[bool] | None = None) -> float:
    """Fraction of units that are valid; 0 when there are none. `valid` may hold is_valid's answers."""
    valid = list(map(task.is_valid, units)) if valid is None else valid
    return sum(valid) / len(units) if units else 0.0


def tvd(task: Task, units: list[str], valid: list[bool] | None = None) -> float:
    """Total variation distance between the sampled distribution of k (or n) and the task's own.

    Invalid units count as mass outside the support; no units at all is distance 1. `valid` may
    hold is_valid's answers for the units.
    """
    want = task.param_dist()
    if not units or not want:
        return 1.0 if not units else 0.0
    valid = list(map(task.is_valid, units)) if valid is None else valid
    got: dict[int | None, float] = {}
    for u, ok in zip(units, valid):
        k = task.unit_param(u) if ok else None  # None: outside the support
        got[k] = got.get(k, 0.0) + 1.0 / len(units)
    keys = set(want) | {k for k in got if k is not None}
    return 0.5 * (sum(abs(got.get(k, 0.0) - want.get(k, 0.0)) for k in keys) + got.get(None, 0.0))


def bad_mass(net: RNN, task: Task, rng: np.random.Generator, n: int = 200,
             interventions: Interventions = NONE) -> np.ndarray:
    """Teacher-force n random valid units; return the probability put on illegal next symbols per step."""
    stream = task.end + "".join(task.generate(rng, n))
    X = net.index(stream[:-1])[None, :]  # (1, T)
    _, ps = net.forward(X, np.zeros((1, net.hidden)), interventions)
    legal = task.legal_mask(stream[:-1])  # (T, V)
    return np.where(legal, 0.0, ps[0]).sum(axis=1)  # (T,)


def evaluate(net: RNN, task: Task, protocol: Protocol = Protocol(),
             interventions: Interventions = NONE) -> Scores:
    """All the metrics of one network under the standard protocol."""
    rng = np.random.default_rng(protocol.seed)
    units = sample_units(net, task, protocol.units, rng, interventions, protocol.temperature)
    bad = bad_mass(net, task, rng, protocol.bad_units, interventions)
    valid = list(map(task.is_valid, units))
    return Scores(validity(task, units, valid), tvd(task, units, valid), float(bad.mean()),
                  float(bad.max()), len(units))
