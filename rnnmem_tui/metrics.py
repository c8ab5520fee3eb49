"""The metrics of DESIGN.md, one function each (validity, fidelity, bad mass), and the verdict with intervals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from .cells import cell_of
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
        return (
            self.validity >= v + margin * (1.0 - v)
            and self.tvd <= target.get("tvd", 1.0) * (1.0 - margin)
            and self.bad_mean <= target.get("bad_mass", 1.0) * (1.0 - margin)
        )

    def score(self) -> float:
        """One number to rank networks by: validity, less the TVD and the mean bad mass."""
        return self.validity - self.tvd - self.bad_mean

    def as_dict(self) -> dict:
        """Plain dict with rounded figures, for meta and JSON output."""
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in asdict(self).items()}


def sample_units(
    net: RNN,
    task: Task,
    n: int,
    rng: np.random.Generator,
    interventions: Interventions = NONE,
    temperature: float = 1.0,
) -> list[str]:
    """Sample from h = 0 after the start token until n units follow the burn-in unit; return them.

    The first unit (burn-in) and the unfinished last one are dropped. A network that stops
    emitting unit ends yields fewer than n units: the stream is capped at twice the longest unit.
    """
    end = int(net.index(task.end)[0])
    out, _ = net.sample(
        np.zeros(net.hidden), end, _cap(task, n), rng, temperature, interventions, stop=end, stop_count=n + 1
    )
    return _units(net, task, out)


def _cap(task: Task, n: int) -> int:
    """The longest stream sampled for n units after the burn-in."""
    return (n + 1) * 2 * task.max_len


def _units(net: RNN, task: Task, out: np.ndarray) -> list[str]:
    """The finished units of a sampled index stream, the burn-in unit dropped."""
    codes = np.array([ord(c) for c in net.vocab], dtype="<u4")  # (V,) each symbol's code point
    units, _tail = task.split(codes[out].tobytes().decode("utf-32-le"))
    return units[1:]


def validity(task: Task, units: list[str], valid: list[bool] | None = None) -> float:
    """Fraction of units that are valid; 0 when there are none. `valid` may hold is_valid's answers."""
    valid = task.valid_units(units) if valid is None else valid
    return sum(valid) / len(units) if units else 0.0


def tvd(task: Task, units: list[str], valid: list[bool] | None = None) -> float:
    """Total variation distance between the sampled distribution of k (or n) and the task's own.

    Invalid units count as mass outside the support; no units at all is distance 1. `valid` may
    hold is_valid's answers for the units.
    """
    want = task.param_dist()
    if not units or not want:
        return 1.0 if not units else 0.0
    valid = task.valid_units(units) if valid is None else valid
    got: dict[int | None, float] = {}
    for u, ok in zip(units, valid):
        k = task.unit_param(u) if ok else None  # None: outside the support
        got[k] = got.get(k, 0.0) + 1.0 / len(units)
    keys = set(want) | {k for k in got if k is not None}
    return 0.5 * (sum(abs(got.get(k, 0.0) - want.get(k, 0.0)) for k in keys) + got.get(None, 0.0))


