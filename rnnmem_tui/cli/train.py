"""The verbs that make networks: train (one, or one per seed at once) and build-optimal."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import click

from .. import constructions
from ..limits import check_disk, check_memory
from ..metrics import Verdict, VerdictProtocol, record
from ..parallel import judge_parallel, judge_turns, judging_bytes, train_parallel
from ..paths import check_destination, make_folder
from ..recipes import settings_for
from ..report import interval
from ..tasks import Task, load_spec, load_task, spec_name, task_names
from ..train import TrainConfig, TrainResult, population_bytes
from ..weights import save
from . import options as o
from .output import progress

TASKS = ", ".join(task_names()) + ", or a path to your own .toml spec"
STOPPED = {
    "target": "reached the target",
    "steps": "used its update budget without reaching the target",
    "interrupted": "interrupted",
    "diverged": "diverged (the loss became NaN or infinite; try a lower --lr): kept the best finite network",
}


def run_training(task: Task, cfgs: list[TrainConfig], command: str, quiet: bool = False, jobs: int = 1) -> list:
    """Train networks at once, over `jobs` processes, with a progress bar on stderr; returns their
    TrainResults without measuring them."""
    cfg = cfgs[0]
    who = f"seed={cfg.seed}" if len(cfgs) == 1 else f"{len(cfgs)} seeds"
    best: dict[int, float] = {}
    with progress(cfg.max_steps, f"{task.name} H={cfg.hidden} {who}") as update:

        def report(p) -> None:
            best[p.seed] = p.best.validity
            if quiet:
                return
            now = (
                f"loss {p.loss:.3f} validity {p.scores.validity:.3f} best {p.best.validity:.3f}"
                if len(cfgs) == 1
                else f"best validity {min(best.values()):.3f}..{max(best.values()):.3f}"
            )
            update(p.step, f"step {p.step}/{cfg.max_steps} {p.seconds:5.1f}s {now}")

        return train_parallel(task, cfgs, jobs, report, command)


def say_judging(n: int) -> None:
    """The line on stderr that judging begins."""
    print(
        f"judging {'the network' if n == 1 else f'the {n} networks together'} "
        f"({VerdictProtocol().text()}{' each' if n > 1 else ''})",
        file=sys.stderr,
        flush=True,
    )


def measure(nets: list, task, jobs: int = 1) -> list[Verdict]:
    """Judge networks together under the verdict protocol (every sampling seed of every network in one
    lockstep sampling, over `jobs` processes); record each verdict and its standard figures in the meta."""
    say_judging(len(nets))
    return list(map(record, nets, judge_parallel(nets, task, jobs)))


FILE_BYTES = 16_000  # a network's file is about 7 KB with its verdict: room for its temporary copy too
SAVE_GRACE = 1.0  # seconds after Ctrl-C in training during which the networks' best so far are still saved


class CtrlC:
    """Ctrl-C while `train` runs: KeyboardInterrupt at once, but `held` until a file being written is whole;
    remembers when it came (`at`). It changes nothing where Ctrl-C is not Python's usual (ignored, say)."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.holding = self.pending = False
        usual = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        self.installed = usual and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> CtrlC:
        if self.installed:
            signal.signal(signal.SIGINT, self.interrupt)
        return self

    def __exit__(self, *exc) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt(self, signum, frame) -> None:
        """The SIGINT handler."""
        self.at = self.at or time.monotonic()
        self.pending = True
        if not self.holding:
            self.pending = False
            raise KeyboardInterrupt

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold Ctrl-C while the block runs; it comes right after."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
            if self.pending:
                self.pending = False
                raise KeyboardInterrupt


@dataclass
class Done:
    """What a run of `train` has saved so far, for the one line Ctrl-C prints."""

    total: int  # networks
    where: str  # the file, or the folder
    doing: str = "setting up"
    files: int = 0  # networks saved
    verdicts: int = 0  # of those, saved again with their verdict

    def line(self) -> str:
        """E.g. `interrupted while judging; saved 40 of 40 networks to out/, 12 with their verdict`."""
        if not self.files:
            return f"rnnmem-tui: interrupted while {self.doing}; nothing was saved"
        if self.total == 1:
            what, kept = "the network", "with its verdict" if self.verdicts else "without its verdict"
        else:
            what = f"{self.files} of {self.total} networks"
            kept = f"{self.verdicts} with their verdict" if self.verdicts else "without their verdicts"
        best = " (the best so far)" if self.doing == "training" else ""
        return f"rnnmem-tui: interrupted while {self.doing}; saved {what}{best} to {self.where}, {kept}"


