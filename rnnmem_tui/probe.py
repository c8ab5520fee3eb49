"""Score every neuron against every candidate role (a feature at a lag, in a phase) over several teacher streams."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .cells import cell_of
from .model import RNN, encode
from .scores import auc, average_ranks, corr, explained, group_means
from .tasks import Task
from .tasks.base import Feature

LAGS = (-1, 0, 1)  # h_t is scored against feature_{t+lag}: +1 anticipates the next step
STREAMS = 5  # teacher streams per measurement
UNITS = 1000  # units per teacher stream
READABLE = 0.01  # a neuron's activations are compared at the step that moves what reads it by this much
FINEST = 1e-6  # and never finer: differences below are rounding, not memory
UNREAD = 1e-9  # a neuron is unread when cutting its outgoing weights moves no output probability by more
MEASURE = {"bit": "auc", "flag": "auc", "parity": "auc", "input": "auc", "counter": "spearman", "phase": "r"}
_CACHE: dict[tuple, Layout] = {}  # the explorer's worker thread shares it with the main thread
_CACHED = 40  # layouts of teacher streams kept in memory
_LOCK = threading.Lock()


class Stopped(Exception):
    """The caller asked a long measurement to stop."""


@dataclass(frozen=True)
class Candidate:
    """One way a neuron may hold a feature: the feature, at a lag, scored within a phase (None: everywhere)."""

    feature: Feature
    lag: int = 0
    phase: str | None = None

    @property
    def measure(self) -> str:
        """`auc` for two-valued features, `spearman` for counters, `r` for phases."""
        return MEASURE[self.feature.kind]

    @property
    def memory(self) -> bool:
        """True for a claim about the past; False for a `reads s` input feature."""
        return self.feature.kind != "input"


def candidates(task: Task) -> tuple[Candidate, ...]:
    """Every feature of a task at every lag and in each phase it declares, then its input features at lag 0."""
    memory = (Candidate(f, lag, phase) for f in task.state_features for phase in f.phases for lag in LAGS)
    return (*memory, *(Candidate(f) for f in task.input_features))


def teacher_stream(task: Task, seed: int, units: int) -> tuple[str, np.ndarray, dict[str, np.ndarray]]:
    """Random valid units after the start token, their symbol indices (T,) and their features (T,)."""
    stream = task.end + "".join(task.generate(np.random.default_rng(seed), units))
    return stream, encode(task.vocab, stream), task.features(stream)


def oriented(raw: np.ndarray, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """A raw AUC or correlation as (score in [0, 1] whichever way the neuron points, sign +-1)."""
    centre = 0.5 if measure == "auc" else 0.0
    return np.abs(raw - centre) + centre, np.where(raw < centre, -1.0, 1.0)


def score_block(
    x: np.ndarray,
    F: np.ndarray,
    groups: np.ndarray | None,
    measure: str,
    xr: np.ndarray | None = None,
    Fr: np.ndarray | None = None,
) -> np.ndarray:
    """Raw scores of neurons x (T, H) against features F (T, K) in one measure, within groups: (K, H).
    xr and Fr may hold average_ranks of x and F, which AUC and Spearman's use."""
    if measure == "r":
        return corr(x, F, groups)
    xr = average_ranks(x) if xr is None else xr
    if measure == "auc":
        return auc(x, F, groups, ranks=xr)
    return corr(xr, average_ranks(F) if Fr is None else Fr, groups)


@dataclass(frozen=True)
class Block:
    """Candidates of one measure scored on the same steps of a teacher stream."""

    measure: str
    memory: bool
    steps: np.ndarray  # (n,) positions in the stream
    groups: np.ndarray  # (n,) the symbol read at each step, paired with the one at its feature's step (lag)
    rows: list[int]  # the candidates' indices
    F: np.ndarray  # (n, K) their features at those steps (shifted by each lag)
    Fr: np.ndarray | None  # (n, K) average_ranks(F), for Spearman's
    input: np.ndarray  # (K,) how well the best guess from the current symbol alone scores each


