"""Command-line parsing: one subcommand per verb; bad input ends in one clear line and exit code 2."""

from __future__ import annotations

import argparse
import difflib
import os
import shlex
import sys
import threading

from . import commands, lenses, study
from .bugs import report_bug
from .tasks import TaskError, is_spec_file, task_names
from .recipes import RECIPES
from .flags import (
    COUNT,
    OneLineParser,
    add_interventions,
    HIDDEN,
    MAX_SAMPLE,
    MAX_TRAIN_HIDDEN,
    NON_NEGATIVE,
    POSITIVE,
    SEED,
    real,
    whole,
)
from .seeds import parse_seeds, seeds_arg
from .train import OPTIMIZERS, TrainConfig
from .weights import WeightsError, load, task_for

DEFAULTS = TrainConfig()
LINES = TrainConfig(recipe="lines")


def add_settings(p: argparse.ArgumentParser) -> None:
    """The trainer's flags; each defaults to None so that the task's [train] table and the recipe fill it."""
    p.add_argument(
        "--max-steps",
        type=COUNT,
        default=None,
        help=f"the budget, in updates: a run with the same flags gives the same network on any "
        f"machine ({DEFAULTS.max_steps})",
    )
    p.add_argument(
        "--max-seconds",
        type=POSITIVE,
        default=None,
        help=f"a safety cap on wall time; a run it stops records stopped_by=time in its meta "
        f"({DEFAULTS.max_seconds:g})",
    )
    p.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default=None,
        help="windows: batched truncated BPTT on carried-state windows (default); lines: full BPTT "
        "over whole lines from h = 0, with restarts and polish cycles",
    )
    p.add_argument(
        "--batch",
        type=whole(1, 4096),
        default=None,
        help=f"sequences per update (windows {DEFAULTS.batch}, lines {LINES.batch})",
    )
    p.add_argument(
        "--window",
        type=whole(1, 10_000),
        default=None,
        help=f"BPTT steps per update (windows {DEFAULTS.window}, lines {LINES.window})",
    )
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=None, help=f"({DEFAULTS.optimizer})")
    p.add_argument("--lr", type=POSITIVE, default=None, help=f"learning rate ({DEFAULTS.lr})")
    p.add_argument(
        "--init-scale",
        type=POSITIVE,
        default=None,
        help=f"std of the initial weights (windows {DEFAULTS.init_scale}, lines {LINES.init_scale})",
    )
    p.add_argument(
        "--clip", type=NON_NEGATIVE, default=None, help=f"element-wise gradient clip; 0 turns it off ({DEFAULTS.clip})"
    )
    p.add_argument(
        "--clip-norm",
        type=NON_NEGATIVE,
        default=None,
        help="clip each network's global gradient norm to this; 0 turns it off (0)",
    )
    p.add_argument(
        "--anneal",
        type=real(above=0.0, hi=1.0),
        default=None,
        help=f"windows: lr factor once validity first reaches the target; 1 disables ({DEFAULTS.anneal})",
    )
    p.add_argument(
        "--margin",
        type=real(lo=0.0, below=1.0),
        default=None,
        help="stop once each target bound holds with this fraction of its distance to perfect "
        f"to spare, e.g. validity >= 0.99 + 0.2 * 0.01 ({DEFAULTS.margin})",
    )
    p.add_argument(
        "--no-carry",
        dest="carry",
        action="store_const",
        const=False,
        default=None,
        help="windows: reset the hidden state between windows",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    tasks = ", ".join(task_names()) + ", or a path to your own .toml spec"
    p = OneLineParser(
        prog="rnnmem-tui",
        usage="rnnmem-tui TASK [options]  |  rnnmem-tui COMMAND ...",
        description="Explore how tiny recurrent networks store information: train, measure and "
        f"sample min-char-rnn style RNNs on toy tasks ({tasks}).",
        epilog="rnnmem-tui TASK opens the explorer on the shipped network for TASK, and "
        "rnnmem-tui --weights PATH on any weights file; see rnnmem-tui TASK --help.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    t = sub.add_parser(
        "train",
        prog="rnnmem-tui train",
        help="train one network, or several at once, with a progress bar",
        description="Train a network with batched BPTT, for at most --max-steps updates. Stops "
        "early when the task's target holds on the confirmation check (one 5,000-unit "
        "sample, with --margin to spare); keeps the best network by validation; Ctrl-C "
        "saves the best so far. The saved file's meta records the verdict under the "
        "verdict protocol (10 sampling seeds x 5,000 units, with 95% intervals). With "
        "--seeds, trains one network per seed at once in one batched computation and "
        "writes DIR/TASK-H-sS.npz for each. Settings come from the task's [train] "
        "table when it has one; flags override it.",
    )
    t.add_argument("task", metavar="TASK", help=f"one of: {tasks}")
    t.add_argument(
        "--hidden", type=HIDDEN, default=None, help=f"hidden neurons, 1..{MAX_TRAIN_HIDDEN} (default: the seed's size)"
    )
    who = t.add_mutually_exclusive_group()
    who.add_argument("--seed", type=SEED, default=None, help="seed of the weights and data (default 0)")
    who.add_argument(
        "--seeds",
        type=seeds_arg("--seeds"),
        default=None,
        metavar="SEEDS",
        help="train several networks at once: N (seeds 0..N-1), A..B or a,b,c; --out is then a folder",
    )
    t.add_argument(
        "--out",
        required=True,
        help="where to save the .npz weights file, or with --seeds the folder (checked before training)",
    )
    t.add_argument("--force", action="store_true", help="replace existing files (never recorded in the meta)")
    t.add_argument(
        "--jobs",
        type=whole(1, 256),
        default=None,
        help="with --seeds, worker processes, each training its share of the networks as one "
        "population; the networks are the same whatever the number (default: all cores)",
    )
    add_settings(t)
    t.epilog = (
        "The seed study's own method: --batch 1 --window 12 --optimizer adagrad --lr 1.0 "
        "--init-scale 0.1 --clip 5 --anneal 1"
    )

    e = sub.add_parser(
        "eval",
        prog="rnnmem-tui eval",
        help="validity, TVD and bad mass of weights files, with intervals and a verdict",
        description="Judge networks under the verdict protocol of DESIGN.md: several sampling "
        "seeds x 5,000 units. Validity gets a 95%% Wilson interval on the pooled "
        "count; TVD and bad mass a 95%% bootstrap interval over the seeds. The "
        "verdict is 'meets' when every interval lies on the good side of its "
        "target, 'misses' when one lies wholly on the bad side, else 'undecided'.",
    )
    e.add_argument("paths", nargs="+", metavar="PATH", help=".npz weights files")
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.add_argument("--markdown", action="store_true", help="print the README's results table")
    e.add_argument("--units", type=COUNT, default=5000, help="sampled units per seed (default 5000)")
    e.add_argument("--seeds", type=COUNT, default=10, help="sampling seeds (default 10)")
    e.add_argument("--seed", type=SEED, default=0, help="the first sampling seed (default 0)")

    s = sub.add_parser(
        "sample",
        prog="rnnmem-tui sample",
        help="print text a network generates, with neurons zeroed or clamped",
        description="Sample from h = 0 after the start token. Grid games print one per row.",
    )
    s.add_argument("path", metavar="PATH", help=".npz weights file")
    s.add_argument(
        "--n",
        type=whole(1, MAX_SAMPLE),
        default=200,
        help=f"symbols to generate, at most {MAX_SAMPLE:.0e} (default 200); printed as they come",
    )
    add_interventions(s)
    s.add_argument("--seed", type=SEED, default=0, help="sampling seed (default 0)")
    s.add_argument("--temperature", type=POSITIVE, default=1.0, help="softmax temperature (default 1)")

    sub.add_parser(
        "compare",
        prog="rnnmem-tui compare",
        add_help=False,
        help="two networks of one task side by side on one input stream (rnnmem-tui compare A B; "
        "see rnnmem-tui compare --help)",
    )
    fg = sub.add_parser(
        "figures",
        prog="rnnmem-tui figures",
        help="redraw the seed study's nine figures in the explorer and save each as SVG",
        description="Open the explorer headless on each figure's network, press the keys that "
        "reproduce the figure (the README's figure table lists them) and save the "
        "screen as OUT/NAME.svg.",
    )
    fg.add_argument("--out", default="docs/figures", metavar="DIR", help="where to write (default docs/figures)")
    fg.add_argument("--only", nargs="+", default=None, metavar="NAME", help="only these figures, e.g. toprow")
    tr = sub.add_parser(
        "trace",
        prog="rnnmem-tui trace",
        help="write a network's steps (symbols, hidden states, probabilities) to .npz or .csv",
        description="Step a network from h = 0 as the explorer does and write one row per step: "
        "row t for the symbol read at step t, row 0 the start token. An .npz holds "
        "symbols (T,), h (T, H) after the interventions, p (T, V), vocab, zeroed (k,) "
        "and clamped (m, 2); a .csv has the columns t, symbol, h0..h{H-1}, p_<symbol>.",
    )
    tr.add_argument("path", metavar="PATH", help=".npz weights file, or a shipped name")
    tr.add_argument(
        "--steps", type=whole(1, MAX_SAMPLE), default=1000, metavar="N", help="rows to write (default 1000)"
    )
    add_interventions(tr)
    tr.add_argument(
        "--mode",
        choices=("sample", "teacher"),
        default="sample",
        help="sample: the network writes; teacher: valid units are fed in (default sample)",
    )
    tr.add_argument("--seed", type=SEED, default=0, help="seed of the draws and of the teacher (default 0)")
    tr.add_argument("--temperature", type=POSITIVE, default=1.0, help="softmax temperature (default 1)")
    tr.add_argument("--out", required=True, metavar="FILE", help="where to write: FILE.npz or FILE.csv")
    tr.add_argument("--force", action="store_true", help="replace --out if it exists")

    b = sub.add_parser(
        "build-optimal",
        prog="rnnmem-tui build-optimal",
        help="build a hand-made network, at the smallest size we have or at --hidden",
        description="Build a network from a construction in code, no training, and record its "
        "verdict. Without --hidden, the smallest construction of the task; with "
        "--hidden, the construction of that size (other sizes are refused with "
        "the list of those that exist). E.g. fill: 9 cell bits (the clear logit is "
        "a linear AND of the bits), or 10, the seed's cell bits + a 'full' neuron.",
    )
    b.add_argument("task", metavar="TASK", help=f"one of: {tasks}")
    b.add_argument(
        "--hidden", type=COUNT, default=None, help="neurons: a size that has a construction (default: the smallest)"
    )
    b.add_argument("--out", required=True, help="where to save the .npz weights file")
    b.add_argument("--force", action="store_true", help="replace --out if it exists")

    bench = sub.add_parser(
        "bench",
        prog="rnnmem-tui bench",
        help="time to target over seeds: our trainer against PyTorch and the seed's method",
        description="Train each task's study-size network from several seeds with our trainer "
        "and, interleaved seed by seed, with PyTorch's nn.RNN (when the optional "
        "[bench] extra is installed) and, on count, with the seed study's method; "
        "print each run, the median time to target and the ratios.",
    )
    bench.add_argument("--tasks", default="count", help="tasks, e.g. count,fill,three-in-a-row,grammar (default count)")
    bench.add_argument("--hidden", type=HIDDEN, default=None, help="hidden neurons (default: each task's study size)")
    bench.add_argument(
        "--seeds",
        type=seeds_arg("--seeds"),
        default=parse_seeds("3"),
        help="seeds per side: N (0..N-1), A..B or a,b,c (default 3)",
    )
    bench.add_argument(
        "--max-steps",
        type=COUNT,
        default=None,
        help=f"update budget of every run, on every side (default: each task's own, {DEFAULTS.max_steps} unless its "
        "[train] table says otherwise; the seed method, which makes one update per symbol, is then bounded by time alone)",
    )
    bench.add_argument("--max-seconds", type=POSITIVE, default=120.0, help="time cap per run (default 120)")
    bench.add_argument(
        "--throughput",
        action="store_true",
        help="instead, print characters per second at H=10 with the default batch and window, "
        "updates only, median of 5 runs of 2,000 updates: one network, then 16 at once",
    )
    bench.add_argument(
        "--population",
        action="store_true",
        help="instead, time `train TASK --seeds ...` (TASK: the first of --tasks) against the same seeds "
        "trained one by one, as commands, in one run; the goal: at most 2x (--population --tasks fill --seeds 8)",
    )
    study.add_parsers(sub)
    lenses.add_parsers(sub)
    return p


VERBS = (
    "train",
    "eval",
    "sample",
    "trace",
    "compare",
    "figures",
    "build-optimal",
    "bench",
    *study.COMMANDS,
    *lenses.COMMANDS,
)


def weights_task(argv: list[str]) -> str:
    """The task name of the file in `--weights PATH` (or `--weights=PATH`); raises WeightsError."""
    flag = argv[0]
    path = flag.partition("=")[2] if "=" in flag else (argv[1] if len(argv) > 1 else "")
    if not path or path.startswith("-"):
        raise WeightsError("--weights needs a PATH to a weights file")
    return task_for(load(path)).name


def run(argv: list[str]) -> int:
    """Parse argv and run the command; returns the exit code."""
    named = False  # the task name came from a weights file's meta, not from the user
    if argv and argv[0].split("=")[0] == "--weights":  # the explorer on a file: its task is in its meta
        try:
            argv, named = [weights_task(argv), *argv], True
        except WeightsError as e:
            print(f"rnnmem-tui: error: {e}", file=sys.stderr)
            return 2
    if argv and argv[0] == "compare":
        from .explore import run_compare  # the Textual app loads only when it is wanted

        return run_compare(argv[1:])
    if argv and not argv[0].startswith("-") and argv[0] not in VERBS:
        word = argv[0]
        near = [v for v in VERBS if word.startswith(v) or v.startswith(word)] or difflib.get_close_matches(
            word, VERBS, n=1, cutoff=0.6
        )
        if word not in task_names() and not named and not is_spec_file(word) and near:
            print(f"rnnmem-tui: error: no command or task {word!r}; did you mean {near[0]}?", file=sys.stderr)
            return 2
        from .explore import run_explorer  # the Textual app loads only when it is wanted

        return run_explorer(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    command = shlex.join(["rnnmem-tui", *(a for a in argv if a != "--force")])  # what reproduces the file
    try:
        if args.command == "train":
            if args.hidden is None:
                from .tasks import load_spec

                args.hidden = load_spec(args.task).get("hidden", 2)
            return commands.cmd_train(args, command)
        if args.command == "eval":
            return commands.cmd_eval(args)
        if args.command == "sample":
            return commands.cmd_sample(args)
        if args.command == "trace":
            return commands.cmd_trace(args)
        if args.command == "figures":
            return commands.cmd_figures(args)
        if args.command == "build-optimal":
            return commands.cmd_build_optimal(args, command)
        if args.command in study.COMMANDS:
            return study.COMMANDS[args.command](args)
        if args.command in lenses.COMMANDS:
            return lenses.COMMANDS[args.command](args)
        return commands.cmd_bench(args)
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (WeightsError, TaskError, ValueError, OSError) as e:
        parser.exit(2, f"rnnmem-tui: error: {e}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code: 130 on Ctrl-C, 1 with one line on a bug."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: one line, not a traceback
        return report_bug(e)


def finish(code: int) -> None:
    """Exit with `code` now. Work still running in a thread (an explorer's worker computing roles
    after `q`) is abandoned instead of joined, so the program ends at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1:
        os._exit(code)
    sys.exit(code)