def save_all(
    results: list[TrainResult],
    outs: list[Path],
    cfg: TrainConfig,
    force: bool,
    done: Done,
    ctrl_c: CtrlC,
    until: float | None = None,
) -> list[Path]:
    """Save each network (a whole file or none, whatever Ctrl-C does) and say so on stdout; stop at `until`
    (a time.monotonic()) when given. Returns where the files went."""
    went = []
    for result, path in zip(results, outs):
        if until is not None and time.monotonic() > until:
            break
        with ctrl_c.held():
            went.append(saved(result.net, path, force))
            done.files += 1
            print(
                f"{stopped(result, cfg)} after {result.steps} updates in {result.seconds:.1f}s; "
                f"saved the best network to {went[-1]}",
                flush=True,
            )
    return went


def judge_all(results: list[TrainResult], outs: list[Path], task: Task, jobs: int, done: Done, ctrl_c: CtrlC) -> None:
    """Judge the networks in turns (`judge_turns`), saving each again with its verdict as its turn ends."""
    say_judging(len(results))
    judged = 0
    with (
        progress(len(results), "judging") as update,
        closing(judge_turns([r.net for r in results], task, jobs)) as turns,
    ):
        for turn in turns:
            for v in turn:
                net, path = results[judged].net, outs[judged]
                record(net, v)
                with ctrl_c.held():
                    save(net, path)
                    done.verdicts += 1
                    print(
                        f"{path.name if len(outs) > 1 else 'verdict'}: {v.verdict}  validity "
                        f"{interval(v.validity, v.validity_interval, 4)}  tvd {interval(v.tvd, v.tvd_interval, 3)}  "
                        f"bad mass mean {interval(v.bad_mean, v.bad_mean_interval, 5)} max {v.bad_max:.4f}  "
                        f"({VerdictProtocol().text()})",
                        flush=True,
                    )
                judged += 1
            update(judged, f"{judged}/{len(results)} networks")


def saved(net, path: Path, force: bool) -> Path:
    """Save a new file at `path` (replacing one only with --force); if another run took the name since it was
    checked, save to the next free name and say so on stderr. Returns where the file went."""
    went = save(net, path, replace=force)
    if went != path:
        print(f"rnnmem-tui: {path} was taken while this ran; saved to {went} instead", file=sys.stderr, flush=True)
    return went


def member_paths(task: str, cell: str, hidden: int, out: str, force: bool, seeds: list[int] | None) -> list[Path]:
    """Where each network goes: `out` itself for one seed, else OUT/TASK[-CELL]-H-sS.npz as the shipped files are
    named (no CELL for rnn); checked before training."""
    if not seeds:
        return [check_destination(out, force)]
    folder = make_folder(out, "with --seeds, --out names a folder")
    name = spec_name(task) + ("" if cell == "rnn" else f"-{cell}")
    return [check_destination(folder / f"{name}-{hidden}-s{s}.npz", force) for s in seeds]


