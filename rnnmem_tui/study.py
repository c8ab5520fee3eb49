"""The analysis verbs: explain and calibrate (neuron roles and their null), ablate (zeroing) and sweep (sizes)."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import as_completed
from dataclasses import replace

from pathlib import Path

from .analysis import ablation_sweep
from .flags import MAX_TRAIN_HIDDEN
from .metrics import Protocol, VerdictProtocol, judge_many
from .nulls import calibrate, shape_key, user_cache, write_table
from .paths import data_dir
from .probe import STREAMS, UNITS
from .progress import Bar
from .roles import Role, explain, find_feature, lookup
from .tasks import Task, load_task
from .commands import interval, read
from .recipes import RECIPES, settings_for
from .seeds import parse_seeds, seeds_arg
from .train import TrainConfig, train_population
from .weights import load, task_for

ANSI = re.compile(r"\x1b\[[0-9;]*m")
VERDICTS = ("meets", "undecided", "misses")


def evidence(r: Role) -> str:
    """A role's figures after its label: interval, controls and causal evidence."""
    lo, hi = r.interval
    random = "-" if r.control["random"] is None else f"{r.control['random']:.3f}"
    out = f"[{lo:.3f}, {hi:.3f}] · input alone {r.control['input']:.3f} · random {random}"
    if r.causal:
        c = r.causal
        out += f" · {c.measure} +zero {c.zero:+.3f} +clamp {c.clamp:+.3f} (at {c.clamp_value:+.2f})"
    return out


def cmd_explain(args) -> int:
    """Print each neuron's roles with their evidence, or (--feature) rank the neurons for one feature."""
    net = read(args.path)
    task = task_for(net)
    if args.streams < 1 or args.units < 1:
        raise ValueError("--streams and --units must be at least 1")
    if args.feature:
        return show_lookup(args, net, task)
    neurons = explain(net, task, seed=args.seed, streams=args.streams, units=args.units)
    if args.json:
        print(json.dumps([n.as_json() for n in neurons], indent=2))
        return 0
    print(
        f"{args.path}: {task.name}, {net.hidden} neurons; {args.streams} teacher streams x {args.units} units "
        f"(seeds {args.seed}..{args.seed + args.streams - 1})"
    )
    for n in neurons:
        head = f"  neuron {n.neuron:>2}  "
        if not n.roles:
            ru = n.runner_up
            print(f"{head}{n.label}" + (f" {evidence(ru)}" if ru else "") + f" · stable {n.stability:.1f}")
        for k, r in enumerate(n.roles):
            tail = f" · stable {n.stability:.1f}" if k == 0 else ""
            print(f"{head if k == 0 else ' ' * len(head)}{r.label} {evidence(r)}{tail}")
    print(LEGEND)
    return 0


LEGEND = (
    "ρ: Spearman's rank correlation, r: Pearson's, AUC: area under the ROC curve, each the weaker of its "
    "value over all steps and within the steps that read the same symbols; [lo, hi] over the streams, "
    "'?' when it straddles the threshold; input alone: the same measure for the best guess from the "
    "symbols just read; random: the 99th percentile of random networks of this shape; zero and clamp "
    "(at the value the neuron takes where its feature rests): the rise in teacher-forced bad mass on "
    "the steps the feature governs."
)


def show_lookup(args, net, task) -> int:
    """Rank the neurons for one feature (`explain --feature`)."""
    rows = lookup(net, task, args.feature, seed=args.seed, streams=args.streams, units=args.units)
    if args.json:
        print(json.dumps([{"neuron": n.neuron, "passes": ok, **n.roles[0].as_json()} for n, ok in rows], indent=2))
        return 0
    f = find_feature(task, args.feature)
    print(f"{args.path}: the neurons for {f.text!r} ({f.name}), strongest first")
    for n, ok in rows:
        r = n.roles[0]
        print(f"  neuron {n.neuron:>2}  {'passes' if ok else 'fails '}  {r.label} {evidence(r)}")
    print(LEGEND)
    return 0


