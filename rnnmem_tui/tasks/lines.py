"""Line tasks: character counting (`3ccc`), its reverse (`@@@3`) and the grammar S -> uSv | w (`aababb`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .base import Feature, Param, Task


@dataclass
class LineTask(Task):
    """A task whose units are the lines of a finite language, grouped by a size parameter: the size is
    uniform on its range, then the line uniform among the lines of that size (one each for the study's
    tasks, many for the formal families).

    Every line is enumerated once, so the trainer draws whole lines by index and the legal next symbols
    come from the enumeration; `is_valid` checks each line's structure directly, so the two cross-check
    each other in the tests.
    """

    @property
    def sizes(self) -> range:
        """The size parameters lines are drawn from, uniformly."""
        raise NotImplementedError

    def line(self, k: int) -> str:
        """The line of size k, without its newline, for a family with one line per size."""
        raise NotImplementedError

    def lines_of(self, k: int) -> list[str]:
        """Every line of size k, without its newline."""
        return [self.line(k)]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.vocab = tuple(sorted(set("".join(self.language))))

    @cached_property
    def by_size(self) -> tuple[str, ...]:
        """Every line with its newline, by size from the smallest: the trainer draws millions."""
        return tuple(s + "\n" for k in self.sizes for s in self.lines_of(k))

    @cached_property
    def language(self) -> dict[str, int]:
        """Every valid line (with its newline) mapped to its size parameter."""
        return {s + "\n": k for k in self.sizes for s in self.lines_of(k)}

    @property
    def max_len(self) -> int:
        return max(map(len, self.by_size))

    @cached_property
    def index_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`by_size` as vocabulary indices, padded (N, L); each line's length (N,); where each size's lines
        start (K,) and how many it has (K,)."""
        col = {c: i for i, c in enumerate(self.vocab)}
        L = max(map(len, self.by_size))
        table = np.array([[col[c] for c in s] + [0] * (L - len(s)) for s in self.by_size], dtype=np.intp)
        counts = np.array([len(self.lines_of(k)) for k in self.sizes])
        return table, np.array([len(s) for s in self.by_size]), np.cumsum(counts) - counts, counts

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n line numbers: a size drawn uniformly, then (when a size has several) one of its lines."""
        _, _, starts, counts = self.index_table
        ks = rng.integers(self.sizes.start, self.sizes.stop, size=n) - self.sizes.start
        return ks if (counts == 1).all() else starts[ks] + rng.integers(0, counts[ks])

    def generate(self, rng: np.random.Generator, n: int) -> list[str]:
        """n random lines, each with its newline."""
        lines = self.by_size
        return [lines[j] for j in self._draw(rng, n).tolist()]

    def generate_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`generate`'s lines as one stream of vocabulary indices, drawn the same way, built without strings."""
        table, lengths, _, _ = self.index_table
        j = self._draw(rng, n)
        return table[j][np.arange(table.shape[1]) < lengths[j][:, None]]

    @cached_property
    def _next(self) -> dict[str, frozenset[str]]:
        """Each prefix of a line mapped to the symbols that continue it."""
        out: dict[str, set[str]] = {}
        for s in self.by_size:
            for i in range(len(s)):
                out.setdefault(s[:i], set()).add(s[i])
        return {k: frozenset(v) for k, v in out.items()}

    def legal_next(self, prefix: str) -> frozenset[str]:
        """Symbols that continue `prefix` towards some line of the language."""
        return self._next.get(prefix, frozenset())

    def long_unit(self, n: int) -> str:
        """The line of size n: the family's one line of that size (families with one line per size)."""
        return self.lines_of(n)[0] + self.end

    def open_next(self, prefix: str) -> frozenset[str]:
        """By the lines of sizes up to len(prefix) + 1, for a family with one line per size that grows with
        it: every longer line starts as that one does."""
        lines = [self.lines_of(m)[0] for m in range(self.sizes.start, len(prefix) + 2)]
        return frozenset(
            {line[len(prefix)] for line in lines if len(line) > len(prefix) and line.startswith(prefix)}
            | ({self.end} if prefix in lines else set())
        )

    def unit_param(self, unit: str) -> int | None:
        """The size of a valid line (k, n or L)."""
        return self.language.get(unit)

    def param_dist(self) -> dict[int, float]:
        """Uniform over the sizes."""
        return {k: 1.0 / len(self.sizes) for k in self.sizes}


@dataclass
class CountTask(LineTask):
    """Lines of a digit k then k copies of `c`, e.g. `3ccc`; k uniform on min_count..max_count."""

    family = "count"
    PARAMS = {"min_count": Param(int, 1, 9), "max_count": Param(int, 1, 9)}  # one digit

    def check_params(self) -> None:
        if self.params["min_count"] > self.params["max_count"]:
            raise ValueError(f"min_count {self.params['min_count']} is above max_count {self.params['max_count']}")

    @property
    def sizes(self) -> range:
        return range(self.params["min_count"], self.params["max_count"] + 1)

    def line(self, k: int) -> str:
        return f"{k}" + "c" * k

    def is_valid(self, unit: str) -> bool:
        if len(unit) < 3 or unit[-1] != "\n" or not unit[0].isdigit():
            return False
        k = int(unit[0])
        return k in self.sizes and unit[1:-1] == "c" * k

    state_features = (
        Feature("line_start", "flag", "line start"),
        Feature("printed", "counter", "c's printed"),
        Feature("remaining", "counter", "c's still to print"),
    )

    def features_of(self, prefix: str) -> dict[str, float]:
        k, printed = (int(prefix[0]), len(prefix) - 1) if prefix else (0, 0)
        return {"line_start": float(not prefix), "printed": float(printed), "remaining": float(k - printed)}


