"""The one training engine: batches, an optimizer, a schedule, a keeper of the best, a callback; no UI.

It trains a population of networks of one shape at once (a network alone is a population of one):
their weights are stacked (S, H, H) and one batched forward and backward serves them all. Each
network has its own generator, data, optimizer state and validation, so it trains exactly as it
would alone, and it leaves the computation once it reaches the target. Its full checks wait to be
sampled with the others' (it trains on meanwhile, and drops what it trained past a check that passed).
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .cells import CELLS
from .meta import Meta
from .metrics import Protocol, Scores, _cap, evaluate, evaluate_many
from .model import RNN
from .recipes import RECIPES, SPECIFIC, Phase, cosine
from .tasks import Task


def setting(default, help: str, **cli) -> Any:
    """A trainer setting with its command-line flag: its default, its help, and for the flag its `kind` (int,
    float, bool), bounds (lo, hi, above, below), `choices` (a callable giving them), another `flag` name or
    the default as `--help` says it (`shown`, where None stands for the cell's own)."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass(frozen=True)
class TrainConfig:
    """Trainer settings; the ones the recipe uses are stored in the meta of every network it makes.

    Settings left at None take the recipe's default; a recipe refuses a setting it does not use.
    """

    hidden: int = 2
    seed: int = 0
    cell: str = setting("rnn", "the recurrent cell: rnn (tanh), relu (IRNN), gru or lstm", choices=lambda: CELLS)
    recipe: str = setting(
        "windows",
        "windows: batched truncated BPTT on carried-state windows; lines: full BPTT over whole lines from h = 0, "
        "with restarts and polish cycles",
        choices=lambda: RECIPES,
    )
    batch: int | None = setting(None, "sequences per update (lines polishes at twice it)", kind=int, lo=1, hi=4096)
    window: int | None = setting(None, "BPTT steps per update", kind=int, lo=1, hi=10_000)
    optimizer: str = setting("adam", "the optimizer", choices=lambda: OPTIMIZERS)
    lr: float = setting(0.05, "learning rate", kind=float, above=0.0)
    init_scale: float | None = setting(None, "std of the initial weights", kind=float, above=0.0)
    identity: float | None = setting(
        None, "relu: W_hh starts as this multiple of the identity", kind=float, lo=0.0, shown="1, as IRNN"
    )
    init_bias: float | None = setting(
        None, "relu: the input bias every unit starts with", kind=float, shown="0, as IRNN"
    )
    clip: float = setting(5.0, "element-wise gradient clip; 0 turns it off", kind=float, lo=0.0)
    clip_norm: float = setting(
        0.0, "clip each network's global gradient norm to this; 0 turns it off", kind=float, lo=0.0
    )
    anneal: float | None = setting(
        None, "windows: lr factor once validity first reaches the target; 1 disables", kind=float, above=0.0, hi=1.0
    )
    decay: float | None = setting(
        None,
        "windows: the learning rate falls along a cosine to this fraction of itself at the budget's end",
        kind=float,
        above=0.0,
        hi=1.0,
        shown="constant",
    )
    margin: float = setting(
        0.2,
        "stop once each target bound holds with this fraction of its distance to perfect to spare, "
        "e.g. validity >= 0.99 + 0.2 * 0.01",
        kind=float,
        lo=0.0,
        below=1.0,
    )
    carry: bool | None = setting(
        None, "windows: reset the hidden state between windows", kind=bool, flag="--no-carry"
    )  # carry the hidden state from one window to the next
    max_steps: int = setting(
        20_000,
        "the budget, in updates: the same flags give the same network on the same arithmetic (CPU, numpy, BLAS kernel)",
        kind=int,
        lo=1,
    )
    max_seconds: float = setting(
        3600.0,
        "a safety cap on wall time; a run it stops records stopped_by=time in its meta; 0 sets no cap",
        kind=float,
        lo=0.0,
    )
    eval_symbols: int | None = None  # windows: training symbols between validations (200,000)
    val_units: int = 300  # sampled units per validation

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; known: {', '.join(CELLS)}")
        recipe = RECIPES.get(self.recipe)
        if recipe is None:
            raise ValueError(f"unknown recipe {self.recipe!r}; known: {', '.join(RECIPES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        for name in sorted(SPECIFIC):
            value = getattr(self, name)
            if name in recipe.defaults:
                object.__setattr__(self, name, recipe.defaults[name] if value is None else value)
            elif value is not None:
                raise ValueError(f"--recipe {self.recipe} does not use {flag(name)}: {recipe.why}")
        for name in ("batch", "window", "max_steps", "val_units", "eval_symbols"):
            if name in self.settings() and self.settings()[name] < (0 if name == "max_steps" else 1):
                raise ValueError(f"{flag(name)} must be at least {0 if name == 'max_steps' else 1}")
        for name in CELL_INIT:
            if getattr(self, name) is not None and name not in CELLS[self.cell].init_options:
                owners = " and ".join(c for c, cell in CELLS.items() if name in cell.init_options)
                raise ValueError(f"{flag(name)} applies to the {owners} cell only, not {self.cell}")
        for name in ("lr", "init_scale", "clip", "clip_norm", "margin", "max_seconds"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"{flag(name)} must be at least 0, got {value}")

    def settings(self) -> dict:
        """The settings this run actually uses, for its meta: the recipe's own and the common ones (the cell is
        the meta's own key)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "cell"
            and (f.name not in SPECIFIC or f.name in RECIPES[self.recipe].defaults)
            and (f.name not in OPTIONAL or getattr(self, f.name) is not None)
        }

    def init(self, V: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """A network's first weights, as its cell draws them with these settings."""
        given = {name: getattr(self, name) for name in CELL_INIT if getattr(self, name) is not None}
        return CELLS[self.cell].init(self.hidden, V, rng, self.init_scale, **given)


CELL_INIT = tuple(dict.fromkeys(o for cell in CELLS.values() for o in cell.init_options))  # kept in a meta when set
OPTIONAL = (*CELL_INIT, "decay")  # settings a meta keeps only when set, so older files' settings read the same


def flag(name: str) -> str:
    """The command-line flag of a setting, e.g. `--init-scale`; a setting without one goes by its name."""
    meta = SETTINGS[name].metadata if name in SETTINGS else {"flag": name}
    return meta.get("flag", "--" + name.replace("_", "-"))


SETTINGS = {f.name: f for f in fields(TrainConfig) if "help" in f.metadata}  # those the command line sets


@dataclass(frozen=True)
class Progress:
    """What the trainer reports to its callback, per network and validation."""

    step: int
    seconds: float
    loss: float  # smoothed training loss per symbol
    scores: Scores | None  # validation figures, on validation steps only
    best: Scores | None
    seed: int = 0  # which network of the population


@dataclass
class TrainResult:
    """The best network found, how it scored on validation, and how training ended."""

    net: RNN
    best: Scores | None
    steps: int
    seconds: float
    reached: bool  # the task's target held on the confirming validation
    interrupted: bool = False
    stopped_by: str = "steps"  # "target", "steps", "time", "request" (should_stop) or "interrupted" (Ctrl-C)
    history: list[Progress] = field(default_factory=list)


class Adam:
    """Adam on a dict of stacked arrays (S, ...), updated in place, with a learning rate per network."""

    def __init__(self, params: dict[str, np.ndarray], b1=0.9, b2=0.999, eps=1e-8) -> None:
        self.b1, self.b2, self.eps, self.t = b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: np.ndarray) -> None:
        """One update with learning rates lr (S,)."""
        self.t += 1
        a = lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)  # (S,)
        for k, g in grads.items():
            self.m[k] += (1 - self.b1) * (g - self.m[k])
            self.v[k] += (1 - self.b2) * (g * g - self.v[k])
            params[k] -= a.reshape(-1, *[1] * (g.ndim - 1)) * self.m[k] / (np.sqrt(self.v[k]) + self.eps)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the state of the networks that leave the population."""
        self.m = {k: v[mask] for k, v in self.m.items()}
        self.v = {k: v[mask] for k, v in self.v.items()}


class Adagrad:
    """Adagrad on a dict of stacked arrays, as min-char-rnn does it."""

    def __init__(self, params: dict[str, np.ndarray], eps=1e-8) -> None:
        self.eps = eps
        self.mem = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: np.ndarray) -> None:
        """One update with learning rates lr (S,)."""
        for k, g in grads.items():
            self.mem[k] += g * g
            params[k] -= lr.reshape(-1, *[1] * (g.ndim - 1)) * g / np.sqrt(self.mem[k] + self.eps)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the state of the networks that leave the population."""
        self.mem = {k: v[mask] for k, v in self.mem.items()}


