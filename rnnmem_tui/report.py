"""Results as text generated from the data: the tables of the shipped networks, and the marked blocks of the
README and the docs that hold them, rewritten from the data or checked against it for drift."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from . import cellstudy
from .cells import cell_of
from .meta import Meta
from .paths import data_dir
from .tasks import load_spec
from .weights import load

BLOCK = re.compile(r"(<!-- report:([a-z0-9-]+) -->\n)(.*?)(<!-- /report -->)", re.S)
RESULT = re.compile(  # how a result is reported: a figure with its interval, or a count of runs that did something
    r"\d\.\d+ \[\d\.\d+, \d\.\d+\]|\b\d+ (?:of|/) \d+ (?:runs|seeds|networks|meet)"
)
CODE = re.compile(r"`[^`\n]*`")  # an example in backticks is not a claim
EXEMPT = ("DESIGN.md", "changelog.md")  # the contracts, and the log of what was measured when


def interval(x: float, ci: list[float] | tuple[float, float], digits: int) -> str:
    """A figure and its 95% interval, e.g. `0.9927 [0.9919, 0.9934]`."""
    return f"{x:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def target_text(target: dict) -> str:
    """A task's target as text, e.g. `validity>=0.99 tvd<=0.05`."""
    parts = [
        f"validity>={target['validity']}" if "validity" in target else "",
        f"tvd<={target['tvd']}" if "tvd" in target else "",
        f"bad<={target['bad_mass']}" if "bad_mass" in target else "",
    ]
    return " ".join(p for p in parts if p) or "none"


