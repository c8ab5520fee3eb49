"""Count constructions: a counter that a digit sets and each `c` steps down; a clock hand for count-reverse."""

from __future__ import annotations

import numpy as np

from ..model import RNN
from ..tasks.lines import CountReverseTask, CountTask
from .common import GAIN, MARGIN, blank, construction, network


def counter(
    task: CountTask, Wxh: np.ndarray, Whh: np.ndarray, bh: np.ndarray, i: int, step: float, floor: float
) -> list[float]:
    """Make neuron i a counter of the c's still to print; return its levels L_0, L_1, ...

    A newline empties it to -1; the digit k sets it from -1 to L_k, and each `c` moves it down one
    level, since tanh(L_r - step) = L_(r-1). L_0 = floor means nothing is left to print.
    """
    col = {c: j for j, c in enumerate(task.vocab)}
    levels = [floor]  # L_r = tanh^-1(L_(r-1)) + step
    for _ in range(task.sizes.stop - 1):
        levels.append(float(np.arctanh(levels[-1]) + step))
    if levels[-1] >= 0.95:
        raise ValueError("counter levels saturate: use a smaller step or floor")
    Whh[i, i], bh[i] = 1.0, -step  # one level down per step
    Wxh[i, col["\n"]] = -10 * GAIN
    for k in task.sizes:  # from -1 (after the newline) straight to L_k
        Wxh[i, col[str(k)]] = float(np.arctanh(levels[k])) + 1.0 + step
    return levels


@construction("count", size=2)
def build_count(task: CountTask, step: float = 0.1, floor: float = -0.5) -> RNN:
    """A 2-neuron count network: neuron 0 flags line start, neuron 1 counts the c's still to print.

    The flag is +1 after a newline and -1 after anything else. The counter (see `counter`) sits
    at -1 after a newline, at L_k after the digit k, one level lower after each `c`. At L_0
    (nothing left) the output turns from `c` to the newline; at line start every digit gets the
    same logit.
    """
    V, col = len(task.vocab), {c: j for j, c in enumerate(task.vocab)}
    flag, count, nl, c = 0, 1, col["\n"], col["c"]
    Wxh, Whh, Why, bh, by = blank(2, V)
    levels = counter(task, Wxh, Whh, bh, count, step, floor)
    Wxh[flag, :] = -GAIN
    Wxh[flag, nl] = GAIN
    theta = (levels[0] + levels[1]) / 2  # c above this level, newline below
    gain = 2 * MARGIN / (levels[1] - levels[0])  # half a level's gap is worth MARGIN in logits
    line_start = 2 * MARGIN + gain * (1 + abs(theta))  # the flag outweighs any counter logit
    for k in task.sizes:
        Why[col[str(k)], flag] = line_start
    Why[c, flag] = Why[nl, flag] = -line_start
    Why[c, count], by[c] = gain / 2, -gain / 2 * theta
    Why[nl, count], by[nl] = -gain / 2, gain / 2 * theta
    return network(task, "line-start flag + counter", Wxh, Whh, Why, bh, by)


@construction("count", size=1)
def build_count_1(task: CountTask, step: float = 0.1, floor: float = -0.5) -> RNN:
    """A 1-neuron count network: the counter alone, read out in three bands.

    The counter of `build_count` already tells line start apart: a newline drives it to -1, below
    every level. So the readout cuts the neuron's range in three: below (-1 + L_0) / 2 every digit
    gets the same logit (line start, k uniform), between that and (L_0 + L_1) / 2 the newline
    wins (no c left), above it `c` wins. Each boundary sits half-way between the states on its
    sides, with MARGIN in logits to either.
    """
    V, col = len(task.vocab), {c: j for j, c in enumerate(task.vocab)}
    Wxh, Whh, Why, bh, by = blank(1, V)
    L = counter(task, Wxh, Whh, bh, 0, step, floor)
    low, high = (-1 + L[0]) / 2, (L[0] + L[1]) / 2  # line start | newline | c
    g_low, g_high = 2 * MARGIN / (L[0] + 1), 2 * MARGIN / (L[1] - L[0])
    for k in task.sizes:  # logits relative to the newline's 0
        Why[col[str(k)], 0], by[col[str(k)]] = -g_low, g_low * low
    Why[col["c"], 0], by[col["c"]] = g_high, -g_high * high
    return network(task, "one counter; digits below -1/L_0, newline between, c above", Wxh, Whh, Why, bh, by)


