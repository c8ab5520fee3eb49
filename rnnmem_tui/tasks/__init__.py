"""Task registry: reads the TOML specs in tasks/ and builds task objects by name or from a file's meta."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..paths import data_dir, kind
from .base import Task
from .formal import AnBnCnTask, DyckTask, ParityTask
from .grid import FillTask, GridTask, ThreeInARowTask
from .lines import CountReverseTask, CountTask, GrammarTask

FAMILIES: dict[str, type[Task]] = {
    cls.family: cls
    for cls in (CountTask, CountReverseTask, FillTask, ThreeInARowTask, GrammarTask, DyckTask, AnBnCnTask, ParityTask)
}

__all__ = [
    "FAMILIES",
    "GridTask",
    "Task",
    "TaskError",
    "is_spec_file",
    "load_spec",
    "load_task",
    "spec_name",
    "task_from_meta",
    "task_names",
]


class TaskError(ValueError):
    """An unknown task, or a spec or meta that does not describe a task."""


DEFAULT_TARGET = {"validity": 0.99, "tvd": 0.1}  # a spec without a [target] table gets this (DESIGN.md)
TARGET_KEYS = ("validity", "tvd", "bad_mass")
SPEC_KEYS = ("family", "description", "hidden", "study", "params", "target", "claims", "train")  # a spec's top level


def task_names() -> list[str]:
    """The names of the shipped task specs, e.g. `count`, `fill-4x4`."""
    return sorted(p.stem for p in data_dir("tasks").glob("*.toml"))


def is_spec_file(name: str) -> bool:
    """True when a task name is a path to the user's own TOML spec (`./my.toml`, `specs/g.toml`)."""
    return name.endswith(".toml") or "/" in name or os.sep in name


def spec_name(name: str) -> str:
    """The task's name: a shipped task's own, or a spec file's stem (`./my-grammar.toml` -> `my-grammar`)."""
    return Path(name).stem if is_spec_file(name) else name


MAX_SPEC_BYTES = 1 << 20  # a spec is a page of settings: 1 MiB is far more than any needs
MAX_DEPTH = 8  # [params], [target], [claims], [train] hold plain values: 2 levels are used


def load_spec(name: str) -> dict:
    """The parsed TOML spec of a task: a shipped name, or a path to the user's own file; raises TaskError
    with one line naming the file and the key at fault."""
    if is_spec_file(name):
        path, where = Path(name), name
        if not path.is_file():
            what = kind(path)
            raise TaskError(
                f"{name}: no such task file" if what == "nothing" else f"{name}: is {what}, not a task file"
            )
    else:
        path, where = data_dir("tasks") / f"{name}.toml", f"task {name!r}"
        if not path.is_file():
            raise TaskError(
                f"unknown task {name!r}; known tasks: {', '.join(task_names())}, or a path to your own .toml spec"
            )
    try:
        with path.open("rb") as f:
            text = f.read(MAX_SPEC_BYTES + 1)
        if len(text) > MAX_SPEC_BYTES:
            raise TaskError(f"{where}: a task spec is at most 1 MiB; this file is larger")
        spec = tomllib.loads(text.decode())
    except tomllib.TOMLDecodeError as e:
        raise TaskError(f"{where}: not valid TOML ({e})") from None
    except RecursionError:
        raise TaskError(f"{where}: nests arrays or tables too deeply (a task spec nests at most {MAX_DEPTH})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TaskError(f"{where}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    if nesting(spec) > MAX_DEPTH:
        raise TaskError(f"{where}: nests arrays or tables too deeply (a task spec nests at most {MAX_DEPTH})")
    return check_spec(spec, where, name)


def nesting(value: object) -> int:
    """How deeply tables and arrays nest in a parsed spec (a plain value is 0), counted without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, depth = todo.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, depth + 1)
            todo.extend((item, depth + 1) for item in (v.values() if isinstance(v, dict) else v))
    return deepest


def check_spec(spec: dict, where: str, name: str) -> dict:
    """The spec if its keys and tables are ones a task spec has; raises TaskError naming the key."""
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise TaskError(f"{where}: unknown key {unknown[0]!r}; a task spec has {', '.join(SPEC_KEYS)}")
    for key in ("params", "target", "claims", "train"):
        if not isinstance(spec.get(key, {}), dict):
            raise TaskError(f"{where}: {key} must be a table, [{key}]")
    family = spec.get("family", None if is_spec_file(name) else name)
    if family is None:
        raise TaskError(f"{where}: missing key 'family'; one of {', '.join(FAMILIES)}")
    if family not in FAMILIES:
        raise TaskError(f"{where}: family: unknown task family {family!r}; known: {', '.join(FAMILIES)}")
    hidden = spec.get("hidden", 1)
    if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= 4096:
        raise TaskError(f"{where}: hidden must be a whole number of neurons in 1..4096, got {hidden!r}")
    if not isinstance(spec.get("study", False), bool):
        raise TaskError(f"{where}: study must be true or false, got {spec['study']!r}")
    check_target(spec.get("target", {}), f"{where}: [target]")
    return spec


def check_target(target: object, where: str) -> dict:
    """A target table: bounds among validity, tvd and bad_mass, each a number in [0, 1]; raises TaskError."""
    if not isinstance(target, dict):
        raise TaskError(f"{where} must be a table of bounds, got {target!r}")
    for key, value in target.items():
        if key not in TARGET_KEYS:
            raise TaskError(f"{where} {key}: unknown bound; a target has {', '.join(TARGET_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise TaskError(f"{where} {key} must be a number in 0..1, got {value!r}")
    return target


def _build(name: str, family: str, params: dict, target: dict, where: str = "") -> Task:
    if family not in FAMILIES:
        raise TaskError(f"unknown task family {family!r}; known: {', '.join(FAMILIES)}")
    try:
        return FAMILIES[family](name=name, params=dict(params), target=dict(target))
    except (KeyError, TypeError, ValueError) as e:
        raise TaskError(f"{where} {e}" if where else f"task {name!r} has bad parameters: {e}") from None


def load_task(name: str) -> Task:
    """Build the task described by tasks/NAME.toml, or by the user's own spec file at the path NAME.

    A spec without a [target] table gets validity >= 0.99 and TVD <= 0.1.
    """
    spec = load_spec(name)
    where = f"{name}: [params]" if is_spec_file(name) else ""
    return _build(
        spec_name(name), spec.get("family", name), spec.get("params", {}), spec.get("target", DEFAULT_TARGET), where
    )


def task_from_meta(meta) -> Task:
    """Build the task a weights file was trained on, from its `Meta` (`task` is the family).

    The target is the one the file embeds; an older file without one gets its shipped spec's.
    """
    family, name = meta.task, meta.spec or meta.task
    if not isinstance(family, str) or family not in FAMILIES:
        raise TaskError(f"unknown task {family!r} in meta (unknown task family; known: {', '.join(FAMILIES)})")
    if not isinstance(name, str):
        raise TaskError(f"the meta's spec must be a task name, got {name!r}")
    if meta.target is not None:
        target = check_target(meta.target, "the meta's target")
    else:
        target = load_spec(name).get("target", {}) if name in task_names() else DEFAULT_TARGET
    return _build(name, family, meta.params, target)
