"""The study across cells, from its records: sizes and defaults per cell, how far each counts past its training range
against the published predictions, and what each cell's units hold."""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Callable

from .metrics import wilson

LENGTHS = Path("docs") / "searches" / "lengths"  # `eval FILES --n-max N --json` of each population, TASK-CELL-H.json
ORDER = ("rnn", "relu", "gru", "lstm")  # the cells, in the order the tables give them
NAMES = {"rnn": "tanh", "relu": "ReLU", "gru": "GRU", "lstm": "LSTM"}
MARKS = {"tanh": "•", "ReLU": "x", "GRU": "o", "LSTM": "+"}  # each cell's character in the plain-text charts
STRETCH = 1.5  # a counter generalises when its median clean n reaches the training bound times this
WEISS = "Weiss, Goldberg & Yahav (2018)"
SUZGUN = "Suzgun et al. (2019)"


def length_groups(root: Path) -> dict[tuple[str, str, int], list[dict]]:
    """The length tests of each population, by (task, cell, hidden)."""
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for path in sorted((root / LENGTHS).glob("*.json")):
        for row in json.loads(path.read_text()):
            groups[row["task"], row["cell"], row["hidden"]].append(row)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0], ORDER.index(kv[0][1]), kv[0][2])))


def clean_of(row: dict) -> int:
    """A network's largest clean n, with -1 for none (not clean even at the smallest size)."""
    return -1 if row["clean"] is None else row["clean"]


def said(n: float) -> str:
    """A clean size in words: `none` below every size."""
    return "none" if n < 0 else f"{n:g}"


def summary_of(rows: list[dict]) -> tuple[float, int, int]:
    """The (lower) median largest clean n of a population, and its range."""
    got = [clean_of(r) for r in rows]
    return statistics.median_low(got), min(got), max(got)  # the lower median: a size some network reached


