"""The verbs that read a network and say what it does: eval, sample, trace and figures."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import numpy as np

from ..cells import cell_of
from ..lengths import CLEAN, lengths
from ..limits import check_disk, check_memory
from ..metrics import VerdictProtocol, judge
from ..model import RNN, Interventions
from ..paths import check_destination, check_folder
from ..report import interval, results_markdown, target_text
from ..weights import WeightsError, load, resolve, task_for
from . import options as o
from .output import Table, chart, progress, right


def read(path) -> RNN:
    """Load a network by name or path, saying on stderr which file was read (stdout stays clean for --json)."""
    file = resolve(path)
    net = load(file)
    print(f"read {file}", file=sys.stderr)
    return net


def unit(name: str, net) -> int:
    """A state unit's index from its name: a number is that h unit; an LSTM's `h3` and `c3` are its h and c units."""
    name, names = name.strip(), cell_of(net).unit_names(net.size)
    if name in names:
        return names.index(name)
    if name.isdigit():
        return int(name)
    H = net.size
    have = f"h0..h{H - 1} and c0..c{H - 1}" if len(names) > H else f"0..{H - 1}"
    raise ValueError(f"no unit {name!r}: this network's units are {have}")


def parse_interventions(zero, clamp, net) -> Interventions:
    """Interventions from `--zero I` and `--clamp I=V` flags; raises ValueError with a clear message.

    A neuron both zeroed and clamped, or clamped twice, is refused rather than one flag winning silently. A
    tanh unit is clamped within [-1, 1]; a ReLU or c unit at any finite value.
    """
    held = [unit(item.partition("=")[0], net) for item in clamp] + [unit(str(i), net) for i in zero]
    twice = sorted({i for i in held if held.count(i) > 1})
    if twice:
        raise ValueError(f"neuron {twice[0]} is given more than one of --zero and --clamp; choose one")
    iv = Interventions()
    for i in zero:
        iv = iv.zero(unit(str(i), net))
    bounded = cell_of(net).bounded
    for item in clamp:
        i, sep, v = item.partition("=")
        if not sep:
            raise ValueError(f"--clamp wants NEURON=VALUE, got {item!r}")
        try:
            value = float(v)
            if bounded and not -1.0 <= value <= 1.0:
                raise ValueError
            iv = iv.clamp(unit(i, net), value)
        except ValueError:
            span = "in [-1, 1]" if bounded else "finite"
            raise ValueError(f"--clamp wants NEURON=VALUE with VALUE {span}, got {item!r}") from None
    return iv.check(net.hidden, bounded)


def describe(iv: Interventions) -> str:
    """Interventions as text, e.g. `neuron 1 zeroed, neuron 0 clamped +0.50`."""
    held = sorted(set(iv.zeroed) | {i for i, _ in iv.clamped})
    return ", ".join(f"neuron {i} {iv.of(i)}" for i in held)


@click.command(
    "eval",
    short_help="validity, TVD and bad mass of weights files, with intervals and a verdict",
    help="Judge networks under the verdict protocol of DESIGN.md: several sampling seeds x 5,000 units. "
    "Validity gets a 95% Wilson interval on the pooled count; TVD and bad mass a 95% bootstrap interval over "
    "the seeds. The verdict is 'meets' when every interval lies on the good side of its target, 'misses' when "
    "one lies wholly on the bad side, else 'undecided'.",
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@o.json_flag("print JSON instead of a table")
@click.option("--markdown", is_flag=True, help="print the README's results table")
@click.option("--units", type=o.COUNT, default=5000, help="sampled units per seed (default 5000)")
@o.seeds("the sampling seeds", default="10")
@o.seed("the first sampling seed, when --seeds is a count")
@click.option(
    "--n-max",
    type=o.COUNT,
    metavar="N",
    help="instead of the verdict, the length test (grammar, anbncn, dyck): teacher-force one unit of each size "
    "up to N, past the training bound and up to the family's (grammar 50, anbncn 30, dyck depth 10), and give "
    f"the largest n with every unit up to it clean: no step puts over {CLEAN} on symbols illegal in the language "
    "without its bound",
)
@click.option("--plot", is_flag=True, help="with --n-max: also chart each file's worst illegal mass against n")
def eval_(paths, as_json, markdown, units, seeds, seed, n_max, plot) -> int:
    """Judge networks under the verdict protocol and print a table, JSON or the README's markdown."""
    if as_json and markdown:
        raise click.UsageError("give --json or --markdown, not both")
    if plot and not n_max:
        raise click.UsageError("--plot charts the length test: give --n-max too")
    if n_max:
        if markdown:
            raise click.UsageError("--markdown is the verdict's table: not with --n-max")
        return length_test(paths, n_max, as_json, plot)
    seeds = [seed + s for s in seeds] if seeds == list(range(len(seeds))) else seeds
    consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    vp = VerdictProtocol(seeds=len(seeds), units=units, first_seed=seeds[0], listed=() if consecutive else tuple(seeds))
    rows, metas, errors = [], [], []
    for path in paths:
        try:
            net = read(path)
        except WeightsError as e:  # the other files are still judged; the errors come after their rows
            errors.append(str(e))
            continue
        task = task_for(net)
        check_memory(vp.peak_bytes(task, net.hidden), f"--units {units}")
        metas.append(net.meta)
        with progress(vp.seeds, f"eval {Path(path).name}") as update:
            v = judge(net, task, vp, progress=lambda done, total: update(done, f"seed {done}/{total}"))
        rows.append(
            {
                "file": str(path),
                "task": task.name,
                "hidden": net.size,
                **v.as_dict(),
                "target": task.target,
                "meets": v.verdict == "meets",
            }
        )
    if rows and as_json:
        print(json.dumps(rows, indent=2))
    elif rows and markdown:
        print(results_markdown(rows, metas), end="")
    elif rows:
        print_rows(rows, vp)
    for e in errors:
        print(f"rnnmem-tui: error: {e}", file=sys.stderr)
    return 2 if errors else 0


