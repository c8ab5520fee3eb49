"""Grid constructions: one bit per cell, and the clear token's logit read from the bits."""

from __future__ import annotations

import numpy as np

from ..model import RNN
from ..tasks import GridTask
from .common import GAIN, MARGIN, blank, construction, network


def cell_bits(Wxh: np.ndarray, Whh: np.ndarray, N: int, clear: int) -> None:
    """Make neurons 0..N-1 cell bits: -1 empty, +1 filled; reading cell i sets bit i, clear resets all."""
    for i in range(N):
        Wxh[i, i], Wxh[i, clear], Whh[i, i] = 2 * GAIN, -2 * GAIN, GAIN


def and_neuron(Wxh: np.ndarray, Whh: np.ndarray, bh: np.ndarray, j: int, cells, clear: int) -> None:
    """Make neuron j fire (+1) when every cell of `cells` is filled, read from the bits of the previous
    step plus the cell just played; the clear token silences it."""
    cells = list(cells)
    Whh[j, cells] = GAIN
    Wxh[j, cells] = 2 * GAIN
    Wxh[j, clear] = -4 * len(cells) * GAIN
    bh[j] = -(len(cells) - 1) * GAIN


@construction("fill", size=lambda task: len(task.cells) + 1)
def build_fill(task: GridTask) -> RNN:
    """The seed's "optimal" fill network: neuron i is the bit of cell i; the last neuron says "full".

    A bit is -1 for an empty cell and +1 for a filled one. Reading cell i sets bit i, the clear
    token resets every bit, and every other input leaves a bit as it was. The "full" neuron adds
    the bits of the previous step to the cell just read and fires when all N cells are filled.
    Outputs spread the probability evenly over the empty cells, and put it on clear only when full.
    """
    N = len(task.cells)
    clear, full = N, N  # the clear token is the symbol after the cells; the full neuron after the bits
    Wxh, Whh, Why, bh, by = blank(N + 1, N + 1)
    cell_bits(Wxh, Whh, N, clear)
    and_neuron(Wxh, Whh, bh, full, range(N), clear)  # the filled count, N - 1 before this move, reaches N
    for i in range(N):
        Why[i, i], Why[i, full] = -MARGIN / 2, -MARGIN / 2  # empty and not full: +MARGIN
    Why[clear, full] = MARGIN
    return network(task, "cell bits + full flag", Wxh, Whh, Why, bh, by)


@construction("fill", size=lambda task: len(task.cells))
def build_fill_bits(task: GridTask) -> RNN:
    """Fill with N cell bits and nothing else: the clear token's logit is a linear AND of the bits.

    The bits are those of `build_fill`. An empty cell's logit is +MARGIN and a filled one's
    -MARGIN, so the probability spreads evenly over the empty cells. The clear logit is
    MARGIN * (sum of the bits - (N - 1)): the bits sum to N when the board is full (clear at
    +MARGIN, every cell at -MARGIN) and to at most N - 2 otherwise (clear at -MARGIN or below,
    under an empty cell's +MARGIN). A "full" neuron is not needed: the readout does its AND.
    """
    N = len(task.cells)
    clear = N
    Wxh, Whh, Why, bh, by = blank(N, N + 1)
    cell_bits(Wxh, Whh, N, clear)
    Why[np.arange(N), np.arange(N)] = -MARGIN
    Why[clear, :], by[clear] = MARGIN, -MARGIN * (N - 1)
    return network(task, "cell bits; clear = linear AND of the bits", Wxh, Whh, Why, bh, by)


@construction("three-in-a-row", size=lambda task: len(task.cells) + len(task.lines))
def build_three_lines(task: GridTask) -> RNN:
    """Three-in-a-row with N cell bits and one AND neuron per line (9 + 8 = 17 on 3x3).

    The bits are those of `build_fill`. Line neuron L fires when the move just read completes L:
    it reads the bits of the previous step plus the current input, as fill's "full" neuron does.
    Empty cells get logit +MARGIN and filled ones -MARGIN; the clear token's logit is
    4 MARGIN per complete line, less MARGIN, so it sits under the empty cells until a line is
    complete and over them by MARGIN or more after. "Some line is complete" is not a linear
    function of the bits, so the readout cannot do the lines' OR without these neurons.
    """
    N, lines = len(task.cells), list(task.lines.values())
    clear, H = N, N + len(lines)
    Wxh, Whh, Why, bh, by = blank(H, N + 1)
    cell_bits(Wxh, Whh, N, clear)
    for j, line in enumerate(lines, start=N):
        and_neuron(Wxh, Whh, bh, j, line, clear)
    Why[np.arange(N), np.arange(N)] = -MARGIN
    Why[clear, N:] = 2 * MARGIN  # (l + 1) / 2 is 1 for a complete line, 0 otherwise
    by[clear] = 2 * MARGIN * len(lines) - MARGIN
    return network(task, "cell bits + one AND neuron per line", Wxh, Whh, Why, bh, by)
