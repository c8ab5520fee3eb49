"""The ReLU RNN: h' = max(0, W_ih x + b_ih + W_hh h + b_hh), identity-initialised (IRNN, Le et al. 2015)."""

from __future__ import annotations

import numpy as np

from .base import Cell


class ReLUCell(Cell):
    name, gates, bounded, h_bounded = "relu", 1, False, False
    equation = "h' = max(0, W_ih x + b_ih + W_hh h + b_hh)"
    init_options = ("identity", "init_bias")

    def init(
        self, H: int, V: int, rng: np.random.Generator, scale: float, identity: float = 1.0, init_bias: float = 0.0
    ) -> dict[str, np.ndarray]:
        """IRNN: W_hh = I, zero biases, Gaussian input and readout weights of std `scale`. `identity` scales
        W_hh's identity and `init_bias` starts every unit's input bias above 0, so that no unit starts dead
        (all its inputs negative: it never fires, and no gradient reaches it)."""
        P = super().init(H, V, rng, scale)
        P["weight_hh"] = identity * np.eye(H)
        P["bias_ih"] = P["bias_ih"] + init_bias
        return P

    def folds(self) -> bool:
        return True

    def advance(self, a, hh, s, out=None):
        pre = a + hh
        return np.maximum(pre, 0.0, out=out), (pre > 0,)

    def vector_step(self, P):
        """Both biases folded into the input table."""
        table, W = P["weight_ih"].T + P["bias_ih"] + P["bias_hh"], P["weight_hh"]

        def step(s, x):
            return np.maximum(table[x] + W.dot(s), 0.0)

        return step

    def retreat(self, cache, ds, da, dhh):
        (on,) = cache
        np.multiply(ds, on, out=da)
        return np.zeros_like(ds)

    @staticmethod
    def reference(P: dict[str, np.ndarray], xs: list[int], ys: list[int], h0: np.ndarray):
        """Loss and gradients of one sequence, written out step by step (min-char-rnn style): the check
        for the stacked kernel."""
        Wi, Wh, bi, bh, Why, by = (P[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "Why", "by"))
        hs, ps, loss = {-1: h0}, {}, 0.0
        for t, x in enumerate(xs):
            hs[t] = np.maximum(0.0, Wi[:, x] + bi + Wh @ hs[t - 1] + bh)
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
            dh = Why.T @ dy + dnext
            dpre = dh * (hs[t] > 0)
            g["weight_ih"][:, xs[t]] += dpre
            g["bias_ih"] += dpre
            g["weight_hh"] += np.outer(dpre, hs[t - 1])
            g["bias_hh"] += dpre
            dnext = Wh.T @ dpre
        return loss, g
