"""Data out: a network's steps as rows (the symbol read, the hidden state, the next-symbol probabilities) written
as .npz or .csv a block at a time; `rnnmem-tui trace` streams them, the explorer's export writes the steps it keeps.

Row t is the step that read symbols[t]; row 0 reads the start token. An .npz holds
    symbols (T,) one character each · h (T, H) after the interventions · p (T, V) · vocab (V,)
    c (T, H): an LSTM's c units, after the interventions (its `held` then has a column per h unit, then c unit)
    held (T, H) float: the value each neuron was held at on that step (0 when zeroed), NaN where free
    zeroed (k,) int · clamped (m, 2) float: neuron, value, as held at the last step
    about () a JSON object: the network, its task, the mode, the seed and the temperature
and a .csv a first line `# rnnmem-tui trace: {the same JSON}` (read it with `comment="#"`), then the columns
`t, symbol, h0..h{H-1}, p_<symbol>..., held_h0..held_h{H-1}` (a held column empty where the neuron is free), a
newline written as `\\n`; an LSTM's c0..c{H-1} follow its h columns, and held_c0.. its held_h columns.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import accumulate, count, islice
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .cells import cell_of
from .model import NONE, RNN, Interventions, StepResult
from .paths import write_atomically
from .session import DRAWS, Frame
from .tasks import Task

FORMATS = (".npz", ".csv")
BLOCK_BYTES = 1 << 22  # about 4 MiB of rows are held in memory at once while a trace is written
Block = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # symbols (n,) <U1, h (n, H), p (n, V), held (n, H)
COLUMNS = {"symbols": "<U1", "h": "<f8", "p": "<f8", "held": "<f8"}  # the .npz members with a row per step


class TraceError(ValueError):
    """A trace that cannot be written as asked."""


@dataclass(frozen=True, eq=False)
class Trace:
    """T steps of one network, in memory: the steps the explorer keeps (its export), or a short `run`."""

    symbols: np.ndarray  # (T,) <U1: the symbol each step read
    h: np.ndarray  # (T, H) hidden states, after the interventions
    p: np.ndarray  # (T, V) next-symbol probabilities
    held: np.ndarray  # (T, H) the value each neuron was held at on each step, NaN where free
    vocab: tuple[str, ...]
    interventions: Interventions = NONE  # held at the last step
    about: dict | None = None  # the network, its task, the mode, the seed and the temperature
    names: tuple[str, ...] = ()  # the state units' column names (`names_of`); h0.. when empty

    @classmethod
    def of(
        cls,
        frames: Iterable[Frame],
        vocab: tuple[str, ...],
        interventions: Interventions = NONE,
        about: dict | None = None,
        names: tuple[str, ...] = (),
    ) -> Trace:
        """The trace of the given frames, oldest first."""
        steps = [f.step for f in frames]
        return cls(*block(steps, np.array(vocab, dtype="<U1")), tuple(vocab), interventions, about, names)

    def write(self, path: str | Path, replace: bool = True) -> Path:
        """Write it atomically as .npz or .csv, by the path's suffix; raises TraceError for another suffix."""
        rows = [(self.symbols, self.h, self.p, self.held)]
        names = self.names or names_of(self.h.shape[1])
        return write(path, rows, self.vocab, names, self.interventions, replace, self.about)[0]


def escape(c: str) -> str:
    """A symbol as CSV text: the newline as the two characters `\\n`."""
    return "\\n" if c == "\n" else c


def check_format(path: str | Path) -> None:
    """Refuse a file name whose suffix is neither .npz nor .csv."""
    if Path(path).suffix not in FORMATS:
        raise TraceError(f"{path}: a trace is written as .npz or .csv, by its suffix")


def disk_bytes(path: str | Path, steps: int, hidden: int, symbols: int) -> int:
    """Roughly the most disk that writing `steps` rows to `path` takes: an .npz's rows (4 + 8H + 8V bytes each)
    twice, as its columns are parts of their own until the file is put together; a .csv's text, ~14 bytes a number."""
    if Path(path).suffix == ".npz":
        return 2 * steps * (4 + 8 * (hidden + symbols))
    return steps * (14 * (hidden + symbols) + len(str(steps)) + 4)


