"""The Task interface every task family implements, and the stream-level helpers built on it."""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np

from ..fsm import MAX_STATES, Machine, machine, minimise

KINDS = ("bit", "counter", "flag", "phase", "parity", "input")  # what a neuron can hold; all but input are memory


@dataclass(frozen=True)
class Feature:
    """A state feature a task family declares beside its rules: machine name, kind and the task's own words.

    A counter may be scored within phases, named by the values of the family's `phase` feature;
    None in `phases` means the whole stream. A phase feature names its values in `values`.
    """

    name: str  # machine name, e.g. "row0_complete"; a key of `features_of`
    kind: str  # one of KINDS
    text: str  # the task's own words, e.g. "b's still to print"
    phases: tuple[str | None, ...] = (None,)  # where it is scored
    values: tuple[str, ...] = ()  # a phase feature's value names, e.g. ("in the a's", "just read b", "in the b's")
    symbol: str = ""  # an input feature's symbol


CONTROLS = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\0": "NUL", "\x7f": "DEL"}


def is_symbol(c: str) -> bool:
    """True when c can be a task's symbol: a printable character that takes one terminal column (no control
    character such as NUL, CR or DEL, no zero-width mark or format character, no double-width character)."""
    kind = unicodedata.category(c)
    printable = c == " " or kind[0] not in "CZ" and kind not in ("Mn", "Me")  # Me, Mn: marks that take no column
    return printable and unicodedata.east_asian_width(c) not in ("W", "F")


@dataclass(frozen=True)
class Param:
    """A task parameter: its type, its bounds (for numbers) and its default, as the family declares it."""

    kind: type  # int or str
    lo: int | None = None
    hi: int | None = None
    default: object = None

    def check(self, name: str, value: object) -> object:
        """The value if it has the right type and lies within the bounds; raises ValueError naming it."""
        if self.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if self.kind is str and (not isinstance(value, str) or not value):
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        if self.kind is str:
            bad = next((c for c in value if not is_symbol(c)), None)
            if bad is not None:
                what = CONTROLS.get(bad) or unicodedata.name(bad, "a control character")
                raise ValueError(
                    f"{name} holds U+{ord(bad):04X} ({what}); a symbol is one printable character one column wide "
                    "(no control, zero-width or double-width characters)"
                )
        if self.kind is int and not (self.lo <= value <= self.hi):
            raise ValueError(f"{name} must be in {self.lo}..{self.hi}, got {value}")
        return value


