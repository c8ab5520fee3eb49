"""The recurrent cells, registered once: a fifth cell is its own file and one line in CELLS."""

from __future__ import annotations

from .base import Cell, CellNet
from .gru import GRUCell
from .lstm import LSTMCell
from .relu import ReLUCell
from .rnn import RNNCell

CELLS: dict[str, Cell] = {c.name: c for c in (RNNCell(), ReLUCell(), GRUCell(), LSTMCell())}


def cell_of(net) -> Cell:
    """The cell of a network: a CellNet's own, else the vanilla RNN's."""
    return net.cell if isinstance(net, CellNet) else CELLS["rnn"]


__all__ = ["CELLS", "Cell", "CellNet", "cell_of"]
