"""Moore machines whose output is the set of allowed next symbols: the table, vectorised minimisation, runs and products."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_STATES = 1 << 20  # a machine larger than this is refused: its table alone would not fit comfortably


@dataclass(frozen=True, eq=False)
class Machine:
    """A deterministic machine over a vocabulary; state 0 is the start, states are numbered breadth-first.

    `delta[s, x]` is the state after reading symbol x in state s, or -1 where x is not allowed. The
    output of a state is the set of symbols it allows, so it is `delta >= 0` and there is no dead
    state. `parent` and `via` are the breadth-first tree: a shortest way to reach each state.
    """

    delta: np.ndarray  # (S, V) int, -1 where a symbol is not allowed
    vocab: tuple[str, ...]
    parent: np.ndarray  # (S,) the state before, on a shortest path from the start (-1 for the start)
    via: np.ndarray  # (S,) the symbol read from the parent

    @property
    def states(self) -> int:
        """The number of states."""
        return self.delta.shape[0]

    @property
    def out(self) -> np.ndarray:
        """(S, V) bool: the symbols each state allows."""
        return self.delta >= 0

    def name(self, s: int) -> str:
        """A shortest input that reaches state s from the start, e.g. `aab`."""
        path = []
        while s > 0:
            path.append(self.vocab[self.via[s]])
            s = int(self.parent[s])
        return "".join(reversed(path))

    def allows(self, s: int) -> str:
        """The symbols state s allows, as a string in vocabulary order."""
        return "".join(c for c, ok in zip(self.vocab, self.out[s]) if ok)


def tree(delta: np.ndarray, start: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first search from start over delta (S, V): the reachable states in visiting order, and each
    one's parent and the symbol read from it (both indexed by the old state numbers)."""
    S, V = delta.shape
    parent, via = np.full(S, -1), np.full(S, -1)
    seen = np.zeros(S, dtype=bool)
    seen[start] = True
    order, frontier = [np.array([start])], np.array([start])
    while frontier.size:
        nxt = delta[frontier].ravel()  # (F * V,) row-major: by state, then by symbol
        fresh = nxt >= 0
        fresh[fresh] = ~seen[nxt[fresh]]
        new, first = np.unique(nxt[fresh], return_index=True)
        at = np.flatnonzero(fresh)[first]  # where each new state is first reached
        parent[new], via[new] = frontier[at // V], at % V
        new = new[np.argsort(at)]  # in the order they were reached
        seen[new] = True
        order.append(new)
        frontier = new
    return np.concatenate(order), parent, via


def machine(delta: np.ndarray, vocab: tuple[str, ...], start: int = 0) -> Machine:
    """The machine of a table, keeping only the states reachable from start, renumbered breadth-first."""
    order, parent, via = tree(delta, start)
    new = np.full(delta.shape[0] + 1, -1)  # old number -> new; the extra slot maps -1 to -1
    new[order] = np.arange(order.size)
    d = delta[order]
    return Machine(new[d], tuple(vocab), new[parent[order]], via[order])


def minimise(m: Machine) -> tuple[Machine, np.ndarray]:
    """The minimal machine with the same outputs along every input, by partition refinement (Moore's
    algorithm) with every round one sort of the whole table; and the block of each of m's states."""
    delta = m.delta
    block = np.unique(m.out, axis=0, return_inverse=True)[1].ravel()  # (S,) first split: by the output
    n = block.max() + 1
    while True:
        nxt = np.where(delta >= 0, block[delta], -1)  # (S, V) the block each symbol leads to
        new = np.unique(np.column_stack([block, nxt]), axis=0, return_inverse=True)[1].ravel()
        if new.max() + 1 == n:
            break
        block, n = new, new.max() + 1
    rep = np.full(n, delta.shape[0])
    np.minimum.at(rep, block, np.arange(delta.shape[0]))  # the first state of each block
    small = np.where(delta[rep] >= 0, block[delta[rep]], -1)  # (n, V)
    out = machine(small, m.vocab, int(block[0]))
    renumber = np.full(n, -1)
    order = tree(small, int(block[0]))[0]
    renumber[order] = np.arange(order.size)
    return out, renumber[block]


def run(m: Machine, xs: np.ndarray, resume) -> np.ndarray:
    """The state after each symbol of xs (T,), from the start. Where a state does not allow the symbol read,
    `resume(t)` says where the machine goes on from after step t (-1: still stuck)."""
    out = np.empty(len(xs), dtype=np.intp)
    s, delta = 0, m.delta.tolist()
    for t, x in enumerate(xs.tolist()):
        s = delta[s][x] if s >= 0 else -1
        if s < 0:
            s = resume(t)
        out[t] = s
    return out


@dataclass(frozen=True)
class Comparison:
    """Two machines side by side from their starts, on the inputs the first (the task's) allows."""

    pairs: np.ndarray  # (P, 2) the reachable pairs (task state, other state); other is -1 where it got stuck
    counterexamples: list[dict]  # shortest inputs after which the two allow different symbols
    disagreeing: int  # how many reachable pairs allow different symbols
    wrong: frozenset[int]  # the other machine's states in those pairs

    def state_map(self) -> dict[int, list[int]]:
        """Each task state and the other machine's states it meets."""
        out: dict[int, list[int]] = {}
        for a, b in self.pairs.tolist():
            out.setdefault(a, []).append(b)
        return {a: sorted(bs) for a, bs in sorted(out.items())}

    @property
    def one_to_one(self) -> bool:
        """True when each task state meets exactly one state of the other machine, and vice versa."""
        a, b = self.pairs[:, 0], self.pairs[:, 1]
        return bool((b >= 0).all() and len(np.unique(a)) == len(a) == len(np.unique(b)))


def compare(task: Machine, other: Machine, limit: int = 10) -> Comparison:
    """Breadth-first over the pairs of states the two machines reach on the same input, the task's machine
    choosing the symbols; a pair whose outputs differ is a counterexample (up to `limit`, shortest first).
    Where the other machine refuses a symbol the task allows, the pair (a, -1) ends that path."""
    Sa, V = task.delta.shape
    Sb = other.states
    key = lambda a, b: a * (Sb + 1) + (b + 1)  # noqa: E731  b = -1 (stuck) gets a slot too
    seen = {key(0, 0): (-1, -1)}  # pair -> (parent pair key, symbol)
    frontier, pairs, bad = [(0, 0)], [], []
    tdelta, odelta, tout, oout = task.delta.tolist(), other.delta.tolist(), task.out, other.out
    while frontier:
        nxt = []
        for a, b in frontier:
            pairs.append((a, b))
            if b < 0:  # the other machine refused a symbol the task allows: nothing follows
                bad.append((a, b))
                continue
            if (tout[a] != oout[b]).any():
                bad.append((a, b))
            for x in range(V):
                a2 = tdelta[a][x]
                if a2 < 0:
                    continue
                b2 = odelta[b][x]
                k = key(a2, b2)
                if k not in seen:
                    seen[k] = (key(a, b), x)
                    nxt.append((a2, b2))
        frontier = nxt

    def word(a: int, b: int) -> str:
        out, k = [], key(a, b)
        while seen[k][0] >= 0:
            k, x = seen[k]
            out.append(task.vocab[x])
        return "".join(reversed(out))

    examples = [
        {
            "input": word(a, b),
            "task_state": a,
            "state": b,
            "task_allows": task.allows(a),
            "network_allows": other.allows(b) if b >= 0 else None,
        }
        for a, b in bad[:limit]
    ]
    return Comparison(
        np.array(pairs, dtype=np.intp).reshape(-1, 2), examples, len(bad), frozenset(b for _, b in bad if b >= 0)
    )
