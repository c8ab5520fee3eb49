"""The vanilla RNN of min-char-rnn, h' = tanh(Wxh x + Whh h + bh): its network is `model.RNN`, whose tuned
kernels run its populations unchanged."""

from __future__ import annotations

import numpy as np

from .. import model
from .base import Cell


class TanhMap:
    """Symbol x's map over the free neurons only, F(h) = tanh(A h + c), with its exact Jacobian."""

    def __init__(self, P: dict[str, np.ndarray], x: int, iv: model.Interventions) -> None:
        self.free = free = np.setdiff1d(np.arange(P["Whh"].shape[0]), iv.idx)
        self.A = P["Whh"][np.ix_(free, free)]  # (n, n)
        self.c = P["Wxh"][free, x] + P["bh"][free] + P["Whh"][np.ix_(free, iv.idx)] @ iv.val  # (n,)

    def residual(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F(h) - h (B, n) and its Jacobian diag(1 - F^2) A - I (B, n, n) at states h (B, n)."""
        f = np.tanh(h @ self.A.T + self.c)  # (B, n)
        J = (1 - f * f)[:, :, None] * self.A - np.eye(len(self.c))  # (B, n, n)
        return f - h, J


class RNNCell(Cell):
    name, gates, bounded = "rnn", 1, True
    equation = "h' = tanh(Wxh x + Whh h + bh)"

    def shapes(self, H: int, V: int) -> dict[str, tuple[int, ...]]:
        """Today's five arrays (the weights-file contract's first format)."""
        return {"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H,), "by": (V,)}

    def init(self, H: int, V: int, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
        """As `RNN.init`: Wxh, Whh and Why drawn in that order, zero biases."""
        return model.RNN.init(H, tuple(" " * V), rng, scale).params

    def net(self, params, vocab, meta=None) -> model.RNN:
        return model.RNN(**params, vocab=tuple(vocab), meta=meta)

    def hidden_of(self, P):
        return P["Whh"].shape[-1]

    def folds(self) -> bool:
        return True

    def step_map(self, P, x, interventions):
        return TanhMap(P, x, interventions)

    def reach(self, P):
        return np.maximum(np.abs(P["Why"]).max(axis=0), np.abs(P["Whh"]).max(axis=0))

    def cut(self, P, i):
        Q = {k: v.copy() for k, v in P.items()}
        Q["Why"][:, i], Q["Whh"][np.arange(Q["Whh"].shape[0]) != i, i] = 0.0, 0.0
        return Q

    def stack_loss_and_grads(self, P, X, Y, s0, interventions=model.NONE):
        return model.stack_loss_and_grads(P, X, Y, s0, interventions)

    def stack_states(self, P, X):
        return model.stack_states(P, X)

    def stack_sample(self, P, x, n, rngs, stop, stop_count):
        return model.stack_sample(P, x, n, rngs, stop, stop_count)

    @staticmethod
    def reference(P: dict[str, np.ndarray], xs: list[int], ys: list[int], h0: np.ndarray):
        """min-char-rnn's lossFun over one sequence: the check for the stacked kernel."""
        Wxh, Whh, Why, bh, by = (P[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
        hs, ps, loss = {-1: h0}, {}, 0.0
        for t, x in enumerate(xs):
            hs[t] = np.tanh(Wxh[:, x] + Whh @ hs[t - 1] + bh)
            y = Why @ hs[t] + by
            ps[t] = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
            loss -= np.log(ps[t][ys[t]])
        g = {k: np.zeros_like(v) for k, v in P.items()}
        dnext = np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            dy = ps[t].copy()
            dy[ys[t]] -= 1.0
            g["Why"] += np.outer(dy, hs[t])
            g["by"] += dy
            draw = (1 - hs[t] ** 2) * (Why.T @ dy + dnext)
            g["Wxh"][:, xs[t]] += draw
            g["bh"] += draw
            g["Whh"] += np.outer(draw, hs[t - 1])
            dnext = Whh.T @ draw
        return loss, g
