"""Reruns a trained file's recorded settings and says what may be expected of it: the same bits where the
recorded arithmetic is this process's, and the same verdict with overlapping validity intervals elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arith import differences
from .metrics import judge_many
from .model import RNN
from .train import TrainConfig, train_population
from .weights import task_for

EXACT = ("steps", "stopped_by", "metrics", "verdict", "trainer", "confirmation")  # meta fields a same-bits rerun keeps


@dataclass
class Rerun:
    """A rerun of a file beside the file: whether the bits must match, and what came back."""

    shipped: RNN
    again: RNN
    unlike: list[str]  # how the recorded arithmetic differs from this process's; empty: the bits must match

    @property
    def expects_same_bits(self) -> bool:
        """Whether the recorded arithmetic (CPU, numpy and its SIMD targets, BLAS and its kernel) is this one."""
        return not self.unlike

    def mismatches(self) -> list[str]:
        """What breaks the promise: with the same arithmetic, any differing weight or recorded field; else a
        different verdict word or validity intervals that do not overlap. Empty: the promise holds."""
        a, b = self.shipped.meta, self.again.meta
        if self.expects_same_bits:
            out = [k for k in EXACT if getattr(a, k) != getattr(b, k)]
            return out + [k for k, v in self.shipped.params.items() if not np.array_equal(v, self.again.params[k])]
        (lo, hi), (lo2, hi2) = a.verdict["validity_interval"], b.verdict["validity_interval"]
        out = [] if a.recorded == b.recorded else [f"verdict {a.recorded} -> {b.recorded}"]
        return out + ([] if lo <= hi2 and lo2 <= hi else [f"validity intervals [{lo}, {hi}] and [{lo2}, {hi2}]"])


def rerun(shipped: RNN) -> Rerun:
    """Train again with the file's recorded settings (`meta.trainer`, never today's defaults) and judge the
    result under the verdict protocol, as `train` does; raises ValueError for a hand-built file."""
    meta = shipped.meta
    if meta.seed is None or not meta.trainer:
        raise ValueError("a hand-built network has no training to rerun")
    task = task_for(shipped)
    again = train_population(task, [TrainConfig(**meta.trainer)], command=meta.command)[0].net
    (v,) = judge_many([again], task)
    again.meta.metrics = v.first.as_dict()
    again.meta.verdict = {**v.as_dict(), "protocol": meta.verdict.get("protocol")}
    return Rerun(shipped, again, differences(meta.as_dict()))
