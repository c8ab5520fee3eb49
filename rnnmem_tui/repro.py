"""Reruns a trained file's recorded settings, in a process that asks for the file's recorded arithmetic, and says
what may be expected of it: the same bits where that arithmetic is what the rerun got; elsewhere another draw of
the recipe, compared by its verdict and validity interval, which a file picked near the target need not keep; and
reads and writes the command that gives those settings under today's task defaults."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .arith import differences, env_for
from .metrics import judge_many, record
from .model import RNN
from .recipes import settings_for
from .train import SETTINGS, TrainConfig, flag, train_population
from .weights import load, save, task_for

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
        """What differs: with the same arithmetic, any differing weight or recorded field (a broken promise);
        else a different verdict word or validity intervals that do not overlap. Empty: none."""
        a, b = self.shipped.meta, self.again.meta
        if self.expects_same_bits:
            out = [k for k in EXACT if getattr(a, k) != getattr(b, k)]
            return out + [k for k, v in self.shipped.params.items() if not np.array_equal(v, self.again.params[k])]
        (lo, hi), (lo2, hi2) = a.verdict["validity_interval"], b.verdict["validity_interval"]
        out = [] if a.recorded == b.recorded else [f"verdict {a.recorded} -> {b.recorded}"]
        return out + ([] if lo <= hi2 and lo2 <= hi else [f"validity intervals [{lo}, {hi}] and [{lo2}, {hi2}]"])


def rerun(shipped: RNN) -> Rerun:
    """Train again with the file's recorded settings (`meta.trainer`, never today's defaults) and judge the
    result under the verdict protocol, as `train` does, in a new process that asks for the recorded BLAS kernel
    and SIMD targets (arith.env_for); raises ValueError for a hand-built file."""
    meta = shipped.meta
    if meta.seed is None or not meta.trainer:
        raise ValueError("a hand-built network has no training to rerun")
    with tempfile.TemporaryDirectory(prefix="rnnmem-rerun-") as tmp:
        given, out = Path(tmp) / "given.npz", Path(tmp) / "again.npz"
        save(shipped, given)
        cmd = [sys.executable, "-m", "rnnmem_tui.repro", str(given), str(out)]
        done = subprocess.run(cmd, env=env_for(meta.as_dict()), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"the rerun failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        again = load(out)
    return Rerun(shipped, again, differences(meta.as_dict(), again.meta.as_dict()))


def train_again(shipped: RNN) -> RNN:
    """The rerun itself, in this process: the recorded settings trained and judged."""
    task = task_for(shipped)
    cfg = TrainConfig(**shipped.meta.trainer, cell=shipped.meta.cell or "rnn")  # the cell is the meta's own key
    again = train_population(task, [cfg], command=shipped.meta.command)[0].net
    record(again, *judge_many([again], task))
    return again


def settings_of(command: str) -> dict:
    """The settings a recorded `rnnmem-tui train TASK --flag value ...` command gives under today's task
    defaults (its [train] table, then the flags), as `meta.trainer` records them; raises ValueError."""
    words = shlex.split(command)
    if words[1:2] != ["train"] or len(words) < 3:
        raise ValueError(f"not a train command: {command!r}")
    names = {"--hidden": "hidden", "--seed": "seed", **{flag(f.name): f.name for f in fields(TrainConfig)}}
    given, rest = {}, iter(words[3:])
    for word in rest:
        if word == "--no-carry":
            given["carry"] = False
        elif word in names:
            name = names[word]
            given[name] = SETTINGS[name].metadata.get("kind", str)(next(rest)) if name in SETTINGS else int(next(rest))
        elif word in ("--out", "--jobs"):
            next(rest)
        else:
            raise ValueError(f"{command!r}: {word} is not a setting of one network")
    hidden, seed = given.pop("hidden"), given.pop("seed", 0)
    return TrainConfig(hidden=hidden, seed=seed, **settings_for(words[2], given)).settings()


def command_for(meta, out: str) -> str:
    """The shortest `train` command that gives a file's recorded settings under today's task defaults: every
    setting that today's defaults would change is given as a flag."""
    want, task = meta.trainer, meta.spec or meta.task
    words = ["rnnmem-tui", "train", task, "--hidden", str(want["hidden"]), "--seed", str(want["seed"])]
    if meta.cell not in (None, "rnn"):
        words += ["--cell", meta.cell]
    if want["recipe"] != TrainConfig.recipe:
        words += ["--recipe", want["recipe"]]
    today = settings_of(shlex.join([*words, "--out", out]))
    for name, value in want.items():
        if today.get(name) != value and name not in ("hidden", "seed", "recipe"):
            words += (
                ["--no-carry"]
                if name == "carry"
                else [flag(name), f"{value:g}" if isinstance(value, float) else str(value)]
            )
    words += ["--out", out]
    if settings_of(shlex.join(words)) != want:
        raise ValueError(f"no command line gives {task}'s recorded settings today")
    return shlex.join(words)


if __name__ == "__main__":  # `python -m rnnmem_tui.repro GIVEN OUT`: what `rerun` runs in its own process
    save(train_again(load(sys.argv[1])), sys.argv[2])
