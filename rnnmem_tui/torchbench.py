"""The PyTorch side of `bench`: a textbook nn.RNN, nn.GRU or nn.LSTM loop on our data, validated by our own Keeper
(extra [bench])."""

from __future__ import annotations

import time

import numpy as np

from .interop import from_torch
from .metrics import evaluate
from .model import RNN
from .recipes import Windows
from .tasks import Task
from .train import Keeper, TrainConfig, TrainResult

SETTINGS = dict(lr=1e-2, batch=32, window=32, clip_norm=1.0)  # one-hot input, Adam, carried state, one thread
SHARED = ("lr", "batch", "window", "clip_norm", "margin", "anneal")  # what a task's [train] table sets for both sides


def torch_version() -> str | None:
    """The installed torch's version, or None when the optional extra is missing."""
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


MODULES = {
    "rnn": ("RNN", {"nonlinearity": "tanh"}),
    "relu": ("RNN", {"nonlinearity": "relu"}),
    "gru": ("GRU", {}),
    "lstm": ("LSTM", {}),
}


def train_torch(
    task: Task,
    hidden: int,
    seed: int,
    max_steps: int,
    max_seconds: float,
    cell: str = "rnn",
    table: dict | None = None,
) -> TrainResult:
    """Train PyTorch's nn.RNN(tanh) (or the cell's module: nn.RNN(relu), nn.GRU, nn.LSTM) + nn.Linear until our
    confirmation check passes, as our trainer stops. The task's `[train]` table (`table`) sets the rate, the
    batch, the window, the norm clip, the stopping margin and the anneal on target for both sides alike.

    Validation runs every as many characters as ours, with our Keeper on the same protocols, and its
    time counts. Returns the result as our trainer gives it: the best network with its meta, the updates and
    the seconds.
    """
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    V = len(task.vocab)
    kind, extra = MODULES[cell]
    rnn, out = getattr(nn, kind)(V, hidden, batch_first=True, **extra), nn.Linear(hidden, V)
    params = [*rnn.parameters(), *out.parameters()]
    s = SETTINGS | {k: v for k, v in (table or {}).items() if k in SHARED and v is not None}
    opt = torch.optim.Adam(params, lr=s["lr"])
    cfg = TrainConfig(
        hidden=hidden,
        seed=seed,
        cell=cell,
        max_steps=max_steps,
        max_seconds=max_seconds,
        **{k: s[k] for k in ("batch", "window", "margin", "anneal") if k in s},
    )
    annealed = cfg.anneal in (None, 1.0)
    keeper = Keeper(task, cfg, None)
    source = Windows(task, np.random.default_rng(seed), cfg.batch, cfg.window)
    every = max(1, cfg.eval_symbols // (cfg.batch * cfg.window))
    h = torch.zeros(1, cfg.batch, hidden)
    h = (h, torch.zeros_like(h)) if cell == "lstm" else h  # an LSTM carries (h, c)
    start, step = time.perf_counter(), 0
    while step < max_steps and time.perf_counter() - start < max_seconds and not keeper.reached:
        X, Y = source.next(step)
        x = nn.functional.one_hot(torch.from_numpy(X), V).float()  # (B, T, V)
        hs, h = rnn(x, tuple(v.detach() for v in h) if cell == "lstm" else h.detach())
        loss = nn.functional.cross_entropy(out(hs).reshape(-1, V), torch.from_numpy(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, s["clip_norm"])
        opt.step()
        step += 1
        if step % every == 0:
            net = as_net(rnn, out, task, cell)
            scores = evaluate(net, task, keeper.val)
            ready = keeper.ready(scores)
            check = evaluate(net, task, keeper.confirm) if ready else None
            keeper.consider(net, step, loss.item(), scores, check)
            if ready and not annealed:  # as our trainer: polish the distribution once the target first holds
                for group in opt.param_groups:
                    group["lr"] *= cfg.anneal
                annealed = True
    stopped_by = "target" if keeper.reached else "steps" if step >= max_steps else "time"
    result = as_net(rnn, out, task, cell)
    return keeper.result(result, step, stopped_by, "rnnmem-tui bench", time.perf_counter() - start)


def as_net(rnn, out, task: Task, cell: str = "rnn"):
    """Our network with PyTorch's weights: the rnn's (`as_rnn`), or the cell's in PyTorch's layout (`from_torch`)."""
    return as_rnn(rnn, out, task) if cell == "rnn" else from_torch(rnn, out, task)


def as_rnn(rnn, out, task: Task) -> RNN:
    """Our RNN with PyTorch's weights: its two hidden biases add up to our bh."""
    w = {k: v.detach().double().numpy().copy() for k, v in rnn.state_dict().items()}
    return RNN(
        Wxh=w["weight_ih_l0"],
        Whh=w["weight_hh_l0"],
        bh=w["bias_ih_l0"] + w["bias_hh_l0"],
        Why=out.weight.detach().double().numpy().copy(),
        by=out.bias.detach().double().numpy().copy(),
        vocab=task.vocab,
    )