@dataclass(frozen=True)
class Layout:
    """What every network is scored against on one teacher stream: its symbols and its blocks of candidates."""

    symbols: np.ndarray  # (T,) the symbol read at each step
    blocks: tuple[Block, ...]


def input_alone(F: np.ndarray, symbols: np.ndarray, measure: str) -> np.ndarray:
    """How well the best guess from the current symbol alone (its mean feature) scores each feature (K,)."""
    guess = group_means(F, symbols)  # (T, K)
    raw = np.array([score_block(guess[:, [k]], F[:, [k]], None, measure)[0, 0] for k in range(F.shape[1])])
    return np.nan_to_num(oriented(raw, measure)[0], nan=0.5 if measure == "auc" else 0.0)


def layout(task: Task, seed: int, units: int) -> Layout:
    """The candidates of a task laid out on one teacher stream, in blocks that share their steps (cached)."""
    key = (task.family, task.name, json.dumps(task.params, sort_keys=True), seed, units)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    _, symbols, feats = teacher_stream(task, seed, units)
    t = np.arange(1, len(symbols) - 1)  # steps with a neighbour each side: every lag compares the same steps
    phase = next((f for f in task.state_features if f.kind == "phase"), None)
    where = {None: np.ones(len(t), dtype=bool)}
    if phase is not None:
        where |= {name: feats[phase.name][t] == i for i, name in enumerate(phase.values)}
    groups: dict[tuple, tuple[np.ndarray, list[int], list[np.ndarray]]] = {}
    for i, c in enumerate(candidates(task)):
        if c.memory:  # on the steps where the feature is defined at every lag, so that lags compare alike
            f = feats[c.feature.name][t + c.lag]
            mask = where[c.phase] & ~np.isnan(sum(feats[c.feature.name][t + lag] for lag in LAGS))
        else:
            f, mask = (symbols[t] == task.vocab.index(c.feature.symbol)).astype(float), where[None]
        if mask.any():
            group = groups.setdefault((c.measure, c.memory, c.lag, mask.tobytes()), (mask, [], []))
            group[1].append(i)
            group[2].append(f[mask])
    blocks = []
    for (measure, memory, lag, _), (mask, rows, cols) in groups.items():
        F = np.stack(cols, axis=1)  # (n, K)
        steps = t[mask]
        read = symbols[steps] * len(task.vocab) + symbols[steps + lag]  # (n,) both symbols, one when lag is 0
        guess = input_alone(F, read, measure) if memory else np.ones(len(rows))
        Fr = average_ranks(F) if measure == "spearman" else None
        blocks.append(Block(measure, memory, steps, read, rows, F, Fr, guess))
    found = Layout(symbols, tuple(blocks))
    with _LOCK:
        while len(_CACHE) >= _CACHED:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = found
    return found


@dataclass(frozen=True)
class Probe:
    """Each candidate's score for each neuron on each teacher stream, and what the input alone explains.

    A memory candidate's score is the weaker of its score over all its steps and its score within each
    current-symbol group (pairs of steps that read the same symbol, and at a lag the same symbol at the
    feature's step too), oriented the same way: a role must hold over the whole stream and beyond the
    symbols just read. An input candidate (`reads s`) is scored over all steps.
    """

    candidates: tuple[Candidate, ...]
    score: np.ndarray  # (S, C, H) in [0, 1]: AUC oriented to >= 0.5, or |correlation|; NaN where undefined
    sign: np.ndarray  # (S, C, H) +1 when the neuron rises with the feature, -1 when it falls
    input: np.ndarray  # (S, C) the same measure for the best guess from the current symbol alone
    mirror: np.ndarray  # (S, H) share of each neuron's variance the current symbol explains
    unread: np.ndarray  # (H,) bool: nothing reads the neuron (`unread`)