def lengths_table(root: Path) -> str:
    """Per task, cell and size: how many networks meet the training target, and their largest clean n."""
    lines = [
        "| task | cell | H | trained to | meet the target | largest clean n: median [range] | past the training bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for (task, cell, hidden), rows in length_groups(root).items():
        median, lo, hi = summary_of(rows)
        trained = rows[0]["trained"]
        past = sum(clean_of(r) > trained for r in rows)
        meets = sum(r["verdict"] == "meets" for r in rows)
        lines.append(
            f"| {task} | {cell} | {hidden} | {trained} | {meets} / {len(rows)} | {said(median)} "
            f"[{said(lo)}, {said(hi)}] | {past} / {len(rows)} |"
        )
    return "\n".join(lines) + "\n"


def chosen(groups: dict, task: str) -> dict[str, list[dict]]:
    """Per cell, the population of a task the prediction is judged on: the size where most networks recognise
    the training range (`knows`; the larger on a tie)."""
    out = {}
    for cell in ORDER:
        mine = [(sum(map(knows, rows)), h, rows) for (t, c, h), rows in groups.items() if (t, c) == (task, cell)]
        if mine:
            out[cell] = max(mine, key=lambda m: (m[0], m[1]))[2]
    return out


def knows(row: dict) -> bool:
    """Whether a network recognises its training range: the verdict protocol's mean teacher-forced bad mass at most
    0.01, by its 95% interval's upper end (the recognition setting)."""
    return bool(row["bad_mean_interval"]) and row["bad_mean_interval"][1] <= 0.01


def weiss_verdict(pops: dict[str, list[dict]]) -> tuple[str, str]:
    """The verdict on the prediction that LSTM and ReLU counters generalise past the training range while GRU
    and tanh ones do not, with the figures it rests on. It asks about counters that were learnt, in Weiss et al.'s
    setting, so it is judged on the networks that recognise the training range (`knows`), at least 10 per cell."""
    learnt = {c: [r for r in rows if knows(r)] for c, rows in pops.items()}
    med = {c: summary_of(rows) for c, rows in learnt.items() if rows}
    figures = "median largest clean n [range] of those that recognise it: " + "; ".join(
        f"{NAMES[c]} {said(med[c][0])} [{said(med[c][1])}, {said(med[c][2])}]" if c in med else f"{NAMES[c]} -"
        for c in ORDER
    )
    short = [f"{NAMES[c]} {len(learnt.get(c, []))}" for c in ORDER if len(learnt.get(c, [])) < 10]
    if short:
        return (
            "untestable with our controls",
            f"fewer than 10 networks recognise the training range ({', '.join(short)}); {figures}",
        )
    trained = next(iter(pops.values()))[0]["trained"]
    far = STRETCH * trained
    unbounded, bounded = ("lstm", "relu"), ("gru", "rnn")
    if all(med[c][0] >= far for c in unbounded) and all(med[c][0] <= trained for c in bounded):
        return "reproduced", figures
    reversed_ = all(med[c][0] >= far for c in bounded) and all(med[c][0] <= trained for c in unbounded)
    if reversed_ and max(med[c][2] for c in unbounded) < min(med[c][1] for c in bounded):
        return "refuted", figures
    return "not reproduced", figures


def relu_start(tasks) -> str:
    """How the ReLU networks of these tasks start, from each task's `[train.relu]` table (IRNN's I and 0 unless it
    says otherwise)."""
    from .recipes import table_settings

    starts = {}
    for task in tasks:
        own = table_settings(task, "relu")
        starts.setdefault((own.get("identity", 1.0), own.get("init_bias", 0.0)), []).append(task)
    return "; ".join(
        f"a ReLU network of {' and '.join([', '.join(names[:-1]), names[-1]] if names[:-1] else names)} starts from W_hh = {d:g} I and input biases of {b:g}"
        + (" (IRNN)" if (d, b) == (1.0, 0.0) else ", not IRNN's I and 0")
        for (d, b), names in sorted(starts.items())
    )


def predictions(root: Path) -> str:
    """Each published prediction about cells, with the rule that decides it and what our records say."""
    from .tasks import load_task

    groups = length_groups(root)
    lines = [
        f"- **{WEISS}: LSTM and ReLU networks learn counters that generalise past the training range; GRU and "
        "tanh networks do not.** The rule: *reproduced* when the median largest clean n of LSTM and of ReLU "
        f"reaches {STRETCH:g} times the training bound while GRU's and tanh's do not pass it; *refuted* when the "
        "order is reversed with ranges apart; *not reproduced* otherwise; over the networks that recognise the "
        "training range (the counters that were learnt: mean teacher-forced bad mass at most 0.01), at least 10 per "
        "cell, at the size where most of that cell's networks do; *untestable with our controls* when a cell has "
        "fewer."
    ]
    by_task = {task: chosen(groups, task) for task in sorted({t for t, _, _ in groups})}
    judged = [rows[0]["hidden"] for pops in by_task.values() for rows in pops.values()]
    lines.append(
        "  Where our setting differs: their empirical comparison trained LSTMs and GRUs to recognise a^n b^n and "
        "a^n b^n c^n; the ReLU RNN's counter is their construction, not a trained result. Ours are small "
        f"({min(judged)} to {max(judged)} units), trained to generate lines of a short range with our default "
        f"trainer ({relu_start(by_task)}), and judged by the probability they put on illegal next symbols. "
        "El-Naggar et al. report trained LSTM counters failing far past their training range as activations "
        "saturate: a clean range that ends is no surprise."
    )
    for task, pops in by_task.items():
        verdict, figures = weiss_verdict(pops)
        sizes = ", ".join(f"{NAMES[c]} {pops[c][0]['hidden']}" for c in ORDER if c in pops)
        trained = next(iter(pops.values()))[0]["trained"]
        lines.append(
            f"  - {task} (trained to {load_task(task).LONG} = {trained}; sizes {sizes}): **{verdict}**: {figures}."
        )
    single = groups.get(("dyck", "lstm", 1), [])
    if single:
        known = [r for r in single if r["bad_mean_interval"]]
        yes = sum(map(knows, known))
        lo, hi = wilson(yes, len(known))
        verdict = "reproduced" if lo > 0.5 else "not reproduced" if hi < 0.5 else "undecided"
        median, a, b = summary_of(single)
        lines.append(
            f"- **{SUZGUN}: a single LSTM unit is practically enough to recognise Dyck-1.** Our dyck has one bracket "
            "type, so the claim applies in the recognition setting: the verdict protocol's mean teacher-forced "
            f"bad mass at most 0.01 (its 95% interval's upper end). Of {len(known)} one-unit LSTMs, {yes} recognise "
            f"the training range (95% Wilson interval {lo:.2f}-{hi:.2f}); the rule: *reproduced* when that interval "
            f"lies above one half, *not reproduced* when below, else *undecided*: **{verdict}**. Their largest clean "
            f"depth: median {said(median)} [{said(a)}, {said(b)}], trained to depth {single[0]['trained']}. Where our "
            "setting differs: they trained on Dyck-1 to predict the set of legal next symbols, on longer strings; "
            "ours learn the next-symbol distribution of lines of at most 8 pairs nested at most 4 deep, by "
            "cross-entropy, with the default trainer. Lan et al. (2022) report standard 4-unit Elman and LSTM "
            "networks far from the target on Dyck-1."
        )
    return "\n".join(lines) + "\n"


SEARCHES = Path("docs") / "searches"  # the rnn's search records, and the other cells' under cells/
A_SIZE, BELOW = 20, 60  # the runs the protocol asks for at each size up to the smallest that meets, and below it


def searched(root: Path) -> list:
    """Every search record: the rnn's and the other cells'."""
    from .searches import load

    folder = root / SEARCHES
    return [r for p in [*sorted(folder.glob("*.jsonl")), *sorted(folder.glob("cells/*.jsonl"))] for r in load(p)]


def parameters(cell: str, hidden: int, vocab: int) -> int:
    """How many numbers a network of the cell holds, as its file stores them (the gated and ReLU cells keep
    PyTorch's two bias vectors)."""
    import numpy as np

    from .cells import CELLS

    return sum(v.size for v in CELLS[cell].init(hidden, vocab, np.random.default_rng(0), 0.1).values())


def recognises(run) -> bool | None:
    """Whether a run recognises its language (the verdict protocol's mean teacher-forced bad mass at most 0.01,
    by its interval's upper end); None when its record predates the bad-mass interval."""
    return None if run.bad_mean_interval is None else run.bad_mean_interval[1] <= 0.01


def spans(runs: dict[int, int]) -> list[str]:
    """Sizes short of runs, consecutive ones with the same count joined: `1-4: 0 runs`, `5: 10 runs`."""
    out: list[list] = []
    for h, k in sorted(runs.items()):
        if out and out[-1][1] == h - 1 and out[-1][2] == k:
            out[-1][1] = h
        else:
            out.append([h, h, k])
    return [f"{a}{f'-{b}' if b > a else ''}: {k} runs" for a, b, k in out]


def below_short(runs: list, under: int) -> list[str]:
    """Where the search at the size below falls short of the protocol, per recipe (both recipes apply to every
    task): fewer than BELOW runs, or a median curve still rising short of the largest budget."""
    from .recipes import RECIPES
    from .searches import FLAT, GROWN, growths

    grew = growths(runs)
    short = []
    for recipe in RECIPES:
        k = sum(r.recipe == recipe for r in runs)
        budget, gain = grew.get(recipe, (GROWN, 0.0))
        if k < BELOW:
            short.append(f"{recipe} {k} of {BELOW} runs")
        elif gain >= FLAT and budget < GROWN:
            short.append(f"{recipe} still rising at {budget} updates (gained {gain:+.4f})")
    return [f"below ({under}): {', '.join(short)}"] if short else []


def cell_sizes(root: Path) -> str:
    """Per task and cell: the smallest searched size where a run meets (generation) and where a run recognises,
    each with its parameters, and the size below with its runs and bound; the protocol's runs, where short."""
    from .report import below_text
    from .searches import distinct, summary
    from .tasks import load_task

    records = searched(root)
    sizes = summary(records)
    runs = distinct(records)
    lines = [
        "| task | cell | generation: smallest that meets (parameters) | the size below | recognition: smallest "
        "(parameters) | short of the protocol |",
        "|---|---|---|---|---|---|",
    ]
    pairs = sorted({(s.task, s.cell) for s in sizes}, key=lambda p: (p[0], ORDER.index(p[1])))
    for task, cell in pairs:
        V = len(load_task(task).vocab)
        mine = {s.hidden: s for s in sizes if (s.task, s.cell) == (task, cell)}
        low = min((h for h, s in mine.items() if s.meets), default=None)
        known = [r for r in runs if (r.task, r.cell) == (task, cell) and recognises(r) is not None]
        heard = min((r.hidden for r in known if recognises(r)), default=None)
        gen = (
            f"{low} ({parameters(cell, low, V)}): {mine[low].meets} of {mine[low].runs} runs"
            if low
            else "none searched meets"
        )
        under = (low - 1) if low else max(mine)  # with none that meets: the largest searched
        below = (
            "none: 1 is the smallest"
            if low == 1
            else below_text(mine[under])
            if under in mine
            else f"{under}: not searched"
        )
        rec = "not recorded" if not known else f"{heard} ({parameters(cell, heard, V)})" if heard else "none searched"
        top = low or max(mine)
        have = {h: mine[h].runs if h in mine else 0 for h in range(1, top + 1)}
        short = spans({h: k for h, k in have.items() if k < A_SIZE})
        if not low:
            short.insert(0, f"no size up to {top} meets: larger sizes unsearched")
        elif low > 1:
            short += below_short([r for r in runs if (r.task, r.cell, r.hidden) == (task, cell, under)], under)
        lines.append(f"| {task} | {cell} | {gen} | {below} | {rec} | {'; '.join(short) or 'none'} |")
    return "\n".join(lines) + "\n"


def nines(validity: float) -> float:
    """-log10(1 - validity), at most NINES: 1 at 0.9, 2 at 0.99, so that the distance to perfect shows."""
    return min(NINES, -math.log10(max(1.0 - validity, 10.0**-NINES)))


NINES = 4.0


def cell_parameters(root: Path) -> str:
    """Per task searched in more than one cell, one chart: the best verdict validity at each searched size, in
    nines, against the parameters that size holds, a line per cell; the target as a rule."""
    from .cli.output import chart
    from .searches import summary
    from .tasks import load_task

    sizes = summary(searched(root))
    out = []
    for task in sorted({s.task for s in sizes}):
        spec = load_task(task)
        mine = {c: sorted((s.hidden, s.best) for s in sizes if (s.task, s.cell) == (task, c)) for c in ORDER}
        lines = {
            NAMES[c]: ([parameters(c, h, len(spec.vocab)) for h, _ in hs], [nines(b) for _, b in hs])
            for c, hs in mine.items()
            if hs
        }
        if len(lines) > 1:
            drawn = chart(
                lines,
                f"{task}: best validity, in nines (2 = 0.99)",
                "parameters (log scale)",
                (0, NINES),
                log_x=True,
                markers=MARKS,
                hlines=(nines(spec.target["validity"]),),
            )
            out.append(f"```text\n{drawn.rstrip()}\n```")
    return "\n\n".join(out) + "\n"


CELL_LAYOUTS = (  # the populations of docs/study/layouts the study across cells reads, ten seeds each
    "count-2",
    "count-relu-2",
    "count-gru-1",
    "count-lstm-2",
    "fill-10",
    "fill-relu-30",
    "fill-gru-10",
    "fill-lstm-10",
    "grammar-4",
    "grammar-relu-7",
    "grammar-gru-3",
    "grammar-lstm-3",
)
CELL_MACHINES = (
    "count-2",
    "count-relu-2",
    "count-gru-1",
    "count-lstm-2",
    "grammar-4",
    "grammar-relu-3",
    "grammar-gru-3",
    "grammar-lstm-3",
)
SWITCH = ("flag", "phase")  # the study's "switch": a neuron that holds which part of the line it is in
GRID = "fill"  # the task whose study claim asks for a bit per grid cell


def of_kinds(*kinds: str) -> Callable[[list], bool]:
    """Whether some neuron among those given has a memory role of one of `kinds`."""
    return lambda neurons: any(k in kinds for roles in neurons for k, _ in roles)


def bits_need(root: Path) -> dict:
    """The study's fill claim's requirement of bits (docs/study/claims.toml): a bit for most of the grid's cells."""
    from .claims import claims

    return next(n for c in claims(root) if c["task"] == GRID for n in c.get("roles", ()) if n["kind"] == "bit")


def cell_layouts(root: Path, records_of) -> str:
    """Per population: how many networks meet, how many of those hold a counter, a switch and (on fill) a bit for
    most of the grid's cells, as the study's fill claim asks (for an LSTM over all its units, then in its h
    units and in its c units apart), and the commonest layout by each neuron's strongest role."""
    from collections import Counter

    from .claims import holds
    from .report import in_words

    need = bits_need(root)
    tests = {
        "counter": of_kinds("counter"),
        "switch": of_kinds(*SWITCH),
        "bits": lambda neurons: holds({"neurons": neurons}, need),
    }
    lines = [
        "| population | cell | networks that meet | with a counter | with a switch (flag or phase) | with a bit for "
        f"{need['features']} or more of {GRID}'s cells | the commonest layout among those that meet |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in CELL_LAYOUTS:
        records = records_of(name)
        if not records:
            continue
        cell = next((c for c in ORDER[1:] if f"-{c}-" in name), "rnn")
        met = [r for r in records if r["verdict"] == "meets"]
        H = len(met[0]["neurons"]) // 2 if met else 0
        parts = (slice(None), slice(0, H), slice(H, None)) if cell == "lstm" else (slice(None),)
        n = {key: [sum(test(r["neurons"][units]) for r in met) for units in parts] for key, test in tests.items()}
        said_n = {key: f"{v[0]} ({v[1]} in h, {v[2]} in c)" if cell == "lstm" else str(v[0]) for key, v in n.items()}
        if not name.startswith(f"{GRID}-"):
            said_n["bits"] = "-"
        common = Counter(tuple(map(tuple, r["primary"])) for r in met).most_common(1)
        said = f"{in_words(list(common[0][0]))} ({common[0][1]} of {len(met)})" if common else "-"
        lines.append(
            f"| {name} | {cell} | {len(met)} of {len(records)} | {said_n['counter']} | {said_n['switch']} | "
            f"{said_n['bits']} | {said} |"
        )
    return "\n".join(lines) + "\n"


@cache
def default_of(task: str, cell: str, name: str):
    """A setting of the default trainer for a task and cell (its rate, its update budget): the task's tables,
    else the trainer's default."""
    from .recipes import settings_for
    from .train import TrainConfig

    return settings_for(task, {"cell": cell}).get(name, getattr(TrainConfig, name))


def at_defaults(run) -> bool:
    """Whether a search run is the default trainer's for its cell: its command sets no training setting
    (`searches.trained_with`), and its recipe, rate and budget are the defaults for its task and cell."""
    from .searches import trained_with
    from .train import TrainConfig

    return (
        not trained_with(run.command)
        and run.recipe == TrainConfig.recipe
        and run.lr == default_of(run.task, run.cell, "lr")
        and run.budget == default_of(run.task, run.cell, "max_steps")
    )


def defaults_table(root: Path) -> str:
    """Per task, cell and size: of seeds 0-9 trained by the default trainer, how many meet the target."""
    from .searches import distinct

    groups: dict[tuple, dict[int, str]] = defaultdict(dict)
    for r in distinct([r for r in searched(root) if r.seed < 10 and at_defaults(r)]):
        groups[r.task, r.cell, r.hidden][r.seed] = r.verdict
    lines = ["| task | cell | H | seeds 0-9 that meet at the defaults | at least 9 of 10 |", "|---|---|---|---|---|"]
    for (task, cell, hidden), got in sorted(groups.items(), key=lambda kv: (kv[0][0], ORDER.index(kv[0][1]), kv[0][2])):
        if len(got) < 10:
            continue
        meets = sum(v == "meets" for v in got.values())
        lines.append(f"| {task} | {cell} | {hidden} | {meets} of 10 | {'yes' if meets >= 9 else 'no'} |")
    return "\n".join(lines) + "\n"
