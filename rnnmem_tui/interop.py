"""PyTorch networks in this tool's format: an `nn.RNN` (ReLU), `nn.GRU` or `nn.LSTM` with a `Linear` readout."""

from __future__ import annotations

import numpy as np

from .cells import CELLS, CellNet
from .meta import Meta
from .tasks import Task, load_task

KINDS = {"GRU": "gru", "LSTM": "lstm", "RNN": "relu"}  # PyTorch's module classes, by name: torch is not imported


def from_torch(module, readout, task: str | Task) -> CellNet:
    """Copy a one-layer PyTorch recurrent module and its `Linear` readout (V outputs) into a network of this tool
    for `task`: weight_ih_l0, weight_hh_l0, bias_ih_l0 and bias_hh_l0 keep PyTorch's layout and gate order, and
    the readout's weight and bias become Why and by. An `nn.RNN` must use nonlinearity='relu' (a tanh `nn.RNN`
    has one bias more than this tool's rnn cell: build it with `train` instead). Raises ValueError."""
    task = load_task(task) if isinstance(task, str) else task
    kind = KINDS.get(type(module).__name__)
    if kind is None:
        raise ValueError(
            f"from_torch takes nn.GRU, nn.LSTM or nn.RNN(nonlinearity='relu'), not {type(module).__name__}"
        )
    if kind == "relu" and getattr(module, "nonlinearity", "relu") != "relu":
        raise ValueError("a tanh nn.RNN has two biases where this tool's rnn has one: use nonlinearity='relu'")
    if getattr(module, "num_layers", 1) != 1 or getattr(module, "bidirectional", False):
        raise ValueError("from_torch takes one layer, one direction")

    def array(t) -> np.ndarray:
        return np.array(t.detach().cpu().double().numpy(), dtype=float)

    P = {
        "weight_ih": array(module.weight_ih_l0),
        "weight_hh": array(module.weight_hh_l0),
        "bias_ih": array(module.bias_ih_l0),
        "bias_hh": array(module.bias_hh_l0),
        "Why": array(readout.weight),
        "by": array(readout.bias),
    }
    cell = CELLS[kind]
    H, V = P["weight_hh"].shape[1], len(task.vocab)
    for k, shape in cell.shapes(H, V).items():
        if P[k].shape != shape:
            raise ValueError(f"{k} has shape {P[k].shape}; a {kind} of {H} units on {task.name} needs {shape}")
    meta = Meta.made(task, H, cell=kind, format=2, construction="copied from PyTorch (from_torch)")
    return CellNet(cell, P, task.vocab, meta)
