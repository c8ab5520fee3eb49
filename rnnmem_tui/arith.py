"""What decides the floating-point arithmetic: OpenBLAS's kernel, pinned before numpy loads, and the fingerprint
that every file's meta records so that a rerun knows whether to expect the same bits or another draw.

Measured on one AMD EPYC by emulating other CPUs (README, "Reproducibility"): OpenBLAS picks its kernels by
CPU, and its SkylakeX `ddot`/`dgemv` kernels sum in another order than its Haswell ones; numpy's AVX-512 `exp`
and `log` differ from its AVX2 ones in the last bit of about 1 value in 20. Either turns a training run onto
another path within a few hundred updates. Pinning OpenBLAS to its Haswell kernels (any x86 CPU with AVX2 and
FMA runs them) removes the first cause at no cost to one network and about 7% to a population of 16; numpy's
loops cannot be pinned without changing every shipped network, so they are recorded instead.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from pathlib import Path

PINNED_CORE = "Haswell"
KEYS = ("machine", "numpy", "blas", "blas_core", "simd")  # the meta fields that decide the arithmetic


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pin_blas() -> None:
    """Before numpy loads, ask OpenBLAS for its Haswell kernels on an x86 CPU that runs them, so that its sums
    run in one order on Intel and AMD alike. A user's own OPENBLAS_CORETYPE wins; once numpy is loaded it is
    too late, and the meta records the kernel actually used."""
    if "numpy" in sys.modules or "OPENBLAS_CORETYPE" in os.environ:
        return
    if platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= cpu_flags():
        os.environ["OPENBLAS_CORETYPE"] = PINNED_CORE


def machine() -> str:
    """The CPU model and architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas() -> str:
    """numpy's BLAS as its build config names it, and the thread setting in force."""
    import numpy as np

    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{info.get('name')} {info.get('version')}"
    except Exception:  # an unusual numpy build: say so rather than fail a save
        name = "unknown"
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    return f"{name}, threads {threads}"


def blas_core() -> str:
    """The kernel family the loaded BLAS runs, as threadpoolctl reports it (e.g. `Haswell`, `SkylakeX`)."""
    from threadpoolctl import threadpool_info

    cores = [i.get("architecture") or "unknown" for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(cores) or "unknown"


def simd() -> str:
    """The SIMD targets numpy dispatches its loops to on this CPU (e.g. `X86_V3 X86_V4 AVX512_ICL`)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # another numpy layout: say so rather than guess
        return "unknown"
    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f)) or "baseline"


@functools.cache
def fingerprint() -> dict:
    """This process's arithmetic: the CPU, numpy's version and SIMD targets, the BLAS and its kernel."""
    import numpy as np

    return {"machine": machine(), "numpy": np.__version__, "blas": blas(), "blas_core": blas_core(), "simd": simd()}


def differences(recorded: dict) -> list[str]:
    """The fields of a recorded fingerprint that differ from this process's (a missing one counts as
    different: an older file did not record it). Empty: a rerun here should give the same bits."""
    here = fingerprint()
    return [f"{k}: {recorded.get(k)!r} here {here[k]!r}" for k in KEYS if recorded.get(k) != here[k]]
