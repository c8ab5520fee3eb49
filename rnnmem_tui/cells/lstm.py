"""The LSTM, with PyTorch's equations and gate order (i, f, g, o): c' = f c + i g, h' = o tanh(c').
Its state is h then c: units h0..h(H-1), then c0..c(H-1)."""

from __future__ import annotations

import numpy as np

from .base import Cell


class LSTMCell(Cell):
    name, gates, bounded = "lstm", 4, False
    equation = "i, f, o = σ(...); g = tanh(...); c' = f c + i g; h' = o tanh(c')"

    def width(self, H: int) -> int:
        """h and c."""
        return 2 * H

    def unit_names(self, H: int) -> list[str]:
        """h0.., then c0.."""
        return [f"h{i}" for i in range(H)] + [f"c{i}" for i in range(H)]

    def advance(self, a, hh, s, out=None):
        H = s.shape[-1] // 2
        pre = a + hh
        t = pre * 0.5  # one tanh for all four gates: σ(x) = (1 + tanh(x / 2)) / 2, as `sigmoid`
        t[..., 2 * H : 3 * H] = pre[..., 2 * H : 3 * H]
        np.tanh(t, out=t)
        gates = t + 1.0
        gates *= 0.5
        i, f, g, o = gates[..., :H], gates[..., H : 2 * H], t[..., 2 * H : 3 * H], gates[..., 3 * H :]
        c = s[..., H:]
        out = np.empty(s.shape) if out is None else out
        np.add(f * c, i * g, out=out[..., H:])  # c'
        tc = np.tanh(out[..., H:])
        np.multiply(o, tc, out=out[..., :H])  # h'
        return out, (gates, g, c, tc)

    def vector_step(self, P):
        """The gates' σ(x) = (1 + tanh(x / 2)) / 2 with the halves folded into the weights: one tanh a step."""
        H = self.hidden_of(P)
        k = np.full(4 * H, 0.5)
        k[2 * H : 3 * H] = 1.0
        table, W = (P["weight_ih"].T + P["bias_ih"] + P["bias_hh"]) * k, P["weight_hh"] * k[:, None]

        def step(s, x):
            t = np.tanh(table[x] + W.dot(s[:H]))
            gates = t * 0.5 + 0.5
            c = gates[H : 2 * H] * s[H:] + gates[:H] * t[2 * H : 3 * H]
            return np.concatenate((gates[3 * H :] * np.tanh(c), c))

        return step

    def retreat(self, cache, ds, da, dhh):
        gates, g, c, tc = cache
        H = g.shape[-1]
        i, f, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 3 * H :]
        dh, dc = ds[..., :H], ds[..., H:]
        dc = dc + dh * o * (1.0 - tc * tc)
        np.multiply(dc, g, out=da[..., :H])  # each gate's output gradient, then times its derivative
        np.multiply(dc, c, out=da[..., H : 2 * H])
        np.multiply(dc, i, out=da[..., 2 * H : 3 * H])
        np.multiply(dh, tc, out=da[..., 3 * H :])
        slope = 1.0 - gates  # σ' = σ (1 - σ) for i, f and o; tanh' = 1 - g² for g
        slope *= gates
        np.multiply(g, g, out=slope[..., 2 * H : 3 * H])
        np.subtract(1.0, slope[..., 2 * H : 3 * H], out=slope[..., 2 * H : 3 * H])
        da *= slope
        direct = np.zeros_like(ds)
        np.multiply(dc, f, out=direct[..., H:])
        return direct

    @staticmethod
    def reference(P: dict[str, np.ndarray], xs: list[int], ys: list[int], s0: np.ndarray):
        """Loss and gradients of one sequence, written out step by step: the check for the stacked kernel.
        s0 is h then c."""
        Wi, Wh, bi, bh, Why, by = (P[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "Why", "by"))
        H = s0.shape[0] // 2
        sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
        hs, cs, k, ps, loss = {-1: s0[:H]}, {-1: s0[H:]}, {}, {}, 0.0
        for t, x in enumerate(xs):
            pre = Wi[:, x] + bi + Wh @ hs[t - 1] + bh
            i, f, g, o = sig(pre[:H]), sig(pre[H : 2 * H]), np.tanh(pre[2 * H : 3 * H]), sig(pre[3 * H :])
            cs[t] = f * cs[t - 1] + i * g
            hs[t] = o * np.tanh(cs[t])
            k[t] = (i, f, g, o)
            y = Why @ hs[t] + by
            ps[t] = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
            loss -= np.log(ps[t][ys[t]])
        gr = {key: np.zeros_like(v) for key, v in P.items()}
        dh_next, dc_next = np.zeros(H), np.zeros(H)
        for t in reversed(range(len(xs))):
            i, f, g, o = k[t]
            dy = ps[t].copy()
            dy[ys[t]] -= 1.0
            gr["Why"] += np.outer(dy, hs[t])
            gr["by"] += dy
            dh = Why.T @ dy + dh_next
            tc = np.tanh(cs[t])
            dc = dc_next + dh * o * (1 - tc**2)
            dpre = np.concatenate(
                [dc * g * i * (1 - i), dc * cs[t - 1] * f * (1 - f), dc * i * (1 - g**2), dh * tc * o * (1 - o)]
            )
            gr["weight_ih"][:, xs[t]] += dpre
            gr["bias_ih"] += dpre
            gr["weight_hh"] += np.outer(dpre, hs[t - 1])
            gr["bias_hh"] += dpre
            dh_next, dc_next = Wh.T @ dpre, dc * f
        return loss, gr
