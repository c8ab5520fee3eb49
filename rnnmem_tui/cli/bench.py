"""The bench verb: time to target against PyTorch and the seed's method, throughput, and the population goal."""

from __future__ import annotations

import datetime
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from ..arith import fingerprint
from ..cells import CELLS
from ..metrics import VerdictProtocol
from ..recipes import settings_for
from ..tasks import load_spec, load_task
from ..torchbench import MODULES, torch_version, train_torch
from ..train import TrainConfig, TrainResult, train_population
from ..weights import load
from . import options as o
from .output import Table, right, table
from .train import measure, run_training

SEED_METHOD = dict(
    batch=1, window=12, optimizer="adagrad", lr=1.0, init_scale=0.1, clip=5.0, carry=True, anneal=1.0
)  # the seed study's min-char-rnn recipe


@click.command(
    "bench",
    short_help="time to target over seeds: our trainer against PyTorch and the seed's method",
    help="Train each task's study-size network from several seeds with our trainer and, interleaved seed by "
    "seed, with PyTorch's nn.RNN (when the optional [bench] extra is installed) and, on count, with the seed "
    "study's method; judge each run under the verdict protocol ('meets' reaches the target; 'undecided' and "
    "'misses' do not) and print each run, the median time to target and the ratios.",
)
@click.option("--tasks", default="count", help="tasks, e.g. count,fill,three-in-a-row,grammar (default count)")
@click.option("--hidden", type=o.HIDDEN, default=None, help="hidden neurons (default: each task's study size)")
@click.option(
    "--cell",
    type=click.Choice(list(CELLS)),
    default="rnn",
    help="the cell on both sides: ours, and PyTorch's nn.RNN, nn.GRU or nn.LSTM (default rnn)",
)
@o.seeds("seeds per side", default="3")
@o.setting(
    "max_steps",
    help=f"update budget of every run, on every side (default: each task's own, {TrainConfig.max_steps} unless "
    "its [train] table says otherwise; the seed method, which makes one update per symbol, is then bounded by "
    "time alone)",
)
@o.setting("max_seconds", 120.0, "time cap per run (default 120)")
@o.json_flag("print the run's records as JSON: the date, the machine, and each run's time, updates and verdict")
@click.option(
    "--throughput",
    is_flag=True,
    help="instead, print characters per second at H=10 with the default batch and window, updates only, median "
    "of 5 runs of 2,000 updates: one network, then 16 at once",
)
@click.option(
    "--population",
    is_flag=True,
    help="instead, time `train TASK --seeds ...` (TASK: the first of --tasks) against the same seeds trained one "
    "by one, as commands, in one run; the goal: at most 2x (--population --tasks fill --seeds 8)",
)
def bench(tasks, hidden, cell, seeds, max_steps, max_seconds, as_json, throughput, population) -> int:
    """Time to target, interleaved seed by seed: our trainer, PyTorch (with the [bench] extra) and, on count,
    the seed study's method; each run judged; the median per task and the ratios."""
    names = tasks.split(",")
    if throughput:
        return cmd_throughput(names[0])
    if population:
        return cmd_population(names[0], hidden, cell, seeds, max_steps, max_seconds)
    version = torch_version()
    say = (lambda text: print(text, file=sys.stderr)) if as_json else print
    say(
        "PyTorch "
        + (
            f"{version} (nn.{MODULES[cell][0]}, Adam, one thread; lr 0.01, 32 lanes x 32-step windows and norm "
            "clip 1 unless the task's [train] table sets them, with its margin and anneal, for both sides)"
            if version
            else "is not installed: pip install 'rnnmem-tui[bench]' to compare against it"
        )
    )
    say(
        "time to target: a run reaches it when its verdict is 'meets' under the verdict protocol "
        f"({VerdictProtocol().text()}); its time is the trainer's, validation included; at most "
        + (f"{max_steps} updates" if max_steps else "each task's update budget")
        + f" and {max_seconds:.0f}s a run, seeds {','.join(map(str, seeds))}"
    )
    records, summary = [], []
    columns = ["task", "side", right("seed"), "verdict", right("seconds"), right("updates")]
    with Table(columns, live=True) if not as_json else Quiet() as shown:
        for name in names:
            task = load_task(name)
            size = hidden or load_spec(name).get("hidden", 2)
            ours = settings_for(name, {"cell": cell} | ({"max_steps": max_steps} if max_steps else {}))
            budget = ours.get("max_steps", TrainConfig.max_steps)
            sides = {"ours": lambda seed: bench_ours(task, size, seed, ours, max_seconds)}
            if version:
                sides["pytorch"] = lambda seed: train_torch(task, size, seed, budget, max_seconds, cell, ours)
            if (
                task.family == "count" and cell == "rnn"
            ):  # one symbol per update: unless --max-steps is given, only time bounds it
                method = {**SEED_METHOD, "max_steps": max_steps or 0}
                sides["seed method"] = lambda seed: bench_ours(task, size, seed, method, max_seconds)
            for seed in seeds:  # interleaved, so that machine noise hits every side alike
                for side, run in sides.items():
                    r = run(seed)
                    (v,) = measure([r.net], task)
                    records.append(
                        dict(
                            task=name,
                            cell=cell,
                            hidden=size,
                            side=side,
                            seed=seed,
                            seconds=round(r.seconds, 2),
                            updates=r.steps,
                        )
                        | dict(stopped_by=r.stopped_by, verdict=v.verdict, validity=v.validity, tvd=v.tvd)
                    )
                    shown.add(name, side, seed, v.verdict, f"{r.seconds:.1f}", r.steps)
            summary += summarise(name, size, list(sides), [r for r in records if r["task"] == name])
    if as_json:
        print(json.dumps({**machine(version), "runs": records, "summary": summary}, indent=2))
        return 0
    table(
        ["task", right("H"), "side", "reached", "median time to target", "ratio to ours"],
        [(s["task"], s["hidden"], s["side"], s["reached"], s["median"], s["ratio"]) for s in summary],
    )
    return 0