@dataclass
class Task:
    """A task family: its symbols, a seeded generator, a validity checker and the legal next symbols.

    A *unit* is one line (ending in its newline) or one game (ending in the clear token).
    Subclasses fill in `generate`, `is_valid`, `legal_next`, `features_of` and, when the task has a
    size parameter (k, n, moves), `unit_param` and `param_dist`. Each declares its parameters in
    PARAMS (with their bounds, so that no file can ask for a task too large to build) and any rule
    between them in `check_params`.
    """

    PARAMS: ClassVar[dict[str, Param]] = {}

    name: str
    params: dict
    target: dict = field(default_factory=dict)
    vocab: tuple[str, ...] = ()
    end: str = "\n"  # the symbol that ends a unit; also the start token
    step_word = "symbol"  # what one step reads, in the task's words: "a symbol early", "a move early"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.params) - set(self.PARAMS))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; {self.family} takes {', '.join(self.PARAMS)}")
        self.params = {
            k: p.check(k, self.params.get(k, p.default))
            for k, p in self.PARAMS.items()
            if k in self.params or p.default is not None
        }
        missing = [k for k in self.PARAMS if k not in self.params]
        if missing:
            raise ValueError(f"missing parameter(s) {', '.join(missing)}")
        self.check_params()

    def check_params(self) -> None:
        """Rules between parameters; raises ValueError. None by default."""

    @property
    def family(self) -> str:
        """The family name stored in a weights file's meta."""
        raise NotImplementedError

    @property
    def is_grid(self) -> bool:
        """True for grid tasks, whose units are games."""
        return False

    def generate(self, rng: np.random.Generator, n: int) -> list[str]:
        """n random valid units."""
        raise NotImplementedError

    def generate_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The vocabulary indices of `generate(rng, n)` joined into one stream, drawn the same way."""
        from ..model import encode

        return encode(self.vocab, "".join(self.generate(rng, n)))

    def is_valid(self, unit: str) -> bool:
        """True when unit (ending in `end`) obeys the task's rules."""
        raise NotImplementedError

    def valid_units(self, units: list[str]) -> list[bool]:
        """`is_valid` of each unit, each distinct unit checked once; families may compute it on arrays."""
        answers = {u: self.is_valid(u) for u in set(units)}
        return [answers[u] for u in units]

    def legal_next(self, prefix: str) -> frozenset[str]:
        """The symbols that may follow `prefix`, a partial unit; empty if the prefix is already wrong."""
        raise NotImplementedError

    LONG: ClassVar[str | None] = None  # the bound a length test goes past; the parameter's own upper limit ends it

    def long_unit(self, n: int) -> str:
        """The length test's unit of size n, end symbol included (families with LONG)."""
        raise NotImplementedError

    @property
    def long_start(self) -> int:
        """The smallest size the length test tries: the smallest unit's, unless the family says otherwise."""
        return self.sizes.start

    def open_next(self, prefix: str) -> frozenset[str]:
        """The symbols that may follow a valid partial unit in the language without its upper bound LONG
        (after ten a's another a is legal), found without enumerating lines (families with LONG)."""
        raise NotImplementedError

    def features_of(self, prefix: str) -> dict[str, float]:
        """Ground-truth state features after reading `prefix`, a valid partial unit, keyed by the names of
        `state_features`; NaN where a feature is undefined (b's still to print before the middle)."""
        raise NotImplementedError

    @property
    def state_features(self) -> tuple[Feature, ...]:
        """The state features this family declares, in its own words."""
        raise NotImplementedError

    def symbol_word(self, symbol: str) -> str:
        """A symbol in words, for `reads ...`: 'a newline', or the symbol itself."""
        return "a newline" if symbol == "\n" else symbol

    @property
    def input_features(self) -> tuple[Feature, ...]:
        """One `reads s` feature per symbol: what a neuron that only mirrors the current input holds."""
        names = {s: "newline" if s == "\n" else s for s in self.vocab}
        return tuple(
            Feature(f"reads_{names[s]}", "input", f"reads {self.symbol_word(s)}", symbol=s) for s in self.vocab
        )

    @property
    def max_len(self) -> int:
        """The length of the longest valid unit, end symbol included."""
        raise NotImplementedError

    def unit_param(self, unit: str) -> int | None:
        """The size parameter of a unit already known to be valid (k, n, number of moves), for TVD."""
        return None

    def param_dist(self) -> dict[int, float]:
        """The task's own distribution of `unit_param` over generated units."""
        return {}

    # ---- the task's automaton ----

    def machine_key(self, prefix: str) -> Hashable:
        """What the future of a valid partial unit depends on: prefixes with one key have the same legal
        continuations. The prefix itself by default; a family with many orders of one state (a board) says so."""
        return prefix

    def explore(self) -> Machine:
        """The machine of the valid partial units, one state per `machine_key`, before minimisation.

        The start is the empty prefix (after the start token); each legal next symbol leads on, and the
        end symbol leads back to the start. Raises ValueError past MAX_STATES states.
        """
        col = {c: i for i, c in enumerate(self.vocab)}
        names, index, rows = [""], {self.machine_key(""): 0}, []
        while len(rows) < len(names):
            prefix = names[len(rows)]
            row = np.full(len(self.vocab), -1)  # (V,)
            for c in self.legal_next(prefix):
                nxt = "" if c == self.end else prefix + c
                k = index.setdefault(self.machine_key(nxt), len(names))
                if k == len(names):
                    if k >= MAX_STATES:
                        raise ValueError(f"task {self.name!r} has more than {MAX_STATES} states")
                    names.append(nxt)
                row[col[c]] = k
            rows.append(row)
        return machine(np.array(rows), self.vocab)

    machine_note = ""  # what the task's machine leaves out, in words, said wherever its size is printed

    @cached_property
    def automaton(self) -> Machine:
        """The task's minimal machine: states reachable from the start under valid input, each putting out
        its set of legal next symbols, no dead state (count: 11 states, fill: 512)."""
        return minimise(self.explore())[0]

    # ---- stream helpers, shared by all families ----

    def split(self, stream: str) -> tuple[list[str], str]:
        """Cut a stream into finished units and the unfinished tail."""
        parts = stream.split(self.end)
        return [p + self.end for p in parts[:-1]], parts[-1]

    def prefixes(self, stream: str) -> list[str]:
        """For each position t, the partial unit after reading stream[t] (empty after an `end`)."""
        out, cur = [], ""
        for c in stream:
            cur = "" if c == self.end else cur + c
            out.append(cur)
        return out

    def legal_mask(self, stream: str) -> np.ndarray:
        """(T, V) bool: which symbols may follow each position of a stream."""
        mask = np.zeros((len(stream), len(self.vocab)), dtype=bool)
        col = {c: i for i, c in enumerate(self.vocab)}
        cache: dict[str, list[int]] = {}
        for t, pre in enumerate(self.prefixes(stream)):
            if pre not in cache:
                cache[pre] = [col[c] for c in self.legal_next(pre)]
            mask[t, cache[pre]] = True
        return mask

    def features(self, stream: str) -> dict[str, np.ndarray]:
        """Per-position ground-truth state features of a valid stream, one (T,) array per name."""
        rows = [self.features_of(pre) for pre in self.prefixes(stream)]
        return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]} if rows else {}
