"""Data out: a network's steps as arrays (the symbol read, the hidden state, the next-symbol probabilities),
written as .npz or .csv; `rnnmem-tui trace` and the explorer's export both use it.

Row t is the step that read symbols[t]; row 0 reads the start token. An .npz holds
    symbols (T,) one character each · h (T, H) after the interventions · p (T, V) · vocab (V,)
    zeroed (k,) int · clamped (m, 2) float: neuron, value
and a .csv has the columns `t, symbol, h0..h{H-1}, p_<symbol>...`, a newline written as `\\n`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import NONE, RNN, Interventions
from .paths import write_atomically
from .session import Frame, Session
from .tasks import Task

FORMATS = (".npz", ".csv")


class TraceError(ValueError):
    """A trace that cannot be written as asked."""


@dataclass(frozen=True, eq=False)
class Trace:
    """T steps of one network."""

    symbols: np.ndarray  # (T,) <U1: the symbol each step read
    h: np.ndarray  # (T, H) hidden states, after the interventions
    p: np.ndarray  # (T, V) next-symbol probabilities
    vocab: tuple[str, ...]
    interventions: Interventions = NONE  # held at the last step

    @classmethod
    def of(cls, frames: Iterable[Frame], vocab: tuple[str, ...], interventions: Interventions = NONE) -> Trace:
        """The trace of the given frames, oldest first."""
        steps = [f.step for f in frames]
        return cls(
            np.array([vocab[s.x] for s in steps], dtype="<U1"),
            np.stack([s.h for s in steps]),
            np.stack([s.p for s in steps]),
            tuple(vocab),
            interventions,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The .npz members."""
        iv = self.interventions
        return {
            "symbols": self.symbols,
            "h": self.h,
            "p": self.p,
            "vocab": np.array(self.vocab, dtype="<U1"),
            "zeroed": np.array(sorted(iv.zeroed), dtype=int),
            "clamped": np.array(sorted(iv.clamped), dtype=float).reshape(-1, 2),
        }

    def csv_text(self) -> str:
        """The .csv text: a header, then a row per step."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        H = self.h.shape[1]
        w.writerow(["t", "symbol", *(f"h{i}" for i in range(H)), *(f"p_{escape(c)}" for c in self.vocab)])
        for t, (c, h, p) in enumerate(zip(self.symbols, self.h, self.p)):
            w.writerow([t, escape(str(c)), *(f"{v:.9g}" for v in h), *(f"{v:.9g}" for v in p)])
        return out.getvalue()

    def write(self, path: str | Path) -> Path:
        """Write it atomically as .npz or .csv, by the path's suffix; raises TraceError for another suffix."""
        path = Path(path)
        check_format(path)
        if path.suffix == ".npz":
            return write_atomically(path, lambda f: np.savez(f, **self.arrays()))
        return write_atomically(path, lambda f: f.write(self.csv_text().encode()))


def escape(c: str) -> str:
    """A symbol as CSV text: the newline as the two characters `\\n`."""
    return "\\n" if c == "\n" else c


def check_format(path: str | Path) -> None:
    """Refuse a file name whose suffix is neither .npz nor .csv."""
    if Path(path).suffix not in FORMATS:
        raise TraceError(f"{path}: a trace is written as .npz or .csv, by its suffix")


def run(
    net: RNN,
    task: Task,
    steps: int,
    interventions: Interventions = NONE,
    mode: str = "sample",
    seed: int = 0,
    temperature: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
) -> Trace:
    """Step the network `steps` times from h = 0 as the explorer does (row 0 reads the start token), with
    the interventions held from the start, sampling or fed by the teacher."""
    s = Session(net, task, seed, history=2, interventions=interventions)
    s.mode = mode
    s.set_temperature(temperature)
    symbols, H, P = [s.frame.step.x], [s.frame.step.h], [s.frame.step.p]
    for _ in range(steps - 1):
        if should_stop is not None and should_stop():
            break
        step = s.step().step
        symbols.append(step.x)
        H.append(step.h)
        P.append(step.p)
    return Trace(
        np.array([net.vocab[x] for x in symbols], dtype="<U1"),
        np.stack(H),
        np.stack(P),
        tuple(net.vocab),
        interventions,
    )