OPTIMIZERS = {"adam": Adam, "adagrad": Adagrad}


def clip_grads(grads: dict[str, np.ndarray], clip: float, clip_norm: float) -> None:
    """Clip stacked gradients in place: each network's global norm to clip_norm, then each element to
    +-clip (0 turns either off)."""
    if clip_norm:
        norm = global_norm(grads)  # (S,)
        scale = np.minimum(1.0, clip_norm / (norm + 1e-6))  # (S,)
        for g in grads.values():
            g *= scale.reshape(-1, *[1] * (g.ndim - 1))
    if clip:
        for g in grads.values():
            np.clip(g, -clip, clip, out=g)


def global_norm(grads: dict[str, np.ndarray]) -> np.ndarray:
    """Each network's gradient norm over all its parameters (S,)."""
    S = next(iter(grads.values())).shape[0]
    return np.sqrt(sum((g * g).reshape(S, -1).sum(axis=1) for g in grads.values()))


class Keeper:
    """Validation of one network: measure, confirm in full, keep the best.

    A network is measured on a small validation sample; when `ready(scores)` says it may be at
    target, it is measured again under the full protocol on another seed, and the target must hold
    there with cfg.margin to spare. The best network so far is kept, and every measurement is
    reported to the callback.
    """

    def __init__(self, task: Task, cfg: TrainConfig, callback: Callable[[Progress], object] | None) -> None:
        self.task, self.cfg, self.callback = task, cfg, callback
        self.val = Protocol(units=cfg.val_units, bad_units=50, seed=cfg.seed + 1)
        self.confirm = Protocol(seed=cfg.seed + 2)
        self.best: Scores | None = None
        self.confirmation: Scores | None = None  # the last full check under the confirmation protocol
        self.params: dict[str, np.ndarray] | None = None
        self.reached = self.confirmed = False
        self.history: list[Progress] = []
        self.start = time.perf_counter()

    def ready(self, scores: Scores) -> bool:
        """Whether a validation is worth a full confirmation: by validity alone, or the whole target."""
        if RECIPES[self.cfg.recipe].ready == "target":
            return scores.meets(self.task.target)
        return scores.validity >= self.task.target.get("validity", 0.0)

    def consider(
        self,
        net: RNN,
        step: int,
        loss: float,
        scores: Scores,
        confirmation: Scores | None = None,
        check: bool = True,
    ) -> None:
        """Take net's validation scores and, when they are `ready`, its full check under `confirm`
        (measured here when not given, skipped when `check` is False: a run stopped before it); keep
        it if it is the best so far, and report. Sets `confirmed` and `reached`."""
        self.confirmed = check and self.ready(scores)
        if self.confirmed:  # worth a full measurement
            scores = self.confirmation = confirmation or evaluate(net, self.task, self.confirm)
            self.reached = scores.meets(self.task.target, margin=self.cfg.margin)  # room for noise
        if self.best is None or scores.score() > self.best.score() or self.reached:
            self.best, self.params = scores, {k: v.copy() for k, v in net.params.items()}
        report = Progress(step, time.perf_counter() - self.start, loss, scores, self.best, self.cfg.seed)
        self.history.append(report)
        if self.callback:
            self.callback(report)

    def result(self, net: RNN, steps: int, stopped_by: str, command: str, seconds: float | None = None) -> TrainResult:
        """The best network with its meta; `net` itself when nothing was measured yet (its `best` is then what
        the trainer measured of it, or None after Ctrl-C).

        The meta records the settings used, the budget in updates, why the run stopped and, when the
        trainer reached a full check, its figures under the confirmation protocol (one seed, with
        cfg.margin to spare).
        """
        if self.params is None:  # stopped before the first validation
            self.params = {k: v.copy() for k, v in net.params.items()}
        seconds = time.perf_counter() - self.start if seconds is None else seconds
        confirmation = (
            None
            if self.confirmation is None
            else {
                "seed": self.confirm.seed,
                "units": self.confirm.units,
                "margin": self.cfg.margin,
                "reached": self.reached,
                **self.confirmation.as_dict(),
            }
        )
        cell = CELLS[self.cfg.cell]
        meta = Meta.made(
            self.task,
            self.cfg.hidden,
            **({} if cell.name == "rnn" else {"cell": cell.name, "format": 2}),
            command=command,
            seed=self.cfg.seed,
            steps=steps,
            seconds=round(seconds, 2),
            stopped_by=stopped_by,
            trainer=self.cfg.settings(),
            confirmation=confirmation,
        )
        return TrainResult(
            cell.net(self.params, net.vocab, meta),
            self.best,
            steps,
            seconds,
            self.reached,
            stopped_by == "interrupted",
            stopped_by,
            self.history,
        )