def unread(net: RNN, task: Task, seed: int = 0, units: int = 200) -> np.ndarray:
    """Which neurons nothing reads, by their effect: (H,) bool. Neuron i is unread when setting its outgoing
    weights (its readout column, and its recurrent weights to the other neurons) to zero moves no next-symbol
    probability by more than UNREAD over a teacher stream of `units` units. What it holds is a fact of its
    activation; that nothing uses it is another."""
    _, symbols, _ = teacher_stream(task, seed, units)
    X, h0 = symbols[None, :], np.zeros((1, net.hidden))
    p = net.forward(X, h0)[1]
    out = np.zeros(net.hidden, dtype=bool)
    cell = cell_of(net)
    for i in range(net.hidden):
        cut = cell.cut(net.params, i)
        if cut is not None:
            out[i] = np.abs(cell.net(cut, net.vocab).forward(X, h0)[1] - p).max() <= UNREAD
    return out


def resolution(net: RNN, unread: np.ndarray | None = None) -> np.ndarray:
    """The smallest difference in each neuron's activation that its readers can use: (H,).

    A difference of d in neuron i moves the logits and the next step's pre-activations by up to d times
    its largest outgoing weight (a column of Why or Whh); below READABLE there is nothing to read. A
    saturated random neuron that orders a count in its fifth decimal is not a counter. A neuron that
    nothing reads (`unread`, (H,) bool) is measured on its activation as if read with weight 1.
    """
    reach = cell_of(net).reach(net.params)  # (H,)
    if unread is not None:
        reach = np.where(unread, 1.0, reach)
    with np.errstate(divide="ignore"):
        return np.maximum(FINEST, READABLE / reach)


def score_stream(
    hs: np.ndarray, step: np.ndarray, lay: Layout, C: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score the hidden states hs (T, H) of one teacher stream, compared at steps of `step` (H,):
    score and sign (C, H), input (C,), mirror (H,)."""
    x = np.nan_to_num(np.round(hs / step) * step)  # (T, H); an unread neuron is constant 0
    score, sign, inp = np.full((C, hs.shape[1]), np.nan), np.ones((C, hs.shape[1])), np.full(C, np.nan)
    ranked: dict[bytes, np.ndarray] = {}  # blocks on the same steps share the neurons' ranks
    for b in lay.blocks:
        xb = x[b.steps]
        key = b.steps.tobytes()
        if b.measure != "r" and key not in ranked:
            ranked[key] = average_ranks(xb)
        xr = ranked.get(key)
        s, d = oriented(score_block(xb, b.F, None, b.measure, xr, b.Fr), b.measure)
        s[:, np.ptp(xb, axis=0) == 0] = np.nan  # a neuron constant on these steps ranks nothing (AUC's 0.5 is a tie)
        if b.memory:  # the same direction within each symbol group, or a low score
            within = score_block(xb, b.F, b.groups, b.measure, xr, b.Fr)
            centre = 0.5 if b.measure == "auc" else 0.0
            s = np.minimum(s, centre + d * (within - centre))  # NaN when constant within groups
        score[b.rows], sign[b.rows], inp[b.rows] = s, d, b.input
    t = np.arange(1, len(hs) - 1)
    return score, sign, inp, explained(x[t], lay.symbols[t])


def probe(
    net: RNN,
    task: Task,
    seeds: Iterable[int] = range(STREAMS),
    units: int = UNITS,
    should_stop: Callable[[], bool] | None = None,
) -> Probe:
    """Teacher-force each stream from h = 0 and score every candidate for every neuron."""
    cands, idle = candidates(task), unread(net, task)
    step = resolution(net, idle)
    out = []
    for seed in seeds:
        if should_stop and should_stop():
            raise Stopped
        lay = layout(task, seed, units)
        hs, _ = net.forward(lay.symbols[None, :], np.zeros((1, net.hidden)))
        out.append(score_stream(hs[0], step, lay, len(cands)))
    score, sign, inp, mirror = (np.stack(a) for a in zip(*out))
    return Probe(cands, score, sign, inp, mirror, idle)