@click.command(
    "train",
    short_help="train one network, or several at once, with a progress bar",
    help="Train a network with batched BPTT, for at most --max-steps updates. Stops early when the task's target "
    "holds on the confirmation check (one 5,000-unit sample, with --margin to spare); keeps the best network by "
    "validation. The saved file's meta records the verdict under the verdict protocol (10 sampling seeds x 5,000 "
    "units, with 95% intervals). With --seeds, trains one network per seed at once in one batched computation and "
    "writes DIR/TASK[-CELL]-H-sS.npz for each (no CELL for rnn); a population that needs over half of the memory available is refused "
    "before any work. Ctrl-C stops within a second or two: while training it saves each network's best so far "
    "(without a verdict) for as long as a second allows; later, what was saved stays. Settings come from the "
    "recipe, then the task's [train] table when it has one, then the flags given.",
    epilog="The seed study's own method: --batch 1 --window 12 --optimizer adagrad --lr 1.0 --init-scale 0.1 "
    "--clip 5 --anneal 1",
)
@click.argument("task", metavar="TASK")
@click.option(
    "--hidden", type=o.HIDDEN, default=None, help=f"hidden neurons, 1..{o.MAX_TRAIN_HIDDEN} (default: the seed's size)"
)
@o.seed("seed of the weights and data (default 0)", default=None)
@o.seeds("train several networks at once; --out is then a folder")
@o.out("where to save the .npz weights file, or with --seeds the folder (checked before training)")
@o.jobs("with --seeds, worker processes, each training its share of the networks; the networks are the same")
@o.settings()
def train(task, hidden, seed, seeds, out, force, jobs, **settings) -> int:
    """Train one network (or one per seed, at once) and save each: first as soon as training ends, then
    again with its verdict. What it needs in memory and on disk is checked first; Ctrl-C stops at once, in
    any phase, with one line saying what was saved (`Done`)."""
    if seed is not None and seeds:
        raise click.UsageError("give --seed or --seeds, not both")
    hidden = hidden or load_spec(task).get("hidden", 2)
    cfg = TrainConfig(hidden=hidden, seed=seed or 0, **settings_for(task, o.given_settings(settings)))
    loaded = load_task(task)
    n = len(seeds) if seeds else 1
    what = (
        f"training {n} networks of {loaded.name} at --hidden {hidden} (--seeds)"
        if seeds
        else f"training a network of {loaded.name} at --hidden {hidden}, --batch {cfg.batch}, --window {cfg.window}"
    )
    check_memory(population_bytes(loaded, cfg, n, min(jobs, n)) + judging_bytes(loaded, n, jobs), what)
    done = Done(n, str(out))
    with CtrlC() as ctrl_c:
        try:
            say(seeds, f"setting up {n} networks: checking their files in {out}")
            outs = member_paths(task, cfg.cell, hidden, out, force, seeds)
            check_disk(outs[0].parent, n * FILE_BYTES, what)
            cfgs = [replace(cfg, seed=s) for s in seeds or [cfg.seed]]
            done.doing = "training"
            say(seeds, f"training {n} networks of {loaded.name} at H={hidden}")
            results = run_training(loaded, cfgs, o.recorded_command(), jobs=jobs)
            if ctrl_c.at is not None or any(r.interrupted for r in results):  # their best so far, while Ctrl-C allows
                save_all(results, outs, cfg, force, done, ctrl_c, until=(ctrl_c.at or time.monotonic()) + SAVE_GRACE)
                raise KeyboardInterrupt
            done.doing = "saving"
            say(seeds, f"saving {n} networks to {out}")
            outs = save_all(results, outs, cfg, force, done, ctrl_c)  # kept if a measurement fails
            done.doing = "judging"
            judge_all(results, outs, loaded, jobs, done, ctrl_c)
        except KeyboardInterrupt:
            print(done.line(), file=sys.stderr, flush=True)
            return 130
    return 0


def say(population, text: str) -> None:
    """A line on stderr as a population's phase begins (a network alone needs none)."""
    if population:
        print(text, file=sys.stderr, flush=True)


def stopped(result: TrainResult, cfg: TrainConfig) -> str:
    """Why a run stopped, in words."""
    if result.stopped_by == "time":
        return f"stopped by the --max-seconds cap ({cfg.max_seconds:g} s)"
    return STOPPED.get(result.stopped_by, "stopped")


@click.command(
    "build-optimal",
    short_help="build a hand-made network, at the smallest size we have or at --hidden",
    help="Build a network from a construction in code, no training, and record its verdict. Without --hidden, "
    "the smallest construction of the task; with --hidden, the construction of that size (other sizes are "
    "refused with the list of those that exist). E.g. fill: 9 cell bits (the clear logit is a linear AND of the "
    "bits), or 10, the seed's cell bits + a 'full' neuron.",
)
@click.argument("task", metavar="TASK")
@click.option(
    "--hidden", type=o.COUNT, default=None, help="neurons: a size that has a construction (default: the smallest)"
)
@o.out("where to save the .npz weights file")
def build_optimal(task, hidden, out, force) -> int:
    """Build a hand-made network (of --hidden neurons, or the smallest we have) and save it, with its verdict."""
    loaded = load_task(task)
    made = constructions.choose(loaded, hidden)  # a size without a construction is refused first
    dest = check_destination(out, force)
    net = made.build(loaded)
    net.meta.command = o.recorded_command()
    (v,) = measure([net], loaded)
    dest = saved(net, dest, force)
    print(
        f"built {dest}: {v.verdict}, validity {interval(v.validity, v.validity_interval, 4)}, "
        f"bad mass mean {v.bad_mean:.2e} max {v.bad_max:.2e}"
    )
    return 0


COMMANDS = (train, build_optimal)
