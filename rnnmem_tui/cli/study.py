"""The analysis verbs: explain and calibrate (neuron roles and their null), ablate (zeroing) and sweep (sizes)."""

from __future__ import annotations

import json
import math
import multiprocessing
import shlex
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import as_completed
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

from ..analysis import ablation_sweep
from ..cells import cell_of
from ..meta import source_id
from ..metrics import Protocol, VerdictProtocol, judge_many
from ..nulls import calibrate, check_table, covers, read_table, shape_key, user_cache, write_table
from ..paths import data_dir
from ..probe import STREAMS, UNITS, teacher_stream
from ..recipes import settings_for
from ..report import interval
from ..roles import Role, explain, find_feature, held_at, lookup
from ..searches import FLAT, Record, append, check_record, checkpoints, half_gain
from ..tasks import Task, load_task, spec_name
from ..train import TrainConfig, train_population
from ..weights import load, task_for
from . import options as o
from .measure import read
from .output import Table, chart, progress, right, table

VERDICTS = ("meets", "undecided", "misses")
CHUNK = 10  # sweep: seeds per job, so that records are appended as each group finishes


def evidence(r: Role) -> str:
    """A role's figures after its label: interval, controls and causal evidence."""
    lo, hi = r.interval
    random = "-" if r.control["random"] is None else f"{r.control['random']:.3f}"
    p = r.control.get("p")
    against = f" (p {p:.4f})" if p is not None and p < 1 else " (p > 0.05)" if p is not None else ""
    out = f"[{lo:.3f}, {hi:.3f}] · input alone {r.control['input']:.3f} · random {random}{against}"
    if r.causal:
        c = r.causal
        out += f" · {c.measure} +zero {c.zero:+.3f} +clamp {c.clamp:+.3f} (at {held_at(c.clamp_value)})"
    return out


@np.errstate(over="ignore", invalid="ignore")
def overflow(net, task, seed: int, units: int = 200) -> float:
    """The share of a teacher stream's steps at which some unit's state is not finite: a ReLU or c unit that
    grows without bound reaches inf, and every measure taken there is void."""
    _, symbols, _ = teacher_stream(task, seed, units)
    states = net.forward(symbols[None, :], np.zeros((1, net.hidden)))[0][0]
    return float((~np.isfinite(states)).any(axis=-1).mean())


@click.command(
    "explain",
    short_help="what each neuron holds, with controls and evidence",
    help="Score every neuron against the task's state features (at lags -1, 0, +1 and in each phase) over several "
    "teacher streams. A role passes when it beats what the symbols just read explain and random networks of the "
    "same shape (an empirical p-value per feature, Benjamini-Hochberg at 0.05 over the neuron's features); each "
    "comes with an interval, its stability and what zeroing or clamping the neuron breaks.",
)
@click.argument("path", metavar="PATH")
@click.option(
    "--feature",
    metavar="NAME_OR_TEXT",
    help="rank the neurons for one feature, by machine name or words, e.g. 'top row complete'",
)
@o.json_flag("print JSON: one object per neuron")
@click.option("--streams", type=o.COUNT, default=STREAMS, help=f"teacher streams (default {STREAMS})")
@click.option("--units", type=o.COUNT, default=UNITS, help=f"units per teacher stream (default {UNITS})")
@o.seed("seed of the first teacher stream")
def explain_(path, feature, as_json, streams, units, seed) -> int:
    """Print each neuron's roles with their evidence, or (--feature) rank the neurons for one feature."""
    if feature is not None and not feature.strip():
        raise click.UsageError("argument --feature: wants a feature's machine name or words, got ''")
    net = read(path)
    task = task_for(net)
    if feature:
        return show_lookup(path, net, task, feature, as_json, dict(seed=seed, streams=streams, units=units))
    if (share := overflow(net, task, seed)) > 0:
        print(
            f"rnnmem-tui: warning: the state overflows (inf or NaN) on {share:.0%} of a teacher stream's steps; "
            "the measures taken there are void, so no role rests on them",
            file=sys.stderr,
        )
    neurons = explain(net, task, seed=seed, streams=streams, units=units)
    cell = cell_of(net)
    names = cell.unit_names(net.size)
    if as_json:
        out = [n.as_json() for n in neurons]
        if cell.width(net.size) > net.size:  # an LSTM: each unit's index within its own part, h or c
            for obj in out:
                i = obj["neuron"]
                obj["neuron"], obj["state"] = i % net.size, names[i][0]
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"{path}: {task.name}, {cell.size_text(net.size)}; "
        f"{streams} teacher streams x {units} units (seeds {seed}..{seed + streams - 1})"
    )
    for n in neurons:
        head, whole = f"  neuron {names[n.neuron]:>3}  ", f" · {n.whole.text}" if n.whole else ""
        if not n.roles:
            ru = n.runner_up
            print(f"{head}{n.label}" + (f" {evidence(ru)}" if ru else "") + f" · stable {n.stability:.1f}{whole}")
        for k, r in enumerate(n.roles):
            tail = f" · stable {n.stability:.1f}{n.reader}{whole}" if k == 0 else ""
            print(f"{head if k == 0 else ' ' * len(head)}{r.label} {evidence(r)}{tail}")
    print(LEGEND)
    return 0


