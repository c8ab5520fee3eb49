"""Where files live: the shipped task specs and weights, and the checks on a place the program will write."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `tasks` or `weights`: packaged copy first, then the source checkout's."""
    packaged = _PKG / "data" / name
    return packaged if packaged.is_dir() else _PKG.parent / name


class PathError(ValueError):
    """A place the program was asked to write to, but cannot or must not."""


def kind(path: Path) -> str:
    """What a path that is not a regular file is, in words: "a directory", "a named pipe (FIFO)", "a character
    device", ..., "a symbolic link to nothing", or "nothing" when nothing is there."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a symbolic link to nothing" if path.is_symlink() else "nothing"
    link = "a symbolic link to " if path.is_symlink() else ""
    for test, words in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return link + words
    return link + "a special file"


def refuse_special(path: Path) -> None:
    """Raise PathError when `path` is a symbolic link, or exists and is not a regular file (a device such as
    /dev/null, a pipe, a socket): renaming a file over it would replace the link or destroy the device, so
    nothing is written there, --force or not."""
    if path.is_symlink():
        raise PathError(f"{path}: is a symbolic link; nothing is written over it or through it, --force or not")
    if path.exists() and not path.is_file() and not path.is_dir():
        raise PathError(f"{path}: is not a regular file (a device, a pipe or a socket); nothing is written there")


def check_folder(folder: str | Path, what: str) -> Path:
    """Check that files can be created in `folder` (`what` names it in the message); raises PathError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PathError(f"{what} {folder} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".rnnmem-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PathError(f"{what} {folder}: cannot write there ({e.strerror or e})") from None
    return folder


def make_folder(folder: str | Path, what: str) -> Path:
    """Create `folder` if need be (`what` names it in messages) and check that files can be created there;
    refuses a file in its place. Raises PathError."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PathError(f"{folder}: is a file; {what}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PathError(f"{folder}: cannot create the folder ({e.strerror or e})") from None
    return check_folder(folder, "the folder")


def check_destination(path: str | Path, force: bool = False) -> Path:
    """Check, before any long work, that a file can be written at `path`; returns it as a Path.

    Refuses an empty path, a directory, a path under a regular file, a place that cannot be written
    and an existing file (unless `force`). Missing parent folders are created. Raises PathError.
    """
    if not str(path).strip():
        raise PathError("the output path is empty")
    path = Path(path)
    if path.is_dir():
        raise PathError(f"{path}: is a directory; give a file name, e.g. {path / 'net.npz'}")
    refuse_special(path)
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise PathError(f"{path}: {parent} is a file, not a directory")
    if path.exists() and not force:
        raise PathError(f"{path}: already exists; pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PathError(f"{path}: cannot write there ({e.strerror or e})") from None
    check_folder(path.parent, f"{path}: the folder")
    return path


def file_mode() -> int:
    """The mode a newly created file gets under the process's umask (0644 under 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object], replace: bool = True) -> Path:
    """Write a file with `write(f)` into a temporary file in the same folder, then move it into place, so that
    a reader (or a Ctrl-C) never sees half a file; returns where it went. The file gets the usual mode of a new
    file (0644 under a 022 umask), not the temporary file's 0600.

    With `replace` false, an existing file is never replaced, even one that appeared after the destination was
    checked (another run saving to the same path): the file goes to the next free name, `NAME-2.npz`, `-3`...,
    decided at the moment of saving by a hard link that fails if the name is taken."""
    path = Path(path)
    refuse_special(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())
        if replace:
            os.replace(tmp, path)
        else:
            path = link_free(tmp, path)
    except OSError as e:  # a full disk, a file-size limit, a folder that cannot be written: name the file
        raise PathError(f"{path}: could not write it ({e.strerror or e}); nothing was changed there") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def link_free(tmp: str, path: Path) -> Path:
    """Hard-link `tmp` to `path`, or to the first free `STEM-N.SUFFIX` (N = 2, 3, ...); returns the name used."""
    for n in range(1, 10_000):
        name = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            os.link(tmp, name)
            return name
        except FileExistsError:
            continue
    raise PathError(f"{path}: no free name from {path.stem}-2 to {path.stem}-9999")
