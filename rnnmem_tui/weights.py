"""Load and save networks in the weights file format of DESIGN.md: an .npz that never unpickles."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from .cells import CELLS
from .meta import Meta
from .model import PARAMS, RNN
from .paths import data_dir, kind, write_atomically
from .tasks import Task, TaskError, load_spec, task_from_meta, task_names


class WeightsError(ValueError):
    """A weights file that is missing, unreadable or inconsistent."""


MAX_HIDDEN = 4096  # the largest network a file may hold: its Whh alone is 128 MiB
MAX_VOCAB = 256
MAX_META = 1 << 20  # bytes of meta JSON


def resolve(name: str | Path) -> Path:
    """The file a weights name means: NAME, then ./NAME.npz, then the shipped file of that name
    (`grammar-4` or `grammar-4.npz`), then, for a bare task name, the task's default shipped network."""
    path = Path(name)
    if path.exists() or path.parent != Path("."):
        return path
    with_suffix = path.with_name(f"{path.name}.npz") if path.suffix != ".npz" else path
    if with_suffix.is_file():
        return with_suffix
    packaged = data_dir("weights") / with_suffix.name
    if packaged.is_file():
        return packaged
    if path.name in task_names():
        return default_network(path.name)
    return path


def default_network(task: str) -> Path:
    """The network a bare task name means (DESIGN.md): for a task of the study (its spec says `study = true`),
    the shipped trained network at the study's size when its recorded verdict is "meets"; otherwise the smallest
    shipped trained network that meets; if none meets, the shipped network at the spec's size."""
    meeting, spec = trained_that_meet(task), load_spec(task)
    study = data_dir("weights") / f"{task}-{spec.get('hidden')}.npz"
    if spec.get("study") and study in meeting:
        return study
    return meeting[0] if meeting else shipped(task)


def smaller_that_meets(path: Path) -> Path | None:
    """The smallest shipped trained network of the same task that is smaller than `path` and meets, if any."""
    task, _, size = path.stem.rpartition("-")
    meeting = trained_that_meet(task) if size.isdigit() else []
    return meeting[0] if meeting and int(meeting[0].stem.rpartition("-")[2]) < int(size) else None


