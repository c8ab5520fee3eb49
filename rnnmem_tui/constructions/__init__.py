"""Hand-built networks whose neurons' roles are known by construction, by task family, with a registry."""

from __future__ import annotations

from ..model import RNN
from ..tasks import Task
from . import count, grammar, grid  # noqa: F401  (each module registers its constructions)
from .common import GAIN, MARGIN, REGISTRY, Construction
from .count import build_count, build_count_1, build_count_reverse
from .grammar import build_grammar
from .grid import build_fill, build_fill_bits, build_three_lines

__all__ = [
    "GAIN",
    "MARGIN",
    "REGISTRY",
    "Construction",
    "build",
    "build_count",
    "build_count_1",
    "build_count_reverse",
    "build_fill",
    "build_fill_bits",
    "build_grammar",
    "build_three_lines",
    "choose",
    "sizes",
]


def sizes(task: Task) -> dict[int, Construction]:
    """The constructions of a task by size, smallest first; empty when its family has none."""
    return dict(sorted(((c.size(task), c) for c in REGISTRY.get(task.family, [])), key=lambda p: p[0]))


def choose(task: Task, hidden: int | None = None) -> Construction:
    """The construction of `hidden` neurons for a task, or its smallest; raises ValueError."""
    have = sizes(task)
    if not have:
        families = ", ".join(sorted(REGISTRY))
        raise ValueError(f"build-optimal knows constructions for {families} only, not {task.name!r}")
    if hidden is None:
        hidden = min(have)
    if hidden not in have:
        raise ValueError(
            f"no construction of {task.name} with {hidden} neurons; sizes with one: {', '.join(map(str, have))}"
        )
    return have[hidden]


def build(task: Task, hidden: int | None = None) -> RNN:
    """Build the construction of `hidden` neurons for a task, or its smallest; raises ValueError."""
    return choose(task, hidden).build(task)
