"""Formal languages from the counting-in-RNNs literature: Dyck words `(())()`, a^n b^n c^n `aabbcc`, parity `0110=e`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import product

import numpy as np

from .base import Feature, Param, Task


@dataclass
class FormalTask(Task):
    """Lines of a finite formal language, grouped by a size: the size is uniform on its range, then the line
    uniform among the lines of that size.

    Every line is enumerated once (the families bound their parameters so that this stays small), so the
    trainer draws whole lines by index and the legal next symbols come from the enumeration; `is_valid`
    checks a line's structure directly, so the two cross-check each other in the tests.
    """

    @property
    def sizes(self) -> range:
        """The sizes (n or L) lines are drawn from, uniformly."""
        return range(self.params[self.SIZE[0]], self.params[self.SIZE[1]] + 1)

    SIZE = ("n_min", "n_max")  # the parameters that bound the size

    def lines_of(self, k: int) -> list[str]:
        """Every line of size k, without its newline."""
        raise NotImplementedError

    def check_params(self) -> None:
        lo, hi = self.SIZE
        if self.params[lo] > self.params[hi]:
            raise ValueError(f"{lo} {self.params[lo]} is above {hi} {self.params[hi]}")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.vocab = tuple(sorted(set("".join(self.language))))

    @cached_property
    def lines(self) -> tuple[str, ...]:
        """Every line with its newline, by size from the smallest."""
        return tuple(s + "\n" for k in self.sizes for s in self.lines_of(k))

    @cached_property
    def language(self) -> dict[str, int]:
        """Every valid line (with its newline) mapped to its size."""
        return {s + "\n": k for k in self.sizes for s in self.lines_of(k)}

    @cached_property
    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`lines` as vocabulary indices, padded (N, L); each line's length (N,); where each size's lines
        start (K,) and how many it has (K,)."""
        col = {c: i for i, c in enumerate(self.vocab)}
        L = max(map(len, self.lines))
        rows = np.array([[col[c] for c in s] + [0] * (L - len(s)) for s in self.lines], dtype=np.intp)
        counts = np.array([sum(1 for _ in self.lines_of(k)) for k in self.sizes])
        return rows, np.array([len(s) for s in self.lines]), np.cumsum(counts) - counts, counts

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n line numbers: a size drawn uniformly, then a line of that size."""
        _, _, starts, counts = self.table
        ks = rng.integers(0, len(counts), size=n)
        return starts[ks] + rng.integers(0, counts[ks])

    def generate(self, rng: np.random.Generator, n: int) -> list[str]:
        """n random lines, each with its newline."""
        return [self.lines[j] for j in self._draw(rng, n).tolist()]

    def generate_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`generate`'s lines as one stream of vocabulary indices, drawn the same way, built without strings."""
        rows, lengths, _, _ = self.table
        j = self._draw(rng, n)
        return rows[j][np.arange(rows.shape[1]) < lengths[j][:, None]]

    @cached_property
    def _next(self) -> dict[str, frozenset[str]]:
        """Each prefix of a line mapped to the symbols that continue it."""
        out: dict[str, set[str]] = {}
        for s in self.lines:
            for i in range(len(s)):
                out.setdefault(s[:i], set()).add(s[i])
        return {k: frozenset(v) for k, v in out.items()}

    def legal_next(self, prefix: str) -> frozenset[str]:
        """Symbols that continue `prefix` towards some line of the language."""
        return self._next.get(prefix, frozenset())

    @property
    def max_len(self) -> int:
        return max(map(len, self.lines))

    def unit_param(self, unit: str) -> int | None:
        """The size of a valid line."""
        return self.language.get(unit)

    def param_dist(self) -> dict[int, float]:
        """Uniform over the sizes."""
        return {k: 1.0 / len(self.sizes) for k in self.sizes}


