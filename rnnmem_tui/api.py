"""The Python API for notebooks: `load`, `train`, `Session`, `evaluate` and `explain`, on names, paths or objects.

from rnnmem_tui import load, train, Session, evaluate, explain
"""

from __future__ import annotations

from collections.abc import Iterable

from . import session as _session
from .cells import cell_of
from .metrics import Protocol, Scores
from .metrics import evaluate as _evaluate
from .model import NONE, RNN
from .recipes import settings_for
from .roles import NeuronRoles
from .roles import explain as _explain
from .tasks import Task, load_task
from .weights import load as _load
from .weights import task_for

__all__ = ["Session", "evaluate", "explain", "load", "train"]


def load(path: str) -> RNN:
    """A network from a weights file: a path, a shipped name (`count-2`) or a bare task name (`grammar`: the
    task's default shipped network). Never unpickles; raises WeightsError with one line on a bad file.

    The network's task is `net.meta` (family, parameters, target); `Session`, `evaluate` and `explain`
    rebuild it from there, so no TOML file is needed.
    """
    return _load(path)


def train(task: str | Task, hidden: int, seed: int = 0, **settings) -> RNN:
    """Train one network and return the best one found; its meta records how it was made.

    `task` is a shipped task name, a path to your own TOML spec, or a Task. The settings are
    TrainConfig's (max_steps, lr, recipe, ...): the task's [train] table first, then the keywords given.
    E.g. `train("count", hidden=2, max_steps=3000)`.
    """
    from .train import TrainConfig  # the engine loads only when it is used
    from .train import train as _engine

    if isinstance(task, str):
        settings, task = settings_for(task, settings), load_task(task)
    cfg = TrainConfig(hidden=hidden, seed=seed, **settings)
    return _engine(
        task,
        cfg,
        command=f"python: rnnmem_tui.train({task.name!r}, hidden={hidden}, seed={seed}, "
        + ", ".join(f"{k}={v!r}" for k, v in settings.items())
        + ")",
    ).net


class Session(_session.Session):
    """Steps a network through its task, one symbol at a time, with neurons zeroed or clamped.

    `Session(net)` takes the task from the network's meta. `step()` samples a symbol (or reads the one
    given) and returns a frozen Frame: `frame.step.h` is the hidden state (H,), `frame.step.p` the
    next-symbol probabilities (V,). `zero(i)`, `clamp(i, v)`, `release(i)` and `release_all()` hold
    neurons; `window(n)` is the last n hidden states as an (n, H) array; `reset()` replays the same draws.
    """

    def __init__(self, net: RNN, task: Task | None = None, seed: int = 0) -> None:
        super().__init__(net, task or task_for(net), seed)


def evaluate(
    net: RNN,
    task: Task | None = None,
    *,
    zero: Iterable[int] = (),
    clamp: dict[int, float] | None = None,
    units: int = 5000,
    seed: int = 0,
) -> Scores:
    """Validity, TVD and bad mass of a network under the standard protocol (one sampling seed), with the
    neurons in `zero` held at 0 and those in `clamp` ({neuron: value}) held at their value.

    For a verdict with intervals, use `rnnmem-tui eval` (ten sampling seeds).
    """
    iv = NONE
    for i in zero:
        iv = iv.zero(i)
    for i, v in (clamp or {}).items():
        iv = iv.clamp(i, v)
    return _evaluate(
        net, task or task_for(net), Protocol(units=units, seed=seed), iv.check(net.hidden, cell_of(net).bounded)
    )


def explain(net: RNN, task: Task | None = None, **options) -> list[NeuronRoles]:
    """Each neuron's roles (counter, flag, bit, ...) that beat both controls, with their evidence; see
    `rnnmem-tui explain`. Options: seed, streams, units, causal."""
    return _explain(net, task or task_for(net), **options)
