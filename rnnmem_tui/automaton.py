"""The finite-state machine a network implements: extracted from its quantised hidden states, minimised, set beside the task's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import cell_of
from .fsm import Comparison, Machine, compare, machine, minimise, run, tree
from .model import NONE, RNN, Interventions
from .probe import teacher_stream
from .tasks import Task

ALLOW = 0.02  # the network allows a symbol it gives at least this probability (the least legal one is 1/16)
LADDER = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 1e-3, 1e-4)  # quantisation steps tried, coarse to fine
FAITHFUL = 0.999  # a machine this faithful to the network's own outputs along the stream is fine enough
UNITS, SEED = 2000, 0  # the teacher-forced units agreement is measured on
LIMIT = 200_000  # quantised states explored at most


@dataclass(frozen=True, eq=False)
class Extracted:
    """The network's machine before and after minimisation, with what each state of it holds."""

    raw: Machine  # one state per quantised hidden state reached
    machine: Machine  # minimised
    block: np.ndarray  # (explored states,) the minimal state of each, in the order they were explored
    keys: dict[bytes, int]  # quantised hidden state -> raw state
    points: np.ndarray  # (raw states, H) the hidden state each raw state was first reached at
    truncated: bool  # the exploration stopped at LIMIT states
    resolution: float  # the quantisation step
    span: np.ndarray | None = (
        None  # (H,) each unbounded unit's range (a ReLU's, an LSTM's c): its step is that much coarser
    )

    def cell_state(self, h: np.ndarray) -> int:
        """The minimal state whose quantised cell holds the hidden state h (H,), or -1 if that cell was never explored."""
        raw = self.keys.get(quantise(h[None], self.resolution, self.span)[0])
        return -1 if raw is None else int(self.block[raw])

    def state_of(self, h: np.ndarray) -> tuple[int, bool]:
        """The minimal state a hidden state (H,) falls in, and whether its quantised cell was explored (else the
        state of the nearest explored hidden state)."""
        s = self.cell_state(h)
        if s >= 0:
            return s, True
        return int(self.block[np.abs(self.points - h).max(axis=1).argmin()]), False


def quantise(hs: np.ndarray, resolution: float, span: np.ndarray | None = None) -> list[bytes]:
    """The cell of each hidden state (n, H) on a grid of the given step (times each unit's span, when given), as
    hashable keys."""
    step = resolution if span is None else resolution * span
    return [row.tobytes() for row in np.round(hs / step).astype(np.int32)]


def spans(net: RNN, task: Task, iv: Interventions) -> np.ndarray | None:
    """For a cell whose units are unbounded, each unit's range over a teacher-forced run, at least 1 (the grid
    covers the observed range as it covers [-1, 1] for tanh units); None for bounded units."""
    if cell_of(net).bounded:
        return None
    _, xs, _ = teacher_stream(task, SEED, 200)
    hs = net.forward(xs[None], np.zeros((1, net.hidden)), iv)[0][0]
    return np.maximum(np.abs(hs).max(axis=0), 1.0)


def extract(net: RNN, task: Task, iv: Interventions, resolution: float, limit: int = LIMIT) -> Extracted:
    """Explore the network breadth-first from h = 0 after the start token, on the symbols it allows.

    Each quantised hidden state is a state; from the hidden state it was first reached at, each
    allowed symbol is read (one batched step per layer) to find its transitions. Past `limit`
    states the exploration stops and the states left unexplored allow nothing.
    """
    V = len(net.vocab)
    span = spans(net, task, iv)
    start = net.step(np.zeros(net.hidden), net.vocab.index(task.end), iv)
    points, probs, keys = [start.h], [start.p], {quantise(start.h[None], resolution, span)[0]: 0}
    rows: list[np.ndarray] = []
    frontier, truncated = np.array([0]), False
    while frontier.size:
        allowed = np.array([probs[i] for i in frontier]) >= ALLOW  # (F, V)
        f, x = np.nonzero(allowed)
        hs = np.array([points[i] for i in frontier[f]]).reshape(len(f), net.hidden)  # (E, H)
        nxt, ps = net.forward(x[:, None], hs, iv)  # (E, 1, H), (E, 1, V): each allowed symbol read once
        block = np.full((frontier.size, V), -1)
        new = []
        for e, k in enumerate(quantise(nxt, resolution, span)):
            s = keys.get(k)
            if s is None:
                if len(points) >= limit:
                    truncated = True
                    continue
                s = keys[k] = len(points)
                points.append(nxt[e, 0])
                probs.append(ps[e, 0])
                new.append(s)
            block[f[e], x[e]] = s
        rows.extend(block)
        frontier = np.array(new, dtype=np.intp)
    delta = np.array(rows + [np.full(V, -1)] * (len(points) - len(rows)))  # unexplored states allow nothing
    renumber = np.empty(len(points), dtype=np.intp)  # exploration order -> the machine's breadth-first order
    renumber[tree(delta)[0]] = np.arange(len(points))  # every state was reached, so every one is numbered
    raw = machine(delta, net.vocab)
    small, blocks = minimise(raw)
    return Extracted(raw, small, blocks[renumber], keys, np.array(points), truncated, resolution, span)