@dataclass
class DyckTask(FormalTask):
    """Balanced parentheses of n pairs, nested at most max_depth deep, e.g. `(())()`; n uniform on
    n_min..n_max and the line uniform among those of n pairs."""

    family = "dyck"
    PARAMS = {
        "n_min": Param(int, 1, 10, default=1),
        "n_max": Param(int, 1, 10, default=8),
        "max_depth": Param(int, 1, 10, default=4),
    }  # Catalan(10) = 16,796 lines of 10 pairs at most

    def lines_of(self, n: int) -> list[str]:
        D, out = self.params["max_depth"], []

        def grow(s: str, opened: int, depth: int) -> None:
            if opened == n and depth == 0:
                out.append(s)
                return
            if opened < n and depth < D:
                grow(s + "(", opened + 1, depth + 1)
            if depth > 0:
                grow(s + ")", opened, depth - 1)

        grow("", 0, 0)
        return out

    def is_valid(self, unit: str) -> bool:
        if unit[-1:] != "\n" or set(unit[:-1]) - set("()"):
            return False
        depth = 0
        for c in unit[:-1]:
            depth += 1 if c == "(" else -1
            if not 0 <= depth <= self.params["max_depth"]:
                return False
        return depth == 0 and unit[:-1].count("(") in self.sizes

    state_features = (
        Feature("line_start", "flag", "line start"),
        Feature("depth", "counter", "brackets open"),
        Feature("opened", "counter", "pairs opened"),
    )

    def features_of(self, prefix: str) -> dict[str, float]:
        opened = prefix.count("(")
        return {"line_start": float(not prefix), "depth": float(opened - prefix.count(")")), "opened": float(opened)}


@dataclass
class AnBnCnTask(FormalTask):
    """a^n b^n c^n, e.g. `aabbcc`; n uniform on n_min..n_max."""

    family = "anbncn"
    PARAMS = {"n_min": Param(int, 1, 30, default=1), "n_max": Param(int, 1, 30, default=8)}
    phases = ("in the a's", "in the b's", "in the c's")

    def lines_of(self, n: int) -> list[str]:
        return ["a" * n + "b" * n + "c" * n]

    def is_valid(self, unit: str) -> bool:
        n = len(unit[:-1]) // 3
        return unit[-1:] == "\n" and n in self.sizes and unit[:-1] == "a" * n + "b" * n + "c" * n

    state_features = (
        Feature("line_start", "flag", "line start"),
        Feature("read", "counter", "a's read", phases=(None, "in the a's")),
        Feature("b_left", "counter", "b's still to print", phases=("in the b's",)),
        Feature("c_left", "counter", "c's still to print", phases=("in the b's", "in the c's")),
        Feature("phase", "phase", " / ".join(phases), values=phases),
    )

    def features_of(self, prefix: str) -> dict[str, float]:
        """The two counters: b's still to print (in the b's) and c's still to print (from the first b);
        NaN where a counter is not yet defined."""
        a, b, c = (prefix.count(s) for s in "abc")
        phase = 2 if c else 1 if b else 0
        return {
            "line_start": float(not prefix),
            "read": float(a),
            "b_left": float(a - b) if phase == 1 else np.nan,
            "c_left": float(a - c) if phase else np.nan,
            "phase": float(phase),
        }


@dataclass
class ParityTask(FormalTask):
    """A bit string of length L, then `=`, then `e` or `o` for an even or odd number of 1s, e.g. `0110=e`;
    L uniform on min_length..max_length and the bits uniform."""

    family = "parity"
    PARAMS = {"min_length": Param(int, 1, 12, default=1), "max_length": Param(int, 1, 12, default=10)}
    SIZE = ("min_length", "max_length")  # 2^12 lines of the longest length at most

    def lines_of(self, L: int) -> list[str]:
        return [f"{bits}={'eo'[bits.count('1') % 2]}" for bits in map("".join, product("01", repeat=L))]

    def is_valid(self, unit: str) -> bool:
        bits, eq, answer = unit[:-1].partition("=")
        return (
            unit[-1:] == "\n"
            and eq == "="
            and len(bits) in self.sizes
            and not set(bits) - set("01")
            and answer == "eo"[bits.count("1") % 2]
        )

    state_features = (
        Feature("line_start", "flag", "line start"),
        Feature("length", "counter", "bits read"),
        Feature("odd", "parity", "odd number of 1s so far"),
        Feature("asked", "flag", "= read, answer due"),
    )

    def features_of(self, prefix: str) -> dict[str, float]:
        bits = prefix.partition("=")[0]
        return {
            "line_start": float(not prefix),
            "length": float(len(bits)),
            "odd": float(bits.count("1") % 2),
            "asked": float(prefix.endswith("=")),
        }
