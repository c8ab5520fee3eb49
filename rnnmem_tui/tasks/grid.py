"""Grid tasks: fill an R x C board in random order then clear it, or clear it at three-in-a-row."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..fsm import MAX_STATES, Machine, machine
from .base import Feature, Param, Task

SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class GridTask(Task):
    """Cells of an R x C grid are the symbols `0-9a-z` in order; the clear token is the next symbol.

    A game is a sequence of moves (cells) ending in the clear token. On 3x3 the cells are `0`..`8`
    and the clear token is `9`, e.g. the fill game `4072813569`.
    """

    step_word = "move"
    PARAMS = {"rows": Param(int, 1, 35), "cols": Param(int, 1, 35)}

    def check_params(self) -> None:
        n = self.rows * self.cols
        if n >= len(SYMBOLS):
            raise ValueError(f"rows x cols must be at most {len(SYMBOLS) - 1} cells, got {self.rows}x{self.cols}")

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.rows * self.cols
        self.vocab = tuple(SYMBOLS[: n + 1])
        self.end = SYMBOLS[n]

    @property
    def rows(self) -> int:
        return int(self.params["rows"])

    @property
    def cols(self) -> int:
        return int(self.params["cols"])

    @cached_property
    def cells(self) -> str:
        """The cell symbols, row by row."""
        return SYMBOLS[: self.rows * self.cols]

    @cached_property
    def cell_index(self) -> dict[str, int]:
        """Cell number of each cell symbol."""
        return {c: i for i, c in enumerate(self.cells)}

    @cached_property
    def line_masks(self) -> tuple[int, ...]:
        """Each line as a bit mask over the cells."""
        return tuple(sum(1 << i for i in line) for line in self.lines.values())

    @property
    def is_grid(self) -> bool:
        return True

    @property
    def max_len(self) -> int:
        return len(self.cells) + 1

    @cached_property
    def lines(self) -> dict[str, tuple[int, ...]]:
        """Rows, columns and (on a square grid) both diagonals, as cell indices by name."""
        R, C = self.rows, self.cols
        out = {f"row{r}": tuple(r * C + c for c in range(C)) for r in range(R)}
        out |= {f"col{c}": tuple(r * C + c for r in range(R)) for c in range(C)}
        if R == C:
            out["diag"] = tuple(i * C + i for i in range(R))
            out["anti"] = tuple(i * C + C - 1 - i for i in range(R))
        return out

    @cached_property
    def line_words(self) -> dict[str, str]:
        """Each line by name as a player says it: `top row`, `left column`, `main diagonal`."""

        def place(i: int, n: int, first: str, last: str) -> str:
            if n == 1:
                return "only"
            if 0 < i < n - 1:
                return "middle" if n == 3 else f"{i + 1}{'nd' if i == 1 else 'rd' if i == 2 else 'th'}"
            return first if i == 0 else last

        out = {f"row{r}": f"{place(r, self.rows, 'top', 'bottom')} row" for r in range(self.rows)}
        out |= {f"col{c}": f"{place(c, self.cols, 'left', 'right')} column" for c in range(self.cols)}
        return out | {"diag": "main diagonal", "anti": "anti-diagonal"}

    @cached_property
    def state_features(self) -> tuple[Feature, ...]:
        cells = tuple(Feature(f"cell{c}", "bit", f"cell {c} filled") for c in self.cells)
        lines = tuple(
            f
            for name, words in self.line_words.items()
            if name in self.lines
            for f in (
                Feature(name, "counter", f"cells filled in the {words}"),
                Feature(f"{name}_complete", "flag", f"{words} complete"),
                Feature(f"{name}_near", "flag", f"{words} one move from complete"),
            )
        )
        return (
            *cells,
            Feature("filled", "counter", "cells filled"),
            Feature("parity", "parity", "odd move count"),
            *lines,
            Feature(self.done_feature, "flag", self.done_words),
        )

    def symbol_word(self, symbol: str) -> str:
        """`cell 4`, or `clear` for the clear token."""
        return "clear" if symbol == self.end else f"cell {symbol}"

    def moves(self, prefix: str) -> tuple[list[int], int] | None:
        """The cells a partial game filled and their bit mask, or None when it breaks the rules so far.

        Broken means a repeated cell, a clear token, or a move after the game had to clear.
        """
        cells, mask = [], 0
        for c in prefix:
            i = self.cell_index.get(c)
            if i is None or mask >> i & 1 or self.done(mask):
                return None
            cells.append(i)
            mask |= 1 << i
        return cells, mask

    def done_many(self, masks: np.ndarray) -> np.ndarray:
        """For each filled-cells bit mask (int64, any shape): True when that game must clear next."""
        raise NotImplementedError

    @cached_property
    def done_table(self) -> np.ndarray | None:
        """`done_many` of every bit mask, for grids of up to 16 cells (None for larger ones)."""
        return self.done_many(np.arange(1 << len(self.cells), dtype=np.int64)) if len(self.cells) <= 16 else None

    def done(self, mask: int) -> bool:
        """True when a game with the cells of this bit mask filled must clear next."""
        table = self.done_table
        return bool(table[mask] if table is not None else self.done_many(np.int64(mask)))

    def _done_many(self, masks: np.ndarray) -> np.ndarray:
        """`done_many` through the lookup table when there is one."""
        table = self.done_table
        return table[masks] if table is not None else self.done_many(masks)

    def ending(self, unit: str) -> str:
        """What ended a game, in the task's words, for marking it in a figure; '' when there is nothing to
        say beyond the clear (a full board)."""
        return ""

    def game_lengths(self, orders: np.ndarray) -> np.ndarray:
        """How many moves each full move order (n, N) plays before it must clear: (n,)."""
        board = np.bitwise_or.accumulate(np.left_shift(np.int64(1), orders), axis=1)  # (n, N) filled after each move
        return self.done_many(board).argmax(axis=1) + 1

    def _scan(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For an index stream (T,): after each position, the board's bit mask, the moves played and
        whether the game so far broke the rules (a repeated cell, or a move after it had to clear).

        The clear token starts a new game, as in `prefixes`. Vectorised: within a game the mask is the
        running sum of the moves' bits, which equals their union exactly while no cell repeats, and a
        repeat shows as fewer set bits than moves.
        """
        N, T = len(self.cells), len(idx)
        end = idx == N
        bits = np.where(end, 0, np.left_shift(np.int64(1), np.minimum(idx, N - 1)))  # (T,)
        last_end = np.maximum.accumulate(np.where(end, np.arange(T), -1))  # (T,) -1 before the first

        def since_end(x: np.ndarray) -> np.ndarray:  # running sum within the current game
            c = np.cumsum(x)
            return c - np.where(last_end >= 0, c[np.maximum(last_end, 0)], 0)

        mask, moves = since_end(bits), since_end(~end)
        full = (1 << N) - 1  # sums past it only come from repeats, which are fouls whatever done says
        before = (mask - bits) & full  # the board each move was played on
        done_before = self._done_many(before)
        foul = ~end & ((np.bitwise_count(mask) != moves) | done_before)  # (T,)
        return mask, moves, since_end(foul) > 0

    def legal_mask(self, stream: str) -> np.ndarray:
        """(T, V) bool, as the generic one, computed on arrays: the empty cells, or only the clear token."""
        from ..model import encode

        mask, _moves, broken = self._scan(encode(self.vocab, stream))
        done = self._done_many(mask & (1 << len(self.cells)) - 1) & ~broken  # (T,)
        empty = (mask[:, None] >> np.arange(len(self.cells)) & 1) == 0  # (T, N)
        return np.column_stack([empty & ~(done | broken)[:, None], done])

    def valid_units(self, units: list[str]) -> list[bool]:
        """`is_valid` of each unit (each ending in the clear token), computed on arrays."""
        from ..model import encode

        if not units or any(u[-1:] != self.end for u in units):
            return super().valid_units(units)
        try:
            idx = encode(self.vocab, self.end + "".join(units))
        except KeyError:
            return super().valid_units(units)
        mask, moves, broken = self._scan(idx[:-1])  # the state before each clear token
        at = np.flatnonzero(idx[1:] == len(self.cells))  # (n,) the positions read just before each clear
        done = self._done_many(mask[at] & (1 << len(self.cells)) - 1)
        return (done & ~broken[at] & (moves[at] > 0)).tolist()

    def machine_key(self, prefix: str) -> int:
        """The board: what a game's future depends on, whatever the order of its moves."""
        return self.moves(prefix)[1]

    def explore(self) -> Machine:
        """The boards a game reaches, one state each, with every array operation over all 2^N boards at once."""
        N = len(self.cells)
        if 1 << N > MAX_STATES:
            raise ValueError(f"task {self.name!r} has up to 2^{N} boards, more than {MAX_STATES} states")
        masks = np.arange(1 << N, dtype=np.int64)  # (2^N,) every board as a bit mask
        done = self._done_many(masks)
        bits = (masks[:, None] >> np.arange(N)) & 1  # (2^N, N)
        reach = masks == 0
        for _ in range(N):  # a board is reached by one more move from a reached board not yet done
            for i in range(N):
                before = masks ^ (1 << i)
                reach |= (bits[:, i] == 1) & reach[before] & ~done[before]
        delta = np.where(bits == 0, masks[:, None] | (1 << np.arange(N)), -1)  # (2^N, N) moves to empty cells
        delta[done] = -1
        clear = np.where(done, 0, -1)[:, None]  # (2^N, 1) a finished board clears to the empty one
        delta = np.where(reach[:, None], np.hstack([delta, clear]), -1)
        return machine(delta, self.vocab)

    def _games(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n uniformly random full move orders (n, N) and how many moves of each are played (n,)."""
        N = len(self.cells)
        orders = rng.permuted(np.tile(np.arange(N), (n, 1)), axis=1)  # (n, N)
        return orders, self.game_lengths(orders)

    def generate(self, rng: np.random.Generator, n: int) -> list[str]:
        """n games: uniformly random move orders, cut where the game must clear."""
        orders, lengths = self._games(rng, n)
        codes = np.frombuffer(self.cells.encode(), dtype=np.uint8)[orders]  # (n, N) as ASCII
        return [row[:k].tobytes().decode() + self.end for row, k in zip(codes, lengths)]

    def generate_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`generate`'s games as one stream of vocabulary indices (cell i is index i), built without strings."""
        orders, lengths = self._games(rng, n)
        N = orders.shape[1]
        games = np.empty((n, N + 1), dtype=np.intp)  # (n, N+1) the moves, then the clear token
        games[:, :N] = orders
        games[np.arange(n), lengths] = N
        return games[np.arange(N + 1) <= lengths[:, None]]

    def legal_next(self, prefix: str) -> frozenset[str]:
        played = self.moves(prefix)
        if played is None:
            return frozenset()
        mask = played[1]
        if self.done(mask):
            return frozenset(self.end)
        return frozenset(c for i, c in enumerate(self.cells) if not mask >> i & 1)

    def is_valid(self, unit: str) -> bool:
        played = self.moves(unit[:-1])
        return unit[-1:] == self.end and played is not None and bool(played[0]) and self.done(played[1])

    def features_of(self, prefix: str) -> dict[str, float]:
        cells, mask = self.moves(prefix) or ([], 0)
        filled = set(cells)
        out = {f"cell{c}": float(i in filled) for i, c in enumerate(self.cells)}
        out |= {"filled": float(len(filled)), "parity": float(len(filled) % 2)}
        for name, line in self.lines.items():
            out[name] = float(len(filled.intersection(line)))
            out[f"{name}_complete"] = float(out[name] == len(line))
            out[f"{name}_near"] = float(out[name] == len(line) - 1)  # all but one cell: a move can complete it
        out[self.done_feature] = float(self.done(mask))
        return out


@dataclass
class FillTask(GridTask):
    """Fill every cell in a uniformly random order, then clear: `0`..`8` shuffled, then `9`."""

    family = "fill"
    done_feature = "full"
    done_words = "all cells filled"

    def done_many(self, masks: np.ndarray) -> np.ndarray:
        return masks == (1 << len(self.cells)) - 1

    def unit_param(self, unit: str) -> int | None:
        """The first cell played, uniform over the cells in the task's own games."""
        return self.cell_index[unit[0]]

    def param_dist(self) -> dict[int, float]:
        return {i: 1.0 / len(self.cells) for i in range(len(self.cells))}


@dataclass
class ThreeInARowTask(GridTask):
    """Moves to random empty cells; the clear token comes right after a line is first completed."""

    family = "three-in-a-row"
    done_feature = "complete"
    done_words = "a line complete"

    def ending(self, unit: str) -> str:
        """The line the game's last move completed (`top row`); '' for a game that broke the rules."""
        played = self.moves(unit.removesuffix(self.end)) if self.is_valid(unit) else None
        if not played or not played[0]:
            return ""
        cells, mask = played
        done = [n for n, line in self.lines.items() if cells[-1] in line and all(mask >> i & 1 for i in line)]
        return " + ".join(self.line_words[n] for n in done)

    def done_many(self, masks: np.ndarray) -> np.ndarray:
        lines = np.array(self.line_masks, dtype=np.int64)  # (L,)
        return ((np.asarray(masks)[..., None] & lines) == lines).any(axis=-1)

    def unit_param(self, unit: str) -> int | None:
        """The number of moves before the clear."""
        return len(unit) - 1

    def param_dist(self) -> dict[int, float]:
        """Exact distribution of the game length (computed once)."""
        return self.length_dist

    @cached_property
    def length_dist(self) -> dict[int, float]:
        """Exact distribution of the game length, by dynamic programming over the filled bit masks."""
        n = len(self.cells)
        dist: dict[int, float] = {}
        layer, moves = {0: 1.0}, 0
        while layer:
            moves += 1
            nxt: dict[int, float] = {}
            for mask, p in layer.items():
                empty = [i for i in range(n) if not mask >> i & 1]
                for i in empty:
                    m, q = mask | 1 << i, p / len(empty)
                    if self.done(m):
                        dist[moves] = dist.get(moves, 0.0) + q
                    else:
                        nxt[m] = nxt.get(m, 0.0) + q
            layer = nxt
        return dict(sorted(dist.items()))
