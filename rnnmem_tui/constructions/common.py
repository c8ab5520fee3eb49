"""What every construction shares: a saturation gain, a logit margin, blank weights and the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..meta import Meta
from ..model import RNN
from ..tasks import Task

GAIN = 5.0  # tanh(5) = 0.9999: a neuron at +-GAIN input is a saturated bit
MARGIN = 20.0  # logit gap between a legal and an illegal output: e^-20 per illegal symbol


@dataclass(frozen=True)
class Construction:
    """A hand-built network of one task family: its size on a task, and the function that builds it."""

    family: str
    size: Callable[[Task], int]
    build: Callable[[Task], RNN]


REGISTRY: dict[str, list[Construction]] = {}  # family -> its constructions


def construction(family: str, size: Callable[[Task], int] | int):
    """Declare a builder as a construction of `family` with `size` neurons (a number, or a function of the task)."""

    def register(build: Callable[[Task], RNN]) -> Callable[[Task], RNN]:
        REGISTRY.setdefault(family, []).append(
            Construction(family, size if callable(size) else (lambda _task, n=size: n), build)
        )
        return build

    return register


def blank(H: int, V: int) -> tuple[np.ndarray, ...]:
    """Zero weights Wxh (H, V), Whh (H, H), Why (V, H), bh (H,), by (V,)."""
    return np.zeros((H, V)), np.zeros((H, H)), np.zeros((V, H)), np.zeros(H), np.zeros(V)


def network(task: Task, what: str, Wxh, Whh, Why, bh, by, **extra) -> RNN:
    """The RNN of a construction, with the meta of a hand-built file (no seed, no updates)."""
    H = Whh.shape[0]
    meta = Meta.made(
        task, H, command=f"rnnmem-tui build-optimal {task.name} --hidden {H}", construction=what, extra=dict(extra)
    )
    return RNN(Wxh, Whh, Why, bh, by, vocab=task.vocab, meta=meta)