def separate(point: np.ndarray, others: np.ndarray, angles: int = 3600) -> tuple[np.ndarray, float]:
    """The unit direction n (2,) that best sets `point` apart from `others` (m, 2), and the margin:
    the least n . (point - other); raises ValueError when no line sets it apart."""
    t = np.linspace(0, 2 * np.pi, angles, endpoint=False)
    U = np.stack([np.cos(t), np.sin(t)], 1)  # (A, 2)
    gaps = (U @ point)[:, None] - U @ others.T  # (A, m)
    best = int(gaps.min(1).argmax())
    if gaps[best].min() <= 0:
        raise ValueError("the states are not in convex position: change the geometry")
    return U[best], float(gaps[best].min())


def rotation(angle: float) -> np.ndarray:
    """The 2x2 rotation by `angle` radians."""
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@construction("count-reverse", size=2)
def build_count_reverse(
    task: CountReverseTask, centre: float = 0.25, radius: float = 0.3, turn: float = 32.0, start: float = 240.0
) -> RNN:
    """A 2-neuron count-reverse network: the two neurons are a clock hand that turns once per `@`.

    Each `@` turns the state about the centre (c, c) by `turn` degrees: Whh is a rotation over
    tanh's slope 1 - c^2 there, so the step is a rotation to first order (the orbit is computed
    exactly, not assumed). A newline puts the hand at `start` degrees, `radius` from the centre;
    after j `@`s it sits at a_j. The digit j maps a_j to the origin, and the newline maps the
    origin (also h = 0, before the first line) back to the start.

    The origin and the points a_1..a_9 are in convex position, so each can be cut off from the
    others by a line: the digit j's logit (relative to `@`'s 0) is -log(9 - j) at a_j, so k stays
    uniform (stop with odds 1 : 9 - j), 9 forced at a_9, and at most -MARGIN at every other state;
    the newline's is MARGIN at the origin and -MARGIN on the orbit. One neuron cannot do this:
    see the README's "how small" notes.
    """
    V, col = len(task.vocab), {c: j for j, c in enumerate(task.vocab)}
    ks = task.sizes
    Wxh, Whh, Why, bh, by = blank(2, V)
    c = np.array([centre, centre])
    Whh[:] = rotation(np.radians(turn)) / (1 - centre**2)
    Wxh[:, col["@"]] = np.arctanh(c) - Whh @ c  # the centre is the turn's fixed point
    a = [c + radius * np.array([np.cos(np.radians(start)), np.sin(np.radians(start))])]  # a_0: line start
    for _ in range(ks.stop - 1):
        a.append(np.tanh(Whh @ a[-1] + Wxh[:, col["@"]]))
    a = np.array(a)  # (max_count + 1, 2): a_0 .. a_max
    Wxh[:, col["\n"]] = np.arctanh(a[0])  # from the origin to the start
    states = np.vstack([a, np.zeros((1, 2))])  # the orbit, then the origin (after a digit)
    for k in ks:
        Wxh[:, col[str(k)]] = -Whh @ a[k]  # from a_k to the origin
        n, gap = separate(a[k], np.delete(states, k, 0))
        target = MARGIN if k == ks.stop - 1 else -np.log(ks.stop - 1 - k)
        g = (MARGIN + target) / gap
        Why[col[str(k)]], by[col[str(k)]] = g * n, target - g * n @ a[k]
    n, gap = separate(np.zeros(2), a)
    Why[col["\n"]], by[col["\n"]] = 2 * MARGIN / gap * n, MARGIN
    return network(task, "clock hand: two neurons turn once per @; digit k read from the angle", Wxh, Whh, Why, bh, by)