LEGEND = (
    "ρ: Spearman's rank correlation, r: Pearson's, AUC: area under the ROC curve, each the weaker of its "
    "value over all steps and within the steps that read the same symbols; [lo, hi] over the streams, "
    "'?' when it straddles the threshold; input alone: the same measure for the best guess from the "
    "symbols just read; random: the score the random networks of this shape ask for (p: the share of them, "
    "out of those drawn plus one, whose best neuron scored as high, over the feature's lags and phases; "
    "Benjamini-Hochberg at 0.05 over the neuron's features decides what passes); zero and clamp "
    "(at the value the neuron takes where its feature rests): the rise in teacher-forced bad mass on "
    "the steps the feature governs, over 5 streams; whole: the change in sampled validity and in bad mass "
    "over all steps, zeroed and clamped, over 5 streams of 400 units (JSON: each with its 95% interval); "
    "(low): the neuron is low where the feature is on; correlational: no effect distinguishable from 0 at "
    "either scale (each 95% interval holds 0 and each effect is below 0.005), so not a finding; unread: "
    "cutting the neuron's outgoing weights moves no output probability by 1e-9."
)


def show_lookup(path: str, net, task, feature: str, as_json: bool, probe: dict) -> int:
    """Rank the neurons for one feature (`explain --feature`)."""
    rows = lookup(net, task, feature, **probe)
    if as_json:
        print(json.dumps([{"neuron": n.neuron, "passes": ok, **n.roles[0].as_json()} for n, ok in rows], indent=2))
        return 0
    f = find_feature(task, feature)
    print(f"{path}: the neurons for {f.text!r} ({f.name}), strongest first")
    for n, ok in rows:
        r = n.roles[0]
        print(f"  neuron {n.neuron:>2}  {'passes' if ok else 'fails '}  {r.label} {evidence(r)}")
    print(LEGEND)
    return 0


