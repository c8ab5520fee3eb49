"""Size searches as data: one run per JSON line, read, appended and summed up per size here only."""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shlex
import statistics
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .paths import PathError, check_destination, write_atomically
from .seeds import parse_seeds

VERDICTS = ("meets", "undecided", "misses")
FLAT = 0.005  # a median curve that gains less than this over its budget's last half has flattened
GROWN = 160_000  # the largest budget a size below the smallest that meets is doubled to while it still rises
CHECKPOINTS = 8  # a run's curve: its best validation so far at this many even points of its budget
LEVEL = 0.95  # of the one-sided Clopper-Pearson bound on a size's success rate


class SearchError(ValueError):
    """A search file or text that cannot be read as records; the message is one line naming the file."""


@dataclass(frozen=True)
class Record:
    """One run of a size search: what was trained, what its verdict was, and the code that ran it."""

    task: str  # the spec's name, e.g. "fill-4x4"
    cell: str  # "rnn", "relu", "gru" or "lstm"
    hidden: int
    seed: int
    lr: float
    recipe: str  # "windows" or "lines"
    budget: int  # the update budget (--max-steps)
    curve: tuple[float, ...] | None  # best validation validity at CHECKPOINTS points of the budget; None if unknown
    verdict: str  # "meets", "undecided" or "misses", under the verdict protocol
    validity: float  # the verdict's validity
    validity_interval: tuple[float, float]  # its 95% interval
    updates: int | None  # updates done (fewer than the budget when it stopped at the target); None if unknown
    code: str  # the code that ran it: "git:COMMIT" (meta.source_id)
    superseded: bool  # made on code whose training has since changed, so that it no longer reproduces
    command: str  # the command that ran it
    bad_mean_interval: tuple[float, float] | None = None  # the verdict's 95% interval on the mean teacher-forced
    # bad mass, for the recognition setting; None in records made before it was kept

    def to_json(self) -> str:
        """The record as one line of JSON, keys in the declared order, without the newline."""
        out = asdict(self)
        out["validity_interval"] = list(self.validity_interval)
        out["curve"] = None if self.curve is None else list(self.curve)
        out["bad_mean_interval"] = None if self.bad_mean_interval is None else list(self.bad_mean_interval)
        return json.dumps(out)

    @classmethod
    def from_json(cls, obj: object) -> Record:
        """The record of a parsed JSON object; raises ValueError naming the first key at fault."""
        if not isinstance(obj, dict):
            raise ValueError("is not a JSON object")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(obj) - set(names))
        missing = [n for n in names if n not in obj and n != "bad_mean_interval"]  # older records lack it
        if unknown or missing:
            raise ValueError(f"unknown key {unknown[0]!r}" if unknown else f"lacks the key {missing[0]!r}")
        r = dict(obj)
        for key in ("task", "cell", "recipe", "code", "command"):
            _want(isinstance(r[key], str) and r[key] != "", key, "a non-empty string")
        for key in ("hidden", "budget"):
            _want(_whole(r[key]) and r[key] >= 1, key, "a whole number >= 1")
        _want(_whole(r["seed"]) and r["seed"] >= 0, "seed", "a whole number >= 0")
        _want(r["updates"] is None or (_whole(r["updates"]) and r["updates"] >= 0), "updates", "a whole number or null")
        _want(_real(r["lr"]) and r["lr"] > 0, "lr", "a positive number")
        _want(r["verdict"] in VERDICTS, "verdict", " or ".join(VERDICTS))
        _want(isinstance(r["superseded"], bool), "superseded", "true or false")
        _want(_real(r["validity"]) and 0 <= r["validity"] <= 1, "validity", "a number in 0..1")
        iv = r["validity_interval"]
        ok = isinstance(iv, list) and len(iv) == 2 and all(_real(x) for x in iv)
        _want(ok and 0 <= iv[0] <= r["validity"] <= iv[1] <= 1, "validity_interval", "[lo, hi] around validity")
        c = r["curve"]
        ok = c is None or (isinstance(c, list) and len(c) == CHECKPOINTS and all(_real(x) and 0 <= x <= 1 for x in c))
        _want(ok, "curve", f"null or {CHECKPOINTS} numbers in 0..1")
        bad = r.get("bad_mean_interval")
        ok = bad is None or (isinstance(bad, list) and len(bad) == 2 and all(_real(x) and 0 <= x <= 1 for x in bad))
        _want(ok and (bad is None or bad[0] <= bad[1]), "bad_mean_interval", "null or [lo, hi] in 0..1")
        r["bad_mean_interval"] = None if bad is None else (float(bad[0]), float(bad[1]))
        r["validity_interval"] = (float(iv[0]), float(iv[1]))
        r["curve"] = None if c is None else tuple(float(x) for x in c)
        r["lr"], r["validity"] = float(r["lr"]), float(r["validity"])
        return cls(**r)


