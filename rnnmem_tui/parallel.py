"""A population trained (and judged) on several cores: its networks split over worker processes.

Every network trains exactly as it would alone (the engine's promise), so the split changes the wall
time only. Progress reports come back through a queue; Ctrl-C reaches every worker (the parent passes
it on), and each returns at once its networks' best so far, recorded as interrupted.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Iterator

from .metrics import Verdict, VerdictProtocol, judge_many
from .model import RNN
from .tasks import Task
from .train import EVAL_BYTES, Progress, TrainConfig, TrainResult, stream_bytes, train_population

GRACE = 0.8  # seconds the parent waits, after Ctrl-C, for the workers' networks


def _context():
    """Fork where there is fork: the workers start at once, with the parent's loaded modules."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def _work(task: Task, cfgs: list[TrainConfig], command: str, stop, reports, out) -> None:
    """One worker: train its group as a population; send back the results, the error in one line, or that
    Ctrl-C came before there were any. Ctrl-C stops the training once (the parent passes it on, and a
    terminal sends it too); later ones, and any after the training, are ignored."""
    training = [True]

    def interrupt(signum, frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if training[0]:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    got: tuple = ("interrupted", None)
    try:
        got = ("ok", train_population(task, cfgs, reports.put, stop.is_set, command, requested="interrupted"))
    except KeyboardInterrupt:
        pass
    except Exception as e:  # noqa: BLE001 - the parent reports it
        got = ("error", f"{type(e).__name__}: {e}")
    training[0] = False
    out.send(got)
    out.close()


def train_parallel(
    task: Task,
    cfgs: list[TrainConfig],
    jobs: int,
    callback: Callable[[Progress], object] | None = None,
    command: str = "",
) -> list[TrainResult]:
    """`train_population` over `jobs` worker processes (networks dealt out in turn); results in cfgs' order.

    With one job, or one network, it trains in this process. On Ctrl-C every worker is asked to stop at once
    and has GRACE seconds to send its networks' best so far; if one cannot, KeyboardInterrupt is raised.
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
            receive(pipes, procs, got, 0.0)
    except KeyboardInterrupt:  # pass it on: each worker sends its best so far at once
        stop.set()
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGINT)
        receive(pipes, procs, got, GRACE)
    finally:
        try:  # reports still queued: take them, so that no worker waits to flush its queue
            while True:
                reports.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass
        for j, p in enumerate(procs):
            if j not in got:  # interrupted before it could answer
                p.terminate()
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    errors = [what for kind, what in got.values() if kind == "error"]
    if errors:
        raise RuntimeError(errors[0])
    if len(got) < jobs or any(kind == "interrupted" for kind, _ in got.values()):
        raise KeyboardInterrupt  # some worker's networks were lost to Ctrl-C
    results: list[TrainResult | None] = [None] * len(cfgs)
    for j, group in enumerate(groups):
        for i, r in zip(group, got[j][1]):
            results[i] = r
    return results


def receive(pipes: list, procs: list, got: dict[int, tuple[str, object]], within: float) -> None:
    """Take into `got` what each worker not yet heard from has sent, waiting at most `within` seconds in all."""
    until = time.monotonic() + within
    for j, pipe in enumerate(pipes):
        if j not in got and pipe.poll(max(0.0, until - time.monotonic())):
            try:
                got[j] = pipe.recv()
            except EOFError:
                got[j] = ("error", f"a training worker died (exit code {procs[j].exitcode})")


def _judge(args: tuple) -> list[Verdict]:
    """One turn of `judge_turns`."""
    nets, task = args
    return judge_many(nets, task)


def turn_size(task: Task, n: int, jobs: int) -> tuple[int, int]:
    """How many of n networks `judge_turns` judges at once in a process, and the bytes that sampling holds:
    at most EVAL_BYTES (every seed of each network is a stream), and few enough that every worker gets one."""
    streams = VerdictProtocol().seeds * stream_bytes(task, VerdictProtocol().units)  # one network's
    k = max(1, min(EVAL_BYTES // streams, -(-n // jobs)))
    return k, k * streams


def judging_bytes(task: Task, n: int, jobs: int) -> int:
    """About the most memory `judge_turns` takes on n networks over `jobs` processes, beyond the networks."""
    k, held = turn_size(task, n, jobs)
    return min(jobs, -(-n // k)) * held


def judge_turns(nets: list[RNN], task: Task, jobs: int) -> Iterator[list[Verdict]]:
    """The verdicts of `judge_many`, the same, in turns of consecutive networks (`turn_size`), each turn's as soon
    as it and those before it are judged; the turns are shared out over `jobs` worker processes."""
    if not nets:
        return
    k = turn_size(task, len(nets), jobs)[0]
    turns = [nets[i : i + k] for i in range(0, len(nets), k)]
    if min(jobs, len(turns)) <= 1:
        yield from (judge_many(turn, task) for turn in turns)
        return
    with _context().Pool(
        min(jobs, len(turns)), initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)
    ) as pool:  # Ctrl-C reaches this process alone, which stops them all at once
        yield from pool.imap(_judge, [(turn, task) for turn in turns])


def judge_parallel(nets: list[RNN], task: Task, jobs: int) -> list[Verdict]:
    """`judge_many` with the networks dealt out over `jobs` worker processes (`judge_turns`); the same verdicts,
    in order."""
    return [v for turn in judge_turns(nets, task, jobs) for v in turn]