def length_test(paths, n_max: int, as_json: bool, plot: bool) -> int:
    """eval --n-max: each file's length test as a table or JSON, then the errors, then the chart."""
    rows, errors, series = [], [], {}
    for path in paths:
        try:
            net = read(path)
            task = task_for(net)
            got = lengths(net, task, n_max)
        except (WeightsError, ValueError) as e:
            errors.append(str(e))
            continue
        judged = net.meta.verdict or {}  # the training range's verdict, as recorded
        rows.append(
            {
                "file": str(path),
                "hidden": net.size,
                "cell": cell_of(net).name,
                "seed": net.meta.seed,
                "verdict": judged.get("verdict"),
                "bad_mean_interval": judged.get("bad_mean_interval"),
                "command": net.meta.command,
                **got.as_dict(),
            }
        )
        series[Path(path).stem] = (list(got.sizes), list(got.worst))
    if rows and as_json:
        print(json.dumps(rows, indent=2))
    elif rows:
        caption = (
            "one unit per size, teacher-forced after one burn-in unit of the training range's middle size; clean: every step puts at most "
            f"{CLEAN} on symbols illegal in the language without its bound"
        )
        with Table(
            [
                "file",
                "task",
                "cell",
                right("H"),
                right("trained to"),
                right("clean to"),
                "first unclean n (worst mass)",
            ],
            caption,
        ) as t:
            for r in rows:
                bad = next(((n, w) for n, w in r["worst"].items() if w > CLEAN), None)
                t.add(
                    Path(r["file"]).name,
                    r["task"],
                    r["cell"],
                    r["hidden"],
                    r["trained"],
                    "none" if r["clean"] is None else r["clean"],
                    "none" if bad is None else f"{bad[0]} ({bad[1]:.3f})",
                )
    for e in errors:
        print(f"rnnmem-tui: error: {e}", file=sys.stderr)
    if series and plot and not as_json:
        print(chart(series, "worst illegal mass per unit, against its size n", "n", (0, 1)))
    return 2 if errors else 0


def print_rows(rows: list[dict], vp: VerdictProtocol) -> None:
    """eval's table."""
    columns = ["file", "task", right("H"), "validity [95%]", "TVD [95%]", "bad mean [95%]", right("bad max")]
    caption = (
        f"verdict protocol: {vp.text()} after one burn-in unit each, {vp.bad_units} teacher-forced units per seed "
        "for bad mass; validity: Wilson interval on the pooled count; TVD and bad mass: bootstrap over the seeds"
    )
    with Table([*columns, "verdict", "target"], caption) as t:
        for r in rows:
            t.add(
                Path(r["file"]).name,
                r["task"],
                r["hidden"],
                interval(r["validity"], r["validity_interval"], 4),
                interval(r["tvd"], r["tvd_interval"], 3),
                interval(r["bad_mean"], r["bad_mean_interval"], 5),
                f"{r['bad_max']:.4f}",
                r["verdict"],
                target_text(r["target"]),
            )


@click.command(
    "sample",
    short_help="print text a network generates, with neurons zeroed or clamped",
    help="Sample from h = 0 after the start token. Grid games print one per row.",
)
@click.argument("path", metavar="PATH")
@click.option(
    "--n",
    type=o.Whole(1, o.MAX_SAMPLE),
    default=200,
    help=f"symbols to generate, at most {o.MAX_SAMPLE:.0e} (default 200); printed as they come",
)
@o.interventions
@o.seed("sampling seed")
@click.option("--temperature", type=o.POSITIVE, default=1.0, help="softmax temperature (default 1)")
def sample(path, n, zero, clamp, seed, temperature) -> int:
    """Print generated text as it comes, grid games one per row; a validity summary goes to stderr."""
    net = read(path)
    task = task_for(net)
    iv = parse_interventions(zero, clamp, net)
    rng = np.random.default_rng(seed)
    h, x = np.zeros(net.hidden), int(net.index(task.end)[0])
    pending, ok, done, left = "", 0, 0, n
    while left:  # in chunks, so that the first lines show at once and memory stays flat
        out, h = net.sample(h, x, min(left, 4096), rng, temperature, iv)
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