def illegal_mass(p: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """The probability each step puts on illegal next symbols: p (T, V) and legal (T, V) bool give (T,). A step
    whose probabilities are undefined (an unbounded unit's state overflowed) counts as wholly illegal."""
    mass = np.where(legal, 0.0, p).sum(axis=-1)  # (T,)
    return np.where(np.isfinite(mass), mass, 1.0)


def bad_mass(
    net: RNN, task: Task, rng: np.random.Generator, n: int = 200, interventions: Interventions = NONE
) -> np.ndarray:
    """Teacher-force n random valid units; return the probability put on illegal next symbols per step."""
    stream = task.end + "".join(task.generate(rng, n))
    X = net.index(stream[:-1])[None, :]  # (1, T)
    _, ps = net.forward(X, np.zeros((1, net.hidden)), interventions)
    legal = task.legal_mask(stream[:-1])  # (T, V)
    return illegal_mass(ps[0], legal)  # (T,)


def stack_bad_mass(nets: list[RNN], P: dict[str, np.ndarray], task: Task, rngs: list, n: int) -> list[np.ndarray]:
    """`bad_mass` for stacked networks P at once, each with its own generator, with the same figures:
    the teacher-forced recurrences run in lockstep (`stack_states`)."""
    streams = [task.end + "".join(task.generate(rng, n)) for rng in rngs]
    states = cell_of(nets[0]).stack_states(P, [net.index(s[:-1]) for net, s in zip(nets, streams)])
    return [
        illegal_mass(net.probabilities(h), task.legal_mask(s[:-1]))  # as the network's forward
        for net, s, h in zip(nets, streams, states)
    ]


def evaluate(net: RNN, task: Task, protocol: Protocol = Protocol(), interventions: Interventions = NONE) -> Scores:
    """All the metrics of one network under the standard protocol."""
    rng = np.random.default_rng(protocol.seed)
    units = sample_units(net, task, protocol.units, rng, interventions, protocol.temperature)
    bad = bad_mass(net, task, rng, protocol.bad_units, interventions)
    valid = task.valid_units(units)
    return Scores(
        validity(task, units, valid), tvd(task, units, valid), float(bad.mean()), float(bad.max()), len(units)
    )


LOCKSTEP = 3  # from this many networks, sampling in lockstep beats one scalar sampler after another


def evaluate_many(nets: list[RNN], task: Task, protocols: list[Protocol]) -> list[Scores]:
    """`evaluate` for networks of one shape at once, each under its own protocol, with the same figures.

    The sampling runs in lockstep over the networks (`stack_sample`) when there are enough of them to
    repay its dearer steps, and so do the teacher-forced recurrences of bad mass (`stack_bad_mass`).
    """
    if len(nets) < LOCKSTEP:
        return [evaluate(net, task, p) for net, p in zip(nets, protocols)]
    P = {k: np.stack([n.params[k] for n in nets]) for k in nets[0].params}
    rngs = [np.random.default_rng(p.seed) for p in protocols]
    n = protocols[0].units
    assert all(p.units == n and p.temperature == 1.0 for p in protocols), "one sample size, temperature 1"
    end = int(nets[0].index(task.end)[0])
    streams = cell_of(nets[0]).stack_sample(P, end, _cap(task, n), rngs, stop=end, stop_count=n + 1)
    assert all(p.bad_units == protocols[0].bad_units for p in protocols), "one teacher-forced sample size"
    bads = stack_bad_mass(nets, P, task, rngs, protocols[0].bad_units)
    scores = []
    for net, out, bad in zip(nets, streams, bads):
        units = _units(net, task, out)
        valid = task.valid_units(units)
        scores.append(
            Scores(
                validity(task, units, valid), tvd(task, units, valid), float(bad.mean()), float(bad.max()), len(units)
            )
        )
    return scores


@dataclass(frozen=True)
class VerdictProtocol:
    """How a verdict is reached: `seeds` sampling seeds from `first_seed` (or the seeds `listed`), each scored
    as a Protocol."""

    seeds: int = 10
    units: int = 5000  # sampled units per seed
    bad_units: int = 200  # teacher-forced units per seed
    first_seed: int = 0
    listed: tuple[int, ...] = ()  # the sampling seeds, when they are not first_seed onwards

    def seed_list(self) -> list[int]:
        """The sampling seeds, in order."""
        return list(self.listed) or list(range(self.first_seed, self.first_seed + self.seeds))

    def protocols(self) -> list[Protocol]:
        """The single-seed protocols whose scores are pooled; the first is the standard protocol."""
        return [Protocol(units=self.units, bad_units=self.bad_units, seed=s) for s in self.seed_list()]

    def peak_bytes(self, task: Task, hidden: int) -> int:
        """About the most memory judging a network of `task` takes: the seeds run one after another, and each
        seed's sampling (RNN.sample) allocates its whole capped stream at once, 48 bytes a symbol (its index, 8, and
        its uniform, drawn as an array and made a list of floats, 8 + 32); the teacher-forced recurrence of bad mass
        (RNN.forward) holds a few (T, H) and (T, V) arrays of float."""
        T = self.bad_units * task.max_len
        return 48 * _cap(task, self.units) + 8 * T * (2 * hidden + 4 * len(task.vocab))

    def text(self) -> str:
        """E.g. `10 sampling seeds (0..9) x 5000 units`, or `3 sampling seeds (0,2,5) x 5000 units`."""
        seeds = self.seed_list()
        span = ",".join(map(str, seeds)) if self.listed else f"{seeds[0]}..{seeds[-1]}"
        return f"{len(seeds)} sampling seeds ({span}) x {self.units} units"


def record(net: RNN, v: Verdict) -> Verdict:
    """Write a verdict and the standard figures (its first sampling seed's) into a network's meta."""
    net.meta.metrics = v.first.as_dict()
    net.meta.verdict = {**v.as_dict(), "protocol": VerdictProtocol().text()}
    return v


Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def bootstrap(values: list[float], resamples: int = 10_000, level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean of `values` (fixed seed, so it is reproducible)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return (float(x[0]), float(x[0])) if x.size else (0.0, 1.0)
    idx = np.random.default_rng(0).integers(0, x.size, size=(resamples, x.size))  # (R, n)
    means = x[idx].mean(axis=1)  # (R,)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(lo), float(hi)


def decide(target: dict, validity: tuple[float, float], tvd: tuple[float, float], bad_mean: tuple[float, float]) -> str:
    """`meets` when every bound's interval lies wholly on its good side, `misses` when one lies wholly
    on its bad side, else `undecided`. A bound the target does not name is not judged."""
    sides = []  # (wholly good, wholly bad) per bound
    if "validity" in target:
        v = target["validity"]
        sides.append((validity[0] >= v, validity[1] < v))
    for key, (lo, hi) in (("tvd", tvd), ("bad_mass", bad_mean)):
        if key in target:
            sides.append((hi <= target[key], lo > target[key]))
    if any(bad for _, bad in sides):
        return "misses"
    return "meets" if all(good for good, _ in sides) else "undecided"


@dataclass(frozen=True)
class Verdict:
    """A network's figures pooled over the verdict protocol, their 95% intervals and the verdict."""

    validity: float  # pooled over every seed's units
    validity_interval: tuple[float, float]  # Wilson, on the pooled count
    tvd: float  # mean over the seeds
    tvd_interval: tuple[float, float]  # bootstrap over the seeds
    bad_mean: float
    bad_mean_interval: tuple[float, float]
    bad_max: float  # the largest over every seed
    units: int  # sampled units scored, over all seeds
    seeds: int
    verdict: str  # "meets", "misses" or "undecided"
    first: Scores = field(repr=False, compare=False)  # the first seed's: the standard protocol's figures

    def as_dict(self) -> dict:
        """Plain dict with rounded figures, for meta and JSON output."""

        def r(x):
            return [round(v, 6) for v in x] if isinstance(x, tuple) else round(x, 6) if isinstance(x, float) else x

        return {f.name: r(getattr(self, f.name)) for f in fields(self) if f.name != "first"}


def judge(
    net: RNN, task: Task, vp: VerdictProtocol = VerdictProtocol(), interventions: Interventions = NONE, progress=None
) -> Verdict:
    """Score a network under every seed of the verdict protocol, pool the figures and decide.

    `progress(done, total)` is called after each seed.
    """
    runs = []
    for i, p in enumerate(vp.protocols()):
        runs.append(evaluate(net, task, p, interventions))
        if progress:
            progress(i + 1, vp.seeds)
    return pool(runs, task, vp)


def judge_many(nets: list[RNN], task: Task, vp: VerdictProtocol = VerdictProtocol()) -> list[Verdict]:
    """`judge` for networks of one shape at once, with the same verdicts: every network under every
    sampling seed is one stream of a single lockstep sampling."""
    protocols = vp.protocols()
    scores = evaluate_many([n for _ in protocols for n in nets], task, [p for p in protocols for _ in nets])
    S = len(nets)
    return [pool(scores[j::S], task, vp) for j in range(S)]


def pool(runs: list[Scores], task: Task, vp: VerdictProtocol) -> Verdict:
    """One network's scores under every seed of the verdict protocol, pooled, with intervals and the verdict."""
    n = sum(s.units for s in runs)
    valid = sum(round(s.validity * s.units) for s in runs)
    tvds, bads = [s.tvd for s in runs], [s.bad_mean for s in runs]
    vi, ti, bi = wilson(valid, n), bootstrap(tvds), bootstrap(bads)
    return Verdict(
        valid / n if n else 0.0,
        vi,
        float(np.mean(tvds)),
        ti,
        float(np.mean(bads)),
        bi,
        max(s.bad_max for s in runs),
        n,
        vp.seeds,
        decide(task.target, vi, ti, bi),
        runs[0],
    )