def trained_that_meet(task: str, cell: str = "rnn") -> list[Path]:
    """The shipped trained networks of a task and cell (named TASK-H.npz for rnn, TASK-CELL-H.npz for the others)
    whose recorded verdict is "meets", smallest first."""
    mine = re.compile(rf"{re.escape(task)}-{'' if cell == 'rnn' else re.escape(cell) + '-'}(\d+)\.npz")
    sizes = sorted((int(m[1]), p) for p in data_dir("weights").glob("*.npz") if (m := mine.fullmatch(p.name)))
    meeting = []
    for _, p in sizes:
        try:
            if load(p).meta.recorded == "meets":
                meeting.append(p)
        except WeightsError:
            continue
    return meeting


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read only the arrays the format needs, each checked from its .npy header before its data is read.

    Nothing is decompressed before its size is known: an extra member is never read, and an array
    of the wrong shape, of too many neurons or of object dtype (which would need unpickling) is
    refused from its header alone.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise WeightsError(f"{path}: not an .npz weights file ({e})") from None
    with zf:
        members = {n.removesuffix(".npy"): n for n in zf.namelist()}
        second = "weight_hh" in members and "Whh" not in members  # the format of the other cells (2)
        keys = tuple(CELLS["gru"].shapes(1, 1)) if second else PARAMS
        missing = [k for k in (*keys, "vocab", "meta") if k not in members]
        if missing:
            raise WeightsError(f"{path}: missing array(s) {', '.join(missing)}")
        heads = {}
        for k in (*keys, "vocab", "meta"):
            try:
                with zf.open(members[k]) as f:
                    version = np.lib.format.read_magic(f)
                    reader = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = reader(f)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
                raise WeightsError(f"{path}: {k} is not a readable array ({e})") from None
            heads[k] = (shape, dtype)
        (wshape, _), (vshape, vtype), (mshape, mtype) = heads[keys[1]], heads["vocab"], heads["meta"]
        if second:
            gates = {c.gates: c for c in CELLS.values() if c.name != "rnn"}
            if len(wshape) != 2 or not wshape[1] or wshape[0] % wshape[1] or wshape[0] // wshape[1] not in gates:
                raise WeightsError(f"{path}: weight_hh has shape {wshape}, expected (G H, H) with G = 1, 3 or 4")
            cell = gates[wshape[0] // wshape[1]]
        elif len(wshape) != 2 or wshape[0] != wshape[1]:
            raise WeightsError(f"{path}: Whh has shape {wshape}, expected a square (H, H) matrix")
        else:
            cell = CELLS["rnn"]
        H = wshape[1]
        if not 1 <= H <= MAX_HIDDEN:
            raise WeightsError(f"{path}: Whh holds {H} neurons; a network has 1 to {MAX_HIDDEN}")
        if len(vshape) != 1 or vtype.kind != "U" or not 1 <= vshape[0] <= MAX_VOCAB:
            raise WeightsError(f"{path}: vocab must be a 1-d array of at most {MAX_VOCAB} single characters")
        if mshape != () or mtype.kind != "U" or mtype.itemsize > 4 * MAX_META:
            raise WeightsError(f"{path}: meta must be one JSON string of at most {MAX_META} bytes")
        V = vshape[0]
        for k, shape in cell.shapes(H, V).items():
            got, dtype = heads[k]
            if got != shape or dtype.kind != "f":
                raise WeightsError(
                    f"{path}: {k} has shape {got} ({dtype}), expected float {shape} for H={H} neurons and V={V} symbols"
                )
        try:
            return {k: np.lib.format.read_array(zf.open(members[k]), allow_pickle=False) for k in heads}
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
            raise WeightsError(f"{path}: not a readable .npz weights file ({e})") from None


def load(path: str | Path) -> RNN:
    """Read a network, checking every array's shape against H and V and the meta's task; raises WeightsError.

    A name resolves as `resolve` says: a path that exists wins over a shipped file of that name.
    """
    path = resolve(path)
    if not path.is_file():
        what = kind(path)
        raise WeightsError(
            f"{path}: no such weights file" if what == "nothing" else f"{path}: is {what}, not a weights file"
        )
    arrays = _read_arrays(path)
    try:
        meta = Meta.from_json(str(arrays["meta"][()]))
    except (ValueError, IndexError, RecursionError):
        raise WeightsError(f"{path}: meta is not a JSON object") from None
    vocab = tuple(str(c) for c in arrays["vocab"])
    if any(len(c) != 1 for c in vocab):
        raise WeightsError(f"{path}: vocab must be a 1-d array of single characters")
    keys = [k for k in arrays if k not in ("vocab", "meta")]
    for k in keys:
        if not np.all(np.isfinite(arrays[k])):
            raise WeightsError(f"{path}: {k} holds NaN or infinite values")
    cell = CELLS.get(meta.cell or "rnn")
    if cell is None:
        raise WeightsError(f"{path}: meta names cell {meta.cell!r}; known: {', '.join(CELLS)}")
    if set(cell.shapes(1, 1)) != set(keys) or cell.gates * arrays[keys[1]].shape[1] != arrays[keys[1]].shape[0]:
        raise WeightsError(f"{path}: meta says cell {cell.name} but the arrays are another cell's")
    try:
        task = task_from_meta(meta)
    except TaskError as e:
        raise WeightsError(f"{path}: {e}") from None
    H = arrays[keys[1]].shape[1]
    if meta.hidden != H:
        raise WeightsError(f"{path}: meta says hidden={meta.hidden!r} but the arrays have {H} neurons")
    net = cell.net({k: arrays[k].astype(float) for k in keys}, vocab, meta)
    if vocab != task.vocab:
        raise WeightsError(f"{path}: vocab {''.join(vocab)!r} does not match task {task.name!r}")
    return net


def task_for(net: RNN) -> Task:
    """The task a network was trained on, from its meta; raises WeightsError."""
    try:
        return task_from_meta(net.meta)
    except TaskError as e:
        raise WeightsError(str(e)) from None


def save(net: RNN, path: str | Path, replace: bool = True) -> Path:
    """Write a network atomically (`paths.write_atomically`; without `replace`, never over an existing file);
    returns where it went."""
    path = Path(path)
    arrays = {k: np.asarray(v, dtype=float) for k, v in net.params.items()}
    arrays["vocab"] = np.array(net.vocab, dtype="<U1")
    if net.meta is None:
        raise WeightsError(f"{path}: a network without a meta cannot be saved")
    arrays["meta"] = np.array(net.meta.to_json())
    return write_atomically(path, lambda f: np.savez(f, **arrays), replace)


def of_cell(task: str, cell: str, hidden: int | None = None) -> Path:
    """The shipped network of a task and a cell other than rnn: at `hidden`, else the smallest that meets; raises
    WeightsError naming what is shipped and how to train one."""
    if hidden is not None:
        path = data_dir("weights") / f"{task}-{cell}-{hidden}.npz"
        found = [path] if path.is_file() else []
    else:
        found = trained_that_meet(task, cell)
    if found:
        return found[0]
    mine = re.compile(rf"{re.escape(task)}-(({'|'.join(['optimal', *CELLS])})-)?\d+\.npz")  # not count-reverse-2
    have = sorted(p.name for p in data_dir("weights").glob("*.npz") if mine.fullmatch(p.name))
    size = f" of {hidden} neurons" if hidden is not None else " that meets"
    raise WeightsError(
        f"no shipped {cell} network{size} for {task}; shipped for {task}: {', '.join(have) or 'none'}; "
        f"train one: rnnmem-tui {task} --cell {cell} --train"
    )


def shipped(task: str, hidden: int | None = None, optimal: bool = False) -> Path:
    """The shipped weights file for a task name, at the seed's size by default; raises WeightsError."""
    try:
        size = hidden or load_spec(task).get("hidden")
    except TaskError as e:
        raise WeightsError(str(e)) from None
    name = f"{task}-optimal-{size}.npz" if optimal else f"{task}-{size}.npz"
    path = data_dir("weights") / name
    if not path.is_file():
        mine = re.compile(rf"{re.escape(task)}-(optimal-)?\d+\.npz")  # not count-reverse-2 for count
        have = sorted(p.name for p in data_dir("weights").glob("*.npz") if mine.fullmatch(p.name))
        raise WeightsError(f"no shipped network {name}; shipped for {task}: {', '.join(have) or 'none'}")
    return path
