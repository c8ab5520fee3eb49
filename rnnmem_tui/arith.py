"""What decides the floating-point arithmetic: OpenBLAS's kernel and numpy's SIMD loops, both pinned before numpy
loads, and the fingerprint that every file's meta records so that a rerun knows whether to expect the same bits.

Measured on AMD EPYCs with and without AVX-512 (docs: measures, "Reproducibility"): OpenBLAS picks its kernels by
CPU, and its SkylakeX `ddot`/`dgemv` kernels sum in another order than its Haswell ones; numpy's AVX-512 `exp`
and `log` differ from its AVX2 ones in the last bit of about 1 value in 20. Either turns a training run onto
another path within a few hundred updates, and 15 of 54 files trained on AVX-512 lost their verdict or its
interval when trained again on AVX2. So on an x86 CPU with AVX2 and FMA both are held to what every such CPU
runs: OpenBLAS's Haswell kernels and numpy's X86_V3 (AVX2) loops. A rerun asks for the arithmetic its file recorded (`env_for`).
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


ABOVE_PINNED = ("X86_V4", "AVX512_ICL", "AVX512_SPR")  # numpy's targets beyond X86_V3 (AVX2, FMA), as 2.4 names them
OWN = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")  # a user's own settings win


def pinnable() -> bool:
    """Whether this CPU runs the pinned kernels and loops: an x86 CPU with AVX2 and FMA."""
    return platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= cpu_flags()


def numpy_names_targets_as_pinned() -> bool:
    """Whether the installed numpy (not yet loaded) names its x86 targets as ABOVE_PINNED does (2.4 and later)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(x) for x in version("numpy").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (2, 4)


def pin() -> None:
    """Before numpy loads, ask OpenBLAS for its Haswell kernels and numpy for its AVX2 loops on a CPU that runs
    them, so that sums and `exp`s give the same bits on Intel and AMD, with AVX-512 or without. A user's own
    OPENBLAS_CORETYPE or NPY_*_CPU_FEATURES wins; once numpy is loaded it is too late, and the meta records the
    kernel and loops actually used."""
    if "numpy" in sys.modules or not pinnable():
        return
    if not set(OWN[1:]) & set(os.environ) and numpy_names_targets_as_pinned():
        os.environ["NPY_DISABLE_CPU_FEATURES"] = " ".join(ABOVE_PINNED)
    os.environ.setdefault("OPENBLAS_CORETYPE", PINNED_CORE)


def env_for(recorded: dict) -> dict[str, str]:
    """This process's environment, but asking a new process for a recorded arithmetic: its BLAS kernel, and
    numpy's dispatch held to the recorded SIMD targets (those this CPU lacks stay off regardless)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # another numpy layout: nothing to hold back, and the rerun's meta says what ran
        __cpu_dispatch__ = ()
    env = {k: v for k, v in os.environ.items() if k not in OWN}
    wanted = (recorded.get("simd") or "").split()
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(t for t in __cpu_dispatch__ if t not in wanted)
    if recorded.get("blas_core") not in (None, "unknown"):
        env["OPENBLAS_CORETYPE"] = recorded["blas_core"]
    return env


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


def differences(recorded: dict, here: dict | None = None) -> list[str]:
    """The fields of a recorded fingerprint that differ from another's, by default this process's (a missing
    one counts as different: an older file did not record it). Empty: a rerun should give the same bits."""
    here = here or fingerprint()
    return [f"{k}: {recorded.get(k)!r} here {here[k]!r}" for k in KEYS if recorded.get(k) != here[k]]
