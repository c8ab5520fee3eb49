"""The meta of a weights file: one typed record, written (`to_json`) and read (`from_json`) here only."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from dataclasses import dataclass, field, fields
from pathlib import Path

from .tasks import FAMILIES

PARAM_KEYS = tuple(dict.fromkeys(k for family in FAMILIES.values() for k in family.PARAMS))  # as the families declare
_PKG = Path(__file__).resolve().parent


@dataclass
class Meta:
    """What a network is for and how it was made. In the JSON, the task's parameters sit at the top
    level, beside `task` and `hidden`, as the weights-file contract says."""

    task: str  # the family, e.g. "fill"
    hidden: int
    cell: str | None = None  # the recurrent cell; None (absent) means rnn, as in every file of the first format
    format: int | None = None  # 2 for a cell's PyTorch-layout arrays; None (absent) for the rnn's five arrays
    spec: str = ""  # the task spec's name, e.g. "fill-4x4"; the family's when empty
    params: dict = field(default_factory=dict)  # the task's parameters, e.g. {"rows": 3, "cols": 3}
    target: dict | None = None  # the task's target, so that a file from the user's own spec judges anywhere
    command: str = ""  # the command that made the file (a population's, for each of its networks)
    seed: int | None = None  # None for a hand-built network
    steps: int = 0  # updates done
    seconds: float = 0.0  # wall time of training
    stopped_by: str | None = None  # "target", "steps", "time", "request" or "interrupted"
    trainer: dict | None = None  # the settings actually used, the budget (max_steps, max_seconds) included
    confirmation: dict | None = None  # the trainer's last full check under the confirmation protocol
    metrics: dict | None = None  # the figures under the standard protocol (sampling seed 0)
    verdict: dict | None = None  # the verdict under the verdict protocol, with its intervals
    construction: str | None = None  # how a hand-built network works
    version: str | None = None  # the package's version
    source: str | None = None  # "git:COMMIT", with "+dirty:HASH" for uncommitted changes, or "sha256:HASH"
    numpy: str | None = None  # numpy's version: rounding may differ across versions
    blas: str | None = None  # the BLAS numpy uses, and its threads
    machine: str | None = None  # the CPU: rounding may differ across CPUs
    blas_core: str | None = None  # the kernel family the BLAS ran (arith.py pins Haswell on x86 with AVX2)
    simd: str | None = None  # the SIMD targets numpy dispatched its loops to
    extra: dict = field(default_factory=dict)  # any other key, kept as it was (a construction's constants)

    @property
    def recorded(self) -> str | None:
        """The recorded verdict: "meets", "misses" or "undecided"; None when none was recorded."""
        return (self.verdict or {}).get("verdict")

    def as_dict(self) -> dict:
        """The flat JSON object: task parameters and extra keys at the top level; unset fields left out."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("params", "extra"):
                out.update(value)
            elif value is not None or f.name == "seed":
                out[f.name] = value
        return out

    def to_json(self) -> str:
        """The meta as the JSON text stored in a weights file."""
        return json.dumps(self.as_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, data: str | dict) -> Meta:
        """Read a meta from its JSON text or object; older files' plain dicts read the same way.

        Raises ValueError when it is not a JSON object; a missing `hidden` reads as None, for the
        loader to refuse against the arrays.
        """
        d = json.loads(data) if isinstance(data, str) else data
        if not isinstance(d, dict):
            raise ValueError("meta is not a JSON object")
        d = {"hidden": None, "task": None, **d}
        known = {f.name for f in fields(cls)} - {"params", "extra"}
        return cls(
            **{k: v for k, v in d.items() if k in known},
            params={k: d[k] for k in PARAM_KEYS if k in d},
            extra={k: v for k, v in d.items() if k not in known and k not in PARAM_KEYS},
        )

    @classmethod
    def made(cls, task, hidden: int, **fields_: object) -> Meta:
        """The meta of a network made now for `task`, with this code's version and its environment."""
        return cls(
            task=task.family,
            hidden=hidden,
            spec=task.name,
            params=dict(task.params),
            target=dict(task.target),
            **provenance(),
            **fields_,
        )


@functools.cache
def provenance() -> dict:
    """The package version, the source's commit (or hash), and the arithmetic's fingerprint (arith.py)."""
    from . import __version__
    from .arith import fingerprint

    return {"version": __version__, "source": source_id(), **fingerprint()}


def source_hash() -> str:
    """A hash of the package's source files."""
    h = hashlib.sha256()
    for p in sorted(_PKG.rglob("*")):
        if p.suffix in (".py", ".tcss", ".toml") and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(_PKG)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def source_id() -> str:
    """`git:COMMIT` for a clean checkout, `git:COMMIT+dirty:HASH` with uncommitted changes to the package,
    else `sha256:HASH` of the package's source."""
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", "-C", str(_PKG), *args], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()

        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
        return f"git:{commit}" + (f"+dirty:{source_hash()}" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return f"sha256:{source_hash()}"
