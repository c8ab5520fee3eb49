"""How far past its training range a network keeps the rules: teacher-forced illegal mass on ever longer units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import illegal_mass
from .tasks import Task

CLEAN = 0.01  # a unit is clean when no step puts more than this on illegal next symbols


@dataclass(frozen=True)
class Lengths:
    """A length test: per size n, the most any step of its unit put on illegal symbols."""

    task: str
    trained: int  # the largest size of the training range (the task's LONG parameter)
    sizes: tuple[int, ...]  # tested, from the training range's smallest
    worst: tuple[float, ...]  # per size: the largest illegal mass over its unit's steps

    @property
    def clean(self) -> int | None:
        """The largest n such that every unit up to n is clean; None when the smallest is not."""
        best = None
        for n, w in zip(self.sizes, self.worst):
            if w > CLEAN:
                break
            best = n
        return best

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "trained": self.trained,
            "clean": self.clean,
            "threshold": CLEAN,
            "worst": {str(n): round(w, 6) for n, w in zip(self.sizes, self.worst)},
        }


def check_long(task: Task, n_max: int) -> None:
    """Refuse a task without a length test, or a size past its family's bound; raises ValueError."""
    if task.LONG is None:
        raise ValueError(f"--n-max: task {task.name!r} ({task.family}) has no length test; grammar, anbncn and dyck do")
    hi = task.PARAMS[task.LONG].hi
    if not task.params[task.LONG] <= n_max <= hi:
        raise ValueError(
            f"--n-max for {task.family} must be in {task.params[task.LONG]}..{hi} (its training bound..its family's), got {n_max}"
        )


def lengths(net, task: Task, n_max: int) -> Lengths:
    """Teacher-force each size's unit in the language without its bound: from h = 0, the start token and one
    burn-in unit, the training range's middle size (a typical line, as the verdict protocol's samples follow one
    burn-in unit; the smallest would leave some networks that meet in a state they never sample); only the unit
    is scored, from the step that predicts its first symbol."""
    check_long(task, n_max)
    start = task.long_start
    sizes = tuple(range(start, n_max + 1))
    burn = task.end + task.long_unit((start + task.params[task.LONG]) // 2)
    col = {c: i for i, c in enumerate(task.vocab)}
    worst = []
    for n in sizes:
        stream = burn + task.long_unit(n)
        legal = np.zeros((len(stream) - 1, len(task.vocab)), dtype=bool)
        for t, prefix in enumerate(task.prefixes(stream[:-1])):
            legal[t, [col[c] for c in task.open_next(prefix)]] = True
        _, ps = net.forward(net.index(stream[:-1])[None, :], np.zeros((1, net.hidden)))
        worst.append(float(illegal_mass(ps[0], legal)[len(burn) - 1 :].max()))
    return Lengths(task.name, task.params[task.LONG], sizes, tuple(worst))
