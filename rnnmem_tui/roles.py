"""Neuron roles you can trust: what each neuron holds, against controls, with an interval, a lag and causal evidence."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .cells import cell_of
from .metrics import Protocol, bad_mass, evaluate, evaluate_many, sample_units
from .model import NONE, RNN, Interventions
from .nulls import Null, Q, thresholds
from .probe import STREAMS, UNITS, UNREAD, Probe, Stopped, oriented, probe, teacher_stream
from .scores import auc
from .tasks import Task
from .tasks.base import Feature

FLOOR = {"auc": 0.9, "spearman": 0.8, "r": 0.8}  # the least a role may score, whatever the null says
MIRROR = 0.9  # an input role: the symbol just read explains at least this share of the neuron's variance
BONUS = {"counter": 0.02, "phase": 0.01}  # near ties go to the feature that says more (a counter's 0 is a flag)
LATE_OR_EARLY = 0.01  # and to lag 0: a lag of -1 or +1 must win by more than this
CAUSAL_UNITS = 200  # teacher-forced units per stream for the governed-steps measure
CAUSAL_STREAMS = 5  # streams for each causal measure, whose per-stream differences give its interval
WHOLE_UNITS = 400  # sampled (and teacher-forced) units per stream for the whole-behaviour measure
T95 = 2.776  # Student's t at 97.5% with 4 degrees of freedom: a 95% interval over CAUSAL_STREAMS streams
NIL = 0.005  # an effect below this, whose interval holds 0, is indistinguishable from none
CAUSAL_MEASURES = {
    "bad mass": "rise in the mean teacher-forced probability on illegal next symbols, over "
    "the steps where the feature is not at rest"
}
SHOWN = {"auc": "AUC", "spearman": "ρ", "r": "r"}  # a measure's name on screen


def held_at(value: float) -> str:
    """The value a clamp holds, as the text prints it: `+0.64`, or what it is when a unit overflowed."""
    return f"{value:+.2f}" if np.isfinite(value) else "an overflowed value"


@dataclass(frozen=True)
class Effect:
    """What an intervention changes in one figure: the mean of its per-stream differences from the intact
    network, on the same streams, and their 95% interval (Student's t over CAUSAL_STREAMS streams)."""

    mean: float
    interval: tuple[float, float]

    @classmethod
    def of(cls, differences: list[float]) -> Effect:
        """The effect of per-stream differences."""
        d = np.asarray(differences, dtype=float)
        half = T95 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.inf
        return cls(float(d.mean()), (float(d.mean() - half), float(d.mean() + half)))

    @property
    def nil(self) -> bool:
        """Indistinguishable from no effect: the interval holds 0 and the effect is below NIL. A difference
        below UNREAD is rounding (an exact network's 1e-17), whatever its interval."""
        held_zero = self.interval[0] <= 0.0 <= self.interval[1] or abs(self.mean) <= UNREAD
        return held_zero and abs(self.mean) < NIL

    def as_json(self) -> dict:
        """`{"mean": ..., "interval": [lo, hi]}`."""
        return {"mean": round(self.mean, 6), "interval": [round(v, 6) for v in self.interval]}


@dataclass(frozen=True)
class Causal:
    """What zeroing a neuron, and clamping it where its feature rests, does to the outputs the feature governs:
    the rise in bad mass on those steps, over CAUSAL_STREAMS teacher streams."""

    zero_effect: Effect
    clamp_effect: Effect
    clamp_value: float
    measure: str = "bad mass"

    @property
    def zero(self) -> float:
        """The mean rise with the neuron zeroed."""
        return self.zero_effect.mean

    @property
    def clamp(self) -> float:
        """The mean rise with the neuron clamped at `clamp_value`."""
        return self.clamp_effect.mean

    @property
    def nil(self) -> bool:
        """Neither zeroing nor clamping changes the governed steps distinguishably."""
        return self.zero_effect.nil and self.clamp_effect.nil

    def as_json(self) -> dict:
        """The contract's `causal` object, with each effect's interval."""
        return {
            "zero": round(self.zero, 6),
            "clamp": round(self.clamp, 6),
            "zero_interval": self.zero_effect.as_json()["interval"],
            "clamp_interval": self.clamp_effect.as_json()["interval"],
            "clamp_value": round(self.clamp_value, 4),
            "measure": self.measure,
        }


@dataclass(frozen=True)
class Whole:
    """What zeroing a neuron, and clamping it, does to the whole behaviour: the drop in sampled validity and the
    rise in teacher-forced bad mass, over CAUSAL_STREAMS streams of WHOLE_UNITS units."""

    zero_validity: Effect
    zero_bad: Effect
    clamp_validity: Effect
    clamp_bad: Effect
    clamp_value: float

    @property
    def nil(self) -> bool:
        """No intervention changes the behaviour distinguishably."""
        return all(e.nil for e in (self.zero_validity, self.zero_bad, self.clamp_validity, self.clamp_bad))

    @property
    def text(self) -> str:
        """E.g. `whole: zero validity -0.991 bad +0.412, clamp validity -0.004 bad +0.000 (at +0.64)`."""
        return (
            f"whole: zero validity {-self.zero_validity.mean:+.3f} bad {self.zero_bad.mean:+.3f}, clamp validity "
            f"{-self.clamp_validity.mean:+.3f} bad {self.clamp_bad.mean:+.3f} (at {held_at(self.clamp_value)})"
        )

    def as_json(self) -> dict:
        """Each effect with its interval; validity as its drop, bad mass as its rise."""
        return {
            "zero": {"validity_drop": self.zero_validity.as_json(), "bad_mass_rise": self.zero_bad.as_json()},
            "clamp": {"validity_drop": self.clamp_validity.as_json(), "bad_mass_rise": self.clamp_bad.as_json()},
            "clamp_value": round(self.clamp_value, 4),
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
    control: dict  # {"input": what the symbols just read alone score, "random": what the null asks (None for an
    # input role), "p": the feature's empirical p-value against random networks (None for an input role)}
    confident: bool  # the whole interval passes
    threshold: float  # what the score must reach: the larger of the measure's floor and the null
    step: str = "step"  # what one step reads in the task's words, for the lag's words
    causal: Causal | None = None
    correlational: bool = False  # no causal effect on either scale: not a finding (`with_causal`)

    @property
    def low(self) -> bool:
        """A two-valued feature the neuron holds low: it is lower where the feature is on."""
        return self.measure == "auc" and self.sign < 0

    @property
    def words(self) -> str:
        """The feature in the task's words with its sign, phase and lag, e.g. `top row complete (low), a move
        early`."""
        lag = {-1: f", a {self.step} late", 1: f", a {self.step} early"}.get(self.lag, "")
        return f"{self.text}{' (low)' if self.low else ''}{' ' + self.phase if self.phase else ''}{lag}"

    @property
    def label(self) -> str:
        """E.g. `counter: a's read in the a's (ρ 1.00)`; the score gets a `?` when the role is not confident, and
        the label `· correlational` when no intervention on the neuron changes anything distinguishably."""
        said = f"{self.kind}: {self.words} ({SHOWN[self.measure]} {self.score:.2f}{'' if self.confident else '?'})"
        return said + (" · correlational" if self.correlational else "")

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
            "correlational": self.correlational,
            "confident": self.confident,
        }


@dataclass(frozen=True)
class NeuronRoles:
    """Everything the instrument says about one neuron: its roles, strongest first, and how sure it is."""

    neuron: int
    roles: tuple[Role, ...]
    runner_up: Role | None  # the best candidate of another feature, memory first (the best failed one when unexplained)
    stability: float  # share of streams whose strongest role is the same
    unread: bool = False  # nothing reads it: what it holds, the network does not use (`probe.unread`)
    whole: Whole | None = None  # what zeroing or clamping it does to the whole behaviour (`with_causal`)

    @property
    def top(self) -> Role | None:
        """The strongest role, or None when unexplained."""
        return self.roles[0] if self.roles else None

    @property
    def kind(self) -> str:
        """The strongest role's kind, or `unexplained`."""
        return self.top.kind if self.top else "unexplained"

    @property
    def finding(self) -> str:
        """What the neuron counts as among findings: its kind, `correlational` when its strongest role has no
        causal effect, or `unexplained`."""
        return "correlational" if self.top and self.top.correlational else self.kind

    @property
    def confident(self) -> bool:
        """The strongest role's interval passes whole, or (unexplained) the best candidate's fails whole."""
        if self.top:
            return self.top.confident
        return self.runner_up is None or self.runner_up.interval[1] < self.runner_up.threshold

    @property
    def label(self) -> str:
        """The strongest role's label, or `unexplained (best: cell 5 filled, AUC 0.80)`; `· unread` when nothing
        reads the neuron."""
        r = self.runner_up
        if self.top:
            said = self.top.label
        else:
            said = f"unexplained (best: {r.words}, {SHOWN[r.measure]} {r.score:.2f})" if r else "unexplained (constant)"
        return said + self.reader

    @property
    def reader(self) -> str:
        """What follows a label: ` · unread` when nothing reads the neuron."""
        return " · unread" if self.unread else ""

    @property
    def short(self) -> str:
        """The label beside a sparkbar: the strongest role's, or `? cell 5 filled (AUC 0.80)` when unexplained."""
        r = self.runner_up
        if self.top or r is None:
            return self.label
        return f"? {r.words} ({SHOWN[r.measure]} {r.score:.2f}){self.reader}"

    def as_json(self) -> dict:
        """The contract's neuron object: the roles, the strongest one's fields, stability and runner-up."""
        top = (
            self.top.as_json()
            if self.top
            else dict.fromkeys(("feature", "text", "lag", "phase", "measure", "score", "interval", "control", "causal"))
            | {"correlational": False}  # no role, so no correlational one: every neuron object has the same keys
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
            "unread": self.unread,
            "whole": self.whole.as_json() if self.whole else None,
        }


class Verdict:
    """The probe's scores summarised over the streams, with each candidate's thresholds and strength.

    A memory role must beat the per-network null (`nulls.Null`): a neuron's best score for a feature, over
    its lags and phases, gets the empirical p-value of random networks whose best neuron scored as high,
    and Benjamini-Hochberg at Q over the neuron's features decides which features pass. A passing
    feature's candidates must exceed the score that p-value cutoff asks for (`bars`).
    """

    def __init__(self, p: Probe, null: Null, step: str) -> None:
        self.p, self.step, self.null = p, step, null
        c = p.candidates
        self.floor = np.array([FLOOR[x.measure] for x in c])  # (C,)
        self.auc = np.array([x.measure == "auc" for x in c])  # (C,)
        self.bonus = np.array([BONUS.get(x.feature.kind, 0.0) - LATE_OR_EARLY * abs(x.lag) for x in c])  # (C,)
        self.rows: dict[str, list[int]] = {}  # each memory feature's candidates
        for i, x in enumerate(c):
            if x.memory:
                self.rows.setdefault(x.feature.name, []).append(i)
        filled = np.where(np.isnan(p.score), -np.inf, p.score)  # a candidate undefined on a stream fails there
        self.score = np.median(filled, axis=0)  # (C, H)
        self.lo, self.hi = filled.min(axis=0), filled.max(axis=0)  # (C, H)
        self.sign = np.where(p.sign.sum(axis=0) < 0, -1, 1)  # (C, H)
        self.input = np.median(p.input, axis=0)  # (C,)

    def pvalues(self, score: np.ndarray) -> dict[str, float]:
        """Each memory feature's p-value for one neuron's scores (C,): that of its best over lags and phases."""
        best = {f: max(score[i] for i in rows) for f, rows in self.rows.items()}
        return {f: self.null.p(f, b) for f, b in best.items() if np.isfinite(b)}

    def bars(self, score: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """What each of one neuron's candidates (C,) must exceed to pass, NaN for input candidates; and the
        features' p-values. Benjamini-Hochberg at Q: the largest k whose k-th smallest p-value is at most
        k Q / m passes every feature with p <= k Q / m (m: the features scored); with no such k the cutoff
        is Q / m, which none reaches."""
        ps = self.pvalues(score)
        m = max(len(ps), 1)
        ranked = sorted(ps.values())
        k = max((j for j, p in enumerate(ranked, 1) if p <= j * Q / m), default=0)
        cutoff = max(k, 1) * Q / m
        out = np.full(len(self.p.candidates), np.nan)
        for f, rows in self.rows.items():
            out[rows] = self.null.bar(f, cutoff)
        return out, ps

    def passes(self, score: np.ndarray) -> np.ndarray:
        """Which of one neuron's scores (C,) reach their floor and pass the null with the false discovery rate
        controlled (`bars`)."""
        bar = self.bars(score)[0]
        return (score >= self.floor) & ~(score <= bar)  # a NaN bar (an input candidate) is beaten

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
        bars, ps = self.bars(self.score[:, h])
        random = None if np.isnan(bars[i]) else float(bars[i])
        lo, hi = float(self.lo[i, h]), float(self.hi[i, h])
        control = {"input": round(float(self.input[i]), 4), "random": random, "p": ps.get(c.feature.name)}
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
            control,
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
            h,
            tuple(self.role(i, h) for i in chosen),
            self.role(rest[0], h) if rest else None,
            float(np.mean(agree)),
            bool(self.p.unread[h]),
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


def held(net: RNN, neuron: int, value: float) -> RNN:
    """The network whose outputs are net's with `neuron` held at `value` (0: zeroed): what reads the neuron (its
    readout column and its recurrent weights) reads the constant, folded into the biases, so that a population
    of such networks measures many interventions at once. Zeroed, it is the intervention exactly; clamped, it
    differs only at the first step, whose start state the intervention leaves at 0. For a cell that `folds`."""
    if cell_of(net).name != "rnn":
        P = {k: v.copy() for k, v in net.params.items()}
        P["bias_hh"] += P["weight_hh"][:, neuron] * value
        P["by"] += P["Why"][:, neuron] * value
        P["weight_hh"][:, neuron], P["Why"][:, neuron] = 0.0, 0.0
        return cell_of(net).net(P, net.vocab, net.meta)
    Whh, Why = net.Whh.copy(), net.Why.copy()
    bh, by = net.bh + Whh[:, neuron] * value, net.by + Why[:, neuron] * value
    Whh[:, neuron], Why[:, neuron] = 0.0, 0.0
    return replace(net, Whh=Whh, Why=Why, bh=bh, by=by)


def whole_effects(net: RNN, task: Task, seed: int, values: np.ndarray) -> list[Whole]:
    """Each neuron's effect on the whole behaviour, zeroed and clamped at values[i]: sampled validity and
    teacher-forced bad mass over CAUSAL_STREAMS streams of WHOLE_UNITS units (seeds seed, seed + 1, ...), each
    intervention paired with the intact network on the same stream, all in one lockstep population."""
    H = net.hidden
    seeds = range(seed, seed + CAUSAL_STREAMS)
    if cell_of(net).folds():
        nets = [net, *(held(net, i, 0.0) for i in range(H)), *(held(net, i, float(v)) for i, v in enumerate(values))]
        protocols = [Protocol(units=WHOLE_UNITS, bad_units=WHOLE_UNITS, seed=s) for s in seeds for _ in nets]
        scores = evaluate_many([n for _ in seeds for n in nets], task, protocols)
        runs = [scores[k * len(nets) : (k + 1) * len(nets)] for k in range(len(seeds))]  # per stream: intact first
    else:  # a cell whose state feeds its next state directly: the interventions themselves, one run each
        ivs = [NONE, *(NONE.zero(i) for i in range(H)), *(NONE.clamp(i, float(v)) for i, v in enumerate(values))]
        runs = [
            [evaluate(net, task, Protocol(units=WHOLE_UNITS, bad_units=WHOLE_UNITS, seed=s), iv) for iv in ivs]
            for s in seeds
        ]

    def drop(j: int) -> Effect:
        return Effect.of([r[0].validity - r[j].validity for r in runs])

    def rise(j: int) -> Effect:
        return Effect.of([r[j].bad_mean - r[0].bad_mean for r in runs])

    return [Whole(drop(1 + i), rise(1 + i), drop(1 + H + i), rise(1 + H + i), float(values[i])) for i in range(H)]


def with_causal(
    net: RNN, task: Task, neurons: list[NeuronRoles], seed: int, should_stop: Callable[[], bool] | None = None
) -> list[NeuronRoles]:
    """The neurons with causal evidence at two scales, over CAUSAL_STREAMS teacher streams from `seed`:
    - on each role, the governed-steps measure: the rise in bad mass where the feature is not at rest, with
      the neuron zeroed and clamped where the feature rests (CAUSAL_UNITS units a stream);
    - on each neuron, the whole-behaviour measure (`whole_effects`), clamped where its strongest role's feature
      rests, or at its median activation when it has no role.
    A role with no distinguishable effect on either scale is marked correlational."""
    seeds = range(seed, seed + CAUSAL_STREAMS)
    streams = [teacher_stream(task, s, CAUSAL_UNITS) for s in seeds]

    def bad(iv: Interventions = Interventions()) -> list[np.ndarray]:
        if should_stop and should_stop():
            raise Stopped
        return [bad_mass(net, task, np.random.default_rng(s), CAUSAL_UNITS, iv) for s in seeds]  # (T,) each

    intact = bad()
    hs = [net.forward(x[None, : len(x) - 1], np.zeros((1, net.hidden)))[0][0] for _, x, _ in streams]  # (T, H)
    values = np.median(np.concatenate(hs), axis=0)  # a neuron without a role is clamped at its median
    governed = []
    for n in neurons:
        zeroed = bad(Interventions(frozenset({n.neuron}))) if n.roles else intact
        roles = []
        for r in n.roles:
            g = [values_at(task, r, x, f, len(x) - 1) for _, x, f in streams]  # (T,) a stream
            rest = min(np.nanmin(gs) for gs in g)
            steps = [~np.isnan(gs) & (gs != rest) for gs in g]  # where the feature is not at rest: what it governs
            if any(st.any() for st in steps):
                v = float(np.clip(np.median(np.concatenate([h[gs == rest, n.neuron] for h, gs in zip(hs, g)])), -1, 1))
                clamped = bad(Interventions(clamped=((n.neuron, v),)))
                used = [k for k, st in enumerate(steps) if st.any()]
                r = replace(
                    r,
                    causal=Causal(
                        Effect.of([zeroed[k][steps[k]].mean() - intact[k][steps[k]].mean() for k in used]),
                        Effect.of([clamped[k][steps[k]].mean() - intact[k][steps[k]].mean() for k in used]),
                        v,
                    ),
                )
            roles.append(r)
        if roles and roles[0].causal is not None:
            values[n.neuron] = roles[0].causal.clamp_value
        governed.append(replace(n, roles=tuple(roles)))
    if should_stop and should_stop():
        raise Stopped
    wholes = whole_effects(net, task, seed, values)
    out = []
    for n in governed:
        w = wholes[n.neuron]
        roles = tuple(replace(r, correlational=w.nil and (r.causal is None or r.causal.nil)) for r in n.roles)
        out.append(replace(n, roles=roles, whole=w))
    return out


def anticipation(net: RNN, task: Task, seed: int = 0, units: int = UNITS) -> list[tuple[str, int, float]]:
    """On the network's own sampled units, where the next symbol is its own choice (under teacher forcing the
    next move is random, so no neuron can know it): for each flag feature, the neuron whose activation best
    foretells the feature one step ahead, as (feature, neuron, AUC of h_t against the feature at t + 1, either
    sign), strongest first. Only steps inside valid units count, with their successors."""
    games = sample_units(net, task, units, np.random.default_rng(seed))
    stream = task.end + "".join(games)
    valid = np.concatenate([[False], *(np.full(len(u), task.is_valid(u)) for u in games)])  # (T,)
    hs = net.forward(net.index(stream)[None], np.zeros((1, net.hidden)))[0][0]  # (T, H)
    feats, t = task.features(stream), np.flatnonzero(valid[:-1] & valid[1:])
    flags = [f.name for f in task.state_features if f.kind == "flag"]
    F = np.stack([feats[name][t + 1] for name in flags], axis=1)  # (n, K)
    score = np.nan_to_num(oriented(auc(hs[t], F), "auc")[0], nan=0.5)  # (K, H)
    best = [(name, int(score[k].argmax()), float(score[k].max())) for k, name in enumerate(flags)]
    return sorted(best, key=lambda b: -b[2])


@np.errstate(over="ignore", invalid="ignore")  # a ReLU unit that overflows scores NaN: no role, never a warning
def explain(
    net: RNN,
    task: Task,
    seed: int = 0,
    streams: int = STREAMS,
    units: int = UNITS,
    causal: bool = True,
    null: Null | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[NeuronRoles]:
    """Every neuron's roles over `streams` teacher streams of `units` units (seeds seed, seed + 1, ...), with
    causal evidence on a further stream; `null` defaults to the shape's random-network thresholds.

    A memory role (bit, counter, flag, phase, parity) passes when its median score over the streams reaches
    its measure's FLOOR and passes the per-network null with the false discovery rate controlled over the
    neuron's features (`Verdict`); the score already leaves out what the symbols just
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
    null: Null | None,
    should_stop: Callable[[], bool] | None = None,
) -> Verdict:
    """Probe a network and summarise its scores against the null."""
    p = probe(net, task, range(seed, seed + streams), units, should_stop)
    return Verdict(
        p, thresholds(task, net.size, should_stop, cell_of(net).name) if null is None else null, task.step_word
    )


def ranked(v: Verdict, feature: Feature, hidden: int) -> list[tuple[NeuronRoles, bool]]:
    """Each neuron's best candidate of one feature in a probe's verdict, strongest first: (the neuron with that
    one role, whether it passes), without causal evidence."""
    rows = []
    for h in range(hidden):
        score = v.score[:, h]
        mine = [i for i, c in enumerate(v.p.candidates) if c.feature.name == feature.name and np.isfinite(score[i])]
        if mine:
            i = max(mine, key=lambda i: v.strength(score)[i])
            ok = bool(v.passes(score)[i]) and (v.p.candidates[i].memory or np.median(v.p.mirror[:, h]) >= MIRROR)
            rows.append((NeuronRoles(h, (v.role(i, h),), None, 1.0), ok))
    return sorted(rows, key=lambda row: -row[0].roles[0].score)


def lookup(
    net: RNN,
    task: Task,
    query: str,
    seed: int = 0,
    streams: int = STREAMS,
    units: int = UNITS,
    null: Null | None = None,
) -> list[tuple[NeuronRoles, bool]]:
    """Every neuron's best lag and phase for one feature, strongest first: (the neuron with that one role,
    whether it passes), with causal evidence."""
    rows = ranked(verdict(net, task, seed, streams, units, null), find_feature(task, query), net.hidden)
    found = with_causal(net, task, [n for n, _ in rows], seed + streams)
    return [(n, ok) for n, (_, ok) in zip(found, rows)]


def serve() -> None:
    """Read a pickled (network, task) on stdin and write its roles, pickled, on stdout: the explorer's
    measuring process."""
    net, task = pickle.load(sys.stdin.buffer)
    pickle.dump(explain(net, task), sys.stdout.buffer)
