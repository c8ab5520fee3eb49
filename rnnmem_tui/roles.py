"""Neuron roles you can trust: what each neuron holds, against controls, with an interval, a lag and causal evidence."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .metrics import bad_mass
from .model import RNN, Interventions
from .nulls import thresholds
from .probe import STREAMS, UNITS, Probe, Stopped, probe, teacher_stream
from .tasks import Task
from .tasks.base import Feature

FLOOR = {"auc": 0.9, "spearman": 0.8, "r": 0.8}  # the least a role may score, whatever the null says
MIRROR = 0.9  # an input role: the symbol just read explains at least this share of the neuron's variance
BONUS = {"counter": 0.02, "phase": 0.01}  # near ties go to the feature that says more (a counter's 0 is a flag)
LATE_OR_EARLY = 0.01  # and to lag 0: a lag of -1 or +1 must win by more than this
CAUSAL_UNITS = 200  # teacher-forced units for the causal measures
CAUSAL_MEASURES = {
    "bad mass": "rise in the mean teacher-forced probability on illegal next symbols, over "
    "the steps where the feature is not at rest"
}
SHOWN = {"auc": "AUC", "spearman": "ρ", "r": "r"}  # a measure's name on screen


@dataclass(frozen=True)
class Causal:
    """What zeroing a neuron, and clamping it where its feature rests, does to the outputs the feature governs."""

    zero: float
    clamp: float
    clamp_value: float
    measure: str = "bad mass"

    def as_json(self) -> dict:
        """The contract's `causal` object."""
        return {
            "zero": round(self.zero, 6),
            "clamp": round(self.clamp, 6),
            "clamp_value": round(self.clamp_value, 4),
            "measure": self.measure,
        }


@dataclass(frozen=True)
class Role:
    """A claim that a neuron holds a feature, with its score over the streams and its controls."""

    kind: str  # bit, counter, flag, phase, parity or input
    feature: str  # the task's machine name
    text: str  # the task's own words
    lag: int  # h_t is scored against feature_{t+lag}
    phase: str | None  # the phase it is scored in, or None for all steps
    measure: str  # auc, spearman or r
    score: float  # median over the streams
    interval: tuple[float, float]  # lowest and highest over the streams
    sign: int  # +1 when the neuron rises with the feature
    control: dict  # {"input": what the symbols just read alone score, "random": the null threshold or None}
    confident: bool  # the whole interval passes
    threshold: float  # what the score must reach: the larger of the measure's floor and the null
    step: str = "step"  # what one step reads in the task's words, for the lag's words
    causal: Causal | None = None

    @property
    def words(self) -> str:
        """The feature in the task's words with its phase and lag, e.g. `top row complete, a move early`."""
        lag = {-1: f", a {self.step} late", 1: f", a {self.step} early"}.get(self.lag, "")
        return f"{self.text}{' ' + self.phase if self.phase else ''}{lag}"

    @property
    def label(self) -> str:
        """E.g. `counter: a's read in the a's (ρ 1.00)`; the score gets a `?` when the role is not confident."""
        return f"{self.kind}: {self.words} ({SHOWN[self.measure]} {self.score:.2f}{'' if self.confident else '?'})"

    def as_json(self) -> dict:
        """The contract's role object."""
        return {
            "kind": self.kind,
            "feature": self.feature,
            "text": self.text,
            "lag": self.lag,
            "phase": self.phase,
            "measure": self.measure,
            "score": round(self.score, 4),
            "interval": [round(v, 4) for v in self.interval],
            "sign": self.sign,
            "threshold": round(self.threshold, 4),
            "control": self.control,
            "causal": self.causal.as_json() if self.causal else None,
            "confident": self.confident,
        }