@click.command(
    "ablate",
    short_help="zero each neuron in turn and measure the damage",
    help="Zero each neuron (and each pair with --pairs), measure validity, TVD and bad mass, and sort by damage "
    "against the intact network.",
)
@click.argument("path", metavar="PATH")
@click.option("--pairs", is_flag=True, help="also zero every pair of neurons")
@o.json_flag()
@click.option("--units", type=o.COUNT, default=1000, help="sampled units per measurement (default 1000)")
@o.seed("sampling seed")
@click.option("--no-roles", "roles", flag_value=False, default=True, help="leave out the role column")
def ablate(path, pairs, as_json, units, seed, roles) -> int:
    """Zero each neuron (and pair) in turn; print the damage against the intact network, worst first."""
    net = read(path)
    task = task_for(net)
    n = net.hidden + (net.hidden * (net.hidden - 1) // 2 if pairs else 0)
    with progress(n, f"ablate {task.name}") as update:
        intact, rows = ablation_sweep(
            net, task, Protocol(units=units, seed=seed), pairs, progress=lambda done, total: update(done)
        )
    labels = {n.neuron: n.label for n in explain(net, task, causal=False)} if roles else {}
    if as_json:
        print(
            json.dumps(
                {
                    "intact": intact.as_dict(),
                    "ablations": [
                        {
                            "zeroed": list(a.neurons),
                            **a.scores.as_dict(),
                            "damage": round(a.damage, 6),
                            **({"role": labels.get(a.neurons[0])} if len(a.neurons) == 1 and labels else {}),
                        }
                        for a in rows
                    ],
                },
                indent=2,
            )
        )
        return 0
    columns = ["zeroed", right("validity"), right("dvalid"), right("TVD"), right("bad mean"), right("damage"), "role"]
    caption = f"{units} sampled units per row, sampling seed {seed}; damage is the fall in validity - TVD - bad mass"
    with Table(columns, caption) as t:
        t.add("none", f"{intact.validity:.3f}", "", f"{intact.tvd:.3f}", f"{intact.bad_mean:.4f}", "", "")
        for a in rows:
            t.add(
                "+".join(map(str, a.neurons)),
                f"{a.scores.validity:.3f}",
                f"{a.scores.validity - intact.validity:+.3f}",
                f"{a.scores.tvd:.3f}",
                f"{a.scores.bad_mean:.4f}",
                f"{a.damage:.3f}",
                labels.get(a.neurons[0], "") if len(a.neurons) == 1 else "",
            )
    return 0


@click.command(
    "calibrate",
    short_help="measure the per-network random null that explain's p-values come from",
    help="For the shape (task, hidden size and cell) of each weights file, probe random networks with N(0, 1) "
    "weights (a ReLU network's recurrent ones from N(0, 1/H), or its state explodes) "
    "(200 or more; 1.5 x the task's features / 0.05) and keep, for each feature, the best score of each network's "
    "neurons: the per-network null that explain's p-values come from. explain does this itself, once, for a "
    "shape it has no table for.",
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--out",
    metavar="FILE",
    help="the table to merge into (default: the user cache, ~/.cache/rnnmem-tui/nulls.json); the shipped one "
    "is rnnmem_tui/nulls.json; checked before any work",
)
@click.option("--force", is_flag=True, help="replace a file at --out that is not a thresholds table of ours")
@click.option(
    "--missing",
    is_flag=True,
    help="only the shapes the table lacks, or whose entry lacks one of the task's features or was drawn "
    "another way (the null of a shape does not change: its networks' seeds are fixed)",
)
def calibrate_(paths, out, force, missing) -> int:
    """Measure the random-network null of each file's shape (task and size) and merge it into a table."""
    dest = check_table(Path(out) if out else user_cache(), force)
    nets = [load(p) for p in paths] if paths else [load(p) for p in sorted(data_dir("weights").glob("*.npz"))]
    shapes = {shape_key(task_for(n), n.size, cell_of(n).name): (task_for(n), n.size, cell_of(n).name) for n in nets}
    if missing:
        have = read_table(dest)
        kept = [key for key, (task, _, cell) in shapes.items() if covers(have.get(key), task, cell)]
        shapes = {key: shape for key, shape in shapes.items() if key not in kept}
        if kept:
            print(f"{len(kept)} shapes already in {dest}: kept as they are", file=sys.stderr)
    found = {}
    for key, (task, hidden, cell) in shapes.items():
        with progress(1, f"calibrate {task.name} H={hidden}{' ' + cell if cell != 'rnn' else ''}") as update:
            null = calibrate(
                task, hidden, progress=lambda done, total: update(done / total, f"{done}/{total}"), cell=cell
            )
        found[key] = null.as_json()
        write_table(dest, {key: found[key]})  # each shape as it is done: an interruption keeps the shapes before
        best = ", ".join(f"{k} {v[0]:.3f}" for k, v in null.top.items())
        print(f"{task.name} H={hidden}: {null.nets} networks; the best of all: {best}", file=sys.stderr)
    print(f"{len(found)} shapes written to {dest}")
    return 0


def parse_range(text: str) -> list[int]:
    """`1..12` or `2,4,8` as a list of sizes; raises ValueError."""
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split(".."))
            sizes = list(range(lo, hi + 1))
        else:
            sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"wants a range like 1..12 or a list like 2,4,8, got {text!r}") from None
    if not sizes:
        raise ValueError(f"{text} is an empty range: the first size comes first, e.g. 1..12")
    if min(sizes) < 1 or max(sizes) > o.MAX_TRAIN_HIDDEN:
        raise ValueError(f"wants sizes in 1..{o.MAX_TRAIN_HIDDEN}, got {text!r}")
    twice = sorted({h for h in sizes if sizes.count(h) > 1})
    if twice:
        raise ValueError(f"lists size {twice[0]} twice; use --seeds for more runs of one size")
    return sizes


def parse_floats(text: str) -> list[float]:
    """`0.01,0.02,0.05` as a list of positive numbers; raises ValueError."""
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) <= 0 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"wants a positive number or a list like 0.01,0.02,0.05, got {text!r}")
    return values


