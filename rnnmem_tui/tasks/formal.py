"""Formal languages from the counting-in-RNNs literature: Dyck words `(())()`, a^n b^n c^n `aabbcc`, parity `0110=e`."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .base import Feature, Param
from .lines import LineTask


@dataclass
class FormalTask(LineTask):
    """Lines of a finite formal language with many lines per size (see LineTask), the size bounded by two
    parameters."""

    SIZE = ("n_min", "n_max")  # the parameters that bound the size

    @property
    def sizes(self) -> range:
        """The sizes (n or L) lines are drawn from, uniformly."""
        return range(self.params[self.SIZE[0]], self.params[self.SIZE[1]] + 1)

    def lines_of(self, k: int) -> list[str]:
        raise NotImplementedError

    def check_params(self) -> None:
        lo, hi = self.SIZE
        if self.params[lo] > self.params[hi]:
            raise ValueError(f"{lo} {self.params[lo]} is above {hi} {self.params[hi]}")


@dataclass
class DyckTask(FormalTask):
    """Balanced parentheses of n pairs, nested at most max_depth deep, e.g. `(())()`; n uniform on
    n_min..n_max and the line uniform among those of n pairs."""

    family = "dyck"
    LONG = "max_depth"  # tested on one fully nested line per depth
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

    long_start = 1  # depths from 1: the sizes of a dyck task count pairs, and its test counts depth

    def long_unit(self, n: int) -> str:
        """The fully nested line of depth n, `((()))`."""
        return "(" * n + ")" * n + self.end

    def open_next(self, prefix: str) -> frozenset[str]:
        """Any depth and any number of pairs: open at will, close while open, end at depth 0."""
        depth = prefix.count("(") - prefix.count(")")
        return frozenset("()" if depth else "(" + self.end * bool(prefix))

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
    LONG = "n_max"
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
