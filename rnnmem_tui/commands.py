"""The headless verbs: train, eval, sample, build-optimal and bench; each returns an exit code."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .meta import Meta
from .metrics import Verdict, VerdictProtocol, judge
from .model import RNN, Interventions
from . import constructions
from .progress import Bar
from .tasks import Task, load_spec, load_task, spec_name
from .recipes import settings_for
from .torchbench import torch_version, train_torch
from .parallel import judge_parallel, train_parallel
from .train import TrainConfig, TrainResult, train_population
from .paths import PathError, check_destination, check_folder
from .weights import WeightsError, load, resolve, save, task_for

SEED_METHOD = dict(
    batch=1, window=12, optimizer="adagrad", lr=1.0, init_scale=0.1, clip=5.0, carry=True, anneal=1.0
)  # the seed study's min-char-rnn recipe


def target_text(target: dict) -> str:
    """A task's target as text, e.g. `validity>=0.99 tvd<=0.05`."""
    parts = [
        f"validity>={target['validity']}" if "validity" in target else "",
        f"tvd<={target['tvd']}" if "tvd" in target else "",
        f"bad<={target['bad_mass']}" if "bad_mass" in target else "",
    ]
    return " ".join(p for p in parts if p) or "none"


SETTINGS = (
    "recipe",
    "batch",
    "window",
    "optimizer",
    "lr",
    "init_scale",
    "clip",
    "clip_norm",
    "anneal",
    "margin",
    "carry",
    "max_steps",
    "max_seconds",
)  # the trainer's flags; None when the user gave none


def given_settings(args) -> dict:
    """The trainer settings the user gave on the command line."""
    return {k: getattr(args, k) for k in SETTINGS if getattr(args, k, None) is not None}


def train_configs(args) -> tuple[TrainConfig, list[int]]:
    """The run's settings (task's [train] table, then the flags given) and its seeds; raises ValueError."""
    settings = settings_for(args.task, given_settings(args))
    seeds = args.seeds if getattr(args, "seeds", None) else [0 if args.seed is None else args.seed]
    return TrainConfig(hidden=args.hidden, seed=seeds[0], **settings), seeds


def run_training(
    task: Task, cfgs: list[TrainConfig], command: str, quiet: bool = False, jobs: int = 1
) -> list[TrainResult]:
    """Train networks at once, over `jobs` processes, with a progress bar on stderr; returns their results
    without measuring them."""
    cfg = cfgs[0]
    who = f"seed={cfg.seed}" if len(cfgs) == 1 else f"{len(cfgs)} seeds"
    bar = Bar(cfg.max_steps, f"{task.name} H={cfg.hidden} {who}")
    best: dict[int, float] = {}

    def report(p) -> None:
        best[p.seed] = p.best.validity
        if quiet:
            return
        if len(cfgs) == 1:
            bar.update(
                p.step,
                f"step {p.step}/{cfg.max_steps} {p.seconds:5.1f}s loss {p.loss:.3f} "
                f"validity {p.scores.validity:.3f} best {p.best.validity:.3f}",
            )
        else:
            bar.update(
                p.step,
                f"step {p.step}/{cfg.max_steps} {p.seconds:5.1f}s best validity "
                f"{min(best.values()):.3f}..{max(best.values()):.3f}",
            )

    results = train_parallel(task, cfgs, jobs, report, command)
    bar.close()
    return results


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


def record(net, v: Verdict) -> Verdict:
    """Write a verdict and the standard figures (its first sampling seed's) into a network's meta."""
    net.meta.metrics = v.first.as_dict()
    net.meta.verdict = {**v.as_dict(), "protocol": VerdictProtocol().text()}
    return v


STOPPED = {
    "target": "reached the target",
    "steps": "used its update budget without reaching the target",
    "interrupted": "interrupted",
    "diverged": "diverged (the loss became NaN or infinite; try a lower --lr): kept the best finite network",
}