def explorer_steps(
    net: RNN,
    task: Task,
    interventions: Interventions = NONE,
    mode: str = "sample",
    seed: int = 0,
    temperature: float = 1.0,
) -> Iterator[StepResult]:
    """The steps a Session takes from a reset with the interventions held and one mode throughout, endlessly,
    without its frames: row 0 reads the start token from h = 0, each later step the symbol the session's sampler
    draws (its uniforms, DRAWS at a time) or its teacher's next one. tests/test_trace.py holds them to Session's."""
    iv = interventions.check(net.hidden, cell_of(net).bounded)
    uniforms, teacher = np.random.default_rng(seed), teacher_symbols(task, seed)
    col = {c: i for i, c in enumerate(net.vocab)}
    h, x = np.zeros(net.hidden), int(net.index(task.end)[0])
    for t in count():
        step = net.step(h, x, iv)
        yield step
        if mode == "teacher":
            x = col[next(teacher)]
        else:
            if t % DRAWS == 0:
                u = uniforms.random(DRAWS)
            x = draw(step.p, float(u[t % DRAWS]), temperature)
        h = step.h


def draw(p: np.ndarray, u: float, temperature: float = 1.0) -> int:
    """The symbol a Session's sampler picks from p with the uniform u (plain-Python sums, as it does)."""
    c = list(accumulate((p if temperature == 1.0 else p ** (1.0 / temperature)).tolist()))
    return min(bisect_right(c, u * c[-1]), len(c) - 1)


def teacher_symbols(task: Task, seed: int) -> Iterator[str]:
    """A Session's teacher text, a symbol at a time: valid units, 64 at a time from the seed's own generator."""
    rng = np.random.default_rng([seed, 1])
    while True:
        yield from "".join(task.generate(rng, 64))


def block(steps: list[StepResult], vocab: np.ndarray) -> Block:
    """Steps as the arrays of their rows; `vocab` (V,) <U1."""
    held = np.full((len(steps), len(steps[0].h)), np.nan)
    for row, s in zip(held, steps):
        row[list(s.zeroed)] = 0.0
        for i, v in s.clamped:
            row[i] = v
    return vocab[[s.x for s in steps]], np.stack([s.h for s in steps]), np.stack([s.p for s in steps]), held