@dataclass(frozen=True)
class NeuronRoles:
    """Everything the instrument says about one neuron: its roles, strongest first, and how sure it is."""

    neuron: int
    roles: tuple[Role, ...]
    runner_up: Role | None  # the best candidate of another feature, memory first (the best failed one when unexplained)
    stability: float  # share of streams whose strongest role is the same

    @property
    def top(self) -> Role | None:
        """The strongest role, or None when unexplained."""
        return self.roles[0] if self.roles else None

    @property
    def kind(self) -> str:
        """The strongest role's kind, or `unexplained`."""
        return self.top.kind if self.top else "unexplained"

    @property
    def confident(self) -> bool:
        """The strongest role's interval passes whole, or (unexplained) the best candidate's fails whole."""
        if self.top:
            return self.top.confident
        return self.runner_up is None or self.runner_up.interval[1] < self.runner_up.threshold

    @property
    def label(self) -> str:
        """The strongest role's label, or `unexplained (best: cell 5 filled, AUC 0.80)`."""
        if self.top:
            return self.top.label
        r = self.runner_up
        return f"unexplained (best: {r.words}, {SHOWN[r.measure]} {r.score:.2f})" if r else "unexplained (constant)"

    @property
    def short(self) -> str:
        """The label beside a sparkbar: the strongest role's, or `? cell 5 filled (AUC 0.80)` when unexplained."""
        r = self.runner_up
        if self.top or r is None:
            return self.label
        return f"? {r.words} ({SHOWN[r.measure]} {r.score:.2f})"

    def as_json(self) -> dict:
        """The contract's neuron object: the roles, the strongest one's fields, stability and runner-up."""
        top = (
            self.top.as_json()
            if self.top
            else dict.fromkeys(("feature", "text", "lag", "phase", "measure", "score", "interval", "control", "causal"))
        )
        for extra in ("sign", "threshold"):
            top.pop(extra, None)
        return {
            "neuron": self.neuron,
            "roles": [r.as_json() for r in self.roles],
            **top,
            "kind": self.kind,
            "confident": self.confident,
            "stability": round(self.stability, 4),
            "runner_up": self.runner_up.as_json() if self.runner_up else None,
        }


class Verdict:
    """The probe's scores summarised over the streams, with each candidate's thresholds and strength."""

    def __init__(self, p: Probe, null: dict[str, float], step: str) -> None:
        self.p, self.step = p, step
        c = p.candidates
        self.random = np.array([null.get(x.feature.name, np.nan) if x.memory else np.nan for x in c])  # (C,)
        self.floor = np.array([FLOOR[x.measure] for x in c])  # (C,)
        self.auc = np.array([x.measure == "auc" for x in c])  # (C,)
        self.bonus = np.array([BONUS.get(x.feature.kind, 0.0) - LATE_OR_EARLY * abs(x.lag) for x in c])  # (C,)
        filled = np.where(np.isnan(p.score), -np.inf, p.score)  # a candidate undefined on a stream fails there
        self.score = np.median(filled, axis=0)  # (C, H)
        self.lo, self.hi = filled.min(axis=0), filled.max(axis=0)  # (C, H)
        self.sign = np.where(p.sign.sum(axis=0) < 0, -1, 1)  # (C, H)
        self.input = np.median(p.input, axis=0)  # (C,)

    def passes(self, score: np.ndarray) -> np.ndarray:
        """Which of one neuron's scores (C,) reach their floor and beat their feature's null."""
        return (score >= self.floor) & ~(score <= self.random)  # a NaN null (an input candidate) is beaten

    def strength(self, score: np.ndarray) -> np.ndarray:
        """How roles rank (C,): Somers' D (2 AUC - 1) or the correlation, with the preferences."""
        return np.where(self.auc, 2 * score - 1, score) + self.bonus

    def chosen(self, score: np.ndarray, mirror: float) -> list[int]:
        """The candidates that are one neuron's roles given its scores (C,), strongest first, one per feature."""
        rank, ok = self.strength(score), self.passes(score)
        best: dict[str, int] = {}
        for i, c in enumerate(self.p.candidates):
            j = best.get(c.feature.name)
            if c.memory and np.isfinite(score[i]) and (j is None or rank[i] > rank[j]):
                best[c.feature.name] = i
        roles = sorted((i for i in best.values() if ok[i]), key=lambda i: -rank[i])
        if roles:
            return roles
        inputs = [i for i, c in enumerate(self.p.candidates) if not c.memory and np.isfinite(score[i])]
        top = max(inputs, key=lambda i: rank[i], default=None)
        return [top] if top is not None and ok[top] and mirror >= MIRROR else []

    def role(self, i: int, h: int) -> Role:
        """Candidate i of neuron h as a role, without causal evidence yet."""
        c = self.p.candidates[i]
        random = None if np.isnan(self.random[i]) else float(self.random[i])
        lo, hi = float(self.lo[i, h]), float(self.hi[i, h])
        return Role(
            c.feature.kind,
            c.feature.name,
            c.feature.text,
            c.lag,
            c.phase,
            c.measure,
            float(self.score[i, h]),
            (lo, hi),
            int(self.sign[i, h]),
            {"input": round(float(self.input[i]), 4), "random": random},
            bool(self.passes(self.lo[:, h])[i]),
            float(max(self.floor[i], random or 0.0)),
            self.step,
        )

    def key(self, chosen: list[int]) -> tuple | None:
        """What must agree between streams: the strongest role's feature, lag and phase."""
        c = self.p.candidates[chosen[0]] if chosen else None
        return (c.feature.name, c.lag, c.phase) if c else None

    def neuron(self, h: int) -> NeuronRoles:
        """Neuron h's roles, runner-up and stability (without causal evidence yet)."""
        chosen = self.chosen(self.score[:, h], np.median(self.p.mirror[:, h]))
        first = self.p.candidates[chosen[0]].feature.name if chosen else None
        rank = self.strength(self.score[:, h])
        rest = sorted(
            (i for i, c in enumerate(self.p.candidates) if np.isfinite(self.score[i, h]) and c.feature.name != first),
            key=lambda i: (not self.p.candidates[i].memory, -rank[i]),
        )
        agree = [
            self.key(self.chosen(np.where(np.isnan(s[:, h]), -np.inf, s[:, h]), m[h])) == self.key(chosen)
            for s, m in zip(self.p.score, self.p.mirror)
        ]
        return NeuronRoles(
            h, tuple(self.role(i, h) for i in chosen), self.role(rest[0], h) if rest else None, float(np.mean(agree))
        )


