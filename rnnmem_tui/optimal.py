"""Hand-built networks whose neurons' roles are known by construction (no training)."""
from __future__ import annotations

import numpy as np

from .model import RNN
from .tasks import GridTask

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
    meta = {"task": task.family, "spec": task.name, "hidden": H, **task.params,
            "command": f"rnnmem-tui build-optimal {task.name}", "seed": None, "steps": 0,
            "seconds": 0.0, "construction": "cell bits + full flag"}
    return RNN(Wxh, Whh, Why, bh, by, vocab=task.vocab, meta=meta)