def results_markdown(rows: list[dict], metas: list[Meta]) -> str:
    """The results table: how each file was made (its meta) and its verdict, with intervals and the worst-case
    bad mass. A row is a verdict's figures with the file, its task's name and its target."""
    lines = [
        "| file | command | seed | updates | validity [95%] | TVD [95%] | bad mass mean [95%] / max | verdict "
        "| the study |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r, meta in zip(rows, metas):
        size = Path(r["file"]).stem.removeprefix(r["task"] + "-")  # "4", "optimal-10"
        claim = load_spec(r["task"]).get("claims", {}).get(size, "")
        made = meta.seed is not None  # trained, not hand-built
        seed, steps = (meta.seed, meta.steps) if made else ("-", "-")
        lines.append(
            f"| {Path(r['file']).name} | `{meta.command or '?'}` | {seed} | {steps} | "
            f"{interval(r['validity'], r['validity_interval'], 4)} | {interval(r['tvd'], r['tvd_interval'], 3)} | "
            f"{interval(r['bad_mean'], r['bad_mean_interval'], 5)} / {r['bad_max']:.4f} | "
            f"{r['verdict']} {target_text(r['target'])} | {claim} |"
        )
    return "\n".join(lines) + "\n"


def shipped_networks() -> str:
    """Every shipped network's row, from the verdict its file records (nothing is measured again)."""
    rows, metas = [], []
    for path in sorted(data_dir("weights").glob("*.npz")):
        meta = load(path).meta
        task = meta.spec or meta.task
        rows.append({"file": path.name, "task": task, **meta.verdict, "target": meta.target or {}})
        metas.append(meta)
    return results_markdown(rows, metas)


KINDS = ("bit", "counter", "flag", "phase", "parity", "input", "correlational", "unexplained")  # roles table columns
TASKS = ("tasks/__init__.py", "tasks/base.py", "tasks/lines.py", "tasks/grid.py", "tasks/formal.py")
EXPLAIN = ("roles.py", "probe.py", "scores.py", "nulls.py", "nulls.json", "metrics.py", "model.py", *TASKS)
ANALYSES = {  # an analysis -> the code its answer rests on
    "neuron_roles": EXPLAIN,
    "foresight": EXPLAIN,
    "layout_record": (*EXPLAIN, "layouts.py"),
    "random_roles": EXPLAIN,
    "machine_of": ("automaton.py", "fsm.py", "model.py"),
    "points_of": ("dynamics.py", "model.py"),
}
MACHINES = (
    "count-2",
    "count-optimal-2",
    "fill-10",
    "fill-optimal-10",
    "grammar-4",
    "grammar-optimal-4",
)  # dynamics page
LAYOUT_DIR = Path("docs") / "study" / "layouts"  # ten trained networks of each shape of LAYOUTS
CACHE = "report-cache.json"  # beside the pages, under docs/


def analysis_key(path: Path, analysis: str) -> str:
    """What a cached analysis of a file rests on: the file's bytes and the code of the analysis; of the random
    nulls (nulls.json), only the shapes the file's networks have, so that measuring another shape's null
    leaves the rest of the cache standing."""
    h = hashlib.sha256(path.read_bytes())
    pkg = Path(__file__).resolve().parent
    for name in ANALYSES[analysis] + cell_code(path):
        data = null_part(path) if name == "nulls.json" else (pkg / name).read_bytes()
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()[:20]


def cell_code(path: Path) -> tuple[str, ...]:
    """The code a weights file's cell adds to what its analyses rest on: none for the rnn, whose kernels are
    model.py's; a gated or ReLU cell's module and the stacked kernels of cells/base.py otherwise."""
    if path.suffix != ".npz":
        return ()
    cell = cell_of(load(path)).name
    return () if cell == "rnn" else ("cells/base.py", f"cells/{cell}.py")


def null_part(path: Path) -> bytes:
    """The entries of the shipped null table that an analysis of `path` rests on, with the table's version: a
    weights file's own shape, or each shape a controls file lists."""
    import tomllib

    from .nulls import SHIPPED, shape_key
    from .tasks import load_task
    from .weights import task_for

    if path.suffix == ".npz":
        net = load(path)
        shapes = [shape_key(task_for(net), net.size, cell_of(net).name)]
    else:
        shapes = [shape_key(load_task(name), h) for name, h in tomllib.loads(path.read_text())["shapes"]]
    table = json.loads(SHIPPED.read_text())
    part = {"version": table.get("version"), "shapes": {k: table.get("shapes", {}).get(k) for k in shapes}}
    return json.dumps(part, sort_keys=True).encode()


def neuron_roles(path: Path) -> list[dict]:
    """Each neuron of a shipped network as `explain` finds it (its defaults): its label (`bit: cell 4 filled
    (AUC 1.00)`), what it counts as among findings (its strongest role's kind, `correlational` for a role
    without causal effect, or `unexplained`) and that role's kind and feature in the task's words."""
    from .roles import explain
    from .weights import task_for

    net = load(path)
    return [
        {"label": n.label, "finding": n.finding, "role": [n.top.kind, n.top.text] if n.top else None}
        for n in explain(net, task_for(net))
    ]


ANTICIPATION = ("three-in-a-row-13", "three-in-a-row-30")  # the study's "a move early" neuron, tested


def foresight(path: Path) -> dict:
    """The two tests of a neuron that fires a move early: teacher-forced, each neuron's best role for a line
    "one move from complete" at lag 0 (`ranked`, with its null and pass, from one probe of the network), and on
    the network's own sampled games, the best neuron a step ahead of a line's completion (`anticipation`)."""
    from .probe import STREAMS, UNITS
    from .roles import anticipation, ranked, verdict
    from .weights import task_for

    net = load(path)
    task = task_for(net)
    v, near = verdict(net, task, 0, STREAMS, UNITS, None), []
    for f in (f for f in task.state_features if f.name.endswith("_near")):
        n, ok = ranked(v, f, net.hidden)[0]
        r = n.roles[0]
        near.append([f.text, n.neuron, r.lag, round(r.score, 4), [round(v, 4) for v in r.interval], r.threshold, ok])
    near.sort(key=lambda row: -row[3])
    feature, neuron, score = next(a for a in anticipation(net, task) if a[0].endswith("_complete"))
    words = next(f.text for f in task.state_features if f.name == feature)
    passing = sum(row[-1] for row in near)
    return {"near": near[0], "passing": passing, "lines": len(near), "ahead": [words, neuron, round(score, 4)]}


def passes(ok: bool, hi: float, threshold: float) -> str:
    """A role's test in words: passes, undecided (its interval straddles the threshold) or does not pass."""
    return "passes" if ok else "undecided: its interval straddles it" if hi >= threshold else "does not pass"


def anticipation_table(cache: dict) -> str:
    """The foresight of the three-in-a-row networks, one line each."""
    lines = []
    for name in ANTICIPATION:
        a = cached(cache, data_dir("weights") / f"{name}.npz", foresight)
        text, neuron, lag, score, (lo, hi), threshold, ok = a["near"]
        at = {0: "", -1: ", a move late", 1: ", a move early"}[lag]
        words, ahead, auc = a["ahead"]
        lines.append(
            f'- **{name}**: teacher-forced, {a["passing"]} of {a["lines"]} lines have a neuron for "one move from complete"; '
            f'the strongest is neuron {neuron} for "{text}"{at}, AUC {score:.2f} [{lo:.2f}, {hi:.2f}] against '
            f"the {threshold:.2f} it must reach ({passes(ok, hi, threshold)}). On its own sampled games, "
            f'the neuron that best foretells a line\'s completion a move ahead is neuron {ahead}, for "{words}", '
            f"AUC {auc:.2f} ({'at' if auc >= 0.9 else 'below'} the 0.90 floor of a flag)."
        )
    return "\n".join(lines) + "\n"


LAYOUTS = ("count-2", "fill-10", "fill-5", "grammar-3", "grammar-4", "three-in-a-row-30")  # docs/study/layouts


def layout_record(path: Path) -> dict:
    """A trained network's recorded verdict, its layout (the set of its causal memory roles), its strongest
    role per neuron, and for a fill task the cells each neuron holds (`layouts.py`)."""
    from .layouts import cells_held, layout, memory, primary
    from .roles import explain
    from .weights import task_for

    net = load(path)
    task = task_for(net)
    neurons = explain(net, task)
    cells = cells_held(neurons) if task.family == "fill" else None
    return {
        "verdict": net.meta.verdict["verdict"],
        "layout": layout(neurons),
        "primary": primary(neurons),
        "neurons": [memory(n) for n in neurons],
        "cells": cells,
    }


def in_words(lay: list) -> str:
    """A layout in few words: its cell bits as one list (`cell bits 0, 1 x3, 4`), then each other role."""
    cells = Counter(text.split()[1] for kind, text in lay if kind == "bit" and text.startswith("cell "))
    rest = Counter(f"{kind}: {text}" for kind, text in lay if not (kind == "bit" and text.startswith("cell ")))
    order = sorted(cells, key=lambda c: (len(c), c))  # cells by their symbol: 0-9, then a-f on a 4x4 grid
    said = ["cell bits " + ", ".join(f"{c}" + (f" x{cells[c]}" if cells[c] > 1 else "") for c in order)]
    said = said if cells else []
    said += [f"{k} x {role}" if k > 1 else role for role, k in rest.items()]
    return " + ".join(said) or "no memory role"


def layouts_table(root: Path, cache: dict) -> str:
    """How often each layout occurs over the ten trained networks of each shape (docs/study/layouts), apart for
    those that meet and those that do not: by each neuron's strongest role, and how many distinct full sets."""
    lines = []
    for name in LAYOUTS:
        records = layout_records(root, cache)(name)
        for group, mine in (
            ("meet", [r for r in records if r["verdict"] == "meets"]),
            ("do not meet", [r for r in records if r["verdict"] != "meets"]),
        ):
            if not mine:
                continue
            common, k = Counter(tuple(map(tuple, r["primary"])) for r in mine).most_common(1)[0]
            distinct = len({tuple(map(tuple, r["layout"])) for r in mine})
            shared = (
                f"the commonest layout by each neuron's strongest role, in {k} of {len(mine)}, is {in_words(list(common))}"
                if k > 1 or len(mine) == 1
                else "no two share a layout, even by each neuron's strongest role"
            )
            lines.append(
                f"- **{name}**, the {len(mine)} of {len(records)} networks that {group}: {shared}; counting every "
                f"passing role, {distinct} distinct layout{'s' * (distinct != 1)}."
            )
        cells = [c for r in records if r["cells"] for c in r["cells"]]
        if cells and name == "fill-5":
            held = Counter(min(c, 2) for c in cells)
            per_net = sorted(sum(c > 0 for c in r["cells"]) for r in records)
            lines.append(
                f"- **{name}**, cells held: of its {len(cells)} neurons over {len(records)} networks, {held[0]} hold "
                f"no cell, {held[1]} hold one and {held[2]} hold two or more; in each network, {per_net[0]} to "
                f"{per_net[-1]} of its 5 neurons hold a cell."
            )
    return "\n".join(lines) + "\n"


CONTROLS = Path("docs") / "study" / "controls.toml"  # the random networks explain is checked on
MEMORY_KINDS = ("bit", "counter", "flag", "phase", "parity")


def random_roles(path: Path) -> list[dict]:
    """For each shape of the controls file: how many memory roles pass on its random N(0, 1) networks (every
    role of every neuron, without causal evidence), on how many neurons, and the roles themselves."""
    import tomllib

    from .nulls import SEED, random_net
    from .roles import explain
    from .tasks import load_task

    spec = tomllib.loads(path.read_text())
    seeds = range(spec["first_seed"], spec["first_seed"] + spec["nets"])
    if seeds.stop > SEED:
        raise ValueError(f"{path}: its seeds reach the null's own networks (from {SEED})")
    out = []
    for name, hidden in spec["shapes"]:
        task, found = load_task(name), []
        for s in seeds:
            for n in explain(random_net(task, hidden, s), task, causal=False):
                found += [[s, n.neuron, r.label] for r in n.roles if r.kind in MEMORY_KINDS]
        out.append(
            {
                "task": name,
                "hidden": hidden,
                "nets": len(seeds),
                "seeds": [seeds.start, seeds.stop - 1],
                "roles": found,
                "allowed": spec["allowed"],
            }
        )
    return out


def controls_table(root: Path, cache: dict) -> str:
    """The random-network control, one line per shape: the memory roles that pass against the limit."""
    lines = []
    for c in cached(cache, root / CONTROLS, random_roles):
        k, held = len(c["roles"]), len({(s, n) for s, n, _ in c["roles"]})
        shown = "; ".join(f"network {s} neuron {n}: {label}" for s, n, label in c["roles"][:3])
        lines.append(
            f"- **{c['task']}, H={c['hidden']}**: {c['nets']} random networks (seeds {c['seeds'][0]}-{c['seeds'][1]}), "
            f"{c['nets'] * c['hidden']} neurons: {k} memory role{'s' * (k != 1)} pass, on {held} neuron{'s' * (held != 1)} "
            f"({'within' if k <= c['allowed'] else 'over'} the {c['allowed']} allowed)"
            + (f"; {shown}" if k else "")
            + "."
        )
    return "\n".join(lines) + "\n"


def cached(cache: dict, path: Path, analyse: Callable[[Path], object]) -> object:
    """An analysis of a file, from the cache when neither the file nor the analysis's code has changed."""
    key, rests_on = f"{path.name}:{analyse.__name__}", analysis_key(path, analyse.__name__)
    entry = cache.get(key)
    if entry is None or entry["key"] != rests_on:
        entry = cache[key] = {"key": rests_on, "value": analyse(path)}
    return entry["value"]


def findings(cache: dict) -> str:
    """Per shipped network: its recorded verdict with the validity interval, and each neuron's strongest role."""
    lines = []
    for path in sorted(data_dir("weights").glob("*.npz")):
        net = load(path)
        v, names = net.meta.verdict, cell_of(net).unit_names(net.size)  # an LSTM's h0.., c0..
        lo, hi = v["validity_interval"]
        roles = "; ".join(f"{names[i]} {n['label']}" for i, n in enumerate(cached(cache, path, neuron_roles)))
        lines.append(f"- **{path.stem}**: {v['verdict']}, validity {v['validity']:.4f} [{lo:.4f}, {hi:.4f}]. {roles}.")
    return "\n".join(lines) + "\n"


def summary(cache: dict) -> str:
    """Per task, each shipped network's verdict and what its neurons hold in few words: the findings (memory and
    input roles with causal effect, by each neuron's strongest role), then how many are correlational or
    unexplained."""
    from .tasks import task_names

    lines = []
    for task in task_names():
        said = []
        for path in sorted(data_dir("weights").glob(f"{task}-*.npz")):
            if (load(path).meta.spec or load(path).meta.task) != task:
                continue
            neurons = cached(cache, path, neuron_roles)
            found = [tuple(n["role"]) for n in neurons if n["finding"] not in ("correlational", "unexplained")]
            rest = Counter(n["finding"] for n in neurons if n["finding"] in ("correlational", "unexplained"))
            extra = "".join(f", {k} {kind}" for kind, k in sorted(rest.items()))
            said.append(f"{path.stem} {load(path).meta.verdict['verdict']}: {in_words(found)}{extra}")
        if said:
            lines.append(f"- **{task}**: " + "; ".join(said) + ".")
    return "\n".join(lines) + "\n"


def machine_of(path: Path) -> dict:
    """`automaton`'s summary of a network (its defaults): its machine against the task's."""
    from .automaton import report as machine
    from .weights import task_for

    net = load(path)
    r = machine(net, task_for(net)).as_json()
    return {k: r[k] for k in ("states", "task_states", "raw_states", "resolution", "agreement", "steps", "one_to_one")}


def points_of(path: Path) -> dict:
    """`fixed-points`' count of each kind of point (stable, saddle, unstable, slow) over every symbol's map."""
    from .dynamics import fixed_points
    from .weights import task_for

    net = load(path)
    return dict(sorted(Counter(p.kind for p in fixed_points(net, task_for(net))).items()))


def machines_table(cache: dict, names: tuple[str, ...] = MACHINES) -> str:
    """The extracted machines and fixed points of the named shipped networks (the dynamics page's by default)."""
    lines = [
        "| network | its machine: states (quantised, step) | the task's states | one to one | agreement (steps) "
        "| fixed and slow points, over every symbol's map |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        path = data_dir("weights") / f"{name}.npz"
        m, pts = cached(cache, path, machine_of), cached(cache, path, points_of)
        kinds = ", ".join(f"{n} {k}" for k, n in pts.items())
        lines.append(
            f"| {name} | {m['states']} ({m['raw_states']}, {m['resolution']:g}) | {m['task_states']} | "
            f"{'yes' if m['one_to_one'] else 'no'} | {m['agreement']:.4f} ({m['steps']}) | {kinds} |"
        )
    return "\n".join(lines) + "\n"


def roles_table(cache: dict) -> str:
    """Every shipped network's neurons counted by the kind of their strongest role, as `explain` finds them."""
    lines = ["| network | neurons | " + " | ".join(KINDS) + " |", "|---|---|" + "---|" * len(KINDS)]
    for path in sorted(data_dir("weights").glob("*.npz")):
        kinds = Counter(n["finding"] for n in cached(cache, path, neuron_roles))
        cells = [str(kinds.get(k, 0)) for k in KINDS]
        lines.append(f"| {path.stem} | {sum(kinds.values())} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def sizes_table(root: Path) -> str:
    """Every size searched, from the search records in docs/searches/*.jsonl (superseded runs left out): the
    verdicts of its runs, the best and median verdict validity, and where no run meets, the one-sided 95%
    Clopper-Pearson upper bound on the rate of runs that meet (a size not found is a bound, not "impossible")."""
    from .searches import distinct, summary
    from .searches import load as load_records

    records = [r for p in sorted((root / "docs" / "searches").glob("*.jsonl")) for r in load_records(p)]
    lines = [
        "| task | hidden | runs | meets | undecided | misses | best validity | median | meets at most (95%) "
        "| tried: seeds, rates, budgets, recipe | curves |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs = distinct(records)
    for s in summary(records):
        bound = f"{s.upper:.2f} of runs" if s.upper is not None else ""
        mine = [r for r in runs if (r.task, r.cell, r.hidden) == (s.task, s.cell, s.hidden)]
        lines.append(
            f"| {s.task} | {s.hidden} | {s.runs} | {s.meets} | {s.undecided} | {s.misses} | {s.best:.4f} | "
            f"{s.median:.4f} | {bound} | {tried(mine)} | {rising(mine)} |"
        )
    return "\n".join(lines) + "\n"


def tried(runs: list) -> str:
    """The seeds, learning rates, budgets and recipes of a size's runs, e.g. `seeds 0-4; lr 0.01, 0.02; 20000`."""
    seeds = sorted({r.seed for r in runs})
    span = f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds))
    rates = ", ".join(f"{lr:g}" for lr in sorted({r.lr for r in runs if r.lr is not None}))
    budgets = ", ".join(str(b) for b in sorted({r.budget for r in runs if r.budget}))
    recipes = ", ".join(sorted({r.recipe for r in runs}))
    return f"seeds {span}; lr {rates}; {budgets} updates; {recipes}"


def rising(runs: list) -> str:
    """Whether a size's median curve was still rising at the end of its largest budget, as `sweep --grow-to`
    judges it: what the median over the runs of each one's best validation so far gained over the budget's
    second half ("unrecorded" where no run holds a curve); for each recipe, when the size was searched with
    more than one."""
    from .searches import FLAT, growths

    grew = growths(runs)
    if not grew:
        return "unrecorded"
    said = [
        f"{'still rising' if gain >= FLAT else 'flat'} (the median curve gained {gain:+.4f} over the second half "
        f"of {budget} updates)"
        for budget, gain in grew.values()
    ]
    return said[0] if len(said) == 1 else "; ".join(f"{k}: {t}" for k, t in zip(grew, said))


def minimums(root: Path) -> list[dict]:
    """Each searched task's two bounds: the study's size (None when it has none), the smallest construction
    (None when there is none), the smallest searched size where some run meets, and the size just under it
    (`searches.Size`, None when either is not searched)."""
    from .constructions import sizes as built
    from .searches import load as load_records
    from .searches import summary
    from .tasks import load_task, task_names

    found = summary([r for p in sorted((root / "docs" / "searches").glob("*.jsonl")) for r in load_records(p)])
    out = []
    for name in task_names():
        spec, mine = load_spec(name), [s for s in found if s.task == name]
        if not mine:
            continue
        low = min((s for s in mine if s.meets), key=lambda s: s.hidden, default=None)
        under = low.hidden - 1 if low else max(s.hidden for s in mine)
        below = next((s for s in mine if s.hidden == under), None)
        study = spec.get("hidden") if spec.get("study") else None
        out.append(
            {
                "task": name,
                "study": study,
                "built": min(built(load_task(name)), default=None),
                "low": low,
                "below": below,
            }
        )
    return out


def below_text(below) -> str:
    """The size under the smallest that meets: its runs, and the Clopper-Pearson bound when none meets."""
    if below is None:
        return "not searched"
    bound = f"; meets in at most {below.upper:.2f} of runs (95%)" if below.upper is not None else ""
    return f"{below.hidden}: {below.meets} of {below.runs} meet, best {below.best:.4f}{bound}"


def minimums_table(root: Path) -> str:
    """Each task's minimum as its two bounds: the smallest construction above, and below, the smallest searched
    size where some run meets with the size under it (its runs, and the Clopper-Pearson bound when none meets)."""
    lines = [
        "| task | the study | smallest construction | smallest size searched where a run meets | the size below |",
        "|---|---|---|---|---|",
    ]
    for m in minimums(root):
        low = m["low"]
        met = f"{low.hidden}: {low.meets} of {low.runs} runs, best {low.best:.4f}" if low else "no searched size meets"
        built = "none yet" if m["built"] is None else m["built"]
        lines.append(f"| {m['task']} | {m['study'] or '-'} | {built} | {met} | {below_text(m['below'])} |")
    return "\n".join(lines) + "\n"


def sizes_against_study(root: Path) -> str:
    """Each searched task's sizes in words beside the study's: the smaller of the trained and built sizes bounds
    its minimum from above; the search at the size under the smallest trained one says what training finds."""
    lines = []
    for m in minimums(root):
        low, built = m["low"], m["built"]
        ups = [x for x in (low.hidden if low else None, built) if x is not None]
        said = [f"training meets at {low.hidden}" if low else "no searched size meets"]
        said.append(f"a construction at {built}" if built is not None else "no construction yet")
        most = f"at most {min(ups)} neuron{'s' * (min(ups) > 1)}" if ups else "no size known to suffice"
        most += f" ({', '.join(said)})"
        if m["study"] is None:
            where = "not in the study"
        elif ups and min(ups) < m["study"]:
            where = f"fewer than the study's {m['study']}"
        else:
            where = f"the study's {m['study']} is not bettered"
        if low and low.hidden == 1:
            under = "no smaller network exists"
        elif low is None:
            under = f"training at the largest size searched: {below_text(m['below'])}"
        else:
            under = f"training one size under the smallest that meets: {below_text(m['below'])}"
        lines.append(f"- **{m['task']}**: {most}; {where}; {under}.")
    return "\n".join(lines) + "\n"


def bench_groups(root: Path) -> Iterator[tuple[str, dict, dict[tuple, list[dict]]]]:
    """Each recorded bench (`bench --json`, kept in docs/bench/*.json) as its name, the machine it names and its
    runs grouped by (task, cell, hidden, side), in the order they first appear."""
    for path in sorted((root / "docs" / "bench").glob("*.json")):
        bench = json.loads(path.read_text())
        groups: dict[tuple, list[dict]] = {}
        for r in bench["runs"]:
            groups.setdefault((r["task"], r.get("cell", "rnn"), r["hidden"], r["side"]), []).append(r)
        yield path.stem, bench.get("machine", {}), groups


def bench_table(root: Path) -> str:
    """Each recorded bench run (`bench --json`, kept in docs/bench/*.json): per task, cell and side, the runs
    whose verdict meets the target, the median time and updates of those that do, the other side's median
    time over ours, and the arithmetic the record names (numpy's SIMD targets and OpenBLAS's kernels)."""
    lines = [
        "| record | task | cell | hidden | side | meets | median seconds (runs that meet) "
        "| median updates (runs that meet) | time against ours | arithmetic |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, where, groups in bench_groups(root):
        arith = f"{where['simd']}; {where['blas_core']}" if "simd" in where else "not recorded"
        meets = {key: [r for r in got if r["verdict"] == "meets"] for key, got in groups.items()}
        medians = {key: statistics.median(r["seconds"] for r in met) for key, met in meets.items() if met}
        for key, got in groups.items():
            met, ours = meets[key], medians.get((*key[:3], "ours"))
            secs = f"{medians[key]:.1f}" if met else "-"
            ups = f"{statistics.median(r['updates'] for r in met):.0f}" if met else "-"
            ratio = f"{medians[key] / ours:.1f}x" if key[3] != "ours" and ours and key in medians else ""
            lines.append(
                f"| {name} | {' | '.join(map(str, key))} | {len(met)} / {len(got)} | {secs} | {ups} | {ratio} "
                f"| {arith} |"
            )
    return "\n".join(lines) + "\n"


STOPS = {  # why a bench run stopped, by its stopped_by
    "steps": "it ran its whole budget of {} updates",
    "target": "it stopped at {} updates, once one confirming stream met the target with the margin to spare",
    "time": "the time cap stopped it at {} updates",
}


def bench_misses(root: Path) -> str:
    """Per recorded bench and task, whether our trainer met the target on at least nine seeds in ten, and each of
    its runs that did not meet, with why: the verdict and validity, and how the run stopped."""
    lines = []
    for name, _, groups in bench_groups(root):
        for (*task, side), got in groups.items():
            if side != "ours":
                continue
            met = sum(r["verdict"] == "meets" for r in got)
            goal = "reaches" if met >= 0.9 * len(got) else "falls short of"
            misses = [
                f"seed {r['seed']} {r['verdict']} at validity {r['validity']:.4f} "
                f"({STOPS.get(r['stopped_by'], r['stopped_by']).format(r['updates'])})"
                for r in got
                if r["verdict"] != "meets"
            ]
            lines.append(
                f"- {name}, {task[0]} ({task[1]}, {task[2]} units): meets on {met} of {len(got)} seeds, so "
                f"{goal} nine in ten" + (f"; {'; '.join(misses)}" if misses else "") + "."
            )
    return "\n".join(lines) + "\n"


def layout_records(root: Path, cache: dict) -> Callable[[str], list[dict]]:
    """The layout records (`layout_record`) of the ten trained networks of a shape, by its name (`fill-10`)."""
    return lambda name: [cached(cache, p, layout_record) for p in sorted((root / LAYOUT_DIR).glob(f"{name}-s*.npz"))]


def study_table(root: Path, cache: dict) -> str:
    """The study's claims, each with our evidence and the word its written rule gives (claims.py)."""
    from .claims import table

    return table(root, layout_records(root, cache))


def figures_table(cache: dict) -> str:
    """The study's figures as we draw them: each with what it shows, the command and keys that redraw it in the
    explorer, and our SVG; a figure that chooses its neurons by role names them from the generated results."""
    from .figures import FIGURES

    lines = ["| the study's figure | what it shows | command | keys | ours |", "|---|---|---|---|---|"]
    for f in FIGURES:
        labels = [n["label"] for n in cached(cache, data_dir("weights") / f"{f.network}.npz", neuron_roles)]
        keys, caption = f.chosen_from(labels if f.choose else [])
        cell = lambda text: text.replace("|", "\\|")  # noqa: E731
        lines.append(
            f"| {f.name}.png | {cell(caption)} | `{f.command}` | `{cell(f.text_of(keys))}` | "
            f"[{f.name}.svg](figures/{f.name}.svg) |"
        )
    return "\n".join(lines) + "\n"


def keys_table() -> str:
    """The explorer's keys, from its bindings and the views' registry (`screens.keys.markdown`)."""
    from .screens.keys import markdown

    return markdown() + "\n"


def study_rules() -> str:
    """The written rules that choose each claim's word, from the rules' own docstrings."""
    from .claims import rules_text

    return rules_text()


BLOCKS: dict[str, Callable[[Path, dict], str]] = {  # a block's name -> its text, from the checkout and the cache
    "networks": lambda root, cache: shipped_networks(),
    "roles": lambda root, cache: roles_table(cache),
    "findings": lambda root, cache: findings(cache),
    "summary": lambda root, cache: summary(cache),
    "anticipation": lambda root, cache: anticipation_table(cache),
    "layouts": lambda root, cache: layouts_table(root, cache),
    "controls": lambda root, cache: controls_table(root, cache),
    "machines": lambda root, cache: machines_table(cache),
    "sizes": lambda root, cache: sizes_table(root),
    "minimums": lambda root, cache: minimums_table(root),
    "against-study": lambda root, cache: sizes_against_study(root),
    "bench": lambda root, cache: bench_table(root),
    "bench-misses": lambda root, cache: bench_misses(root),
    "cell-sizes": lambda root, cache: cellstudy.cell_sizes(root),
    "cell-parameters": lambda root, cache: cellstudy.cell_parameters(root),
    "cell-defaults": lambda root, cache: cellstudy.defaults_table(root),
    "lengths": lambda root, cache: cellstudy.lengths_table(root),
    "cell-layouts": lambda root, cache: cellstudy.cell_layouts(root, layout_records(root, cache)),
    "cell-machines": lambda root, cache: machines_table(cache, cellstudy.CELL_MACHINES),
    "predictions": lambda root, cache: cellstudy.predictions(root),
    "study": lambda root, cache: study_table(root, cache),
    "study-rules": lambda root, cache: study_rules(),
    "figures": lambda root, cache: figures_table(cache),
    "keys": lambda root, cache: keys_table(),
}


def fill(text: str, blocks: dict[str, str]) -> str:
    """`text` with each marked block's body replaced by the generated text of that name; raises ValueError
    for a block of an unknown name."""

    def body(m: re.Match) -> str:
        if m[2] not in blocks:
            raise ValueError(f"unknown report block {m[2]!r}; known: {', '.join(sorted(blocks))}")
        return m[1] + blocks[m[2]] + m[4]

    return BLOCK.sub(body, text)


def documents(root: Path) -> list[Path]:
    """The files that may hold report blocks: README.md and the Markdown pages under docs/."""
    return [p for p in [root / "README.md", *sorted((root / "docs").rglob("*.md"))] if p.is_file()]


def drift(root: Path, blocks: dict[str, str]) -> list[str]:
    """A unified diff of every document whose blocks differ from the generated text (empty: no drift)."""
    out = []
    for path in documents(root):
        text = path.read_text()
        want = fill(text, blocks)
        if want != text:
            rel = str(path.relative_to(root))
            out += difflib.unified_diff(text.splitlines(True), want.splitlines(True), rel, f"{rel} (generated)")
    return out


def typed_results(root: Path) -> list[str]:
    """Each result typed outside a report block (a figure with its interval, or a count such as `7 of 15 runs`;
    an example in backticks is not one) in the README or a docs page, as `path:line: text`; DESIGN.md and the
    changelog are exempt. Empty: every result so shaped is generated."""
    out = []
    for path in documents(root):
        if path.name in EXEMPT:
            continue
        text = BLOCK.sub(lambda m: "\n" * m[0].count("\n"), path.read_text())
        for n, line in enumerate(text.splitlines(), 1):
            if RESULT.search(CODE.sub("", line)):
                out.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    return out


def stale_figures(root: Path) -> list[str]:
    """The study's figures in docs/figures that differ from what `figures` draws now (none when the checkout
    has no docs/figures)."""
    import tempfile

    from .figures import make_figures

    folder = root / "docs" / "figures"
    if not folder.is_dir():
        return []
    with tempfile.TemporaryDirectory() as tmp:
        drawn = make_figures(tmp)
        return [
            p.name for p in drawn if not (folder / p.name).is_file() or (folder / p.name).read_bytes() != p.read_bytes()
        ]


def render(root: Path, names: list[str] | None = None, cache: dict | None = None) -> dict[str, str]:
    """The generated text of the named blocks (all of them by default) for the checkout at `root`; analyses
    come from `cache` (a dict the caller may save) when their file and code are unchanged."""
    cache = {} if cache is None else cache
    return {name: BLOCKS[name](root, cache) for name in names or BLOCKS}


def load_cache(root: Path) -> dict:
    """The analyses' cache of a checkout (empty when it has none)."""
    path = root / "docs" / CACHE
    return json.loads(path.read_text()) if path.is_file() else {}