def find_feature(task: Task, query: str) -> Feature:
    """A task's feature by machine name or by its words; a ValueError lists the task's features."""
    said = " ".join(query.split()).casefold()
    known = (*task.state_features, *task.input_features)
    for f in known:
        if said in (f.name.casefold(), f.text.casefold()):
            return f
    raise ValueError(
        f"unknown feature {query!r} for {task.name}; its features: " + ", ".join(f"{f.name} ({f.text})" for f in known)
    )


def values_at(task: Task, role: Role, symbols: np.ndarray, feats: dict[str, np.ndarray], T: int) -> np.ndarray:
    """A role's feature (an input feature's too) at step t + lag for each of the first T steps: (T,), NaN
    past the stream's ends."""
    if role.feature in feats:
        f = feats[role.feature]
    else:
        symbol = next(f.symbol for f in task.input_features if f.name == role.feature)
        f = (symbols == task.vocab.index(symbol)).astype(float)
    at = np.arange(T) + role.lag
    inside = (at >= 0) & (at < T)
    return np.where(inside, f[np.clip(at, 0, T - 1)], np.nan)


def with_causal(
    net: RNN, task: Task, neurons: list[NeuronRoles], seed: int, should_stop: Callable[[], bool] | None = None
) -> list[NeuronRoles]:
    """The neurons with causal evidence on each role, teacher-forced over CAUSAL_UNITS units from `seed`."""
    _, symbols, feats = teacher_stream(task, seed, CAUSAL_UNITS)
    T = len(symbols) - 1  # bad_mass reads every symbol but the last

    def bad(iv: Interventions = Interventions()) -> np.ndarray:
        if should_stop and should_stop():
            raise Stopped
        return bad_mass(net, task, np.random.default_rng(seed), CAUSAL_UNITS, iv)  # (T,) on the same stream

    intact = bad()
    hs, _ = net.forward(symbols[None, :T], np.zeros((1, net.hidden)))  # (1, T, H)
    out = []
    for n in neurons:
        zeroed = bad(Interventions(frozenset({n.neuron}))) if n.roles else intact
        roles = []
        for r in n.roles:
            g = values_at(task, r, symbols, feats, T)  # (T,)
            rest = np.nanmin(g)
            steps = ~np.isnan(g) & (g != rest)  # where the feature is not at rest: what it governs
            if steps.any():
                v = float(np.clip(np.median(hs[0, g == rest, n.neuron]), -1.0, 1.0))
                clamped = bad(Interventions(clamped=((n.neuron, v),)))
                effect = Causal(
                    float(zeroed[steps].mean() - intact[steps].mean()),
                    float(clamped[steps].mean() - intact[steps].mean()),
                    v,
                )
                r = replace(r, causal=effect)
            roles.append(r)
        out.append(replace(n, roles=tuple(roles)))
    return out


