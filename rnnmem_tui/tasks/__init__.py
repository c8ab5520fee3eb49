"""Task registry: reads the TOML specs in tasks/ and builds task objects by name or from a file's meta."""
from __future__ import annotations

import tomllib

from ..paths import data_dir
from .base import Task
from .grid import FillTask, GridTask, ThreeInARowTask
from .lines import CountReverseTask, CountTask, GrammarTask

FAMILIES: dict[str, type[Task]] = {cls.family: cls for cls in
                                   (CountTask, CountReverseTask, FillTask, ThreeInARowTask, GrammarTask)}

__all__ = ["FAMILIES", "GridTask", "Task", "TaskError", "load_spec", "load_task", "task_from_meta",
           "task_names"]


class TaskError(ValueError):
    """An unknown task, or a spec or meta that does not describe a task."""


def task_names() -> list[str]:
    """The names of the shipped task specs, e.g. `count`, `fill-4x4`."""
    return sorted(p.stem for p in data_dir("tasks").glob("*.toml"))


def load_spec(name: str) -> dict:
    """The parsed TOML spec of a task name."""
    path = data_dir("tasks") / f"{name}.toml"
    if not path.is_file():
        raise TaskError(f"unknown task {name!r}; known tasks: {', '.join(task_names())}")
    with path.open("rb") as f:
        return tomllib.load(f)


def _build(name: str, family: str, params: dict, target: dict) -> Task:
    if family not in FAMILIES:
        raise TaskError(f"unknown task family {family!r}; known: {', '.join(FAMILIES)}")
    try:
        return FAMILIES[family](name=name, params=dict(params), target=dict(target))
    except (KeyError, TypeError, ValueError) as e:
        raise TaskError(f"task {name!r} has bad parameters: {e}") from None


def load_task(name: str) -> Task:
    """Build the task described by tasks/NAME.toml."""
    spec = load_spec(name)
    return _build(name, spec.get("family", name), spec.get("params", {}), spec.get("target", {}))


def task_from_meta(meta) -> Task:
    """Build the task a weights file was trained on, from its `Meta` (`task` is the family)."""
    family, name = meta.task, meta.spec or meta.task
    if not isinstance(family, str) or family not in FAMILIES:
        raise TaskError(f"unknown task {family!r} in meta (unknown task family; known: {', '.join(FAMILIES)})")
    if not isinstance(name, str):
        raise TaskError(f"the meta's spec must be a task name, got {name!r}")
    target = load_spec(name).get("target", {}) if name in task_names() else {}
    return _build(name, family, meta.params, target)