class Parsed(click.ParamType):
    """A flag's text through a parser that raises ValueError; the failure names the flag."""

    def __init__(self, parse, name: str) -> None:
        self.parse, self.name = parse, name

    def convert(self, value, param, ctx):
        """The parsed value, or a one-line failure naming the flag."""
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def run_job(job: tuple) -> list[dict]:
    """`train_size` on one job's arguments (what the worker pool maps)."""
    return train_size(*job)


def train_size(task: Task, hidden: int, seeds: list[int], lrs: list[float], settings: dict) -> list[dict]:
    """One sweep job (run in a worker process, maybe on another machine: it gets the task itself, not its
    file): a population of every seed and rate at one size, trained at once, then each network judged under
    the verdict protocol."""
    cfg = TrainConfig(hidden=hidden, **settings)
    results = train_population(task, [replace(cfg, seed=s, lr=lr) for lr in lrs for s in seeds])
    runs = []
    for r, v in zip(results, judge_many([r.net for r in results], task)):
        runs.append(
            {
                "hidden": hidden,
                "budget": cfg.max_steps,
                "seed": r.net.meta.seed,
                "lr": r.net.meta.trainer["lr"],
                "steps": r.steps,
                "stopped_by": r.stopped_by,
                "seconds": round(r.seconds, 1),
                **v.as_dict(),
                "curve": [[p.step, round(p.best.validity, 4)] for p in r.history if p.best],
            }
        )
    return runs