def explain(
    net: RNN,
    task: Task,
    seed: int = 0,
    streams: int = STREAMS,
    units: int = UNITS,
    causal: bool = True,
    null: dict[str, float] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[NeuronRoles]:
    """Every neuron's roles over `streams` teacher streams of `units` units (seeds seed, seed + 1, ...), with
    causal evidence on a further stream; `null` defaults to the shape's random-network thresholds.

    A memory role (bit, counter, flag, phase, parity) passes when its median score over the streams reaches
    its measure's FLOOR and beats its feature's null; the score already leaves out what the symbols just
    read explain (`probe.py`). A neuron that passes none, and whose variance the current symbol explains,
    is labelled `input` ("reads a"). Each role comes with:
    - `interval`: the lowest and highest score over the streams (with 5 streams it covers the median score
      with 94%); the role is `confident` when the whole interval passes;
    - `stability`: the share of streams whose own strongest role is the same (feature, lag and phase);
    - `causal`: zeroing the neuron, and clamping it at the value it takes where the feature rests (its
      lowest value: empty, off, none left), teacher-forced over CAUSAL_UNITS units. The measure, from the
      fixed list CAUSAL_MEASURES, is the rise in bad mass (probability on illegal next symbols) on the steps
      the feature governs: those where it is not at rest, so where a clamp at rest tells a lie.
    """
    v = verdict(net, task, seed, streams, units, null, should_stop)
    neurons = [v.neuron(h) for h in range(net.hidden)]
    return with_causal(net, task, neurons, seed + streams, should_stop) if causal else neurons


def verdict(
    net: RNN,
    task: Task,
    seed: int,
    streams: int,
    units: int,
    null: dict[str, float] | None,
    should_stop: Callable[[], bool] | None = None,
) -> Verdict:
    """Probe a network and summarise its scores against the null."""
    p = probe(net, task, range(seed, seed + streams), units, should_stop)
    return Verdict(p, thresholds(task, net.hidden, should_stop) if null is None else null, task.step_word)


def lookup(
    net: RNN,
    task: Task,
    query: str,
    seed: int = 0,
    streams: int = STREAMS,
    units: int = UNITS,
    null: dict[str, float] | None = None,
) -> list[tuple[NeuronRoles, bool]]:
    """Every neuron's best lag and phase for one feature, strongest first: (the neuron with that one role,
    whether it passes), with causal evidence."""
    feature = find_feature(task, query)
    v = verdict(net, task, seed, streams, units, null)
    rows = []
    for h in range(net.hidden):
        score = v.score[:, h]
        mine = [i for i, c in enumerate(v.p.candidates) if c.feature.name == feature.name and np.isfinite(score[i])]
        if mine:
            i = max(mine, key=lambda i: v.strength(score)[i])
            ok = bool(v.passes(score)[i]) and (v.p.candidates[i].memory or np.median(v.p.mirror[:, h]) >= MIRROR)
            rows.append((NeuronRoles(h, (v.role(i, h),), None, 1.0), ok))
    rows.sort(key=lambda row: -row[0].roles[0].score)
    found = with_causal(net, task, [n for n, _ in rows], seed + streams)
    return [(n, ok) for n, (_, ok) in zip(found, rows)]


def serve() -> None:
    """Read a pickled (network, task) on stdin and write its roles, pickled, on stdout: the explorer's
    measuring process."""
    net, task = pickle.load(sys.stdin.buffer)
    pickle.dump(explain(net, task, causal=False), sys.stdout.buffer)