@click.command(
    "trace",
    short_help="write a network's steps (symbols, hidden states, probabilities) to .npz or .csv",
    help="Step a network from h = 0 as the explorer does and write one row per step: row t for the symbol read "
    "at step t, row 0 the start token. An .npz holds symbols (T,), h (T, H) after the interventions, p (T, V), "
    "vocab, zeroed (k,) and clamped (m, 2); a .csv has the columns t, symbol, h0..h{H-1}, p_<symbol>. The rows go "
    "to disk as they come, so memory stays flat; a run the free disk cannot hold is refused before it starts, and "
    "a Ctrl-C writes the steps done (exit 130).",
)
@click.argument("path", metavar="PATH")
@click.option("--steps", type=o.Whole(1, o.MAX_SAMPLE), default=1000, help="rows to write (default 1000)")
@o.interventions
@click.option(
    "--mode",
    type=click.Choice(["sample", "teacher"]),
    default="sample",
    help="sample: the network writes; teacher: valid units are fed in (default sample)",
)
@o.seed("seed of the draws and of the teacher")
@click.option("--temperature", type=o.POSITIVE, default=1.0, help="softmax temperature (default 1)")
@o.out("where to write: FILE.npz or FILE.csv", metavar="FILE")
def trace(path, steps, zero, clamp, mode, seed, temperature, out, force) -> int:
    """Stream a network's steps to --out (.npz or .csv), checked before the run; a Ctrl-C keeps the steps done."""
    from .. import trace as tracing

    tracing.check_format(out)
    dest = check_destination(out, force)
    net = read(path)
    task = task_for(net)
    iv = parse_interventions(zero, clamp, net)
    check_disk(dest.parent, tracing.disk_bytes(dest, steps, net.hidden, len(net.vocab)), f"--steps {steps}")
    with first_ctrl_c_asks() as stopped:
        about = {"network": str(path), "task": task.name, "mode": mode, "seed": seed, "temperature": temperature}
        went, rows = tracing.stream(
            dest, net, task, steps, iv, force, about, mode=mode, seed=seed, temperature=temperature, should_stop=stopped
        )
    if went != dest:
        print(f"rnnmem-tui: {dest} was taken while this ran; wrote to {went} instead", file=sys.stderr)
    held = f" with {describe(iv)}" if iv else ""
    done = f"{rows} of {steps}" if rows < steps else f"{rows}"
    says = f"wrote {went}: {done} steps of {cell_of(net).size_text(net.size)}{held}"
    print(f"interrupted: {says}" if stopped() else says, file=sys.stderr)
    return 130 if stopped() else 0


@contextmanager
def first_ctrl_c_asks() -> Iterator[Callable[[], bool]]:
    """Within, a first Ctrl-C only asks the work to stop (the test given turns true), so that it can end with what
    is done; a second one interrupts at once. Where Python's own Ctrl-C handler is not in place, nothing changes."""
    asked: list[int] = []

    def ask(signum, frame) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)

    main = threading.current_thread() is threading.main_thread()  # where signal handlers can be set
    ours = main and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ours:
        signal.signal(signal.SIGINT, ask)
    try:
        yield lambda: bool(asked)
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)


@click.command(
    "figures",
    short_help="redraw the seed study's nine figures in the explorer and save each as SVG and PNG",
    help="Open the explorer headless on each figure's network, press the keys that reproduce the figure (the "
    "study's figures page lists them) and save the view in figure mode, its rows labelled with their roles and "
    "a caption under it, as OUT/NAME.svg and OUT/NAME.png (drawn with the bundled font).",
)
@click.option("--out", default="docs/figures", metavar="DIR", help="where to write (default docs/figures)")
@click.option("--only", multiple=True, metavar="NAME,...", help="only these figures, e.g. toprow,opt (repeatable)")
def figures(out, only) -> int:
    """Redraw the study's figures into --out, an SVG and a PNG each, and say which were written."""
    from ..figures import FIGURES, make_figures  # the explorer loads only when it is wanted

    only = [name for names in only for name in names.split(",")]
    unknown = sorted(set(only) - {f.name for f in FIGURES})
    if unknown:
        raise ValueError(f"no figure {unknown[0]}; the figures are {', '.join(f.name for f in FIGURES)}")
    check_folder(Path(out).parent if Path(out).parent.exists() else Path("."), "--out")
    for path in make_figures(out, only or None):
        print(f"wrote {path}", file=sys.stderr)
    return 0


COMMANDS = (eval_, sample, trace, figures)