def local_results(workers: int, jobs: list[tuple]) -> Iterator[list[dict]]:
    """Each job's runs as it finishes, from a pool of worker processes on this machine.

    The workers ignore Ctrl-C: it reaches this process alone, which stops them all at once.
    """
    pool = multiprocessing.Pool(workers, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
    try:
        yield from pool.imap_unordered(run_job, jobs)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def connect(address: str):
    """A client of an existing Dask cluster; raises ValueError with one line when distributed is missing or
    the scheduler cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs distributed: pip install 'rnnmem-tui[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise ValueError(f"--scheduler {address}: cannot reach the scheduler ({e})") from None


def cluster_results(client, jobs: list[tuple]) -> Iterator[list[dict]]:
    """Each job's runs as it finishes, from a Dask cluster, through distributed's concurrent.futures executor.

    The workers need this version of rnnmem-tui installed; a job carries its task, not a file name. On
    Ctrl-C (or any error) the futures not yet finished are cancelled.
    """
    executor = client.get_executor(pure=False)  # every job is its own run, even with equal arguments
    try:
        yield from (f.result() for f in as_completed([executor.submit(run_job, job) for job in jobs]))
    finally:
        executor.shutdown(wait=False)  # cancels what is still pending or running
        client.close()


def curve(runs: list[dict], budget: int) -> list[tuple[int, float, float]]:
    """Validity against updates: at each checkpoint of the budget, the median and the best over the runs
    of each run's best validation so far (a run that stopped at its target keeps its last). Runs recorded
    without a curve (made by `train`) are left out, as the report leaves them out of a size's growth; when
    none has one, the curve is a single point, each run's verdict validity at the budget's end."""
    got = [checkpoints(r["curve"], budget) for r in runs if r["curve"] is not None] or [[r["validity"]] for r in runs]
    points = len(got[0])
    return [
        (budget * (k + 1) // points, statistics.median(g[k] for g in got), max(g[k] for g in got))
        for k in range(points)
    ]


def shared(task: str, cfg: TrainConfig) -> dict:
    """What every record of one sweep shares: the spec, the recipe, the budget, the code and the command."""
    return dict(
        task=spec_name(task),
        cell=cfg.cell,
        recipe=cfg.recipe,
        budget=cfg.max_steps,
        code=source_id(),
        superseded=False,
        command=o.recorded_command(),
    )


def as_record(run: dict, made: dict) -> Record:
    """A finished sweep run as a search record; `made` holds what its runs share (task, budget, command...)."""
    return Record(
        **made,
        hidden=run["hidden"],
        seed=run["seed"],
        lr=run["lr"],
        curve=tuple(checkpoints(run["curve"], made["budget"])),
        verdict=run["verdict"],
        validity=run["validity"],
        validity_interval=tuple(run["validity_interval"]),
        updates=run["steps"],
        bad_mean_interval=tuple(run["bad_mean_interval"]) if run.get("bad_mean_interval") else None,
    )


def flattened(points: list[tuple[int, float, float]]) -> float:
    """What the median curve gained over the budget's last half: a curve that has flattened gains little."""
    return half_gain([median for _, median, _ in points])


def size_chart(sizes: list[int], best: list[float], median: list[float], title: str) -> str:
    """A chart of validity against hidden size."""
    return chart({"best": (sizes, best), "median": (sizes, median)}, title, "hidden neurons", (0, 1), sizes)


@click.command(
    "sweep",
    short_help="train at many sizes: how small can the network be?",
    help="Train at each hidden size from several seeds, in parallel, and report best and median validity per "
    "size, the verdicts under the verdict protocol (meets / undecided / misses) and the smallest size with a run "
    "that meets the target. The trainer's settings come from the recipe, then the task's [train] table, then the "
    "flags given.",
)
@click.argument("task", metavar="TASK")
@click.option("--hidden", type=Parsed(parse_range, "SIZES"), default="1..12", help="sizes: 1..12 (default) or 2,4,8")
@o.seeds("seeds per size", default="3")
@o.jobs("parallel trainings")
@click.option(
    "--scheduler",
    metavar="tcp://HOST:8786",
    default=None,
    help="send the runs to an existing Dask cluster instead of local cores (extra [dask]; the workers need "
    "rnnmem-tui installed); the same seeds give the same table",
)
@click.option(
    "--lr",
    "rates",
    type=Parsed(parse_floats, "LR"),
    default=None,
    help=f"learning rate, or a list like 0.01,0.02,0.05 (the task's [train] table, else {TrainConfig.lr})",
)
@o.settings(
    skip=("lr",),
    max_steps=(
        TrainConfig.max_steps,
        "the budget per run, in updates, as train's: the same seeds give the same table on the same arithmetic "
        f"({TrainConfig.max_steps})",
    ),
    max_seconds=(600.0, "a safety cap per run, in seconds (600); 0 sets none; a run it stops is listed as such"),
)
@click.option("--runs", "list_runs", is_flag=True, help="also list every run")
@click.option(
    "--grow-to",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="double a size's budget, from --max-steps, while the median curve (at each checkpoint, the median over "
    f"the runs of each one's best validation so far) gained {FLAT} or more over the budget's last half, up to N "
    "updates; each budget's runs are kept",
)
@o.record(
    "append each run to FILE.jsonl as a search record as soon as its group of seeds finishes (a new file, or one "
    "holding search records; checked before training); runs already there, same size, seed, rate, recipe, settings and "
    "budget, are not run again, so an interrupted search resumes"
)
@o.json_flag()
def sweep(task, hidden, seeds, jobs, scheduler, rates, grow_to, list_runs, record, as_json, **settings) -> int:
    """Train at every size over seeds, in parallel; report best and median validity, and the smallest size."""
    loaded = load_task(task)
    sizes = hidden
    settings = settings_for(task, o.given_settings(settings))  # the task's [train] table, then the flags
    cfg = TrainConfig(**settings)  # checked here, before any worker starts
    if grow_to is not None and grow_to < cfg.max_steps:
        raise click.BadParameter(f"is below --max-steps ({cfg.max_steps})", param_hint="--grow-to")
    dest = check_record(record) if record else None
    lrs = rates or [settings.pop("lr", TrainConfig.lr)]
    settings.pop("lr", None)
    made = shared(task, cfg) if dest else {}
    done = recorded_runs(dest, made) if dest else {}
    budgets = {h: cfg.max_steps for h in sizes}  # each size's budget this round
    where = f"scheduler {scheduler}" if scheduler else f"{min(jobs, len(sizes) * len(lrs) * len(seeds))} workers"
    start, results, interrupted, notes = time.perf_counter(), [], False, []
    while budgets and not interrupted:
        got_now, todo = [], []
        for h in sorted(budgets, reverse=True):  # the largest take longest
            for lr in lrs:
                key = (h, lr, budgets[h])
                old = [s for s in seeds if (*key, s) in done]
                got_now += [done[(*key, s)] for s in old]
                fresh = [s for s in seeds if s not in old]
                todo += [
                    (loaded, h, fresh[i : i + CHUNK], [lr], settings | {"max_steps": budgets[h]})
                    for i in range(0, len(fresh), CHUNK)
                ]
        if got_now:
            notes.append(f"{len(got_now)} runs were already in {dest}; they were not run again")
        interrupted = run_jobs(todo, jobs, scheduler, dest, made, got_now, loaded.name)
        results += got_now
        budgets = {} if interrupted or grow_to is None else grown(budgets, got_now, grow_to, notes)
    if interrupted:
        print(f"interrupted: {len(results)} runs finished; the sizes they cover follow", file=sys.stderr)
        if not results:
            return 130
    last = {}
    for r in results:  # each size's runs at its largest budget
        last[r["hidden"]] = max(last.get(r["hidden"], 0), r["budget"])
    results = [r for r in results if r["budget"] == last[r["hidden"]]]
    rows = []
    for h in sizes:
        got = [r for r in results if r["hidden"] == h]
        if not got:
            continue
        vals = [r["validity"] for r in got]
        rows.append(
            {
                "hidden": h,
                "best": max(vals),
                "median": statistics.median(vals),
                **{k: sum(r["verdict"] == k for r in got) for k in VERDICTS},
                "runs": got,
            }
        )
    smallest = next((r["hidden"] for r in rows if r["meets"]), None)
    wall = time.perf_counter() - start
    code = 130 if interrupted else 0
    if as_json:
        print(
            json.dumps(
                {"task": loaded.name, "seconds": round(wall, 1), "smallest": smallest, "interrupted": interrupted}
                | {"notes": notes, "sizes": no_nan(rows)},
                indent=2,
            )
        )
        return code
    print(
        f"{loaded.name}: {len(seeds)} seeds x {len(lrs)} learning rates per size, trained together, a budget "
        f"of {budget_text(last)} updates per run ({cap(cfg)}), recipe {cfg.recipe}, "
        f"lr {','.join(map(str, lrs))}, {where}, "
        f"{wall:.0f}s wall; verdicts under the verdict protocol ({VerdictProtocol().text()})"
    )
    table(
        [right("H"), right("best"), right("median"), *map(right, VERDICTS)],
        [(r["hidden"], f"{r['best']:.3f}", f"{r['median']:.3f}", *(r[k] for k in VERDICTS)) for r in rows],
    )
    if list_runs:
        show_runs(rows)
    curves = {r["hidden"]: curve(r["runs"], last[r["hidden"]]) for r in rows}
    checkpoints = [at for at, _, _ in next(iter(curves.values()))]
    print("validity against updates: each run's best validation (300 units) so far, median/best over the runs")
    table(
        [right("H"), *(right(str(at)) for at in checkpoints), right("median gain, last half")],
        [
            (h, *(f"{med:.3f}/{best:.3f}" for _, med, best in points), f"{flattened(points):+.4f}")
            for h, points in curves.items()
        ],
    )
    print(
        size_chart(
            [r["hidden"] for r in rows],
            [r["best"] for r in rows],
            [r["median"] for r in rows],
            f"{loaded.name}: validity against hidden size",
        )
    )
    for note in notes:
        print(note)
    print(f"smallest size with a run that meets the target: {smallest if smallest else 'none in this range'}")
    return code


def recorded_runs(dest: Path, made: dict) -> dict[tuple, dict]:
    """The runs a search record already holds for this sweep (same task, cell, recipe and settings, not
    superseded), by (hidden, lr, budget, seed), as sweep's run dicts: what is not recorded (seconds, TVD, bad
    mass) is NaN."""
    if not dest.exists():
        return {}
    from ..searches import load as load_records
    from ..searches import trained_with

    out, mine = {}, (made["task"], made["cell"], made["recipe"], trained_with(made["command"]))
    for r in load_records(dest):
        if (r.task, r.cell, r.recipe, trained_with(r.command)) != mine or r.superseded:
            continue
        history = [[r.budget * (k + 1) // len(r.curve), v] for k, v in enumerate(r.curve)] if r.curve else None
        out[(r.hidden, r.lr, r.budget, r.seed)] = {
            "hidden": r.hidden,
            "budget": r.budget,
            "seed": r.seed,
            "lr": r.lr,
            "steps": r.updates,
            "stopped_by": "",
            "seconds": math.nan,
            "verdict": r.verdict,
            "validity": r.validity,
            "validity_interval": list(r.validity_interval),
            "tvd": math.nan,
            "bad_mean": math.nan,
            "bad_mean_interval": list(r.bad_mean_interval) if r.bad_mean_interval else None,
            "curve": history,
        }
    return out


def run_jobs(todo: list[tuple], jobs: int, scheduler, dest, made: dict, got: list[dict], name: str) -> bool:
    """Run sweep's jobs, locally or on a cluster, adding each finished job's runs to `got` and appending them to
    the search record `dest`; whether Ctrl-C interrupted them (the runs finished are kept)."""
    if not todo:
        return False
    total = sum(len(j[2]) for j in todo)
    runs = cluster_results(connect(scheduler), todo) if scheduler else local_results(min(jobs, len(todo)), todo)
    start, finished = time.perf_counter(), 0
    with progress(total, f"sweep {name}") as update:
        try:
            for each in runs:
                got.extend(each)
                finished += len(each)
                if dest:
                    append(
                        dest,
                        [as_record(r, made | {"budget": r["budget"], "command": round_command(made, r)}) for r in each],
                    )
                update(finished, f"{finished}/{total} runs, {time.perf_counter() - start:.0f}s")
        except KeyboardInterrupt:
            return True
        finally:
            runs.close()  # stops the pool, or cancels the cluster's futures, at once
    return False


def round_command(made: dict, run: dict) -> str:
    """The command that reruns one budget's runs: the sweep's own, with --grow-to left out and --max-steps set
    to the run's budget."""
    words = shlex.split(made["command"])
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w in ("--grow-to", "--max-steps"):
            skip = True
        elif not w.startswith(("--grow-to=", "--max-steps=")):
            out.append(w)
    return shlex.join([*out, "--max-steps", str(run["budget"])])


def grown(budgets: dict[int, int], got: list[dict], limit: int, notes: list[str]) -> dict[int, int]:
    """sweep --grow-to: the sizes whose median curve has not flattened at their budget, with the budget doubled
    (up to `limit`); each decision is added to `notes`."""
    out = {}
    for h, b in sorted(budgets.items()):
        runs = [r for r in got if r["hidden"] == h and r["budget"] == b]
        if not runs or all(r["verdict"] == "meets" for r in runs):
            continue
        gain = flattened(curve(runs, b))
        if gain < FLAT:
            notes.append(f"H={h}: the median curve gained {gain:+.4f} over the last half of {b} updates: flat")
        elif b >= limit:
            notes.append(
                f"H={h}: the median curve gained {gain:+.4f} over the last half of {b} updates, the most --grow-to allows"
            )
        else:
            out[h] = min(2 * b, limit)
            notes.append(
                f"H={h}: the median curve gained {gain:+.4f} over the last half of {b} updates: doubled to {out[h]}"
            )
    return out


def budget_text(last: dict[int, int]) -> str:
    """The budgets of a sweep's sizes: one number, or each size's."""
    if len(set(last.values())) == 1:
        return str(next(iter(last.values())))
    return ", ".join(f"{b} (H={h})" for h, b in sorted(last.items()))


def cap(cfg: TrainConfig) -> str:
    """The time cap of a sweep's runs, in words."""
    return f"capped at {cfg.max_seconds:g}s" if cfg.max_seconds else "no time cap"


def no_nan(x):
    """JSON-safe: NaN (a figure a resumed run's record does not hold) becomes None, at any depth."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: no_nan(v) for k, v in x.items()}
    return [no_nan(v) for v in x] if isinstance(x, list) else x


def shown(x: float, spec: str) -> str:
    """A run's figure, or "-" when its record does not hold it (a run resumed from a search record)."""
    return "-" if math.isnan(x) else format(x, spec)


def show_runs(rows: list[dict]) -> None:
    """sweep --runs: every run, by size, rate and seed."""
    columns = ["H", "seed", "lr", "verdict", "updates", "seconds", "validity [95%]", "TVD", "bad mean", "note"]
    table(
        [right(c) if c in ("H", "seed", "lr", "updates", "seconds", "TVD", "bad mean") else c for c in columns],
        [
            (
                run["hidden"],
                run["seed"],
                f"{run['lr']:g}",
                run["verdict"],
                run["steps"],
                shown(run["seconds"], ".1f"),
                interval(run["validity"], run["validity_interval"], 4),
                shown(run["tvd"], ".3f"),
                shown(run["bad_mean"], ".5f"),
                "stopped by the time cap" if run["stopped_by"] == "time" else "",
            )
            for r in rows
            for run in sorted(r["runs"], key=lambda x: (x["lr"], x["seed"]))
        ],
    )


COMMANDS = (explain_, ablate, sweep, calibrate_)
