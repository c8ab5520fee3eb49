"""Grammar constructions for a^n b a b^n: counters in tanh's near-linear range, and phase flags."""

from __future__ import annotations

import numpy as np

from ..model import RNN
from ..tasks.lines import GrammarTask
from .common import GAIN, MARGIN, construction, network


def _grammar_orbits(lam: float, e0: float, gamma: float, alphaD: float, sizes: range):
    """The counters' values: c after k a's (k = 0..n_max), and D at r = 0 and r >= 1 b's left."""
    cs = [e0]
    for _ in range(sizes.stop - 1):
        cs.append(np.tanh(lam * cs[-1]))
    cs = np.array(cs)  # (n_max + 1,)
    r0, r1 = [], []
    for n in sizes:
        d = np.tanh(alphaD * np.tanh(gamma * cs[n]))  # after the middle b, then the middle a
        ds = [d]
        for _ in range(n):
            ds.append(np.tanh(alphaD * ds[-1]))
        r0.append(ds[n])
        r1 += ds[:n]
    return cs, np.array(r0), np.array(r1)


@construction("grammar", size=4)
def build_grammar(task: GrammarTask, lam: float = 1.3, e0: float = 8e-4, gamma: float = 8.0) -> RNN:
    """A 4-neuron network for a^n b a b^n (n uniform on n_min..n_max, u, v, w = a, b, ba).

    Neurons (saturated ones sit at +-1):
      0 `c`, the a-counter: e0 * lam^k after k a's (a tanh near 0 steps by the ratio lam);
        -1 after any b. A newline resets it to e0, from a line's end and from h = 0 alike.
      1 `D`, the b-counter: +1 in a^n; gamma * c_n after the middle b, then it shrinks by the ratio
        alphaD ~ 1/lam per b read, so it crosses one threshold when no b is left, for every n.
      2 `G`, "seen b": set by b, or by the a that makes the count n_max (c_{t-1} above a threshold
        between c at n_max - 2 and n_max - 1), reset by newline.
      3 `F`, "in b^n": set by the middle a (an a while G is on), held, reset by newline.
    Outputs: in a^n the logit of a over b is linear in c, fitted to log(remaining / 1) so that n stays
    uniform; G forces b at n_max; c = -1 with F off means "the middle a"; with F on, D chooses b or
    newline. The counters run in tanh's near-linear range, so the output and threshold weights
    are large (up to ~4e4). Only n_min = 0 and the default u, v, w are supported.
    """
    sizes = range(task.params["n_min"], task.params["n_max"] + 1)
    if task.uvw != ("a", "b", "ba") or sizes.start != 0:
        raise ValueError("build_grammar supports a^n b a b^n with n_min = 0")
    K, M = GAIN * 2, MARGIN  # saturation gain of a flag; logit margin of a deterministic choice
    grid = (1 + np.linspace(0.0, 0.01, 201)) / lam  # alphaD slightly above 1/lam undoes tanh's shrinkage

    def rel_gap(a: float) -> float:
        _, r0, r1 = _grammar_orbits(lam, e0, gamma, a, sizes)
        return (r1.min() - r0.max()) / r0.max() if len(r1) else 1.0

    alphaD = float(max(grid, key=rel_gap))
    cs, r0, r1 = _grammar_orbits(lam, e0, gamma, alphaD, sizes)
    NL, A, B = (task.vocab.index(s) for s in ("\n", "a", "b"))
    c, D, G, F = 0, 1, 2, 3
    Wxh, Whh, bh = np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4)  # (H, V) (H, H) (H,)
    # c: pre = lam c in a^n; <= -K after b, in b^n and after the middle a; atanh(e0) after newline.
    # At a line's end c, G and F sit at -1, +1, +1 and their weights into c sum to 0 there, so a
    # newline resets c to e0 from that state and from h = 0 alike.
    v, P = -(K + lam), -K - 2 * lam
    wF = lam - v
    Whh[c, c], Whh[c, G], Whh[c, F] = lam, v, wF
    Wxh[c, A], Wxh[c, B], Wxh[c, NL] = v + wF, P + v + wF, np.arctanh(e0)
    # G: fires when c_{t-1} passes th, between the counts n_max - 2 and n_max - 1
    N = sizes.stop - 1
    th, g = np.sqrt(cs[N - 2] * cs[N - 1]), 2 * 12 / (cs[N - 1] - cs[N - 2])
    WGG = (g * (1 + th) + 2 * K) / 2  # holds G on against c = -1 after b
    Whh[G, G], Whh[G, c] = WGG, g
    Wxh[G, A], Wxh[G, B], Wxh[G, NL] = WGG - g * th, WGG + g + K, -(2 * WGG + 2 * g + K)
    # F: on iff F was on, or G is on and a is read
    Whh[F, F], Whh[F, G], Wxh[F, A], Wxh[F, NL] = 4 * K, 2 * K, 3 * K, -10 * K
    # D: pre = 2 gamma in a^n, gamma c_n at the middle b, alphaD D after it
    vF = (alphaD + gamma) / 2
    Whh[D, D], Whh[D, c], Whh[D, F] = alphaD, gamma, vF
    Wxh[D, B], Wxh[D, A], Wxh[D, NL] = gamma - vF, gamma + vF, 3 * gamma + 2 * K
    Why, by = np.zeros((3, 4)), np.zeros(3)  # (V, H) (V,); logits relative to b's
    left = np.log(N - np.arange(N, dtype=float))  # log odds of a over b after k a's: (N - k) : 1
    t, s = np.linalg.lstsq(np.stack([np.ones(N), cs[:N]], 1), left, rcond=None)[0]
    g2 = -M - abs(s * cs[N] + t)  # G on in a^n: b
    f2 = (-M + s - t - 2 * g2) / 2 - M  # F on: not a
    Why[A], by[A] = [s, 0.0, g2, f2], t + g2 + f2
    gap, thD = r1.min() - r0.max(), (r1.min() + r0.max()) / 2
    Why[NL, D], by[NL] = -2 * M / gap, 2 * M / gap * thD  # newline when D is below thD
    return network(
        task,
        "a-counter c, b-counter D, seen-b flag G, in-b^n flag F",
        Wxh,
        Whh,
        Why,
        bh,
        by,
        lam=lam,
        e0=e0,
        gamma=gamma,
        alphaD=alphaD,
    )
