"""rnnmem-tui: a terminal explorer of how tiny recurrent networks store information.

The Python API (see rnnmem_tui.api): `from rnnmem_tui import load, train, Session, evaluate, explain`, and
`from_torch` for a PyTorch GRU, LSTM or ReLU RNN (rnnmem_tui.interop).
"""

import os

# The matrices here are tiny: BLAS threads only spin and fight over the cores (a 15x slowdown
# was measured on 2 busy cores). Must be set before numpy loads; an explicit setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .arith import pin  # noqa: E402 (the thread settings above come first, as they must)

pin()  # one BLAS kernel and one set of numpy loops on every x86 CPU with AVX2: the same bits on each

__version__ = "0.1.0"

_API = ("load", "train", "Session", "evaluate", "explain")
__all__ = [*_API, "from_torch", "__version__"]


def __getattr__(name: str):
    """The API's names, loaded on first use so that the command line starts fast.

    `rnnmem_tui.train` is also the training engine's module: once that module is loaded, the package's
    attribute is the module, which is callable as the API's `train` (see the end of train.py).
    """
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "from_torch":
        from .interop import from_torch

        return from_torch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
