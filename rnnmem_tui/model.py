"""The vanilla RNN of min-char-rnn: one step with interventions, batched forward/backward, sampling."""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .meta import Meta

PARAMS = ("Wxh", "Whh", "Why", "bh", "by")


@dataclass(frozen=True)
class Interventions:
    """State units held at 0 (zeroed) or at a finite value (clamped; a tanh unit's lie in [-1, 1]); never an edit
    of the weights."""

    zeroed: frozenset[int] = frozenset()
    clamped: tuple[tuple[int, float], ...] = ()  # sorted (neuron, value) pairs
    idx: np.ndarray = field(init=False, repr=False, compare=False)
    val: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        clamps = dict(self.clamped)
        for i, v in clamps.items():
            if not np.isfinite(v):
                raise ValueError(f"clamp value for neuron {i} must be finite, got {v}")
        both = self.zeroed & clamps.keys()
        if both:
            raise ValueError(f"neuron {min(both)} is both zeroed and clamped")
        pairs = [(i, 0.0) for i in sorted(self.zeroed)] + sorted(clamps.items())
        object.__setattr__(self, "clamped", tuple(sorted(clamps.items())))
        object.__setattr__(self, "idx", np.array([i for i, _ in pairs], dtype=np.intp))
        object.__setattr__(self, "val", np.array([v for _, v in pairs], dtype=float))

    def __bool__(self) -> bool:
        return bool(self.idx.size)

    def check(self, hidden: int, bounded: bool = True) -> Interventions:
        """Return self, or raise ValueError if a neuron index is outside 0..hidden-1, or (for a network whose
        units are `bounded`, tanh's) a clamp value outside [-1, 1]."""
        bad = [int(i) for i in self.idx if not 0 <= i < hidden]
        if bad:
            raise ValueError(f"neuron {bad[0]} is out of range: this network has neurons 0..{hidden - 1}")
        outside = [(i, v) for i, v in self.clamped if bounded and not -1.0 <= v <= 1.0]
        if outside:
            i, v = outside[0]
            raise ValueError(f"clamp value for neuron {i} must be in [-1, 1], got {v}")
        return self

    def zero(self, i: int) -> Interventions:
        """Return a copy with neuron i zeroed (and no longer clamped)."""
        rest = tuple((j, v) for j, v in self.clamped if j != i)
        return Interventions(self.zeroed | {i}, rest)

    def clamp(self, i: int, v: float) -> Interventions:
        """Return a copy with neuron i clamped to v (and no longer zeroed)."""
        rest = tuple((j, w) for j, w in self.clamped if j != i)
        return Interventions(self.zeroed - {i}, rest + ((i, float(v)),))

    def release(self, i: int) -> Interventions:
        """Return a copy with neuron i free."""
        return Interventions(self.zeroed - {i}, tuple((j, v) for j, v in self.clamped if j != i))

    def of(self, i: int) -> str | None:
        """Describe neuron i's intervention ('zeroed', 'clamped +0.80'), or None when it is free."""
        if i in self.zeroed:
            return "zeroed"
        v = dict(self.clamped).get(i)
        return None if v is None else f"clamped {v:+.2f}"

    def apply(self, h: np.ndarray) -> np.ndarray:
        """Set the held neurons of h (..., H) in place and return it."""
        if self.idx.size:
            h[..., self.idx] = self.val
        return h


NONE = Interventions()


@dataclass(frozen=True)
class StepResult:
    """What one step produced: the input read, the hidden state, the next-symbol probabilities."""

    x: int  # index of the symbol read
    h: np.ndarray  # (H,) hidden state after interventions
    p: np.ndarray  # (V,) next-symbol probabilities
    zeroed: frozenset[int]
    clamped: tuple[tuple[int, float], ...]


