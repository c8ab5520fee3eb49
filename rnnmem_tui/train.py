"""Batched truncated-BPTT trainer with Adam or Adagrad; reports through a callback and knows no UI."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .metrics import Protocol, Scores, evaluate
from .model import RNN, encode
from .tasks import Task
from .weights import meta_for


@dataclass
class TrainConfig:
    """Trainer settings; stored in the meta of every network it makes."""

    hidden: int = 2
    seed: int = 0
    batch: int = 32  # sequences per update, each its own stream
    window: int = 25  # truncated-BPTT steps per update
    optimizer: str = "adam"  # "adam" or "adagrad"
    lr: float = 0.05
    init_scale: float = 0.1  # std of the initial weights
    clip: float = 5.0  # element-wise gradient clip
    anneal: float = 0.2  # multiply lr by this once validity first reaches the target
    margin: float = 0.2  # stop once each target bound holds with this fraction of its slack to spare
    carry: bool = True  # carry the hidden state from one window to the next
    max_steps: int = 20_000  # the budget, in updates: it makes a run reproducible
    max_seconds: float = 3600.0  # only a safety cap; a run it stops says so in its meta
    eval_symbols: int = 200_000  # training symbols (batch x window x updates) between validations
    val_units: int = 300  # sampled units per validation


@dataclass(frozen=True)
class Progress:
    """What the trainer reports to its callback."""

    step: int
    seconds: float
    loss: float  # smoothed training loss per symbol
    scores: Scores | None  # validation figures, on validation steps only
    best: Scores | None


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


class Feeder:
    """Cuts B endless streams of valid units into (X, Y) windows; each stream starts with the start token."""

    def __init__(self, task: Task, rng: np.random.Generator, batch: int, window: int,
                 windows_ahead: int = 64) -> None:
        self.task, self.rng, self.window, self.ahead = task, rng, window, windows_ahead
        self.rest = [task.end] * batch  # per stream, symbols not yet in the buffer
        self.buf = np.zeros((batch, 0), dtype=np.intp)  # (B, L) symbols ready to serve
        self.pos = 0

    def _refill(self) -> None:
        want = self.ahead * self.window + 1
        n = 2 * want // self.task.max_len + 4  # units per stream, with room to spare
        rows = [r + "".join(self.task.generate(self.rng, n)) for r in self.rest]
        keep = self.buf[:, self.pos:]  # (B, k) the unserved tail, at most one symbol
        take = want - keep.shape[1]
        self.buf = np.concatenate([keep, np.stack([encode(self.task.vocab, r[:take]) for r in rows])], 1)
        self.rest = [r[take:] for r in rows]
        self.pos = 0

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """The next window: inputs X (B, T) and targets Y (B, T), Y shifted one step ahead."""
        T = self.window
        if self.pos + T + 1 > self.buf.shape[1]:
            self._refill()
        W = self.buf[:, self.pos: self.pos + T + 1]  # (B, T+1)
        self.pos += T
        return W[:, :-1], W[:, 1:]


class Adam:
    """Adam on a dict of arrays, updated in place."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, b1=0.9, b2=0.999, eps=1e-8) -> None:
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        a = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for k, g in grads.items():
            self.m[k] += (1 - self.b1) * (g - self.m[k])
            self.v[k] += (1 - self.b2) * (g * g - self.v[k])
            params[k] -= a * self.m[k] / (np.sqrt(self.v[k]) + self.eps)