def blocks(
    net: RNN,
    task: Task,
    steps: int,
    interventions: Interventions = NONE,
    mode: str = "sample",
    seed: int = 0,
    temperature: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Block]:
    """Step the network `steps` times from h = 0 as the explorer does (row 0 reads the start token), with the
    interventions held from the start, sampling or fed by the teacher; the rows come a block (~BLOCK_BYTES) at a
    time. Row 0 always comes; the later ones stop early once `should_stop()` says so."""
    rows = max(1, BLOCK_BYTES // (8 * (net.hidden + len(net.vocab)) + 512))  # + a StepResult's objects
    vocab, chunk = np.array(net.vocab, dtype="<U1"), []
    for t, step in enumerate(islice(explorer_steps(net, task, interventions, mode, seed, temperature), steps)):
        if t and should_stop is not None and should_stop():
            break
        chunk.append(step)
        if len(chunk) == rows:
            yield block(chunk, vocab)
            chunk = []
    if chunk:
        yield block(chunk, vocab)


def run(net: RNN, task: Task, steps: int, interventions: Interventions = NONE, **how) -> Trace:
    """The `blocks` of a run as one Trace in memory, for a short run; `stream` writes a long one to a file.
    `how` holds blocks' other settings by name: mode, seed, temperature, should_stop."""
    parts = zip(*blocks(net, task, steps, interventions, **how))
    names = names_of(net.hidden, net.size)
    return Trace(*(np.concatenate(p) for p in parts), tuple(net.vocab), interventions, None, names)


def stream(
    path: str | Path,
    net: RNN,
    task: Task,
    steps: int,
    interventions: Interventions = NONE,
    replace: bool = True,
    about: dict | None = None,
    **how,
) -> tuple[Path, int]:
    """Write the rows of `run` to `path` as they come, a block at a time, so that memory stays flat however many
    steps there are (see `write`); returns where the file went and how many rows it has. `how` as in `run`;
    `about` names the network, its task and the settings, for the file to record."""
    rows = blocks(net, task, steps, interventions, **how)
    return write(path, rows, net.vocab, names_of(net.hidden, net.size), interventions, replace, about)


def names_of(units: int, size: int | None = None) -> tuple[str, ...]:
    """The state units' column names: h0..h{H-1}, and an LSTM's c0..c{H-1} after them (`units` > `size`)."""
    size = size or units
    return tuple(f"h{i}" for i in range(size)) + tuple(f"c{i}" for i in range(units - size))


def write(
    path: str | Path,
    rows: Iterable[Block],
    vocab: tuple[str, ...],
    names: tuple[str, ...],
    interventions: Interventions = NONE,
    replace: bool = True,
    about: dict | None = None,
) -> tuple[Path, int]:
    """Write blocks of rows atomically (`paths.write_atomically`) as .npz or .csv, by the path's suffix, with one
    block in memory at a time; returns where the file went and how many rows it has. Raises TraceError for
    another suffix."""
    path = Path(path)
    check_format(path)
    done = []

    def put(f: BinaryIO) -> None:
        if path.suffix == ".npz":
            done.append(write_npz(f, rows, vocab, names, interventions, path.parent, about))
        else:
            done.append(write_csv(f, rows, vocab, names, about))

    return write_atomically(path, put, replace), done[0]


def write_csv(
    f: BinaryIO, rows: Iterable[Block], vocab: tuple[str, ...], names: tuple[str, ...], about: dict | None = None
) -> int:
    """The .csv's text into f: the `about` line, a header and then a line per row; returns how many rows."""
    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    if about:
        text.write(f"# rnnmem-tui trace: {json.dumps(about)}\n")
    w = csv.writer(text, lineterminator="\n")
    held_names = (f"held_{n}" for n in names)
    w.writerow(["t", "symbol", *names, *(f"p_{escape(c)}" for c in vocab), *held_names])
    t = 0
    for symbols, h, p, held in rows:
        w.writerows(
            [
                t + i,
                escape(c),
                *(f"{v:.9g}" for v in hv),
                *(f"{v:.9g}" for v in pv),
                *("" if v != v else f"{v:.9g}" for v in kv),
            ]
            for i, (c, hv, pv, kv) in enumerate(zip(symbols.tolist(), h.tolist(), p.tolist(), held.tolist()))
        )
        t += len(symbols)
    text.detach()  # flushed; f stays open for write_atomically to finish
    return t


def write_npz(
    f: BinaryIO,
    rows: Iterable[Block],
    vocab: tuple[str, ...],
    names: tuple[str, ...],
    interventions: Interventions,
    folder: Path,
    about: dict | None = None,
) -> int:
    """The .npz into f, laid out as np.savez does; returns how many rows. The columns of each block go to parts
    of their own (unnamed temporary files in `folder`, gone whatever happens); once the row count is known, each
    part is copied into the zip after its .npy header."""
    H = sum(n.startswith("h") for n in names)  # an LSTM's c units go to a member of their own, c
    widths = {"symbols": (), "h": (H,), "p": (len(vocab),), "held": (len(names),)} | (
        {"c": (H,)} if H < len(names) else {}
    )
    kinds = {**COLUMNS, "c": COLUMNS["h"]}
    with ExitStack() as parts_open:
        parts = {name: parts_open.enter_context(tempfile.TemporaryFile(dir=folder)) for name in widths}
        T = 0
        for symbols, h, p, held in rows:
            for name, a in (("symbols", symbols), ("h", h[:, :H]), ("p", p), ("held", held), ("c", h[:, H:])):
                if name in parts:
                    parts[name].write(np.ascontiguousarray(a, kinds[name]).data)
            T += len(symbols)
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, part in parts.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                    header = {"descr": kinds[name], "fortran_order": False, "shape": (T, *widths[name])}
                    np.lib.format.write_array_header_1_0(member, header)
                    part.seek(0)
                    shutil.copyfileobj(part, member, BLOCK_BYTES)
                part.close()  # its disk space back at once
            for name, a in constant(vocab, interventions, about).items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, a, allow_pickle=False)
    return T


def constant(vocab: tuple[str, ...], interventions: Interventions, about: dict | None) -> dict[str, np.ndarray]:
    """The .npz members that have no row per step: the vocabulary, the neurons zeroed and those clamped at the
    last step, and what the trace is of (a JSON string)."""
    out = {
        "vocab": np.array(vocab, dtype="<U1"),
        "zeroed": np.array(sorted(interventions.zeroed), dtype=int),
        "clamped": np.array(sorted(interventions.clamped), dtype=float).reshape(-1, 2),
    }
    return out | ({"about": np.array(json.dumps(about))} if about else {})
