"""rnnmem-tui: a terminal explorer of how tiny recurrent networks store information."""
import os

# The matrices here are tiny: BLAS threads only spin and fight over the cores (a 15x slowdown
# was measured on 2 busy cores). Must be set before numpy loads; an explicit setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
