"""A population trained (and judged) on several cores: its networks split over worker processes.

Every network trains exactly as it would alone (the engine's promise), so the split changes the wall
time only. Progress reports come back through a queue; Ctrl-C asks every worker to stop, and each
returns its networks' best so far, recorded as interrupted.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections.abc import Callable

from .metrics import Verdict, judge_many
from .model import RNN
from .tasks import Task
from .train import Progress, TrainConfig, TrainResult, train_population


def _context():
    """Fork where there is fork: the workers start at once, with the parent's loaded modules."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def _work(task: Task, cfgs: list[TrainConfig], command: str, stop, reports, out) -> None:
    """One worker: train its group as a population; send back the results, or the error in one line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which sets `stop`
    try:
        out.send(("ok", train_population(task, cfgs, reports.put, stop.is_set, command, requested="interrupted")))
    except Exception as e:  # noqa: BLE001 - the parent reports it
        out.send(("error", f"{type(e).__name__}: {e}"))
    out.close()


def train_parallel(
    task: Task,
    cfgs: list[TrainConfig],
    jobs: int,
    callback: Callable[[Progress], object] | None = None,
    command: str = "",
) -> list[TrainResult]:
    """`train_population` over `jobs` worker processes (networks dealt out in turn); results in cfgs' order.

    With one job, or one network, it trains in this process.
    """
    jobs = min(jobs, len(cfgs))
    if jobs <= 1:
        return train_population(task, cfgs, callback, command=command)
    ctx = _context()
    stop, reports = ctx.Event(), ctx.Queue()
    groups = [list(range(len(cfgs)))[i::jobs] for i in range(jobs)]
    pipes, ends, procs = [], [], []
    for group in groups:
        mine, theirs = ctx.Pipe(duplex=False)
        procs.append(
            ctx.Process(
                target=_work, daemon=True, args=(task, [cfgs[i] for i in group], command, stop, reports, theirs)
            )
        )
        pipes.append(mine)
        ends.append(theirs)
    for p, end in zip(procs, ends):
        p.start()
        end.close()  # the worker holds its own end: a worker that dies shows as the end of its pipe
    got: dict[int, tuple[str, object]] = {}
    try:
        while len(got) < jobs:
            try:
                while True:  # every report so far, then a short wait for more
                    report = reports.get(timeout=0.05)
                    if callback:
                        callback(report)
            except queue.Empty:
                pass
            except KeyboardInterrupt:
                stop.set()  # each worker returns its best so far at its next update
                continue
            for j, pipe in enumerate(pipes):
                if j not in got and pipe.poll():
                    try:
                        got[j] = pipe.recv()
                    except EOFError:
                        got[j] = ("error", f"a training worker died (exit code {procs[j].exitcode})")
    except KeyboardInterrupt:  # while receiving: ask again and wait for the rest
        stop.set()
        for j, pipe in enumerate(pipes):
            if j not in got:
                got[j] = pipe.recv()
    finally:
        try:  # reports still queued: take them, so that no worker waits to flush its queue
            while True:
                reports.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    errors = [what for kind, what in got.values() if kind == "error"]
    if errors:
        raise RuntimeError(errors[0])
    results: list[TrainResult | None] = [None] * len(cfgs)
    for j, group in enumerate(groups):
        for i, r in zip(group, got[j][1]):
            results[i] = r
    return results


def _judge(args: tuple) -> list[Verdict]:
    """One worker's share of `judge_parallel`."""
    nets, task = args
    return judge_many(nets, task)


def judge_parallel(nets: list[RNN], task: Task, jobs: int) -> list[Verdict]:
    """`judge_many` with the networks dealt out over `jobs` worker processes; the same verdicts, in order."""
    jobs = min(jobs, len(nets))
    if jobs <= 1:
        return judge_many(nets, task)
    ctx = _context()
    shares = [list(range(len(nets)))[i::jobs] for i in range(jobs)]
    with ctx.Pool(jobs, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)) as pool:
        got = pool.map(_judge, [([nets[i] for i in share], task) for share in shares])
    verdicts: list[Verdict | None] = [None] * len(nets)
    for share, vs in zip(shares, got):
        for i, v in zip(share, vs):
            verdicts[i] = v
    return verdicts
