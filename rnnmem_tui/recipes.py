"""Training recipes beyond the generic trainer: full BPTT over whole lines, restarts, then a polish."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .model import RNN, encode
from .tasks import Task
from .train import Adam, Keeper, Progress, TrainConfig, TrainResult

RESTARTS = 4  # short runs from fresh weights; the best by validation is polished
RESTART_STEPS = 1500  # Adam steps per restart
INIT_SCALE = 0.5  # tiny nets need large initial weights to break symmetry quickly
WINDOW = 80  # symbols per sequence: several whole lines, backpropagated through in full
BATCH = 128
FRESH = 50  # new data every this many steps
POLISH_BATCH = 256  # phase-2 batch: less gradient noise for the last 1% of validity


def line_batch(task: Task, rng: np.random.Generator, batch: int,
               window: int) -> tuple[np.ndarray, np.ndarray]:
    """B fresh streams that each start at a line start (after the start token), cut to `window` inputs.

    Returns X (B, T) and Y (B, T), Y shifted one step ahead; every stream starts from h = 0 reading
    the start token, as the sampling protocol does, so no state is carried between batches.
    """
    n = window // 2 + 2  # enough lines to fill the window: every unit has at least 2 symbols
    rows = [encode(task.vocab, (task.end + "".join(task.generate(rng, n)))[: window + 1])
            for _ in range(batch)]
    W = np.stack(rows)  # (B, T+1)
    return W[:, :-1], W[:, 1:]


def cosine(lr: float, i: int, steps: int, floor: float = 1e-4) -> float:
    """Learning rate at step i of a cosine decay from lr to floor over `steps`."""
    return floor + (lr - floor) * 0.5 * (1.0 + np.cos(np.pi * min(i, steps) / steps))


def _run(net: RNN, task: Task, rng: np.random.Generator, steps: int, lr: float, clip: float,
         stop: Callable[[], bool], batch: int = BATCH) -> tuple[int, float]:
    """Adam with a cosine schedule on fresh whole-line batches; returns steps done and the last loss."""
    params, H = net.params, net.hidden
    opt = Adam(params, lr)
    h0 = np.zeros((batch, H))
    loss = float("nan")
    for i in range(steps):
        if stop():
            return i, loss
        if i % FRESH == 0:
            X, Y = line_batch(task, rng, batch, WINDOW)
        opt.lr = cosine(lr, i, steps)
        loss, grads, _ = net.loss_and_grads(X, Y, h0)
        for g in grads.values():
            np.clip(g, -clip, clip, out=g)
        opt.step(params, grads)
    return steps, loss


def train_lines(task: Task, cfg: TrainConfig, callback: Callable[[Progress], object] | None = None,
                should_stop: Callable[[], bool] = lambda: False, command: str = "") -> TrainResult:
    """Train like `train`, but with full BPTT over whole lines: restarts, then polish rounds.

    Phase 1 runs RESTARTS short cosine-decayed Adam runs from fresh weights and keeps the one that
    validates best. Phase 2 repeats shorter cosine cycles from that network at a lower rate until the
    task's target holds on the confirming validation (seed cfg.seed + 2, full protocol size) or time
    runs out. Uses cfg.hidden, cfg.seed, cfg.lr (phase-1 rate), cfg.clip, cfg.max_seconds and
    cfg.max_steps; returns the best network found, as `train` does.
    """
    rng = np.random.default_rng(cfg.seed)
    keeper = Keeper(task, cfg, callback)
    at_target = lambda s: s.meets(task.target)  # noqa: E731
    steps, stopped_by = 0, None

    def out_of_time() -> bool:
        nonlocal stopped_by
        stopped_by = keeper.stop_reason(steps, should_stop)
        return stopped_by is not None

    def budget() -> int:
        return min(RESTART_STEPS, cfg.max_steps - steps) if cfg.max_steps else RESTART_STEPS

    net = RNN.init(cfg.hidden, task.vocab, rng, INIT_SCALE)
    try:
        for i in range(RESTARTS):  # phase 1: restarts
            if i:
                net = RNN.init(cfg.hidden, task.vocab, rng, INIT_SCALE)
            done, loss = _run(net, task, rng, budget(), cfg.lr, cfg.clip, out_of_time)
            steps += done
            keeper.consider(net, steps, loss, at_target)
            if keeper.reached or out_of_time():
                break
        lr = cfg.lr / 3
        while not keeper.reached and not out_of_time() and keeper.params is not None:  # phase 2: polish
            net = RNN(**{k: v.copy() for k, v in keeper.params.items()}, vocab=task.vocab)
            done, loss = _run(net, task, rng, budget(), lr, cfg.clip, out_of_time, POLISH_BATCH)
            steps += done
            keeper.consider(net, steps, loss, at_target)
            lr = max(lr * 0.7, 1e-4)  # late cycles need small steps: 0.986 -> 0.993 measured
    except KeyboardInterrupt:
        stopped_by = "interrupted"
    return keeper.result(net, steps, stopped_by or "target", command, recipe="lines",
                         recipe_args={"restarts": RESTARTS, "restart_steps": RESTART_STEPS,
                                      "init_scale": INIT_SCALE, "window": WINDOW, "batch": BATCH})
