"""The GRU, with PyTorch's equations and gate order (r, z, n):
r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h."""

from __future__ import annotations

import numpy as np

from .base import Cell, sigmoid


class GRUCell(Cell):
    name, gates, bounded = "gru", 3, True
    equation = "r, z = σ(...); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1 - z) n + z h"

    tied = False  # the n gate's recurrent part is scaled by r

    def advance(self, a, hh, s, out=None):
        H = s.shape[-1]  # slices, not np.split: the same views, without its overhead at every step
        rz = sigmoid(a[..., : 2 * H] + hh[..., : 2 * H])  # r and z at once
        r, z, hn = rz[..., :H], rz[..., H:], hh[..., 2 * H :]
        n = np.tanh(a[..., 2 * H :] + r * hn)
        return np.add((1.0 - z) * n, z * s, out=out), (rz, n, hn, s)

    def vector_step(self, P):
        """r's and z's σ with their halves and both biases folded into the weights; n's recurrent bias b_hn stays
        inside r's product, as the equation has it."""
        H = self.hidden_of(P)
        k = np.ones(3 * H)
        k[: 2 * H] = 0.5
        table = (P["weight_ih"].T + P["bias_ih"]) * k
        table[:, : 2 * H] += P["bias_hh"][: 2 * H] * 0.5
        W, bn = P["weight_hh"] * k[:, None], P["bias_hh"][2 * H :]

        def step(s, x):
            a, hh = table[x], W.dot(s)
            rz = np.tanh(a[: 2 * H] + hh[: 2 * H]) * 0.5 + 0.5
            n = np.tanh(a[2 * H :] + rz[:H] * (hh[2 * H :] + bn))
            return n + rz[H:] * (s - n)

        return step

    def retreat(self, cache, ds, da, dhh):
        rz, n, hn, h = cache
        H = ds.shape[-1]
        r, z = rz[..., :H], rz[..., H:]
        dn = ds * (1.0 - z) * (1.0 - n * n)  # before n's tanh
        np.multiply(dn, hn, out=da[..., :H])  # r's and z's output gradients, then times σ' = σ (1 - σ)
        np.multiply(ds, h - n, out=da[..., H : 2 * H])
        slope = 1.0 - rz
        slope *= rz
        da[..., : 2 * H] *= slope
        da[..., 2 * H :] = dn
        dhh[..., : 2 * H] = da[..., : 2 * H]
        np.multiply(dn, r, out=dhh[..., 2 * H :])
        return ds * z

    @staticmethod
    def reference(P: dict[str, np.ndarray], xs: list[int], ys: list[int], h0: np.ndarray):
        """Loss and gradients of one sequence, written out step by step: the check for the stacked kernel."""
        Wi, Wh, bi, bh, Why, by = (P[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "Why", "by"))
        H = h0.shape[0]
        R, Z, N = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
        sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
        hs, c, ps, loss = {-1: h0}, {}, {}, 0.0
        for t, x in enumerate(xs):
            gi, gh = Wi[:, x] + bi, Wh @ hs[t - 1] + bh
            r, z = sig(gi[R] + gh[R]), sig(gi[Z] + gh[Z])
            n = np.tanh(gi[N] + r * gh[N])
            hs[t] = (1 - z) * n + z * hs[t - 1]
            c[t] = (r, z, n, gh[N])
            y = Why @ hs[t] + by
            ps[t] = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
            loss -= np.log(ps[t][ys[t]])
        g = {k: np.zeros_like(v) for k, v in P.items()}
        dnext = np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            r, z, n, hn = c[t]
            dy = ps[t].copy()
            dy[ys[t]] -= 1.0
            g["Why"] += np.outer(dy, hs[t])
            g["by"] += dy
            dh = Why.T @ dy + dnext
            dn = dh * (1 - z) * (1 - n**2)
            dz = dh * (hs[t - 1] - n) * z * (1 - z)
            dr = dn * hn * r * (1 - r)
            dgi = np.concatenate([dr, dz, dn])
            dgh = np.concatenate([dr, dz, dn * r])
            g["weight_ih"][:, xs[t]] += dgi
            g["bias_ih"] += dgi
            g["weight_hh"] += np.outer(dgh, hs[t - 1])
            g["bias_hh"] += dgh
            dnext = dh * z + Wh.T @ dgh
        return loss, g