@dataclass(frozen=True)
class Report:
    """The network's machine set beside the task's."""

    extracted: Extracted
    task_machine: Machine
    comparison: Comparison
    agreement: float  # steps on which the extracted and the task's machine allow the same symbols
    fidelity: float  # steps on which the extracted machine allows what the network itself allows
    steps: int

    def as_json(self) -> dict:
        """The figures of `rnnmem-tui automaton --json`."""
        c = self.comparison
        return {
            "states": self.extracted.machine.states,
            "task_states": self.task_machine.states,
            "raw_states": self.extracted.raw.states,
            "resolution": self.extracted.resolution,
            "truncated": self.extracted.truncated,
            "agreement": round(self.agreement, 4),
            "fidelity": round(self.fidelity, 4),
            "steps": self.steps,
            "one_to_one": c.one_to_one,
            "disagreeing_pairs": c.disagreeing,
            "counterexamples": c.counterexamples,
            "state_map": {str(a): bs for a, bs in c.state_map().items()},
        }


def report(
    net: RNN,
    task: Task,
    iv: Interventions = NONE,
    resolution: float | None = None,
    units: int = UNITS,
    seed: int = SEED,
) -> Report:
    """Extract the network's machine and compare it with the task's: on every input the task allows, and
    step by step along `units` teacher-forced units (seed `seed`).

    Where the extracted machine does not allow a symbol of the stream (the task did, so that step already
    disagrees) it goes on from the cell the network's hidden state is in, once that cell is one it explored. Without a resolution, the steps of LADDER are tried from coarse to fine and the first whose machine
    reproduces the network's own allowed symbols on FAITHFUL of the steps wins (else the most faithful):
    the coarsest abstraction of the network that predicts the network, chosen without looking at the task.
    """
    stream, xs, _ = teacher_stream(task, seed, units)
    hs, ps = net.forward(xs[None], np.zeros((1, net.hidden)), iv)
    allowed = ps[0] >= ALLOW  # (T, V) what the network itself allows along the stream
    tm, end = task.automaton, net.vocab.index(task.end)
    reads = xs[1:]  # the first symbol is the start token: both machines are at their start after it
    a = run(tm, reads, lambda t: 0 if reads[t] == end else -1)
    a_out = np.vstack([tm.out[:1], tm.out[a]])  # (T, V) what the task allows after each step
    best = None
    for r in (resolution,) if resolution else LADDER:
        ex = extract(net, task, iv, r)
        # where the machine cannot follow the stream, it goes on from the state the network is actually in,
        # once the network is in a cell the exploration reached
        b = run(ex.machine, reads, lambda t: ex.cell_state(hs[0, t + 1]))
        b_out = np.vstack([ex.machine.out[:1], np.where((b >= 0)[:, None], ex.machine.out[b], False)])
        faithful = float((b_out == allowed).all(axis=1).mean())
        if best is None or faithful > best[1]:
            best = (ex, faithful, float((a_out == b_out).all(axis=1).mean()))
        if faithful >= FAITHFUL or ex.truncated:
            break
    ex, faithful, agree = best
    return Report(ex, tm, compare(tm, ex.machine), agree, faithful, len(a_out))