def _whole(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _want(ok: bool, key: str, what: str) -> None:
    if not ok:
        raise ValueError(f"{key} wants {what}")


def load(path: str | Path) -> list[Record]:
    """The records of a .jsonl search file, in order; raises SearchError with one line naming the file and
    the line at fault. A last line cut short (a write interrupted by a crash) is reported, never dropped."""
    path = Path(path)
    if not path.exists():
        raise SearchError(f"{path}: no such search file")
    if not path.is_file():
        raise SearchError(f"{path}: is not a regular file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SearchError(f"{path}: cannot be read as text ({getattr(e, 'strerror', None) or e})") from None
    lines = text.split("\n")
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Record.from_json(json.loads(line)))
        except ValueError as e:
            if n == len(lines) and not text.endswith("\n"):
                raise SearchError(
                    f"{path}: line {n} is cut short (a write was interrupted); the {len(out)} records before it "
                    "are whole: delete that line to use the file"
                ) from None
            why = "is not JSON" if isinstance(e, json.JSONDecodeError) else str(e)
            raise SearchError(f"{path}: line {n} is not a search record: {why}") from None
    return out


def save(path: str | Path, records: list[Record]) -> Path:
    """Write records as a new .jsonl file, atomically (a reader never sees half of it)."""
    data = "".join(r.to_json() + "\n" for r in records).encode()
    return write_atomically(path, lambda f: f.write(data))


def append(path: str | Path, records: list[Record]) -> None:
    """Append records to a .jsonl file, each line in one write and on disk before the next, so that an
    interruption keeps every run already appended, whole."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        for r in records:
            os.write(fd, (r.to_json() + "\n").encode())
            os.fsync(fd)
    finally:
        os.close(fd)


def check_record(path: str | Path) -> Path:
    """Check, before any training, that runs can be appended to `path`: a .jsonl file that is new, or a
    regular file holding search records (read whole, so a damaged one is refused now, not after hours).
    Raises PathError or SearchError with one line."""
    if not str(path).endswith(".jsonl"):
        raise PathError(f"{path}: a search record is a .jsonl file, e.g. {Path(str(path)).stem or 'search'}.jsonl")
    dest = check_destination(path, force=True)  # an existing file is read below, never replaced
    if dest.exists():
        if not dest.is_file():
            raise PathError(f"{dest}: is not a regular file")
        load(dest)
        with open(dest, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            if size and (f.seek(size - 1), f.read(1))[1] != b"\n":  # the next record would be glued to it
                raise SearchError(f"{dest}: its last line has no newline; end it with one before appending")
    return dest


def half_gain(medians: list[float]) -> float:
    """What a median curve (at each checkpoint, the median over runs of each run's best validation so far)
    gained over the budget's last half; a curve that gains less than FLAT has flattened."""
    return medians[-1] - medians[len(medians) // 2 - 1]


def growths(runs: list[Record]) -> dict[str, tuple[int, float]]:
    """`growth` of each recipe's runs of a size, for the recipes whose runs recorded a curve: each recipe's
    search is grown until its own median curve flattens."""
    recipes = sorted({r.recipe for r in runs})
    return {k: g for k in recipes if (g := growth([r for r in runs if r.recipe == k])) is not None}


def growth(runs: list[Record]) -> tuple[int, float] | None:
    """A size's largest budget among the runs that recorded a curve, and what the median curve of that budget's
    runs (at each checkpoint, the median over runs of each one's best validation so far) gained over its second
    half; None when no run recorded a curve. Runs of one recipe (`growths`)."""
    budget = max((r.budget for r in runs if r.curve and r.budget), default=None)
    curves = [r.curve for r in runs if r.curve and r.budget == budget]
    if not curves:
        return None
    return budget, half_gain([statistics.median(c[k] for c in curves) for k in range(len(curves[0]))])


def checkpoints(history: list[tuple[int, float]], budget: int, points: int = CHECKPOINTS) -> list[float]:
    """A run's best validation validity so far at `points` even checkpoints of its budget, from its
    (update, best validity) history; 0 before its first validation, its last after it stopped."""
    return [max((v for step, v in history if step <= budget * k // points), default=0.0) for k in range(1, points + 1)]


# The success rate of a size: exact binomial bounds, without scipy.


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (no overflow for large n)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    lp, lq = math.log(p), math.log1p(-p)
    log_comb = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)]
    return min(1.0, sum(math.exp(c + i * lp + (n - i) * lq) for i, c in enumerate(log_comb)))


def upper_bound(k: int, n: int, level: float = LEVEL) -> float:
    """The one-sided Clopper-Pearson upper bound on a success rate after k successes in n trials: the p at
    which P(X <= k) = 1 - level (the `level` quantile of Beta(k + 1, n - k)), by bisection; 1 when k = n.
    For k = 0 it is 1 - (1 - level)**(1/n): 0 of 15 bounds the rate at 0.181."""
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"wants 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if k == n:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):  # the CDF falls as p rises; 60 halvings are below a float's resolution
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if binomial_cdf(k, n, mid) > 1 - level else (lo, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class Size:
    """What a search found at one size: verdict counts, best and median verdict validity, and, when no run
    meets, the one-sided 95% Clopper-Pearson upper bound on the success rate (meets per run)."""

    task: str
    cell: str
    hidden: int
    runs: int
    meets: int
    undecided: int
    misses: int
    best: float  # the best verdict validity
    median: float
    upper: float | None  # None when some run meets


NAMING = {"lr", "cell", "recipe", "max_steps", "max_seconds"}  # settings that name a run, or only bound it


def trained_with(command: str) -> tuple[tuple[str, str], ...]:
    """A recorded command's training settings (train.SETTINGS) beyond those that name the run (rate, cell,
    recipe) or bound it (budget, cap), where they differ from today's defaults for its task, cell and recipe:
    `(("--identity", "1"),)`, or () at the defaults."""
    from .train import SETTINGS

    given, words = flags(command), shlex.split(command)
    task = words[2] if len(words) > 2 else ""
    defaults = run_defaults(task, given.get("--cell", "rnn"), given.get("--recipe"))
    out, training = [], set(SETTINGS) - NAMING
    for k, v in given.items():
        name = k[2:].replace("-", "_").removeprefix("no_")  # --no-carry: carry
        if name not in training:
            continue
        value = False if k.startswith("--no-") else SETTINGS[name].metadata.get("kind", str)(v)
        if name not in defaults or value != defaults[name]:
            out.append((k, v))
    return tuple(sorted(out))


@functools.cache
def run_defaults(task: str, cell: str, recipe: str | None) -> dict:
    """Today's default of every trainer setting for a task, cell and recipe (the recipe of the task's table
    when None): its table, then the recipe's defaults, then the trainer's; {} for a task that cannot be read."""
    from .recipes import RECIPES, settings_for
    from .tasks import TaskError
    from .train import SETTINGS

    try:
        table = settings_for(task, {"cell": cell} | ({"recipe": recipe} if recipe else {}))
    except (TaskError, OSError, ValueError):
        return {}
    own = RECIPES.get(table.get("recipe", "windows"))
    if own is None:
        return {}
    return {name: table.get(name, own.defaults.get(name, f.default)) for name, f in SETTINGS.items()}


def distinct(records: list[Record]) -> list[Record]:
    """One record per run: the same task, cell, size, seed, rate, recipe and settings trained again on a larger
    budget is the same run trained longer (its first updates are the same), not another trial; its largest
    budget stands for it. Runs with other settings (`trained_with`) are other trials. Superseded runs are left
    out."""
    best: dict[tuple, Record] = {}
    for r in records:
        key = (r.task, r.cell, r.hidden, r.seed, r.lr, r.recipe, trained_with(r.command))
        if not r.superseded and (key not in best or r.budget > best[key].budget):
            best[key] = r
    return list(best.values())


def summary(records: list[Record]) -> list[Size]:
    """Each size's summary (by task, cell and size, in that order), over its distinct runs (`distinct`)."""
    groups: dict[tuple[str, str, int], list[Record]] = {}
    for r in distinct(records):
        groups.setdefault((r.task, r.cell, r.hidden), []).append(r)
    out = []
    for (task, cell, hidden), got in sorted(groups.items()):
        counts = {v: sum(r.verdict == v for r in got) for v in VERDICTS}
        vals = [r.validity for r in got]
        upper = upper_bound(0, len(got)) if counts["meets"] == 0 else None
        best, median = max(vals), statistics.median(vals)
        out.append(Size(task, cell, hidden, len(got), **counts, best=best, median=median, upper=upper))
    return out


# Today's text output of `sweep --runs` (and of `train --seeds`) read back into records.

SWEEP_HEAD = re.compile(
    r"^(?P<name>\S+): (?P<seeds>\d+) seeds x (?P<rates>\d+) learning rates per size, .*a budget of (?P<budget>\d+) "
    r"updates per run.*, recipe (?P<recipe>\w+), "
)
SWEEP_SIZE = re.compile(r"^\s*\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\d+$")  # H best median meets undecided misses
SWEEP_RUN = re.compile(
    r"^\s*(?P<hidden>\d+)\s+(?P<seed>\d+)\s+(?P<lr>[\d.]+)\s+(?P<verdict>meets|undecided|misses)\s+(?P<updates>\d+)"
    r"\s+[\d.]+\s+(?P<v>[\d.]+) \[(?P<lo>[\d.]+), (?P<hi>[\d.]+)\]\s+[\d.]+\s+[\d.]+(\s+stopped by the time cap)?$"
)
TRAIN_RUN = re.compile(
    r"^(?P<spec>.+)-(?P<hidden>\d+)-s(?P<seed>\d+)\.npz: (?P<verdict>meets|undecided|misses)\s+"
    r"validity (?P<v>[\d.]+) \[(?P<lo>[\d.]+), (?P<hi>[\d.]+)\]"
)
DEFAULT_RECIPE = "windows"  # what `train` used without --recipe (it prints no recipe)


def flags(command: str) -> dict[str, str]:
    """A recorded command's `--flag value` pairs (bare flags map to "")."""
    words, out = shlex.split(command), {}
    for i, w in enumerate(words):
        if w.startswith("--"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            out[w] = "" if nxt.startswith("--") else nxt
    return out


def from_files(paths: list[str | Path]) -> list[Record]:
    """The records of trained networks' files (`train --seeds` writes one per seed), from their metas: each
    file's seed, settings, verdict, updates, code and command."""
    from .weights import load as load_net

    out = []
    for path in paths:
        m = load_net(path).meta
        t, v = m.trainer or {}, m.verdict or {}
        out.append(
            Record(
                task=m.spec or m.task,
                cell=m.cell or "rnn",
                hidden=m.hidden,
                seed=m.seed,
                lr=t.get("lr"),
                recipe=t.get("recipe", "windows"),
                budget=t.get("max_steps"),
                curve=None,
                verdict=v["verdict"],
                validity=v["validity"],
                validity_interval=tuple(v["validity_interval"]),
                updates=m.steps,
                code=m.source or "",
                superseded=False,
                command=m.command,
                bad_mean_interval=tuple(v["bad_mean_interval"]) if v.get("bad_mean_interval") else None,
            )
        )
    return out


def from_text(text: str, code: str) -> list[Record]:
    """The runs of a search's text output (docs/searches/*.txt) as records made by `code`.

    A block starts at a `$ rnnmem-tui sweep|train ...` line. A sweep's runs come from its `--runs` table
    (its curves are only per size, so a run's curve is None); a `train --seeds` block's from its one line
    per file (it prints no updates: None). A comment line saying the runs that follow "no longer reproduce"
    marks them superseded, until a comment saying that the runs "reproduce". Raises SearchError when a
    block's runs are not as many as its command and header say.
    """
    blocks: list[_Block] = []
    superseded = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            superseded = "no longer reproduce" in line or (superseded and "reproduce" not in line)
        elif line.startswith("$ rnnmem-tui "):
            blocks.append(_Block(line[2:], code, superseded, n))
        elif blocks:
            blocks[-1].read(line)
    for b in blocks:
        if len(b.records) != b.expected:
            raise SearchError(f"line {b.line}: {len(b.records)} runs listed, {b.expected} expected")
    return [r for b in blocks for r in b.records]


class _Block:
    """One command's output, read line by line into its records."""

    def __init__(self, command: str, code: str, superseded: bool, line: int) -> None:
        words = shlex.split(command)
        self.verb, self.task, self.line = words[1], words[2], line
        self.f = flags(command)
        cell = self.f.get("--cell", "rnn")
        self.base = dict(task=self.task, cell=cell, code=code, superseded=superseded, command=command, curve=None)
        self.records: list[Record] = []
        self.budget, self.recipe, self.expected = None, None, 0
        if self.verb == "train":
            self.budget, self.recipe = int(self.f["--max-steps"]), self.f.get("--recipe", DEFAULT_RECIPE)
            self.expected = len(parse_seeds(self.f["--seeds"]))

    def read(self, line: str) -> None:
        """Take one line of the block's output: a sweep's header, a size of its summary, or a run."""
        if self.verb == "sweep" and (m := SWEEP_HEAD.match(line)):
            if m["name"] != self.task:
                raise SearchError(f"line {self.line}: the header names {m['name']}, the command {self.task}")
            self.budget, self.recipe, self.per_size = int(m["budget"]), m["recipe"], int(m["seeds"]) * int(m["rates"])
        elif self.verb == "sweep" and SWEEP_SIZE.match(line):
            self.expected += self.per_size
        elif self.verb == "sweep" and (m := SWEEP_RUN.match(line)):
            self.add(m, updates=int(m["updates"]), lr=float(m["lr"]))
        elif self.verb == "train" and (m := TRAIN_RUN.match(line)):
            self.add(m, updates=None, lr=float(self.f["--lr"]))

    def add(self, m: re.Match, updates: int | None, lr: float) -> None:
        """One run's record from its matched line."""
        if self.budget is None:
            raise SearchError(f"line {self.line}: a run comes before its sweep's header")
        self.records.append(
            Record(
                **self.base,
                hidden=int(m["hidden"]),
                seed=int(m["seed"]),
                lr=lr,
                recipe=self.recipe,
                budget=self.budget,
                verdict=m["verdict"],
                validity=float(m["v"]),
                validity_interval=(float(m["lo"]), float(m["hi"])),
                updates=updates,
            )
        )
