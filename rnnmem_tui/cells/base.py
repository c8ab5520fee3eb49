"""What a recurrent cell is to the rest of the tool: its parameters, its state's units, its kernels, and the
network that holds one (`CellNet`), for every cell but the vanilla RNN (whose network is `model.RNN`)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Callable, ClassVar

import numpy as np

from ..model import NONE, Interventions, StepResult, encode, softmax

if TYPE_CHECKING:
    from ..meta import Meta

READOUT = ("Why", "by")  # every cell's next-symbol readout, which reads h: p = softmax(Why h + by)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large negative x."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Cell:
    """A recurrent cell: the parameters it adds to the readout, how its state steps, and its gradients.

    The state is one vector of `width(H)` units, h first (an LSTM's is h then c); interventions hold its
    units by index. A cell other than `rnn` supplies `advance` and `retreat` (one step forward, and back);
    the stacked kernels here run S networks at once from them.
    """

    name: ClassVar[str]
    gates: ClassVar[int]  # G: the rows of weight_ih and weight_hh are G blocks of H
    bounded: ClassVar[bool]  # every unit stays within [-1, 1]
    h_bounded: ClassVar[bool] = True  # h, which the readout reads, stays within [-1, 1] (all but the ReLU's)
    init_options: ClassVar[tuple[str, ...]] = ()  # trainer settings its `init` takes besides the scale
    tied: ClassVar[bool] = True  # the gradients on a and on hh are the same (all but the GRU's)
    equation: ClassVar[str]  # the update, for the docs and --help

    def width(self, H: int) -> int:
        """The state's units: H (h alone)."""
        return H

    def size_text(self, H: int) -> str:
        """A network's size in words: `2 neurons`, `gru, 2 neurons`, `lstm, 2 h and 2 c units`."""
        units = f"{H} neuron{'s' * (H != 1)}" if self.width(H) == H else f"{H} h and {H} c units"
        return units if self.name == "rnn" else f"{self.name}, {units}"

    def unit_names(self, H: int) -> list[str]:
        """A name per state unit: `0`, `1`, ... (an LSTM's: h0.., then c0..)."""
        return [str(i) for i in range(H)]

    def shapes(self, H: int, V: int) -> dict[str, tuple[int, ...]]:
        """Every parameter's shape, in PyTorch's layout, then the readout."""
        G = self.gates
        return {
            "weight_ih": (G * H, V),
            "weight_hh": (G * H, H),
            "bias_ih": (G * H,),
            "bias_hh": (G * H,),
            "Why": (V, H),
            "by": (V,),
        }

    def init(self, H: int, V: int, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
        """Gaussian weights of std `scale`, zero biases, drawn in the order of `shapes`."""
        return {
            k: rng.standard_normal(s) * scale if k.startswith("weight") or k == "Why" else np.zeros(s)
            for k, s in self.shapes(H, V).items()
        }

    def net(self, params: dict[str, np.ndarray], vocab: tuple[str, ...], meta: Meta | None = None):
        """The network holding these parameters."""
        return CellNet(self, dict(params), tuple(vocab), meta)

    def hidden_of(self, P: dict[str, np.ndarray]) -> int:
        """H, from (stacked or single) parameters."""
        return P["weight_hh"].shape[-1]

    def step_map(self, P: dict[str, np.ndarray], x: int, interventions: Interventions) -> StepMap:
        """Symbol x's map over the free units, for `fixed-points`."""
        return StepMap(self, P, x, interventions)

    def vector_step(self, P: dict[str, np.ndarray]) -> Callable[[np.ndarray, int], np.ndarray]:
        """One network's step on one state vector, s (W,) and symbol index x to the next state (a new array),
        for the sampler: a cell may fold its biases and gate scales into its weights once, here, so that a
        step takes as few numpy calls as it can (the same values to rounding)."""
        table, Whh, bhh, H = P["weight_ih"].T + P["bias_ih"], P["weight_hh"], P["bias_hh"], self.hidden_of(P)

        def step(s: np.ndarray, x: int) -> np.ndarray:
            hh = Whh.dot(s[:H])
            hh += bhh
            return self.advance(table[x], hh, s)[0]

        return step

    def reach(self, P: dict[str, np.ndarray]) -> np.ndarray:
        """Each state unit's largest outgoing weight (W,): its readout column and its recurrent columns; a unit
        that only its own cell reads (an LSTM's c, through h = o tanh(c)) reaches with weight 1."""
        H = self.hidden_of(P)
        out = np.ones(self.width(H))
        out[:H] = np.maximum(np.abs(P["Why"]).max(axis=0), np.abs(P["weight_hh"]).max(axis=0))
        return out

    def cut(self, P: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray] | None:
        """P with what reads unit i from outside it set to zero (its readout column, and its recurrent weights
        to the other units), for `unread`; None when only its own cell reads it (an LSTM's c)."""
        H = self.hidden_of(P)
        if i >= H:
            return None
        Q = {k: v.copy() for k, v in P.items()}
        Q["Why"][:, i] = 0.0
        others = np.arange(Q["weight_hh"].shape[0]) % H != i
        Q["weight_hh"][others, i] = 0.0
        return Q

    def folds(self) -> bool:
        """Whether holding a unit equals folding its value into the biases of what reads it (no direct path
        from the state to the next: the rnn and relu cells)."""
        return False

    # ---- one step, on stacked states: implemented by each gated cell ----

    def advance(
        self, a: np.ndarray, hh: np.ndarray, s: np.ndarray, out: np.ndarray | None = None
    ) -> tuple[np.ndarray, tuple]:
        """One step: input part a = W_ih x + b_ih and recurrent part hh = W_hh h + b_hh, both (..., G H), and
        the state s (..., W); returns the new state (written into `out` when given) and what `retreat` needs."""
        raise NotImplementedError

    def retreat(self, cache: tuple, ds: np.ndarray, da: np.ndarray, dhh: np.ndarray) -> np.ndarray:
        """Back through one step: from the gradient on the new state ds (..., W), write the gradients on a and
        on hh (..., G H) into da and dhh (the same array when `tied`), and return the gradient on the old state
        through its direct paths (..., W), W_hh's path excluded."""
        raise NotImplementedError

    # ---- stacked kernels: S networks at once, each with its own parameters ----

    def inputs(self, P: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
        """a = W_ih x + b_ih for index arrays X (S, ...): (S, ..., G H)."""
        table = P["weight_ih"].transpose(0, 2, 1) + P["bias_ih"][:, None, :]  # (S, V, G H)
        S = X.shape[0]
        return table[np.arange(S).reshape((S,) + (1,) * (X.ndim - 1)), X]

    def move(
        self, P: dict[str, np.ndarray], s: np.ndarray, a: np.ndarray, out: np.ndarray | None = None
    ) -> tuple[np.ndarray, tuple]:
        """One step of S stacked networks from states s (S, B, W) with inputs a (S, B, G H)."""
        H = self.hidden_of(P)
        hh = s[..., :H] @ P["weight_hh"].transpose(0, 2, 1)
        hh += P["bias_hh"][:, None, :]
        return self.advance(a, hh, s, out)

    def stack_loss_and_grads(
        self,
        P: dict[str, np.ndarray],
        X: np.ndarray,
        Y: np.ndarray,
        s0: np.ndarray,
        interventions: Interventions = NONE,
    ):
        """As `model.stack_loss_and_grads`: mean cross-entropy per network (S,), gradients like P, last states.

        Time-major, as the rnn's kernel: the loops over steps do only what the recurrence needs, and each
        weight's gradient is one product over all steps afterwards. A network's figures do not depend on S."""
        S, B, T = X.shape
        H, V, W = self.hidden_of(P), P["by"].shape[-1], s0.shape[-1]
        GH, N = P["weight_hh"].shape[1], B * T
        Xt = X.transpose(0, 2, 1)  # (S, T, B): rows in (t, b) order
        a = self.inputs(P, Xt)  # (S, T, B, G H)
        sx = np.empty((S, T + 1, B, W))  # s0, then the state after each step
        sx[:, 0] = s0
        caches, WhhT, bhh = [], P["weight_hh"].transpose(0, 2, 1), P["bias_hh"][:, None, :]  # as `move`, once
        for t in range(T):
            hh = sx[:, t, :, :H] @ WhhT
            hh += bhh
            caches.append(self.advance(a[:, t], hh, sx[:, t], out=sx[:, t + 1])[1])
            interventions.apply(sx[:, t + 1])
        hs = sx[:, 1:, :, :H].reshape(S, N, H)
        loss, dh, dWhy, dby = readout_grads(P, hs, Y.transpose(0, 2, 1).reshape(S, N))
        dh = dh.reshape(S, T, B, H)
        dA = np.empty((S, T, B, GH))  # the gradients on a, and on hh, at each step
        dHH = dA if self.tied else np.empty_like(dA)
        ds, Whh = np.zeros_like(s0), P["weight_hh"]
        for t in range(T - 1, -1, -1):
            ds[..., :H] += dh[:, t]
            ds[..., interventions.idx] = 0.0  # a held unit passes no gradient
            ds = self.retreat(caches[t], ds, dA[:, t], dHH[:, t])
            ds[..., :H] += dHH[:, t] @ Whh
        dA, dHH = dA.reshape(S, N, GH), dHH.reshape(S, N, GH)
        onehot = np.zeros((S, N, V))  # the inputs
        onehot.reshape(-1)[np.arange(S * N) * V + Xt.reshape(-1)] = 1.0
        ones = np.ones(N)  # sums over rows as products: far cheaper than reductions over short axes
        grads = {
            "weight_ih": dA.transpose(0, 2, 1) @ onehot,
            "weight_hh": dHH.transpose(0, 2, 1) @ sx[:, :-1, :, :H].reshape(S, N, H),
            "bias_ih": ones @ dA,
            "bias_hh": ones @ dHH,
            "Why": dWhy,
            "by": dby,
        }
        return loss, grads, sx[:, -1].copy()

    @np.errstate(over="ignore", invalid="ignore")  # an unbounded unit may overflow: NaN probabilities (`sample`)
    def stack_states(self, P: dict[str, np.ndarray], X: list[np.ndarray]) -> list[np.ndarray]:
        """The states each network reaches from 0 on its own index sequence X[j] (T_j,): each (T_j, W)."""
        S, T = len(X), max(len(x) for x in X)
        idx = np.zeros((S, 1, T), dtype=np.intp)
        for j, x in enumerate(X):
            idx[j, 0, : len(x)] = x
        a = self.inputs(P, idx)  # (S, 1, T, G H)
        s = np.zeros((S, 1, self.width(self.hidden_of(P))))
        out = np.empty((S, T, s.shape[-1]))
        for t in range(T):
            s, _ = self.move(P, s, a[:, :, t])
            out[:, t] = s[:, 0]
        return [out[j, : len(x)] for j, x in enumerate(X)]

    @np.errstate(over="ignore", invalid="ignore")  # an unbounded unit may overflow: NaN probabilities (`sample`)
    def stack_sample(
        self, P: dict[str, np.ndarray], x: int, n: int, rngs: list[np.random.Generator], stop: int, stop_count: int
    ) -> list[np.ndarray]:
        """`CellNet.sample` for S stacked networks from state 0, each with its own generator: the same symbols
        as each alone (a test checks it), cut after the stop_count-th `stop`."""
        S, H = len(rngs), self.hidden_of(P)
        u = np.stack([r.random(n) for r in rngs], axis=1)  # (n, S) as CellNet.sample draws them
        s = np.zeros((S, 1, self.width(H)))
        xs = np.full(S, x)
        out = np.zeros((n, S), dtype=np.intp)
        ends, seen = np.full(S, n), np.zeros(S, dtype=np.intp)
        table = P["weight_ih"].transpose(0, 2, 1) + P["bias_ih"][:, None, :]  # (S, V, G H)
        for t in range(n):
            s, _ = self.move(P, s, table[np.arange(S), xs][:, None])
            y = (s[:, 0, :H, None] * P["Why"].transpose(0, 2, 1)).sum(axis=1) + P["by"]  # (S, V)
            c = np.cumsum(np.exp(y - y.max(axis=1, keepdims=True)), axis=1)
            xs = np.minimum((c <= u[t][:, None] * c[:, -1:]).sum(axis=1), c.shape[1] - 1)
            out[t] = xs
            seen += (xs == stop) & (ends == n)
            ends[(seen >= stop_count) & (ends == n)] = t + 1
            if (ends < n).all():
                break
        return [out[: ends[i], i].copy() for i in range(S)]


class StepMap:
    """Symbol x's map over the free units, the held ones at their held values: F(h) - h and its Jacobian at
    states h (B, n), by central differences of the cell's step (a cell may give its own)."""

    EPS = 1e-6

    def __init__(self, cell: Cell, P: dict[str, np.ndarray], x: int, interventions: Interventions) -> None:
        self.cell, self.iv = cell, interventions
        self.P = {k: v[None] for k, v in P.items()}
        self.W = cell.width(cell.hidden_of(P))
        self.free = np.setdiff1d(np.arange(self.W), interventions.idx)
        self.a = cell.inputs(self.P, np.array([[x]]))[:, 0]  # (1, G H)

    def F(self, h: np.ndarray) -> np.ndarray:
        """The free units after one step from free units h (B, n)."""
        full = np.tile(self.iv.apply(np.zeros(self.W)), (len(h), 1))
        full[:, self.free] = h
        s, _ = self.cell.move(self.P, full[None], np.broadcast_to(self.a[:, None], (1, len(h), self.a.shape[-1])))
        return s[0][:, self.free]

    def residual(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F(h) - h (B, n) and its Jacobian dF/dh - I (B, n, n)."""
        n = h.shape[1]
        J = np.empty((len(h), n, n))
        for k in range(n):
            e = np.zeros(n)
            e[k] = self.EPS
            J[:, :, k] = (self.F(h + e) - self.F(h - e)) / (2 * self.EPS)
        return self.F(h) - h, J - np.eye(n)


def readout_grads(P: dict[str, np.ndarray], hs: np.ndarray, Y: np.ndarray):
    """Mean cross-entropy of targets Y (S, N) under p = softmax(Why h + by) for states hs (S, N, H); returns
    the loss per network (S,), the gradient on each h (S, N, H), and those on Why and by."""
    S, N, H = hs.shape
    V = P["by"].shape[-1]
    p = hs @ P["Why"].transpose(0, 2, 1)  # (S, N, V) logits, then probabilities
    p += P["by"][:, None, :]
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= (p @ np.ones(V))[..., None]
    at = np.arange(S * N) * V + Y.reshape(-1)  # flat index of each target
    loss = -np.log(np.maximum(p.reshape(-1)[at], 1e-300)).reshape(S, N).sum(axis=1) / N
    dy = p
    dy /= N
    dy.reshape(-1)[at] -= 1.0 / N
    return loss, dy @ P["Why"], dy.transpose(0, 2, 1) @ hs, np.ones(N) @ dy


@dataclass
class CellNet:
    """A network of a gated or ReLU cell: its parameters (PyTorch's layout, then the readout Why, by), its
    vocabulary and its meta. Its state has `hidden` units (an LSTM's h then c); `size` is H."""

    cell: Cell
    P: dict[str, np.ndarray]
    vocab: tuple[str, ...]
    meta: Meta | None = None

    @property
    def size(self) -> int:
        """H, the cell's size: the name's number."""
        return self.P["weight_hh"].shape[1]

    @property
    def hidden(self) -> int:
        """The state's units: what the instruments show, hold and probe."""
        return self.cell.width(self.size)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays by name (views, not copies)."""
        return self.P

    @property
    def Why(self) -> np.ndarray:
        return self.P["Why"]

    @property
    def by(self) -> np.ndarray:
        return self.P["by"]

    def stacked(self) -> dict[str, np.ndarray]:
        """The parameters as a population of one (views)."""
        return {k: v[None] for k, v in self.P.items()}

    def index(self, symbols: str) -> np.ndarray:
        """Map a string of symbols to vocabulary indices (a KeyError names an unknown symbol)."""
        return encode(self.vocab, symbols)

    @np.errstate(over="ignore", invalid="ignore")  # an unbounded unit may overflow: NaN probabilities (`sample`)
    def probabilities(self, states: np.ndarray) -> np.ndarray:
        """Next-symbol probabilities (..., V) from states (..., hidden): the readout of their h units."""
        return softmax(states[..., : self.size] @ self.P["Why"].T + self.P["by"])

    def step(self, h: np.ndarray, x: int, interventions: Interventions = NONE) -> StepResult:
        """Read symbol index x from state h (hidden,); returns the frozen result of the step."""
        a = self.P["weight_ih"][:, x] + self.P["bias_ih"]  # (G H,) the input's part
        s, _ = self.cell.move(self.stacked(), h[None, None], a[None, None])
        s = interventions.apply(s[0, 0].copy())
        return StepResult(int(x), s, self.probabilities(s), interventions.zeroed, interventions.clamped)

    @np.errstate(over="ignore", invalid="ignore")  # an unbounded unit may overflow: NaN probabilities (`sample`)
    def forward(self, X: np.ndarray, h0: np.ndarray, interventions: Interventions = NONE):
        """Run index batch X (B, T) from states h0 (B, hidden); returns states (B, T, hidden) and ps (B, T, V)."""
        P = self.stacked()
        a = self.cell.inputs(P, X[None])  # (1, B, T, G H)
        s, out = h0[None], np.empty(X.shape + (self.hidden,))
        for t in range(X.shape[1]):
            s, _ = self.cell.move(P, s, a[:, :, t])
            s = interventions.apply(s)
            out[:, t] = s[0]
        return out, self.probabilities(out)

    def loss_and_grads(self, X: np.ndarray, Y: np.ndarray, h0: np.ndarray, interventions: Interventions = NONE):
        """Mean cross-entropy, gradients like `params` and the last state, as `RNN.loss_and_grads`."""
        loss, grads, s = self.cell.stack_loss_and_grads(self.stacked(), X[None], Y[None], h0[None], interventions)
        return float(loss[0]), {k: g[0] for k, g in grads.items()}, s[0]

    @np.errstate(over="ignore", invalid="ignore")  # an unbounded unit may overflow: NaN probabilities (`sample`)
    def sample(
        self,
        h: np.ndarray,
        x: int,
        n: int,
        rng: np.random.Generator,
        temperature: float = 1.0,
        interventions: Interventions = NONE,
        stop: int | None = None,
        stop_count: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample n symbols starting by reading index x from state h, as `RNN.sample` does: one state vector,
        plain products and a Python bisection, far cheaper per step than the stacked kernels at this size."""
        out = np.empty(n, dtype=np.intp)
        u = rng.random(n).tolist()
        step, H = self.cell.vector_step(self.P), self.size
        Why, by = self.P["Why"] / temperature, self.P["by"] / temperature
        safe = (np.abs(Why).sum(axis=1) + np.abs(by)).max() < 600 and self.cell.h_bounded  # exp cannot overflow
        held = list(zip(interventions.idx.tolist(), interventions.val.tolist()))  # scalar sets are cheaper
        seen = 0
        for t in range(n):
            h = step(h, x)
            for i, v in held:
                h[i] = v
            y = Why.dot(h[:H]) + by  # (V,)
            c = list(accumulate(np.exp(y if safe else y - y.max()).tolist()))
            x = min(bisect_right(c, u[t] * c[-1]), len(c) - 1) if c[-1] == c[-1] else 0  # NaN: as stack_sample
            out[t] = x
            if x == stop:
                seen += 1
                if seen >= stop_count:
                    return out[: t + 1], h
        return out, h