class Adagrad:
    """Adagrad on a dict of arrays, as min-char-rnn does it."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, eps=1e-8) -> None:
        self.lr, self.eps = lr, eps
        self.mem = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for k, g in grads.items():
            self.mem[k] += g * g
            params[k] -= self.lr * g / np.sqrt(self.mem[k] + self.eps)


OPTIMIZERS = {"adam": Adam, "adagrad": Adagrad}


class Keeper:
    """Validation during training, shared by the trainers: measure, confirm in full, keep the best.

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

    def consider(self, net: RNN, step: int, loss: float, ready: Callable[[Scores], bool]) -> None:
        """Measure net, keep it if it is the best so far, and report; sets `confirmed` and `reached`."""
        scores = evaluate(net, self.task, self.val)
        self.confirmed = ready(scores)
        if self.confirmed:  # worth a full measurement
            scores = self.confirmation = evaluate(net, self.task, self.confirm)
            self.reached = scores.meets(self.task.target, margin=self.cfg.margin)  # room for noise
        if self.best is None or scores.score() > self.best.score() or self.reached:
            self.best, self.params = scores, {k: v.copy() for k, v in net.params.items()}
        report = Progress(step, time.perf_counter() - self.start, loss, scores, self.best)
        self.history.append(report)
        if self.callback:
            self.callback(report)

    def stop_reason(self, steps: int, should_stop: Callable[[], bool]) -> str | None:
        """Why training must stop now ("target", "steps", "time", "request"), or None to go on."""
        if self.reached:
            return "target"
        if self.cfg.max_steps and steps >= self.cfg.max_steps:
            return "steps"
        if time.perf_counter() - self.start > self.cfg.max_seconds:
            return "time"
        return "request" if should_stop() else None

    def result(self, net: RNN, steps: int, stopped_by: str, command: str, **made: object) -> TrainResult:
        """The best network with its meta; `net` itself when nothing was measured yet.

        The meta records the budget in updates, why the run stopped and, when the trainer reached a
        full check, its figures under the confirmation protocol (one seed, with cfg.margin to spare).
        """
        if self.params is None:  # stopped before the first validation
            self.params = {k: v.copy() for k, v in net.params.items()}
            self.best = evaluate(net, self.task, self.val)
        seconds = time.perf_counter() - self.start
        confirmation = None if self.confirmation is None else {
            "seed": self.confirm.seed, "units": self.confirm.units, "margin": self.cfg.margin,
            "reached": self.reached, **self.confirmation.as_dict()}
        meta = meta_for(self.task, self.cfg.hidden, command=command, seed=self.cfg.seed, steps=steps,
                        seconds=round(seconds, 2), stopped_by=stopped_by, trainer=asdict(self.cfg),
                        confirmation=confirmation, **made)
        return TrainResult(RNN(**self.params, vocab=net.vocab, meta=meta), self.best, steps, seconds,
                           self.reached, stopped_by == "interrupted", stopped_by, self.history)


def train(task: Task, cfg: TrainConfig, callback: Callable[[Progress], object] | None = None,
          should_stop: Callable[[], bool] = lambda: False, command: str = "") -> TrainResult:
    """Train a network on `task` until its target holds, the update budget (or the time cap) runs out,
    or `should_stop()` says so.

    Keeps the network that scored best on validation. Ctrl-C ends training early and still
    returns that network, with `interrupted` set.
    """
    rng = np.random.default_rng(cfg.seed)
    net = RNN.init(cfg.hidden, task.vocab, rng, cfg.init_scale)
    params = net.params
    opt = OPTIMIZERS[cfg.optimizer](params, cfg.lr)
    feeder = Feeder(task, rng, cfg.batch, cfg.window)
    h = np.zeros((cfg.batch, cfg.hidden))
    keeper = Keeper(task, cfg, callback)
    at_validity = lambda s: s.validity >= task.target.get("validity", 0.0)  # noqa: E731
    every = max(1, cfg.eval_symbols // (cfg.batch * cfg.window))
    annealed, smooth, step = False, None, 0
    try:
        while (stopped_by := keeper.stop_reason(step, should_stop)) is None:
            X, Y = feeder.next()
            loss, grads, h = net.loss_and_grads(X, Y, h)
            if not cfg.carry:
                h = np.zeros_like(h)
            for g in grads.values():
                np.clip(g, -cfg.clip, cfg.clip, out=g)
            opt.step(params, grads)
            step += 1
            smooth = loss if smooth is None else 0.98 * smooth + 0.02 * loss
            if step % every == 0:
                keeper.consider(net, step, float(smooth), at_validity)
                if keeper.confirmed and not annealed:  # now polish the output distribution
                    opt.lr *= cfg.anneal
                    annealed = True
    except KeyboardInterrupt:
        stopped_by = "interrupted"
    return keeper.result(net, step, stopped_by, command)