@dataclass
class CountReverseTask(LineTask):
    """Lines of k copies of `@` then the digit k, e.g. `@@@3`; k uniform on min_count..max_count."""

    family = "count-reverse"
    PARAMS = CountTask.PARAMS
    check_params = CountTask.check_params

    @property
    def sizes(self) -> range:
        return range(self.params["min_count"], self.params["max_count"] + 1)

    def line(self, k: int) -> str:
        return "@" * k + f"{k}"

    def is_valid(self, unit: str) -> bool:
        if len(unit) < 3 or unit[-1] != "\n" or not unit[-2].isdigit():
            return False
        k = int(unit[-2])
        return k in self.sizes and unit[:-2] == "@" * k

    state_features = (
        Feature("line_start", "flag", "line start"),
        Feature("count", "counter", "@'s read"),
        Feature("after_digit", "flag", "digit printed"),
    )

    def features_of(self, prefix: str) -> dict[str, float]:
        return {
            "line_start": float(not prefix),
            "count": float(prefix.count("@")),
            "after_digit": float(bool(prefix) and prefix[-1].isdigit()),
        }


@dataclass
class GrammarTask(LineTask):
    """Lines of S -> uSv | w, that is u^n w v^n; by default a^n b a b^n, e.g. `aababb`."""

    family = "grammar"
    LONG = "n_max"
    PARAMS = {
        "n_min": Param(int, 0, 50),
        "n_max": Param(int, 0, 50),
        "u": Param(str, default="a"),
        "v": Param(str, default="b"),
        "w": Param(str, default="ba"),
    }

    def check_params(self) -> None:
        if self.params["n_min"] > self.params["n_max"]:
            raise ValueError(f"n_min {self.params['n_min']} is above n_max {self.params['n_max']}")
        u, v, w = self.uvw
        if "\n" in u + v + w:
            raise ValueError("the symbols u, v and w must not hold a newline")
        if len({u, v, w}) < 3:
            raise ValueError(f"u, v and w must differ from each other, got {u!r}, {v!r}, {w!r}")

    @property
    def sizes(self) -> range:
        return range(self.params["n_min"], self.params["n_max"] + 1)

    @property
    def machine_note(self) -> str:
        """The language needs an unbounded counter; its machine is the one of the lines up to n_max."""
        return f"lines up to n_max = {self.params['n_max']}; the language needs an unbounded counter"

    @property
    def uvw(self) -> tuple[str, str, str]:
        """The rule's pieces u, v and w."""
        return self.params["u"], self.params["v"], self.params["w"]

    def line(self, k: int) -> str:
        u, v, w = self.uvw
        return u * k + w + v * k

    def is_valid(self, unit: str) -> bool:
        u, v, w = self.uvw
        body = unit[:-1]
        if unit[-1:] != "\n" or (len(body) - len(w)) % (len(u) + len(v)):
            return False
        n = (len(body) - len(w)) // (len(u) + len(v))
        return n in self.sizes and body == u * n + w + v * n

    @cached_property
    def phases(self) -> tuple[str, ...]:
        """The phases of a line in its own symbols: in the a's, just read b (inside w), in the b's."""
        u, v, w = self.uvw
        return (f"in the {u}'s", *((f"just read {w[:-1]}",) if len(w) > 1 else ()), f"in the {v}'s")

    @cached_property
    def state_features(self) -> tuple[Feature, ...]:
        u, v, w = self.uvw
        first, last = self.phases[0], self.phases[-1]
        seen = f"{w[0]} seen" if w[0] not in u else f"past the {u}'s"
        return (
            Feature("line_start", "flag", "line start"),
            Feature("read", "counter", f"{u}'s read", phases=(None, first)),
            Feature("left", "counter", f"{v}'s still to print", phases=(last,)),
            Feature("seen", "flag", seen),
            Feature("in_v", "flag", last),
            Feature("phase", "phase", " / ".join(self.phases), values=self.phases),
        )

    def features_of(self, prefix: str) -> dict[str, float]:
        """The phase is the index of `phases`; v's still to print is NaN before the v's."""
        u, v, w = self.uvw
        k = max((k for k in self.sizes if self.line(k).startswith(prefix)), default=0)
        pos, n_u, last = len(prefix), len(u) * k, len(self.phases) - 1
        if pos <= n_u:
            phase, read, left = 0, pos // len(u), np.nan
        elif pos < n_u + len(w):
            phase, read, left = 1, k, np.nan
        else:
            phase, read, left = last, k, k - (pos - n_u - len(w)) // len(v)
        return {
            "line_start": float(not prefix),
            "read": float(read),
            "left": float(left),
            "seen": float(phase >= 1),
            "in_v": float(phase == last),
            "phase": float(phase),
        }
