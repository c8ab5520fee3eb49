"""Hand-built networks whose neurons' roles are known by construction (no training)."""
from __future__ import annotations

import numpy as np

from .meta import Meta

from .model import RNN
from .tasks import GridTask
from .tasks.lines import CountTask, GrammarTask

GAIN = 5.0  # tanh(5) = 0.9999: a neuron at +-GAIN input is a saturated bit
MARGIN = 20.0  # logit gap between a legal and an illegal output: e^-20 per illegal symbol


def build_fill(task: GridTask) -> RNN:
    """The seed's "optimal" fill network: neuron i is the bit of cell i; the last neuron says "full".

    A bit is -1 for an empty cell and +1 for a filled one. Reading cell i sets bit i, the clear
    token resets every bit, and every other input leaves a bit as it was. The "full" neuron adds
    the bits of the previous step to the cell just read and fires when all N cells are filled.
    Outputs spread the probability evenly over the empty cells, and put it on clear only when full.
    """
    N = len(task.cells)
    H, V, clear = N + 1, N + 1, N  # the clear token is the symbol after the cells
    Wxh, Whh, bh = np.zeros((H, V)), np.zeros((H, H)), np.zeros(H)
    Why, by = np.zeros((V, H)), np.zeros(V)
    for i in range(N):
        Wxh[i, i], Wxh[i, clear], Whh[i, i] = 2 * GAIN, -2 * GAIN, GAIN
    full = N  # fires when the filled count, N - 1 before this move, reaches N with it
    Whh[full, :N] = GAIN
    Wxh[full, :N] = 2 * GAIN
    Wxh[full, clear] = -4 * N * GAIN
    bh[full] = -(N - 1) * GAIN
    for i in range(N):
        Why[i, i], Why[i, full] = -MARGIN / 2, -MARGIN / 2  # empty and not full: +MARGIN
    Why[clear, full] = MARGIN
    meta = Meta.made(task, H, command=f"rnnmem-tui build-optimal {task.name}",
                     construction="cell bits + full flag")
    return RNN(Wxh, Whh, Why, bh, by, vocab=task.vocab, meta=meta)


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
    meta = Meta.made(task, 4, command=f"rnnmem-tui build-optimal {task.name}",
                     construction="a-counter c, b-counter D, seen-b flag G, in-b^n flag F",
                     extra={"lam": lam, "e0": e0, "gamma": gamma, "alphaD": alphaD})
    return RNN(Wxh, Whh, Why, bh, by, vocab=task.vocab, meta=meta)


def build_count(task: CountTask, step: float = 0.1, floor: float = -0.5) -> RNN:
    """A 2-neuron count network: neuron 0 flags line start, neuron 1 counts the c's still to print.

    The flag is +1 after a newline and -1 after anything else. The counter sits at -1 after a
    newline; the digit k sets it to level L_k, and each `c` moves it down one level, since the levels
    are chosen so that tanh(L_r - step) = L_(r-1). At L_0 (nothing left) the output turns from `c`
    to the newline; at line start every digit gets the same logit.
    """
    V, ks = len(task.vocab), task.sizes
    col = {c: i for i, c in enumerate(task.vocab)}
    levels = [floor]  # L_0, L_1, ...: L_r = atanh(L_(r-1)) + step
    for _ in range(ks.stop - 1):
        levels.append(float(np.arctanh(levels[-1]) + step))
    if levels[-1] >= 0.95:
        raise ValueError("counter levels saturate: use a smaller step or floor")
    flag, counter, nl, c = 0, 1, col["\n"], col["c"]
    Wxh, Whh, bh = np.zeros((2, V)), np.zeros((2, 2)), np.zeros(2)
    Wxh[flag, :] = -GAIN
    Wxh[flag, nl] = GAIN
    Whh[counter, counter], bh[counter] = 1.0, -step  # one level down per step
    Wxh[counter, nl] = -10 * GAIN  # a newline empties the counter to -1
    for k in ks:  # from -1 (after the newline) straight to L_k
        Wxh[counter, col[str(k)]] = float(np.arctanh(levels[k])) + 1.0 + step
    theta = (levels[0] + levels[1]) / 2  # c above this level, newline below
    gain = 2 * MARGIN / (levels[1] - levels[0])  # half a level's gap is worth MARGIN in logits
    Why, by = np.zeros((V, 2)), np.zeros(V)
    line_start = 2 * MARGIN + gain * (1 + abs(theta))  # the flag outweighs any counter logit
    for k in ks:
        Why[col[str(k)], flag] = line_start
    Why[c, flag] = Why[nl, flag] = -line_start
    Why[c, counter], by[c] = gain / 2, -gain / 2 * theta
    Why[nl, counter], by[nl] = -gain / 2, gain / 2 * theta
    meta = Meta.made(task, 2, command=f"rnnmem-tui build-optimal {task.name}",
                     construction="line-start flag + counter")
    return RNN(Wxh, Whh, Why, bh, by, vocab=task.vocab, meta=meta)