def cmd_ablate(args) -> int:
    """Zero each neuron (and pair) in turn; print the damage against the intact network, worst first."""
    net = read(args.path)
    task = task_for(net)
    n = net.hidden + (net.hidden * (net.hidden - 1) // 2 if args.pairs else 0)
    bar = Bar(n, f"ablate {task.name}")
    intact, rows = ablation_sweep(
        net,
        task,
        Protocol(units=args.units, seed=args.seed),
        args.pairs,
        progress=lambda done, total: bar.update(done, f"{done}/{total}"),
    )
    bar.close()
    roles = {n.neuron: n.label for n in explain(net, task, causal=False)} if args.roles else {}
    if args.json:
        print(
            json.dumps(
                {
                    "intact": intact.as_dict(),
                    "ablations": [
                        {
                            "zeroed": list(a.neurons),
                            **a.scores.as_dict(),
                            "damage": round(a.damage, 6),
                            **({"role": roles.get(a.neurons[0])} if len(a.neurons) == 1 and roles else {}),
                        }
                        for a in rows
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(f"{'zeroed':<8} {'validity':>8} {'dvalid':>7} {'TVD':>6} {'bad mean':>9} {'damage':>7}  role")
    print(f"{'none':<8} {intact.validity:>8.3f} {'':>7} {intact.tvd:>6.3f} {intact.bad_mean:>9.4f}")
    for a in rows:
        who = "+".join(map(str, a.neurons))
        role = roles.get(a.neurons[0], "") if len(a.neurons) == 1 else ""
        print(
            f"{who:<8} {a.scores.validity:>8.3f} {a.scores.validity - intact.validity:>+7.3f} "
            f"{a.scores.tvd:>6.3f} {a.scores.bad_mean:>9.4f} {a.damage:>7.3f}  {role}"
        )
    print(
        f"({args.units} sampled units per row, sampling seed {args.seed}; damage is the fall in "
        "validity - TVD - bad mass)"
    )
    return 0


def cmd_calibrate(args) -> int:
    """Measure the random-network null of each file's shape (task and size) and merge it into a table."""
    nets = [load(p) for p in args.paths] if args.paths else [load(p) for p in sorted(data_dir("weights").glob("*.npz"))]
    shapes = {shape_key(task_for(n), n.hidden): (task_for(n), n.hidden) for n in nets}
    out = Path(args.out) if args.out else user_cache()
    found = {}
    for key, (task, hidden) in shapes.items():
        bar = Bar(1, f"calibrate {task.name} H={hidden}")
        found[key] = calibrate(task, hidden, progress=lambda done, total: bar.update(done / total, f"{done}/{total}"))
        bar.close(f"{task.name} H={hidden}: " + ", ".join(f"{k} {v:.3f}" for k, v in found[key].items()))
    write_table(out, found)
    print(f"{len(found)} shapes written to {out}")
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
        raise ValueError(f"--hidden wants a range like 1..12 or a list like 2,4,8, got {text!r}") from None
    if not sizes:
        raise ValueError(f"--hidden {text} is an empty range: the first size comes first, e.g. 1..12")
    if min(sizes) < 1 or max(sizes) > MAX_TRAIN_HIDDEN:
        raise ValueError(f"--hidden wants sizes in 1..{MAX_TRAIN_HIDDEN}, got {text!r}")
    twice = sorted({h for h in sizes if sizes.count(h) > 1})
    if twice:
        raise ValueError(f"--hidden lists size {twice[0]} twice; use --seeds for more runs of one size")
    return sizes


def parse_floats(text: str, flag: str) -> list[float]:
    """`0.01,0.02,0.05` as a list of positive numbers; raises ValueError naming the flag."""
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) <= 0:
        raise ValueError(f"{flag} wants a positive number or a list like 0.01,0.02,0.05, got {text!r}")
    return values


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


def curve(runs: list[dict], budget: int, points: int = 8) -> list[tuple[int, float, float]]:
    """Validity against updates: at `points` even checkpoints of the budget, the median and the best over
    the runs of each run's best validation so far (a run that stopped at its target keeps its last)."""
    out = []
    for k in range(1, points + 1):
        at = budget * k // points
        got = [max((v for step, v in r["curve"] if step <= at), default=0.0) for r in runs]
        out.append((at, statistics.median(got), max(got)))
    return out


def flattened(points: list[tuple[int, float, float]]) -> str:
    """What the median gained over the budget's last half: a curve that has flattened gains little."""
    half = points[len(points) // 2 - 1][1]
    return f"{points[-1][1] - half:+.3f}"


def chart(sizes: list[int], best: list[float], median: list[float], title: str) -> str:
    """A plotext chart of validity against hidden size, without colour codes."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(70, 18)
    plt.theme("clear")
    plt.plot(sizes, best, label="best", marker="braille")
    plt.plot(sizes, median, label="median", marker="braille")
    plt.ylim(0, 1)
    plt.xticks(sizes)
    plt.title(title)
    plt.xlabel("hidden neurons")
    return ANSI.sub("", plt.build())


def cmd_sweep(args) -> int:
    """Train at every size over seeds, in parallel; report best and median validity, and the smallest size."""
    task = load_task(args.task)
    sizes = parse_range(args.hidden)
    given = {"max_steps": args.max_steps, "max_seconds": args.max_seconds}
    given |= {"recipe": args.recipe} if args.recipe else {}
    settings = settings_for(args.task, given)  # the task's [train] table, then the flags
    recipe = TrainConfig(**settings).recipe  # checked here, before any worker starts
    table_lr = settings.pop("lr", TrainConfig.lr)
    lrs = parse_floats(args.lr, "--lr") if args.lr else [table_lr]
    seeds = args.seeds
    jobs = [
        (task, h, seeds, lrs, settings) for h in sorted(sizes, reverse=True)
    ]  # the largest first: they take longest
    workers = min(args.jobs or os.cpu_count() or 1, len(jobs))
    where = f"scheduler {args.scheduler}" if args.scheduler else f"{workers} workers"
    runs = cluster_results(connect(args.scheduler), jobs) if args.scheduler else local_results(workers, jobs)
    total = len(sizes) * len(seeds) * len(lrs)
    bar = Bar(total, f"sweep {task.name}")
    start, results, interrupted = time.perf_counter(), [], False
    try:
        for got in runs:
            results.extend(got)
            bar.update(len(results), f"{len(results)}/{total} runs, {time.perf_counter() - start:.0f}s")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        runs.close()  # stops the pool, or cancels the cluster's futures, at once
    bar.close()
    if interrupted:
        print(f"interrupted: {len(results)} of {total} runs finished; the sizes they cover follow", file=sys.stderr)
        if not results:
            return 130
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
    if args.json:
        print(
            json.dumps(
                {
                    "task": task.name,
                    "seconds": round(wall, 1),
                    "smallest": smallest,
                    "interrupted": interrupted,
                    "sizes": rows,
                },
                indent=2,
            )
        )
        return 130 if interrupted else 0
    print(
        f"{task.name}: {len(seeds)} seeds x {len(lrs)} learning rates per size, trained together, a budget "
        f"of {args.max_steps} updates per run (capped at {args.max_seconds:g}s), recipe {recipe}, "
        f"lr {','.join(map(str, lrs))}, {where}, "
        f"{wall:.0f}s wall; verdicts under the verdict protocol ({VerdictProtocol().text()})"
    )
    print(f"{'H':>3} {'best':>6} {'median':>6} {'meets':>5} {'undecided':>9} {'misses':>6}")
    for r in rows:
        print(
            f"{r['hidden']:>3} {r['best']:>6.3f} {r['median']:>6.3f} {r['meets']:>5} {r['undecided']:>9} "
            f"{r['misses']:>6}"
        )
    if args.runs:
        print(
            f"{'H':>3} {'seed':>4} {'lr':>6} {'verdict':>9} {'updates':>7} {'seconds':>7} {'validity [95%]':<24} "
            f"{'TVD':>6} {'bad mean':>8}"
        )
        for r in rows:
            for run in sorted(r["runs"], key=lambda x: (x["lr"], x["seed"])):
                print(
                    f"{run['hidden']:>3} {run['seed']:>4} {run['lr']:>6g} {run['verdict']:>9} {run['steps']:>7} "
                    f"{run['seconds']:>7.1f} {interval(run['validity'], run['validity_interval'], 4):<24} "
                    f"{run['tvd']:>6.3f} {run['bad_mean']:>8.5f}"
                    + ("  (stopped by the time cap)" if run["stopped_by"] == "time" else "")
                )
    print("validity against updates: each run's best validation (300 units) so far, median/best over the runs")
    curves = {r["hidden"]: curve(r["runs"], args.max_steps) for r in rows}
    print(f"{'H':>3} " + " ".join(f"{at:>11}" for at, _, _ in next(iter(curves.values()))) + "  median gain, last half")
    for h, points in curves.items():
        print(f"{h:>3} " + " ".join(f"{med:.3f}/{best:.3f}" for _, med, best in points) + f"  {flattened(points)}")
    print(
        chart(
            [r["hidden"] for r in rows],
            [r["best"] for r in rows],
            [r["median"] for r in rows],
            f"{task.name}: validity against hidden size",
        )
    )
    print(f"smallest size with a run that meets the target: {smallest if smallest else 'none in this range'}")
    return 130 if interrupted else 0


def add_parsers(sub) -> None:
    """Add explain, calibrate, ablate and sweep to the command line's subparsers."""
    e = sub.add_parser(
        "explain",
        prog="rnnmem-tui explain",
        help="what each neuron holds, with controls and evidence",
        description="Score every neuron against the task's state features (at lags -1, 0, +1 and "
        "in each phase) over several teacher streams. A role passes when it beats what "
        "the symbols just read explain and random networks of the same shape; each "
        "comes with an interval, its stability and what zeroing or clamping the "
        "neuron breaks.",
    )
    e.add_argument("path", metavar="PATH", help=".npz weights file, or a shipped name like count-2")
    e.add_argument(
        "--feature",
        metavar="NAME_OR_TEXT",
        help="rank the neurons for one feature, by machine name or words, e.g. 'top row complete'",
    )
    e.add_argument("--json", action="store_true", help="print JSON: one object per neuron")
    e.add_argument("--streams", type=int, default=STREAMS, help=f"teacher streams (default {STREAMS})")
    e.add_argument("--units", type=int, default=UNITS, help=f"units per teacher stream (default {UNITS})")
    e.add_argument("--seed", type=int, default=0, help="seed of the first teacher stream (default 0)")

    c = sub.add_parser(
        "calibrate",
        prog="rnnmem-tui calibrate",
        help="measure the random-network null thresholds that explain compares against",
        description="For the shape (task and hidden size) of each weights file, probe random "
        "networks with N(0, 1) weights and keep each feature's 99th percentile. "
        "explain does this itself, once, for a shape it has no table for.",
    )
    c.add_argument("paths", nargs="*", metavar="PATH", help="weights files (default: every shipped file)")
    c.add_argument(
        "--out",
        help="the table to merge into (default: the user cache, "
        "~/.cache/rnnmem-tui/nulls.json); the shipped one is rnnmem_tui/nulls.json",
    )

    a = sub.add_parser(
        "ablate",
        prog="rnnmem-tui ablate",
        help="zero each neuron in turn and measure the damage",
        description="Zero each neuron (and each pair with --pairs), measure validity, TVD and "
        "bad mass, and sort by damage against the intact network.",
    )
    a.add_argument("path", metavar="PATH", help=".npz weights file, or a shipped name like count-2")
    a.add_argument("--pairs", action="store_true", help="also zero every pair of neurons")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("--units", type=int, default=1000, help="sampled units per measurement (default 1000)")
    a.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    a.add_argument("--no-roles", dest="roles", action="store_false", help="leave out the role column")

    s = sub.add_parser(
        "sweep",
        prog="rnnmem-tui sweep",
        help="train at many sizes: how small can the network be?",
        description="Train at each hidden size from several seeds, in parallel, and report "
        "best and median validity per size, the verdicts under the verdict protocol "
        "(meets / undecided / misses) and the smallest size with a run that meets "
        "the target.",
    )
    s.add_argument("task", metavar="TASK", help="task name, or a path to your own .toml spec")
    s.add_argument("--hidden", default="1..12", help="sizes: 1..12 (default) or 2,4,8")
    s.add_argument(
        "--seeds",
        type=seeds_arg("--seeds"),
        default=parse_seeds("3"),
        help="seeds per size: N (0..N-1), A..B or a,b,c (default 3)",
    )
    s.add_argument(
        "--max-steps",
        type=int,
        default=10_000,
        help="the budget per run, in updates: the same seeds give the same table on any machine (default 10000)",
    )
    s.add_argument(
        "--max-seconds",
        type=float,
        default=600.0,
        help="a safety cap per run, in seconds (default 600); a run it stops is listed as such",
    )
    s.add_argument("--jobs", type=int, default=0, help="parallel trainings (default: all cores)")
    s.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        default=None,
        help="send the runs to an existing Dask cluster instead of local cores (extra [dask]; the "
        "workers need rnnmem-tui installed); the same seeds give the same table",
    )
    s.add_argument(
        "--lr",
        default=None,
        help=f"learning rate, or a list like 0.01,0.02,0.05 (the task's [train] table, else {TrainConfig.lr})",
    )
    s.add_argument(
        "--recipe", choices=sorted(RECIPES), default=None, help="trainer (the task's [train] table, else windows)"
    )
    s.add_argument("--runs", action="store_true", help="also list every run")
    s.add_argument("--json", action="store_true", help="print JSON")


COMMANDS = {"explain": cmd_explain, "ablate": cmd_ablate, "sweep": cmd_sweep, "calibrate": cmd_calibrate}
