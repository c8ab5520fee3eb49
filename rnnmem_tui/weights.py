"""Load and save networks in the weights file format of DESIGN.md: an .npz that never unpickles."""
from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .meta import Meta
from .model import PARAMS, RNN
from .paths import data_dir
from .tasks import FAMILIES, Task, TaskError, load_spec, task_from_meta


class WeightsError(ValueError):
    """A weights file that is missing, unreadable or inconsistent."""


def resolve(path: str | Path) -> Path:
    """A weights path as given, or else the shipped file of that name (`grammar-4` or `grammar-4.npz`)."""
    path = Path(path)
    if path.is_file() or path.parent != Path("."):
        return path
    name = path.name if path.suffix == ".npz" else f"{path.name}.npz"
    packaged = data_dir("weights") / name
    return packaged if packaged.is_file() else path


def load(path: str | Path) -> RNN:
    """Read a network, checking every array's shape against H and V; raises WeightsError.

    A bare name such as `count-2` finds the shipped file of that name.
    """
    path = resolve(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    if not zipfile.is_zipfile(path):
        raise WeightsError(f"{path}: not an .npz weights file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise WeightsError(f"{path}: not a readable .npz weights file ({e})") from None
    missing = [k for k in (*PARAMS, "vocab", "meta") if k not in arrays]
    if missing:
        raise WeightsError(f"{path}: missing array(s) {', '.join(missing)}")
    try:
        meta = Meta.from_json(str(arrays["meta"][()]))
    except (ValueError, IndexError):
        raise WeightsError(f"{path}: meta is not a JSON object") from None
    vocab = tuple(str(c) for c in np.atleast_1d(arrays["vocab"]))
    if arrays["vocab"].ndim != 1 or any(len(c) != 1 for c in vocab):
        raise WeightsError(f"{path}: vocab must be a 1-d array of single characters")
    H, V = (arrays["Whh"].shape or (0,))[0], len(vocab)
    want = {"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H,), "by": (V,)}
    for k, shape in want.items():
        a = arrays[k]
        if a.shape != shape or not np.issubdtype(a.dtype, np.floating):
            raise WeightsError(f"{path}: {k} has shape {a.shape} ({a.dtype}), expected float {shape} "
                               f"for H={H} neurons and V={V} symbols")
        if not np.all(np.isfinite(a)):
            raise WeightsError(f"{path}: {k} holds NaN or infinite values")
    if meta.task not in FAMILIES:
        raise WeightsError(f"{path}: unknown task {meta.task!r} in meta; known: {', '.join(FAMILIES)}")
    if meta.hidden != H:
        raise WeightsError(f"{path}: meta says hidden={meta.hidden!r} but the arrays have {H} neurons")
    net = RNN(**{k: arrays[k].astype(float) for k in PARAMS}, vocab=vocab, meta=meta)
    if vocab != task_for(net).vocab:
        raise WeightsError(f"{path}: vocab {''.join(vocab)!r} does not match task {meta.task!r}")
    return net


def task_for(net: RNN) -> Task:
    """The task a network was trained on, from its meta; raises WeightsError."""
    try:
        return task_from_meta(net.meta)
    except TaskError as e:
        raise WeightsError(str(e)) from None


def file_mode() -> int:
    """The mode a newly created file gets under the process's umask (0644 under 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save(net: RNN, path: str | Path) -> Path:
    """Write a network atomically: a temporary file in the same folder, then a rename.

    The file gets the usual mode for a new file (0644 under a 022 umask), not the temporary file's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v, dtype=float) for k, v in net.params.items()}
    arrays["vocab"] = np.array(net.vocab, dtype="<U1")
    if net.meta is None:
        raise WeightsError(f"{path}: a network without a meta cannot be saved")
    arrays["meta"] = np.array(net.meta.to_json())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
