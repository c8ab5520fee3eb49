"""The verbs that make networks: train (one, or one per seed at once) and build-optimal."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from .. import constructions
from ..metrics import Verdict, VerdictProtocol, record
from ..parallel import judge_parallel, train_parallel
from ..paths import PathError, check_destination, check_folder
from ..recipes import settings_for
from ..tasks import Task, load_spec, load_task, spec_name, task_names
from ..train import TrainConfig, TrainResult
from ..weights import save
from . import options as o
from ..report import interval
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


def measure(nets: list, task, jobs: int = 1) -> list[Verdict]:
    """Judge networks together under the verdict protocol (every sampling seed of every network in one
    lockstep sampling, over `jobs` processes); record each verdict and its standard figures in the meta."""
    print(
        f"judging {'the network' if len(nets) == 1 else f'the {len(nets)} networks together'} "
        f"({VerdictProtocol().text()}{' each' if len(nets) > 1 else ''})",
        file=sys.stderr,
        flush=True,
    )
    return list(map(record, nets, judge_parallel(nets, task, jobs)))


def saved(net, path: Path, force: bool) -> Path:
    """Save a new file at `path` (replacing one only with --force); if another run took the name since it was
    checked, save to the next free name and say so on stderr. Returns where the file went."""
    went = save(net, path, replace=force)
    if went != path:
        print(f"rnnmem-tui: {path} was taken while this ran; saved to {went} instead", file=sys.stderr, flush=True)
    return went


def member_paths(task: str, hidden: int, out: str, force: bool, seeds: list[int] | None) -> list[Path]:
    """Where each network goes: `out` itself for one seed, else OUT/TASK-H-sS.npz; checked before training."""
    if not seeds:
        return [check_destination(out, force)]
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise PathError(f"{folder}: is a file; with --seeds, --out names a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PathError(f"{folder}: cannot write there ({e.strerror or e})") from None
    check_folder(folder, "--out folder")
    return [check_destination(folder / f"{spec_name(task)}-{hidden}-s{s}.npz", force) for s in seeds]


@click.command(
    "train",
    short_help="train one network, or several at once, with a progress bar",
    help="Train a network with batched BPTT, for at most --max-steps updates. Stops early when the task's target "
    "holds on the confirmation check (one 5,000-unit sample, with --margin to spare); keeps the best network by "
    "validation; Ctrl-C saves the best so far. The saved file's meta records the verdict under the verdict "
    "protocol (10 sampling seeds x 5,000 units, with 95% intervals). With --seeds, trains one network per seed "
    "at once in one batched computation and writes DIR/TASK-H-sS.npz for each. Settings come from the recipe, "
    "then the task's [train] table when it has one, then the flags given.",
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
    again with its verdict."""
    if seed is not None and seeds:
        raise click.UsageError("give --seed or --seeds, not both")
    hidden = hidden or load_spec(task).get("hidden", 2)
    cfg = TrainConfig(hidden=hidden, seed=seed or 0, **settings_for(task, o.given_settings(settings)))
    outs = member_paths(task, hidden, out, force, seeds)
    loaded = load_task(task)
    results = run_training(loaded, [replace(cfg, seed=s) for s in seeds or [cfg.seed]], o.recorded_command(), jobs=jobs)
    outs = [saved(result.net, path, force) for result, path in zip(results, outs)]  # kept if a measurement fails
    for result, path in zip(results, outs):
        print(
            f"{stopped(result, cfg)} after {result.steps} updates in {result.seconds:.1f}s; saved the best network to {path}",
            flush=True,
        )
    verdicts = measure([r.net for r in results], loaded, jobs)
    for result, path, v in zip(results, outs, verdicts):
        save(result.net, path)
        print(
            f"{path.name if len(outs) > 1 else 'verdict'}: {v.verdict}  validity "
            f"{interval(v.validity, v.validity_interval, 4)}  tvd {interval(v.tvd, v.tvd_interval, 3)}  "
            f"bad mass mean {interval(v.bad_mean, v.bad_mean_interval, 5)} max {v.bad_max:.4f}  "
            f"({VerdictProtocol().text()})",
            flush=True,
        )
    return 130 if any(r.interrupted for r in results) else 0


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