def member_paths(args, seeds: list[int]) -> list[Path]:
    """Where each network goes: --out itself for one seed, else DIR/TASK-H-sS.npz; checked before training."""
    if not args.seeds:
        return [check_destination(args.out, args.force)]
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise PathError(f"{folder}: is a file; with --seeds, --out names a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PathError(f"{folder}: cannot write there ({e.strerror or e})") from None
    check_folder(folder, "--out folder")
    name = spec_name(args.task)
    return [check_destination(folder / f"{name}-{args.hidden}-s{s}.npz", args.force) for s in seeds]


def cmd_train(args, command: str) -> int:
    """Train one network (or one per seed, at once) and save each: first as soon as training ends, then
    again with its verdict."""
    cfg, seeds = train_configs(args)
    outs = member_paths(args, seeds)
    jobs = args.jobs or os.cpu_count() or 1
    task = load_task(args.task)
    results = run_training(task, [replace(cfg, seed=s) for s in seeds], command, jobs=jobs)
    for result, out in zip(results, outs):
        save(result.net, out)  # nothing is lost if a measurement below is interrupted
    for result, out in zip(results, outs):
        how = STOPPED.get(
            result.stopped_by,
            f"stopped by the --max-seconds cap ({cfg.max_seconds:g} s)" if result.stopped_by == "time" else "stopped",
        )
        print(
            f"{how} after {result.steps} updates in {result.seconds:.1f}s; saved the best network to {out}", flush=True
        )
    nets = [r.net for r in results]
    verdicts = measure(nets, task, jobs)
    for result, out, v in zip(results, outs, verdicts):
        save(result.net, out)
        print(
            f"{out.name if len(outs) > 1 else 'verdict'}: {v.verdict}  validity "
            f"{interval(v.validity, v.validity_interval, 4)}  tvd {interval(v.tvd, v.tvd_interval, 3)}  "
            f"bad mass mean {interval(v.bad_mean, v.bad_mean_interval, 5)} max {v.bad_max:.4f}  "
            f"({VerdictProtocol().text()})",
            flush=True,
        )
    return 130 if any(r.interrupted for r in results) else 0


def interval(x: float, ci: list[float] | tuple[float, float], digits: int) -> str:
    """A figure and its 95% interval, e.g. `0.9927 [0.9919, 0.9934]`."""
    return f"{x:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def cmd_eval(args) -> int:
    """Judge networks under the verdict protocol and print a table, JSON or the README's markdown."""
    vp = VerdictProtocol(seeds=args.seeds, units=args.units, first_seed=args.seed)
    rows, metas, errors = [], [], []
    for path in args.paths:
        try:
            net = read(path)
        except WeightsError as e:  # the other files are still judged; the errors come after their rows
            errors.append(str(e))
            continue
        metas.append(net.meta)
        task = task_for(net)
        bar = Bar(vp.seeds, f"eval {Path(path).name}")
        v = judge(net, task, vp, progress=lambda done, total: bar.update(done, f"seed {done}/{total}"))
        bar.close()
        rows.append(
            {
                "file": str(path),
                "task": task.name,
                "hidden": net.hidden,
                **v.as_dict(),
                "target": task.target,
                "meets": v.verdict == "meets",
            }
        )
    if rows:
        print_rows(args, rows, metas, vp)
    for e in errors:
        print(f"rnnmem-tui: error: {e}", file=sys.stderr)
    return 2 if errors else 0


def read(path) -> RNN:
    """Load a network by name or path, saying on stderr which file was read (stdout stays clean for --json)."""
    file = resolve(path)
    net = load(file)
    print(f"read {file}", file=sys.stderr)
    return net


def print_rows(args, rows: list[dict], metas: list, vp: VerdictProtocol) -> None:
    """eval's output: JSON, the README's markdown or a table."""
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if args.markdown:
        print_markdown(rows, metas)
        return
    print(
        f"{'file':<24} {'task':<14} {'H':>3} {'validity [95% interval]':<24} {'TVD [95% interval]':<21} "
        f"{'bad mean [95% interval]':<27} {'bad max':>7}  verdict"
    )
    for r in rows:
        print(
            f"{Path(r['file']).name:<24} {r['task']:<14} {r['hidden']:>3} "
            f"{interval(r['validity'], r['validity_interval'], 4):<24} "
            f"{interval(r['tvd'], r['tvd_interval'], 3):<21} "
            f"{interval(r['bad_mean'], r['bad_mean_interval'], 5):<27} {r['bad_max']:>7.4f}  "
            f"{r['verdict']} {target_text(r['target'])}"
        )
    print(
        f"(verdict protocol: {vp.text()} after one burn-in unit each, {vp.bad_units} teacher-forced units "
        "per seed for bad mass; validity: Wilson interval on the pooled count; TVD and bad mass: bootstrap "
        "over the seeds)"
    )


def print_markdown(rows: list[dict], metas: list[Meta]) -> None:
    """The results table of the README: how each file was made (its meta) and its verdict, with intervals."""
    print(
        "| file | command | seed | updates | validity [95%] | TVD [95%] | bad mass mean [95%] / max | verdict "
        "| the study |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r, meta in zip(rows, metas):
        size = Path(r["file"]).stem.removeprefix(r["task"] + "-")  # "4", "optimal-10"
        claim = load_spec(r["task"]).get("claims", {}).get(size, "")
        made = meta.seed is not None  # trained, not hand-built
        seed, steps = (meta.seed, meta.steps) if made else ("-", "-")
        print(
            f"| {Path(r['file']).name} | `{meta.command or '?'}` | {seed} | {steps} | "
            f"{interval(r['validity'], r['validity_interval'], 4)} | {interval(r['tvd'], r['tvd_interval'], 3)} | "
            f"{interval(r['bad_mean'], r['bad_mean_interval'], 5)} / {r['bad_max']:.4f} | "
            f"{r['verdict']} {target_text(r['target'])} | {claim} |"
        )


def parse_interventions(zero: list[int], clamp: list[str], hidden: int) -> Interventions:
    """Interventions from `--zero I` and `--clamp I=V` flags; raises ValueError with a clear message.

    A neuron both zeroed and clamped, or clamped twice, is refused rather than one flag winning silently.
    """
    held = [item.partition("=")[0].strip() for item in clamp] + [str(i) for i in zero]
    twice = sorted({i for i in held if held.count(i) > 1})
    if twice:
        raise ValueError(f"neuron {twice[0]} is given more than one of --zero and --clamp; choose one")
    iv = Interventions()
    for i in zero:
        iv = iv.zero(i)
    for item in clamp:
        i, sep, v = item.partition("=")
        try:
            iv = iv.clamp(int(i), float(v))
        except ValueError:
            raise ValueError(f"--clamp wants NEURON=VALUE with VALUE in [-1, 1], got {item!r}") from None
        if not sep:
            raise ValueError(f"--clamp wants NEURON=VALUE, got {item!r}")
    return iv.check(hidden)


def cmd_sample(args) -> int:
    """Print generated text as it comes, grid games one per row; a validity summary goes to stderr."""
    net = read(args.path)
    task = task_for(net)
    iv = parse_interventions(args.zero, args.clamp, net.hidden)
    rng = np.random.default_rng(args.seed)
    h, x = np.zeros(net.hidden), int(net.index(task.end)[0])
    pending, ok, done, left = "", 0, 0, args.n
    while left:  # in chunks, so that the first lines show at once and memory stays flat
        out, h = net.sample(h, x, min(left, 4096), rng, args.temperature, iv)
        left -= len(out)
        x = int(out[-1])
        units, pending = task.split(pending + "".join(net.vocab[i] for i in out))
        valid = [task.is_valid(u) for u in units]
        ok, done = ok + sum(valid), done + len(units)
        if task.is_grid:
            sys.stdout.write("".join(" ".join(u) + ("" if v else "  <- invalid") + "\n" for u, v in zip(units, valid)))
        else:
            sys.stdout.write("".join(units))
        sys.stdout.flush()
    if pending:
        print(" ".join(pending) if task.is_grid else pending)
    if done:
        held = f" with {describe(iv)}" if iv else ""
        print(f"{ok}/{done} finished units valid{held}", file=sys.stderr)
    return 0


def cmd_figures(args) -> int:
    """Redraw the study's figures into --out, one SVG each, and say which were written."""
    from .figures import FIGURES, make_figures

    unknown = sorted(set(args.only or ()) - {f.name for f in FIGURES})
    if unknown:
        raise ValueError(f"no figure {unknown[0]}; the figures are {', '.join(f.name for f in FIGURES)}")
    check_folder(Path(args.out).parent if Path(args.out).parent.exists() else Path("."), "--out")
    for path in make_figures(args.out, args.only):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_trace(args) -> int:
    """Write a network's steps to --out (.npz or .csv), checked before the run."""
    from . import trace

    trace.check_format(args.out)
    out = check_destination(args.out, args.force)
    net = read(args.path)
    task = task_for(net)
    iv = parse_interventions(args.zero, args.clamp, net.hidden)
    t = trace.run(net, task, args.steps, iv, args.mode, args.seed, args.temperature)
    t.write(out)
    held = f" with {describe(iv)}" if iv else ""
    print(f"wrote {out}: {len(t.symbols)} steps of {net.hidden} neuron{'s' * (net.hidden != 1)}{held}", file=sys.stderr)
    return 0


def describe(iv: Interventions) -> str:
    """Interventions as text, e.g. `neuron 1 zeroed, neuron 0 clamped +0.50`."""
    held = sorted(set(iv.zeroed) | {i for i, _ in iv.clamped})
    return ", ".join(f"neuron {i} {iv.of(i)}" for i in held)


def cmd_build_optimal(args, command: str) -> int:
    """Build a hand-made network (of --hidden neurons, or the smallest we have) and save it, with its verdict."""
    task = load_task(args.task)
    made = constructions.choose(task, args.hidden)  # a size without a construction is refused first
    out = check_destination(args.out, args.force)
    net = made.build(task)
    net.meta.command = command
    (v,) = measure([net], task)
    save(net, out)
    print(
        f"built {out}: {v.verdict}, validity {interval(v.validity, v.validity_interval, 4)}, "
        f"bad mass mean {v.bad_mean:.2e} max {v.bad_max:.2e}"
    )
    return 0


def throughput(task, hidden: int, networks: int, updates: int) -> tuple[float, float]:
    """Characters per second of the engine's updates alone (no validation falls in the run), for a
    population of `networks` with the default batch and window, seeds 0..networks-1: per second of
    wall time, and per second of this process's CPU time (steadier on a busy machine)."""
    cfgs = [
        TrainConfig(hidden=hidden, seed=s, max_steps=updates + 1, eval_symbols=10**15, max_seconds=1e9)
        for s in range(networks)
    ]
    calls, marks = [0], []

    def clock() -> bool:  # called before every update: the first call and the one after the last update
        calls[0] += 1
        if calls[0] in (1, updates + 1):
            marks.append((time.perf_counter(), time.process_time()))
        return calls[0] > updates

    train_population(task, cfgs, should_stop=clock)
    chars = networks * cfgs[0].batch * cfgs[0].window * updates
    return chars / (marks[1][0] - marks[0][0]), chars / (marks[1][1] - marks[0][1])


def cmd_throughput(args) -> int:
    """Characters per second at H=10 for one network and a population of 16: updates only, median of 5 runs."""
    task, runs, updates = load_task(args.tasks.split(",")[0]), 5, 2000
    cfg = TrainConfig()
    print(
        f"throughput on {task.name}, H=10, batch {cfg.batch}, window {cfg.window}: {updates} updates per run, "
        f"validation excluded, median of {runs} runs"
    )
    for networks in (1, 16):
        wall, cpu = zip(*(throughput(task, 10, networks, updates) for _ in range(runs)))
        print(
            f"{networks:>2} network{'s' if networks > 1 else ' '}: {statistics.median(wall) / 1e6:.2f}M chars/s "
            f"(runs: {', '.join(f'{r / 1e6:.2f}' for r in wall)}); per CPU second "
            f"{statistics.median(cpu) / 1e6:.2f}M",
            flush=True,
        )
    return 0


def timed_train(argv: list[str], folder: Path) -> tuple[float, list[str]]:
    """Run `rnnmem-tui train ARGV` as a user would (a new process: start, training, verdicts, files), its
    files going to `folder` (a folder, or one file); return its wall time and each file's recorded verdict."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rnnmem_tui", "train", *argv], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ValueError(f"rnnmem-tui train {' '.join(argv)} failed: {last}")
    files = sorted(folder.glob("*.npz")) if folder.is_dir() else [folder]
    return seconds, [(load(f).meta.verdict or {}).get("verdict", "?") for f in files]


def cmd_population(args) -> int:
    """The population goal: `train TASK --seeds ...` against the same seeds trained one by one, in one run."""
    name, seeds = args.tasks.split(",")[0], args.seeds
    hidden = args.hidden or load_spec(name).get("hidden", 2)
    budget = ["--max-steps", str(args.max_steps)] if args.max_steps else []
    common = [name, "--hidden", str(hidden), *budget, "--max-seconds", f"{args.max_seconds:g}"]
    together = [*common, "--seeds", ",".join(map(str, seeds))]
    print(
        f"rnnmem-tui train {' '.join(together)} against each seed trained alone, as commands (start, training, "
        "verdicts, files), one at a time: the population, each seed alone, the population again",
        flush=True,
    )
    runs = [
        ("population", together, ""),
        *((f"seed {s} alone", [*common, "--seed", str(s)], ".npz") for s in seeds),
        ("population again", together, ""),
    ]  # (label, arguments, suffix of --out: a folder for the population, a file alone)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, argv, suffix in runs:
            out = Path(tmp) / f"{len(times)}{suffix}"
            seconds, verdicts = timed_train([*argv, "--out", str(out)], out)
            times.append(seconds)
            print(f"{label:<18} {seconds:6.2f} s  {verdicts.count('meets')} of {len(verdicts)} meet", flush=True)
    median = statistics.median(times[1:-1])
    print(
        f"median alone {median:.2f} s; population / median alone: {times[0] / median:.2f}x and "
        f"{times[-1] / median:.2f}x (the goal: at most 2x)"
    )
    return 0


def cmd_bench(args) -> int:
    """Time to target, interleaved seed by seed: our trainer, PyTorch (with the [bench] extra) and, on count,
    the seed study's method; the median per task and the ratios."""
    if args.throughput:
        return cmd_throughput(args)
    if args.population:
        return cmd_population(args)
    version = torch_version()
    print(
        "PyTorch "
        + (
            f"{version} (nn.RNN, Adam lr 0.01, 32 lanes x 32-step windows, norm clip 1, one thread)"
            if version
            else "is not installed: pip install 'rnnmem-tui[bench]' to compare against it"
        )
    )
    print(
        "time to target (the trainer's confirmation check; validation time counts), at most "
        + (f"{args.max_steps} updates" if args.max_steps else "each task's update budget")
        + f" and {args.max_seconds:.0f}s a run, seeds {','.join(map(str, args.seeds))}"
    )
    print(f"{'task':<16} {'side':<12} {'seed':>4} {'reached':>7} {'seconds':>8} {'updates':>8}")
    for name in args.tasks.split(","):
        task = load_task(name)
        hidden = args.hidden or load_spec(name).get("hidden", 2)
        ours = settings_for(name, {"max_steps": args.max_steps} if args.max_steps else {})
        budget = ours.get("max_steps", TrainConfig.max_steps)
        sides = {"ours": lambda seed: bench_ours(task, hidden, seed, ours, args)}
        if version:
            sides["pytorch"] = lambda seed: train_torch(task, hidden, seed, budget, args.max_seconds)
        if task.family == "count":  # one symbol per update: unless --max-steps is given, only the time cap bounds it
            sides["seed method"] = lambda seed: bench_ours(
                task, hidden, seed, {**SEED_METHOD, "max_steps": args.max_steps or 0}, args
            )
        times: dict[str, list[float]] = {k: [] for k in sides}
        for seed in args.seeds:  # interleaved, so that machine noise hits every side alike
            for side, run in sides.items():
                reached, seconds, updates = run(seed)
                times[side].append(seconds if reached else float("inf"))
                print(
                    f"{name:<16} {side:<12} {seed:>4} {'yes' if reached else 'no':>7} {seconds:>8.1f} {updates:>8}",
                    flush=True,
                )
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in times.items():
            shown = f"{med[k]:.1f}s" if med[k] != float("inf") else "not reached on half the seeds or more"
            ratio = "" if k == "ours" else f"; {k} / ours: {ratio_text(med[k], med['ours'])}"
            print(
                f"{name}, H={hidden}, {k}: reached {sum(t != float('inf') for t in v)}/{len(v)}, "
                f"median time to target {shown}{ratio}"
            )
    return 0


def bench_ours(task, hidden: int, seed: int, settings: dict, args) -> tuple[bool, float, int]:
    """One of our runs for the bench: (reached, seconds, updates)."""
    cfg = TrainConfig(hidden=hidden, seed=seed, **{**settings, "max_seconds": args.max_seconds})
    r = run_training(task, [cfg], command="rnnmem-tui bench", quiet=True)[0]
    return r.reached, r.seconds, r.steps


def ratio_text(theirs: float, ours: float) -> str:
    """How many times longer the other side took, e.g. `3.6x`, or a bound when one side never reached."""
    if ours == float("inf"):
        return "ours did not reach"
    return f"{theirs / ours:.1f}x" if theirs != float("inf") else "it did not reach"