class Quiet:
    """A table that prints nothing (bench --json prints its records at the end instead)."""

    def __enter__(self) -> Quiet:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def add(self, *cells: object) -> None:
        """Drop the row."""


def summarise(name: str, hidden: int, sides: list[str], runs: list[dict]) -> list[dict]:
    """Per side: how many runs meet the target, and the median time to target (a run that does not meet
    counts as never reaching it), with its ratio to ours."""
    times = {
        k: [r["seconds"] if r["verdict"] == "meets" else float("inf") for r in runs if r["side"] == k] for k in sides
    }
    med = {k: statistics.median(v) for k, v in times.items()}
    return [
        {
            "task": name,
            "hidden": hidden,
            "side": k,
            "reached": f"{sum(t != float('inf') for t in v)}/{len(v)}",
            "median": f"{med[k]:.1f}s" if med[k] != float("inf") else "not reached on half the seeds or more",
            "ratio": "" if k == "ours" else ratio_text(med[k], med["ours"]),
        }
        for k, v in times.items()
    ]


def machine(torch: str | None) -> dict:
    """When and where the bench ran."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch,
            **fingerprint(),
        },
    }


def bench_ours(task, hidden: int, seed: int, settings: dict, max_seconds: float) -> TrainResult:
    """One of our runs for the bench."""
    cfg = TrainConfig(hidden=hidden, seed=seed, **{**settings, "max_seconds": max_seconds})
    return run_training(task, [cfg], command="rnnmem-tui bench", quiet=True)[0]


def ratio_text(theirs: float, ours: float) -> str:
    """How many times longer the other side took, e.g. `3.6x`, or a bound when one side never reached."""
    if ours == float("inf"):
        return "ours did not reach"
    return f"{theirs / ours:.1f}x" if theirs != float("inf") else "it did not reach"


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


def cmd_throughput(name: str) -> int:
    """Characters per second at H=10 for one network and a population of 16: updates only, median of 5 runs."""
    task, runs, updates = load_task(name), 5, 2000
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


def cmd_population(
    name: str, hidden: int | None, cell: str, seeds: list[int], max_steps: int | None, max_seconds: float
) -> int:
    """The population goal: `train TASK --seeds ...` against the same seeds trained one by one, in one run."""
    hidden = hidden or load_spec(name).get("hidden", 2)
    budget = ["--max-steps", str(max_steps)] if max_steps else []
    common = [name, "--cell", cell, "--hidden", str(hidden), *budget, "--max-seconds", f"{max_seconds:g}"]
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


COMMANDS = (bench,)