@dataclass
class Waiting:
    """A validation whose member awaits a full check (or an earlier one's): its step, network (a copy) and
    figures, which are measured later too when they can no longer change the training (`Member.steered`)."""

    step: int
    loss: float
    net: RNN
    scores: Scores | None = None  # None: still to measure
    ready: bool | None = None  # worth a full check; None until measured


DEFER = 3_000  # updates a member may train past a validation whose full check has not run yet
BATCH_CHECKS = 48  # full checks waiting: enough to sample them in one lockstep batch


EVAL_BYTES = 128 << 20  # the most one lockstep measurement of many networks may hold: more are measured in turns
AHEAD = 64  # windows a carried-window batch source draws at once (recipes.Windows' windows_ahead)
WORKSPACES = 9  # shapes of workspace model._workspace keeps before it forgets them


def stream_bytes(task: Task, units: int) -> int:
    """The memory one stream of a lockstep sampling of `units` units holds (`stack_sample`): its uniforms and
    its symbols over the capped length, 16 bytes a step, and what is kept of it (measured: about 20 bytes)."""
    return 20 * _cap(task, units)


def measure_many(nets: list[RNN], task: Task, protocols: list[Protocol]) -> list[Scores]:
    """`evaluate_many` in turns of as many networks as EVAL_BYTES holds: the same figures, in bounded memory."""
    k = max(1, EVAL_BYTES // stream_bytes(task, protocols[0].units)) if protocols else 1
    return [s for i in range(0, len(nets), k) for s in evaluate_many(nets[i : i + k], task, protocols[i : i + k])]


def budget(cfg: TrainConfig) -> tuple[list[Phase], int]:
    """The phases of cfg's recipe that its update budget reaches, and the updates between validations."""
    phases, steps = [], 0
    for phase in RECIPES[cfg.recipe].phases(cfg):
        phases.append(phase)
        steps += phase.steps or cfg.max_steps
        if steps >= cfg.max_steps:
            break
    return phases, phases[0].every or phases[0].steps or max(1, cfg.max_steps)


def network_bytes(task: Task, cfg: TrainConfig) -> int:
    """The memory one network of a population holds while it trains, at the largest batch its budget reaches:
    its batch source's symbols (once held, once more in the rows they were cut from, and a third time in the
    heap's churn as it refills); `stack_loss_and_grads`' workspace of 4 (N, H) and 2 (N, V) floats (N = batch x
    window), one per shape (batch size, and population size as it shrinks at validations) up to WORKSPACES, and
    one update's batch and temporaries, about 11 (N,); its parameters ten times over (the stack, gradients,
    optimizer state, copies), a copy per validation waiting DEFER updates, a report per validation; its objects
    (generator, keeper, result and meta, about 12 KB)."""
    H, V, T = cfg.hidden, len(task.vocab), cfg.window
    phases, every = budget(cfg)
    validations = cfg.max_steps // every
    B = max(p.batch for p in phases)
    held = 3 * B * (AHEAD * T + 1 if RECIPES[cfg.recipe].source.carries else T + 1)  # symbols
    N = B * T
    shapes = min(WORKSPACES, len({p.batch for p in phases}) * (1 + validations))
    update = shapes * (4 * N * H + 2 * N * V + N) + 11 * N
    params = 2 * H * V + H * H + H + V
    copies = min(DEFER // every + 1, validations) * (params + 150)
    return 8 * (held + update + 10 * params + copies + 120 * validations) + 12_000  # 150: an RNN; 120: a report


def population_bytes(task: Task, cfg: TrainConfig, n: int, jobs: int = 1) -> int:
    """About the most memory training n networks like cfg at once takes, over `jobs` processes: n times
    `network_bytes`; per process, its networks' lockstep measurements (full checks after a validation, else
    the validation sample of the end), at most EVAL_BYTES at once (`measure_many`); with workers, the parent
    holds the n results too (about 6 KB each)."""
    units = Protocol().units if cfg.max_steps >= budget(cfg)[1] else cfg.val_units
    sampling = min(EVAL_BYTES, -(-n // jobs) * stream_bytes(task, units))
    return n * network_bytes(task, cfg) + jobs * sampling + (6_000 * n if jobs > 1 else 0)


class Member:
    """One network of a population: its settings, generator, batch source, keeper and waiting validations."""

    def __init__(self, task: Task, cfg: TrainConfig, callback) -> None:
        self.cfg, self.rng = cfg, np.random.default_rng(cfg.seed)
        self.keeper = Keeper(task, cfg, callback)
        self.source = None
        self.annealed = False
        self.steps, self.stopped_by, self.seconds = 0, "", None
        self.net: RNN | None = None  # its weights once it has left the population
        self.first: dict[str, np.ndarray] | None = None  # its first weights: kept if it diverges before any validation
        self.waiting: list[Waiting] = []  # its validations since the first one whose full check is still to run

    def steered(self, phase: Phase) -> bool:
        """Whether its next validation can change its training: only the first ready one, which anneals."""
        return phase.anneal != 1.0 and not self.annealed


class Population:
    """The stacked state of the networks still training: weights, optimizer, learning rates, states."""

    def __init__(
        self, members: list[Member], nets: list[RNN], cfg: TrainConfig, phase: Phase, base_lr: np.ndarray
    ) -> None:
        self.members, self.cell = members, CELLS[cfg.cell]
        self.P = {k: np.stack([n.params[k] for n in nets]) for k in nets[0].params}  # (S, ...) each
        self.opt = OPTIMIZERS[cfg.optimizer](self.P)
        self.base = base_lr  # (S,) the phase's rate per network, before its shape
        self.lr = base_lr.copy()  # (S,)
        self.h = np.zeros((len(members), phase.batch, self.cell.width(cfg.hidden)))  # (S, B, W) carried states
        self.smooth: np.ndarray | None = None  # (S,) smoothed training loss

    def net(self, j: int, vocab: tuple[str, ...]) -> RNN:
        """Network j (views into the stack)."""
        return self.cell.net({k: v[j] for k, v in self.P.items()}, vocab)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the networks where mask is False from the computation."""
        self.members = [m for m, k in zip(self.members, mask) if k]
        self.P = {k: v[mask] for k, v in self.P.items()}
        self.opt.keep(mask)
        self.base, self.lr, self.h = self.base[mask], self.lr[mask], self.h[mask]
        self.smooth = None if self.smooth is None else self.smooth[mask]


def check_population(cfgs: list[TrainConfig]) -> None:
    """Networks trained together must share every setting but the seed and the learning rate."""
    first = replace(cfgs[0], seed=0, lr=0.0)
    for c in cfgs[1:]:
        if replace(c, seed=0, lr=0.0) != first:
            raise ValueError("networks trained together must share every setting but --seed and --lr")


def train_population(
    task: Task,
    cfgs: list[TrainConfig],
    callback: Callable[[Progress], object] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    command: str = "",
    requested: str = "request",
) -> list[TrainResult]:
    """Train one network per config at once until each reaches its target, the update budget (or the
    time cap) runs out, or `should_stop()` says so; returns their results in order.

    Each network keeps the weights that scored best on validation. Ctrl-C ends training at once and
    still returns every network's best as measured so far, with `interrupted` set on those still
    training; it measures nothing more (a network not yet validated keeps its weights, with best None).
    A stop that `should_stop()` asks for is recorded as `requested`, and when that is "interrupted" it
    is a Ctrl-C too.
    """
    check_population(cfgs)
    cfg, recipe, cell = cfgs[0], RECIPES[cfgs[0].recipe], CELLS[cfgs[0].cell]
    V = len(task.vocab)
    members = [Member(task, c, callback) for c in cfgs]
    pop: Population | None = None
    start, step, stopped_by = time.perf_counter(), 0, ""

    def stop_reason() -> str:
        if cfg.max_steps and step >= cfg.max_steps:
            return "steps"
        if cfg.max_seconds and time.perf_counter() - start > cfg.max_seconds:
            return "time"
        return requested if should_stop() else ""

    def validate(loss: np.ndarray, phase: Phase) -> None:
        """Validate the live networks. A network worth a full check waits for it, and so do its later
        validations, while it trains on; a network whose validation cannot change its training (it has
        annealed) waits to be measured too. The population's waiting measurements are then made together
        (`settle`) once BATCH_CHECKS wait or one has waited DEFER updates, or at once for a network alone."""
        live = pop.members
        now = [j for j, m in enumerate(live) if m.steered(phase)]
        nets = [pop.net(j, task.vocab) for j in range(len(live))]
        scores = dict(zip(now, measure_many([nets[j] for j in now], task, [live[j].keeper.val for j in now])))
        for j, m in enumerate(live):
            got = scores.get(j)
            ready = None if got is None else m.keeper.ready(got)
            if ready is False and not m.waiting:
                m.keeper.consider(nets[j], step, float(loss[j]), got)
            else:
                copy = pop.cell.net({k: v.copy() for k, v in nets[j].params.items()}, task.vocab)
                m.waiting.append(Waiting(step, float(loss[j]), copy, got, ready))
            if ready and m.steered(phase):  # now polish the distribution
                pop.lr[j] *= phase.anneal
                pop.base[j] *= phase.anneal
                m.annealed = True
        waiting = [w.step for m in pop.members for w in m.waiting if w.ready is not False]
        if waiting and (len(pop.members) == 1 or len(waiting) >= BATCH_CHECKS or min(waiting) <= step - DEFER):
            settle()

    def settle(check: bool = True, measure: bool = True) -> None:
        """Measure every waiting validation, then sample every waiting full check, each kind at once; then
        let each network's keeper consider its waiting validations in order. A network that reached the
        target at one leaves with that validation's weights and step, and what it trained since is
        dropped: the very result of checking at the time. Without `check` (a stopped run) the waiting
        validations count by their validation figures alone; without `measure` (Ctrl-C) only those
        already measured count."""
        if pop is None:
            return
        later = [(m, w) for m in pop.members for w in m.waiting if w.scores is None and measure]
        for (m, w), s in zip(later, measure_many([w.net for _, w in later], task, [m.keeper.val for m, _ in later])):
            w.scores, w.ready = s, m.keeper.ready(s)
        ready = [(m, w) for m in pop.members for w in m.waiting if w.ready and check]
        found = measure_many([w.net for _, w in ready], task, [m.keeper.confirm for m, _ in ready])
        checks = {id(w): c for (_, w), c in zip(ready, found)}
        done = []
        for m in pop.members:
            for w in m.waiting:
                if w.scores is None:  # never measured: Ctrl-C left no time
                    continue
                m.keeper.consider(w.net, w.step, w.loss, w.scores, checks.get(id(w)), check)
                if m.keeper.reached:  # it leaves the computation
                    m.steps, m.stopped_by, m.net = w.step, "target", w.net
                    m.seconds = time.perf_counter() - m.keeper.start
                    break
            m.waiting = []
            done.append(m.keeper.reached)
        if any(done):
            pop.keep(~np.array(done))

    try:
        for phase in recipe.phases(cfg):
            live = pop.members if pop else members
            if not live or stopped_by:
                break
            if phase.start == "fresh":
                nets = [cell.net(cfg.init(V, m.rng), task.vocab) for m in live]
                for m, n in zip(live, nets):
                    m.first = m.first or {k: v.copy() for k, v in n.params.items()}
            else:
                nets = [cell.net(m.keeper.params, task.vocab) for m in live]
            for m in live:
                m.source = recipe.source(task, m.rng, phase.batch, cfg.window)
            base = np.maximum(np.array([m.cfg.lr for m in live]) * phase.lr, phase.floor)  # (S,)
            pop = Population(live, nets, cfg, phase, base)
            steps = phase.steps
            if steps is not None and cfg.max_steps:
                steps = min(steps, cfg.max_steps - step)  # a cut-short phase still runs its whole schedule
            carry = recipe.source.carries and cfg.carry
            i = 0
            while pop.members and (steps is None or i < steps):
                if stopped_by := stop_reason():
                    break
                batches = [m.source.next(i) for m in pop.members]
                X = np.stack([b[0] for b in batches])  # (S, B, T)
                Y = np.stack([b[1] for b in batches])  # (S, B, T)
                loss, grads, h = cell.stack_loss_and_grads(pop.P, X, Y, pop.h)
                if not np.isfinite(loss).all():  # diverged (a rate far too high): stop those, keep their best
                    bad = [m for m, ok in zip(pop.members, np.isfinite(loss)) if not ok]
                    settle()  # a waiting check may have reached the target before
                    for m in bad:
                        if not m.stopped_by:
                            m.net = cell.net(m.keeper.params or m.first, task.vocab)
                            m.steps, m.stopped_by = step, "diverged"
                            m.seconds = time.perf_counter() - m.keeper.start
                    pop.keep(np.array([not m.stopped_by for m in pop.members], dtype=bool))
                    continue
                if carry:
                    pop.h = h
                clip_grads(grads, cfg.clip, cfg.clip_norm)
                if phase.cosine:
                    pop.lr = cosine(pop.base, i, steps)
                elif phase.decay is not None:
                    pop.lr = pop.base * cosine(1.0, step, cfg.max_steps, floor=phase.decay)  # 1 falling to decay
                pop.opt.step(pop.P, grads, pop.lr)
                i += 1
                step += 1
                pop.smooth = loss if pop.smooth is None else 0.98 * pop.smooth + 0.02 * loss
                if phase.every and i % phase.every == 0:
                    validate(pop.smooth, phase)
            if stopped_by == "interrupted":  # asked to stop now: measure nothing more
                break
            if phase.every is None and pop.members and i:
                validate(loss, phase)
            settle(check=stopped_by in ("", "steps", "time"))  # a stop asked for checks no more
            stopped_by = stopped_by or stop_reason()
    except KeyboardInterrupt:
        stopped_by = "interrupted"

    def results(why: str) -> list[TrainResult]:
        """Every network's result, for a run that stopped `why`: measured, unless Ctrl-C asked to stop now."""
        if why == "interrupted":
            settle(check=False, measure=False)
        row = {id(m): j for j, m in enumerate(pop.members)} if pop else {}  # each live network's row in the stack
        for m in members:
            if not m.stopped_by:
                j = row.get(id(m))
                m.net = (
                    pop.net(j, task.vocab)
                    if j is not None
                    else cell.net(cfg.init(V, np.random.default_rng(m.cfg.seed)), task.vocab)  # not yet trained
                )
                m.steps, m.stopped_by = step, why or "steps"
        fresh = [m for m in members if m.keeper.params is None]  # stopped before their first validation
        if why != "interrupted":  # measured together, with the figures each would get alone
            for m, s in zip(fresh, measure_many([m.net for m in fresh], task, [m.keeper.val for m in fresh])):
                m.keeper.best = s
        return [m.keeper.result(m.net, m.steps, m.stopped_by, command, m.seconds) for m in members]

    while True:
        try:
            return results(stopped_by)
        except KeyboardInterrupt:  # Ctrl-C while they were made: made again at once, measuring nothing
            stopped_by = "interrupted"


def train(
    task: Task,
    cfg: TrainConfig,
    callback: Callable[[Progress], object] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    command: str = "",
) -> TrainResult:
    """Train one network on `task`: a population of one (see `train_population`)."""
    return train_population(task, [cfg], callback, should_stop, command)[0]


class _CallableModule(types.ModuleType):
    """This module, callable as the API's `train`: `from rnnmem_tui import train` gives this module once it
    is loaded (a package's submodule wins over its names), and `train("count", hidden=2)` must work either way."""

    def __call__(self, *args, **kwargs):
        """`rnnmem_tui.api.train`."""
        from .api import train as api_train

        return api_train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