def encode(vocab: tuple[str, ...], symbols: str) -> np.ndarray:
    """Vocabulary indices of a string of symbols, via a lookup table over code points."""
    lut = np.full(max(map(ord, vocab)) + 1, -1, dtype=np.intp)
    lut[[ord(c) for c in vocab]] = np.arange(len(vocab))
    codes = np.frombuffer(symbols.encode("utf-32-le"), dtype=np.uint32)
    idx = lut[np.minimum(codes, len(lut) - 1)]
    bad = (codes >= len(lut)) | (idx < 0)
    if bad.any():
        raise KeyError(f"symbol {symbols[int(np.argmax(bad))]!r} is not in the vocabulary")
    return idx


def softmax(y: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class RNN:
    """h_t = tanh(Wxh x_t + Whh h_{t-1} + bh);  p_t = softmax(Why h_t + by)."""

    Wxh: np.ndarray  # (H, V) input to hidden
    Whh: np.ndarray  # (H, H) hidden to hidden
    Why: np.ndarray  # (V, H) hidden to output
    bh: np.ndarray  # (H,) hidden bias
    by: np.ndarray  # (V,) output bias
    vocab: tuple[str, ...]  # symbol of each index
    meta: Meta | None = None  # what it is for and how it was made

    @classmethod
    def init(
        cls, hidden: int, vocab: tuple[str, ...], rng: np.random.Generator, scale: float = 0.1, meta: Meta | None = None
    ) -> RNN:
        """A fresh network with Gaussian weights of the given scale and zero biases."""
        V = len(vocab)
        return cls(
            Wxh=rng.standard_normal((hidden, V)) * scale,
            Whh=rng.standard_normal((hidden, hidden)) * scale,
            Why=rng.standard_normal((V, hidden)) * scale,
            bh=np.zeros(hidden),
            by=np.zeros(V),
            vocab=tuple(vocab),
            meta=meta,
        )

    @property
    def hidden(self) -> int:
        """Number of hidden neurons H."""
        return self.Whh.shape[0]

    @property
    def size(self) -> int:
        """H: the name's number (a cell's state may hold more units than this; this one's holds H)."""
        return self.Whh.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The five parameter arrays by name (views, not copies)."""
        return {k: getattr(self, k) for k in PARAMS}

    def index(self, symbols: str) -> np.ndarray:
        """Map a string of symbols to vocabulary indices (a KeyError names an unknown symbol)."""
        return encode(self.vocab, symbols)

    def probabilities(self, states: np.ndarray) -> np.ndarray:
        """Next-symbol probabilities (..., V) from hidden states (..., H)."""
        return softmax(states @ self.Why.T + self.by)

    def step(self, h: np.ndarray, x: int, interventions: Interventions = NONE) -> StepResult:
        """Read symbol index x from state h (H,); returns the frozen result of the step."""
        h = np.tanh(self.Wxh[:, x] + self.Whh @ h + self.bh)  # (H,)
        interventions.apply(h)
        p = softmax(self.Why @ h + self.by)  # (V,)
        return StepResult(int(x), h, p, interventions.zeroed, interventions.clamped)

    def forward(self, X: np.ndarray, h0: np.ndarray, interventions: Interventions = NONE):
        """Run index batch X (B, T) from states h0 (B, H); returns hs (B, T, H) and ps (B, T, V)."""
        B, T = X.shape
        xin = self.Wxh.T[X] + self.bh  # (B, T, H)
        hs = np.empty((B, T, self.hidden))
        h = h0
        WhhT = self.Whh.T
        for t in range(T):
            h = hs[:, t]
            np.tanh(xin[:, t] + hs[:, t - 1] @ WhhT if t else xin[:, 0] + h0 @ WhhT, out=h)  # (B, H)
            interventions.apply(h)
        ps = softmax(hs @ self.Why.T + self.by)  # (B, T, V)
        return hs, ps

    def loss_and_grads(self, X: np.ndarray, Y: np.ndarray, h0: np.ndarray, interventions: Interventions = NONE):
        """Mean cross-entropy of targets Y (B, T) given inputs X (B, T) and states h0 (B, H).

        Returns the loss, the gradients on the parameters (a dict like `params`) and the last
        hidden state (B, H), as min-char-rnn's lossFun does. A population of one for `stack_loss_and_grads`.
        """
        P = {k: v[None] for k, v in self.params.items()}
        loss, grads, h = stack_loss_and_grads(P, X[None], Y[None], h0[None], interventions)
        return float(loss[0]), {k: g[0] for k, g in grads.items()}, h[0]

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
        """Sample n symbols starting by reading index x from state h (H,).

        Stops early once symbol `stop` has been emitted stop_count times (when stop is given).
        Returns the emitted indices (n,) and the last hidden state (H,).
        """
        out = np.empty(n, dtype=np.intp)
        u = rng.random(n).tolist()
        xrow = self.Wxh.T + self.bh  # (V, H) input contribution of each symbol
        Whh, Why, by = self.Whh, self.Why / temperature, self.by / temperature
        safe = (np.abs(Why).sum(axis=1) + np.abs(by)).max() < 600  # exp cannot overflow
        held = list(zip(interventions.idx.tolist(), interventions.val.tolist()))  # scalar sets are cheaper
        seen = 0
        for t in range(n):
            h = np.tanh(xrow[x] + Whh.dot(h))  # (H,)
            for i, v in held:
                h[i] = v
            y = Why.dot(h) + by  # (V,)
            # plain-Python cumulative sum and bisection: far cheaper than numpy calls at this size
            c = list(accumulate(np.exp(y if safe else y - y.max()).tolist()))
            x = min(bisect_right(c, u[t] * c[-1]), len(c) - 1)
            out[t] = x
            if x == stop:
                seen += 1
                if seen >= stop_count:
                    return out[: t + 1], h
        return out, h


_WORK = threading.local()  # per thread: the explorer trains in a worker thread


def _workspace(S: int, T: int, B: int, H: int, V: int) -> dict[str, np.ndarray]:
    """Scratch arrays for `stack_loss_and_grads`, kept between calls: fresh ones cost page faults."""
    key, cache = (S, T, B, H, V), _WORK.__dict__
    if key not in cache:
        if len(cache) > 8:  # a population shrinks as members stop: forget old shapes
            cache.clear()
        big = {k: np.empty((S, T * B, H)) for k in ("xin", "dh", "dtanh")}
        cache[key] = {
            **big,
            "hx": np.empty((S, (T + 1) * B, H)),  # the states, h0 first
            "ps": np.empty((S, T * B, V)),
            "onehot": np.zeros((S, T * B, V)),
            "rows": np.arange(S * T * B) * V,
        }
    return cache[key]


@np.errstate(over="ignore", invalid="ignore")  # a diverging run overflows: the trainer sees the NaN and says so
def stack_loss_and_grads(
    P: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, h0: np.ndarray, interventions: Interventions = NONE
):
    """Loss and gradients of S networks at once: P holds stacked parameters (S, ...) like `RNN.params`.

    X and Y are (S, B, T) indices, h0 is (S, B, H). Returns the mean cross-entropy per network (S,),
    stacked gradients like P and the last hidden states (S, B, H). Every network's figures come from
    the same calls whatever S is, so a member of a population trains exactly as it would alone.
    Sums over rows are products with a ones vector: at these sizes a BLAS call is far cheaper than
    numpy's reductions over short axes.
    """
    S, B, T = X.shape
    H, V = P["Whh"].shape[1], P["by"].shape[1]
    N = B * T
    Xt = X.transpose(0, 2, 1).reshape(S, N)  # (S, N) inputs, rows in (t, b) order: time-major
    Yt = Y.transpose(0, 2, 1).reshape(S, N)  # (S, N) targets
    base = np.arange(S)[:, None] * V  # (S, 1) offset of each network's rows
    table = (P["Wxh"].transpose(0, 2, 1) + P["bh"][:, None, :]).reshape(S * V, H)  # (S*V, H) input rows
    w = _workspace(S, T, B, H, V)
    xin = np.take(table, (Xt + base).ravel(), axis=0, out=w["xin"].reshape(S * N, H)).reshape(
        S, T, B, H
    )  # (S, T, B, H)
    hx = w["hx"].reshape(S, T + 1, B, H)  # (S, T+1, B, H): h0, then the state after each step
    hx[:, 0] = h0
    hs = hx[:, 1:]  # (S, T, B, H)
    WhhT = P["Whh"].transpose(0, 2, 1)  # (S, H, H)
    h = h0
    for t in range(T):
        z = h @ WhhT  # (S, B, H)
        z += xin[:, t]
        h = hs[:, t]
        np.tanh(z, out=h)
        interventions.apply(h)
    flat = hs.reshape(S, N, H)  # (S, N, H)
    ps = np.matmul(flat, P["Why"].transpose(0, 2, 1), out=w["ps"])  # (S, N, V) logits, then probabilities
    ps += P["by"][:, None, :]
    flat_ps = ps.reshape(S, -1)
    big = (flat_ps.max(axis=1) > 600) | (flat_ps.min(axis=1) < -600)  # (S,) exp could over- or underflow
    if big.any():
        ps[big] -= ps[big].max(axis=2, keepdims=True)
    at = w["rows"] + Yt.ravel()  # flat index of each target's logit
    picked = np.take(ps, at).reshape(S, N)  # (S, N) the targets' logits
    np.exp(ps, out=ps)
    sums = ps @ np.ones(V)  # (S, N)
    loss = (np.log(sums) - picked).sum(axis=1) / N  # (S,) mean cross-entropy
    dy = ps  # (S, N, V) gradient on the logits: softmax / N, less 1 / N at the targets, in place
    dy *= (1.0 / (sums * N))[..., None]
    dy.reshape(-1)[at] -= 1.0 / N
    ones = np.ones(N)
    dWhy = dy.transpose(0, 2, 1) @ flat  # (S, V, H)
    dby = ones @ dy  # (S, V)
    dh = np.matmul(dy, P["Why"], out=w["dh"]).reshape(S, T, B, H)  # (S, T, B, H) from the outputs
    dtanh = np.multiply(hs, hs, out=w["dtanh"].reshape(S, T, B, H))  # (S, T, B, H) then 1 - h^2
    np.subtract(1.0, dtanh, out=dtanh)
    dtanh[..., interventions.idx] = 0.0  # a held neuron passes no gradient
    Whh = P["Whh"]
    for t in range(T - 1, -1, -1):
        d = dh[:, t]  # becomes the gradient before tanh, in place
        d *= dtanh[:, t]
        if t:
            dh[:, t - 1] += d @ Whh  # (S, B, H)
    draw = dh.reshape(S, N, H)  # (S, N, H) gradient before tanh
    hprev = hx[:, :-1].reshape(S, N, H)  # (S, N, H) the state each step read
    dWhh = draw.transpose(0, 2, 1) @ hprev  # (S, H, H)
    onehot, ones_at = w["onehot"], w["rows"] + Xt.ravel()  # (S, N, V) the inputs, zero between calls
    onehot.reshape(-1)[ones_at] = 1.0
    dWxh = draw.transpose(0, 2, 1) @ onehot  # (S, H, V)
    onehot.reshape(-1)[ones_at] = 0.0
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": ones @ draw, "by": dby}
    return loss, grads, hs[:, -1].copy()


def stack_states(P: dict[str, np.ndarray], X: list[np.ndarray]) -> list[np.ndarray]:
    """The states `RNN.forward` reaches from h = 0 on each network's own index sequence X[j] (T_j,), for S
    stacked networks in one recurrence (each sequence padded to the longest); returns each (T_j, H)."""
    S, H = P["Whh"].shape[:2]
    idx = np.zeros((S, max(len(x) for x in X)), dtype=np.intp)  # (S, T)
    for j, x in enumerate(X):
        idx[j, : len(x)] = x
    xin = P["Wxh"].transpose(0, 2, 1)[np.arange(S)[:, None], idx] + P["bh"][:, None, :]  # (S, T, H)
    hs = np.empty((S, idx.shape[1], 1, H))  # row t: each network's (1, H) state, as RNN.forward's batch of one
    WhhT, h = P["Whh"].transpose(0, 2, 1), np.zeros((S, 1, H))
    for t in range(idx.shape[1]):
        np.tanh(xin[:, t, None] + h @ WhhT, out=hs[:, t])
        h = hs[:, t]
    return [hs[j, : len(x), 0] for j, x in enumerate(X)]


CHUNK = 64  # steps the lockstep sampler takes between looks for ended streams


def stack_sample(
    P: dict[str, np.ndarray], x: int, n: int, rngs: list[np.random.Generator], stop: int, stop_count: int
) -> list[np.ndarray]:
    """`RNN.sample` for S stacked networks at once, from h = 0, each with its own generator.

    Each network draws its uniforms as `RNN.sample` does and gets the same symbols (a test checks it).
    Returns each network's emitted indices, cut after its stop_count-th `stop` symbol. The networks
    that have ended leave the computation every CHUNK steps (checking at every step costs more).
    """
    S, H, V = P["Whh"].shape[0], P["Whh"].shape[1], P["by"].shape[1]
    u = np.stack([r.random(n) for r in rngs], axis=1)  # (n, S) drawn up front as RNN.sample does; row t for step t
    safe = (np.abs(P["Why"]).sum(axis=2) + np.abs(P["by"])).max(axis=1) < 600  # (S,) exp cannot overflow
    rows = (P["Wxh"].transpose(0, 2, 1) + P["bh"][:, None, :])[:, :, :, None]  # (S, V, H, 1) input rows
    out = np.zeros((n, S), dtype=np.intp)  # row t: every network's symbol at step t
    ends = np.full(S, n)  # where each network's stream ends
    seen = np.zeros(S, dtype=np.intp)  # stop symbols so far
    live = np.arange(S)  # networks still sampling; the arrays below hold only theirs
    h, xs = np.zeros((S, H, 1)), np.full(S, x)  # columns: the matrix-vector products RNN.sample makes
    t0 = 0
    while live.size and t0 < n:
        L, t1 = live.size, min(t0 + CHUNK, n)
        xrow, Whh, Why, by, ar = rows[live], P["Whh"][live], P["Why"][live], P["by"][live][:, :, None], np.arange(L)
        shift = None if safe[live].all() else ~safe[live, None, None]  # (L, 1, 1) who must subtract the max
        z, y, c, thr = np.empty((L, H, 1)), np.empty((L, V, 1)), np.empty((L, V, 1)), np.empty((L, 1, 1))
        above = np.ones((L, V), dtype=bool)  # c > threshold; the last column stays True: at most V - 1
        ul = u[t0:t1, live][:, :, None, None]  # (k, L, 1, 1)
        got = np.empty((t1 - t0, L), dtype=np.intp)
        total, head, cut, above_head = c[:, -1:], c[:, :-1, 0], thr[:, :, 0], above[:, :-1]  # views, made once
        for t in range(t1 - t0):
            np.matmul(Whh, h, out=z)
            z += xrow[ar, xs]
            np.tanh(z, out=h)  # (L, H, 1)
            np.matmul(Why, h, out=y)
            y += by  # (L, V, 1) logits
            if shift is not None:
                y -= np.where(shift, y.max(axis=1, keepdims=True), 0.0)
            np.exp(y, out=y)
            np.add.accumulate(y, axis=1, out=c)
            np.multiply(ul[t], total, out=thr)
            np.greater(head, cut, out=above_head)
            xs = got[t] = above.argmax(axis=1)  # the first symbol whose cumulative mass passes u: bisect_right
        out[t0:t1, live] = got
        count = seen[live] + np.cumsum(got == stop, axis=0)  # (k, L) stop symbols up to each step
        seen[live] = count[-1]
        ended = count[-1] >= stop_count
        for j in np.flatnonzero(ended):
            ends[live[j]] = t0 + int(np.argmax(count[:, j] >= stop_count)) + 1
        keep = ~ended
        live, h, xs, t0 = live[keep], h[keep], xs[keep], t1
    return [out[: ends[i], i].copy() for i in range(S)]
