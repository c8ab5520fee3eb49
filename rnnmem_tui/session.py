"""The explorer's state in plain Python: one frozen Frame per step, a history to step back through, running scores,
and the seed's probability grid of a fill order under the interventions held."""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate, islice

import numpy as np

from .cells import cell_of
from .metrics import illegal_mass, validity
from .model import NONE, RNN, Interventions, StepResult
from .tasks import Task

MODES = ("sample", "teacher", "type")
TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
HISTORY = 2000  # frames kept for stepping back
WINDOW = 100  # units (or teacher steps) in a running score
RECENT = 24  # finished units kept for display
RUNAWAY = 2  # this many times the longest valid unit, sampled under one setting with no end: invalid
DRAWS = 4096  # uniforms drawn from the seed at a time


@dataclass(frozen=True)
class Unit:
    """A finished line or game."""

    text: str  # ends with the task's end symbol
    valid: bool
    broke_at: int | None  # index of the first symbol that broke the rules
    own: bool  # every symbol was sampled by the network under one setting, so it is scored
    began: int | None = None  # index in text before which the interventions changed, if they did


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything one step produced and the bookkeeping after it; never changed once made."""

    t: int  # steps since the reset; 0 is the read of the start token
    step: StepResult  # symbol read, hidden state (H,), next-symbol probabilities (V,), interventions
    source: str  # who chose the symbol read: "start", "sample", "teacher", "typed", or "rules" (finishing a unit)
    prefix: str  # the unfinished unit after this step ('' right after an end symbol)
    legal: frozenset[str]  # symbols that may follow prefix; empty once prefix broke the rules
    move_ok: bool  # the symbol read obeyed the rules after the previous prefix
    broke_at: int | None  # index in prefix of the first symbol that broke the rules
    bad: float  # probability the network puts on illegal next symbols (1 once prefix broke the rules)
    finished: Unit | None  # the unit this step ended, if it read an end symbol
    recent: tuple[Unit, ...]  # the last RECENT finished units, oldest first
    units: int  # finished units since the reset
    key: tuple | None  # the setting the symbol read was sampled under; None when the net did not sample it
    run: int  # how many symbols in a row of the current unit were sampled under that setting
    pools: dict[tuple, tuple]  # setting -> its last WINDOW scored units (sample) or bad masses (teacher)
    teach: int  # index in the teacher's text of the next symbol to feed
    feeding: bool  # the current unit is the teacher's
    began: int | None = None  # index in prefix before which the interventions changed, if they did


@dataclass(frozen=True)
class Running:
    """A running score under the current setting; while neurons are held, also the intact twin's, both
    counting only the units (or teacher steps) since the twin forked."""

    name: str  # "valid" or "bad mass"
    now: float | None
    n_now: int
    free: float | None = None  # the intact twin's score; None without a twin or before it scored
    n_free: int = 0
    twin: bool = False  # an intact twin runs alongside


@dataclass(frozen=True, eq=False)
class ProbGrid:
    """The seed's probability heatmap: a game teacher-forced from EMPTY, the outputs after each board state."""

    order: str  # the cells played, in order; the game must clear after the last
    rows: tuple[str, ...]  # a label per board state: 'EMPTY', then the cell just played ('8, FULL' last)
    columns: tuple[str, ...]  # the outputs: the cells, then 'END' (the clear token)
    p: np.ndarray  # (R, V) next-symbol probabilities after each board state
    bad: np.ndarray  # (R, V) bool: the outputs the rules forbid there
    interventions: Interventions

    @property
    def bad_mass(self) -> float:
        """The probability on forbidden outputs, a mean over the board states as `eval`'s is over steps (0 is perfect)."""
        return float(illegal_mass(self.p, ~self.bad).mean())


def describe(iv: Interventions, names: Sequence[str] = ()) -> str:
    """Interventions as short text, e.g. `n1 zeroed, n0 clamped +0.80` (an LSTM's `c1 zeroed`); '' when none."""
    held = sorted(set(iv.zeroed) | {i for i, _ in iv.clamped})
    return ", ".join(f"{names[i] if i < len(names) else f'n{i}'} {iv.of(i)}" for i in held)


class Session:
    """Steps a network through a stream in one of three modes, keeps the frames, holds the interventions.

    Randomness is keyed by step number (the uniform draw for step t is fixed by the seed), so a reset
    replays the same draws, and stepping back then forward reproduces a step exactly.

    While neurons are held, an intact twin (a Session of its own, with no interventions) runs alongside:
    it forks from the step on screen when the first intervention begins, reads the same draws (or the
    same fed and typed symbols), and goes when the last neuron is released.
    """

    def __init__(
        self, net: RNN, task: Task, seed: int = 0, history: int = HISTORY, interventions: Interventions = NONE
    ) -> None:
        self.net, self.task, self.seed = net, task, seed
        self.mode = "sample"
        self.temperature = 1.0
        self.interventions = interventions.check(net.hidden, cell_of(net).bounded)  # held from the start: no twin
        self._end = int(net.index(task.end)[0])
        self._col = {c: i for i, c in enumerate(net.vocab)}
        self._rng = np.random.default_rng(seed)  # the same uniforms, in order, as `rnnmem-tui sample`
        self._u: list[np.ndarray] = []  # the uniforms, DRAWS at a time
        self._teacher_rng = np.random.default_rng([seed, 1])
        self._teacher = ""
        self.frames: deque[Frame] = deque(maxlen=history)
        self.twin: Session | None = None
        # a pool changes only when a unit ends, but the score is asked for at every redraw
        self._validity = lru_cache(maxsize=8)(lambda units: validity(task, list(units)))
        self.reset()

    @property
    def frame(self) -> Frame:
        """The newest frame: what is on screen."""
        return self.frames[-1]

    @property
    def unit_names(self) -> tuple[str, ...]:
        """The state units' names when not n0, n1, ... (an LSTM's h0.., c0..); () otherwise."""
        net = self.net
        return tuple(cell_of(net).unit_names(net.size)) if net.hidden > net.size else ()

    def window(self, n: int) -> np.ndarray:
        """The hidden states of the last n frames (or fewer), oldest first: (n, H)."""
        newest_first = [f.step.h for f in islice(reversed(self.frames), n)]
        return np.stack(newest_first[::-1])  # (k, H)

    # ---- stepping ----

    def reset(self) -> Frame:
        """Back to h = 0 and an empty stream, reading the start token; the same draws follow."""
        self.frames.clear()
        self.frames.append(self._advance(None, self._end, "start"))
        if self.twin is not None:
            self.twin.reset()
        return self.frame

    def next_symbol(self) -> str | None:
        """What the next step will read in the current mode; None in type mode, where the user chooses."""
        f = self.frame
        if self.mode == "sample":
            return self.net.vocab[self._draw(f)]
        if self.mode == "teacher":
            return self._complete(f) if f.prefix and not f.feeding else self._teacher_at(f.teach)
        return None

    def step(self, symbol: str | None = None) -> Frame:
        """Read one symbol: the given one (typed), else the mode's choice; returns the new frame."""
        if symbol is not None:
            if symbol not in self._col:
                raise ValueError(f"{symbol!r} is not a symbol of this task")
            x, source = self._col[symbol], "typed"
            if self.frame.prefix and self.frame.source != "typed":
                self._finish_unit()  # a typed unit starts a fresh line
        elif self.mode == "type":
            raise ValueError("type mode reads typed symbols only")
        else:
            x, source = self._col[self.next_symbol()], self.mode
        if self.twin is not None:
            self.twin.step(symbol)
        self.frames.append(self._advance(self.frame, x, source))
        return self.frame

    def _finish_unit(self) -> None:
        """Finish the unit another mode left unfinished, by the rules (`_complete`, as the teacher does), so that
        what is typed next starts a line of its own. The symbols so fed are scored nowhere."""
        while self.frame.prefix:  # an intact twin finishes its own unit when it reads the typed symbol
            self.frames.append(self._advance(self.frame, self._col[self._complete(self.frame)], "rules"))

    def back(self) -> bool:
        """Drop the newest frame, restoring the one before it exactly; False at the oldest kept frame.

        The twin steps back too; back before the fork, it forks again from the (intact) frame on screen.
        """
        if len(self.frames) < 2:
            return False
        self.frames.pop()
        if self.twin is not None and not self.twin.back():
            self.twin = self._fork(self.frame) if not (self.frame.step.zeroed or self.frame.step.clamped) else None
        return True

    # ---- settings ----

    def cycle_mode(self) -> str:
        """Switch to the next mode."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        if self.twin is not None:
            self.twin.mode = self.mode
        return self.mode

    def set_temperature(self, t: float) -> None:
        """Set the sampling temperature (positive)."""
        if t <= 0:
            raise ValueError("the temperature must be positive")
        self.temperature = float(t)
        if self.twin is not None:
            self.twin.temperature = self.temperature

    def intervene(self, iv: Interventions) -> None:
        """Hold neurons as iv says, from the step on screen on: that step is recomputed with them.

        The first intervention forks the intact twin from the step as it was; releasing all drops it.
        """
        iv = iv.check(self.net.hidden, cell_of(self.net).bounded)
        if iv == self.interventions:
            return
        f = self.frame
        if not iv:
            self.twin = None
        elif self.twin is None:
            self.twin = self._fork(f)
        else:  # a further change: the intact twin's scores restart with the held network's, over the same steps
            self.twin.frames[-1] = replace(self.twin.frame, pools={}, run=0)
        self.interventions = iv
        if f.t == 0:
            self.frames[-1] = self._advance(None, self._end, "start")
        elif len(self.frames) > 1:  # the oldest kept frame has lost its predecessor: it stays as it was
            self.frames[-1] = self._advance(self.frames[-2], f.step.x, f.source)
        new = self.frames[-1]
        pools = {} if self.twin is not None and new.t == self.twin.frame.t else new.pools  # scores restart
        self.frames[-1] = replace(new, pools=pools, began=len(new.prefix) if iv else new.began)

    def _fork(self, f: Frame) -> Session:
        """An intact twin that starts at frame f (computed without interventions) with no scores yet."""
        twin = Session(self.net, self.task, self.seed, self.frames.maxlen)
        twin.mode, twin.temperature = self.mode, self.temperature
        # run 0: the unit on screen began before the fork, so the twin does not score it
        twin.frames = deque([replace(f, pools={}, run=0)], maxlen=self.frames.maxlen)
        return twin

    def zero(self, i: int) -> None:
        """Hold neuron i at 0."""
        self.intervene(self.interventions.zero(i))

    def clamp(self, i: int, v: float | None = None) -> None:
        """Hold neuron i at v, by default at its value on screen."""
        self.intervene(self.interventions.clamp(i, float(self.frame.step.h[i]) if v is None else v))

    def cycle_clamp(self, i: int) -> None:
        """Clamp neuron i at +1, or at -1 when it is already clamped at +1."""
        self.clamp(i, -1.0 if dict(self.interventions.clamped).get(i) == 1.0 else 1.0)

    def release(self, i: int) -> None:
        """Free neuron i."""
        self.intervene(self.interventions.release(i))

    def release_all(self) -> None:
        """Free every neuron: the network is exactly the original again, and so is its state. The intact twin's
        steps since the first intervention take the place of the held network's, so that the original goes
        on from where it would be, never from a state only the held network reaches (a loop it cannot leave)."""
        twin = self.twin
        self.intervene(NONE)
        if twin is not None:
            fork = twin.frames[0].t
            kept = [f for f in self.frames if f.t < fork]
            self.frames = deque([*kept, *twin.frames], maxlen=self.frames.maxlen)

    # ---- the probability grid (grid tasks) ----

    def game(self, typed: str = "") -> str:
        """A whole game that plays the typed cells first, then the others in board order, up to the clear.

        Raises ValueError for a symbol that is not a cell, or a cell played twice.
        """
        cells = self.task.cells
        for i, c in enumerate(typed):
            if c not in cells:
                raise ValueError(f"{c!r} is not a cell; the cells are {cells}")
            if c in typed[:i]:
                raise ValueError(f"cell {c} is played twice")
        order = typed + "".join(c for c in cells if c not in typed)
        for n in range(len(order) + 1):
            if self.task.legal_next(order[:n]) == {self.task.end}:
                return order[:n]
        return order

    def probability_grid(self, order: str) -> ProbGrid:
        """Teacher-force the game `order` (see game) from h = 0 under the interventions held."""
        task, iv, end = self.task, self.interventions, self.task.end
        X = self.net.index(end + order)[None, :]  # (1, R)
        _, ps = self.net.forward(X, np.zeros((1, self.net.hidden)), iv)
        legal = task.legal_mask(end + order)  # (R, V)
        last = "FULL" if len(order) == len(task.cells) else "DONE"
        rows = ("EMPTY", *order[:-1], f"{order[-1]}, {last}") if order else ("EMPTY",)
        columns = tuple("END" if c == end else c for c in self.net.vocab)
        return ProbGrid(order, rows, columns, ps[0], ~legal, iv)

    def symbols(self, n: int) -> str:
        """The symbols read by the last n frames (or fewer), oldest first."""
        return "".join(self.net.vocab[f.step.x] for f in islice(reversed(self.frames), n))[::-1]

    # ---- scores ----

    def running(self) -> Running | None:
        """The running validity (sample mode) or bad mass (teacher mode); while neurons are held, the
        intact twin's too, both since the fork."""
        if self.mode == "type":
            return None
        now, n = self._score()
        if self.twin is None:
            return Running("valid" if self.mode == "sample" else "bad mass", now, n)
        free, n_free = self.twin._score()
        return Running("valid" if self.mode == "sample" else "bad mass", now, n, free, n_free, twin=True)

    def _score(self) -> tuple[float | None, int]:
        """The running score under the current setting and how many units (or steps) it counts."""
        pool = self.frame.pools.get(self._key(self.mode, self.interventions), ())
        if not pool:
            return None, 0
        return (self._validity(pool) if self.mode == "sample" else float(np.mean(pool))), len(pool)

    # ---- internals ----

    def _key(self, mode: str, held: Interventions | StepResult) -> tuple:
        """The setting a score belongs to: mode, interventions and (when sampling) temperature."""
        return (mode, held.zeroed, held.clamped, self.temperature if mode == "sample" else None)

    def _draw(self, f: Frame) -> int:
        """The symbol the sampler picks from frame f's probabilities, with step f.t's uniform."""
        while len(self._u) * DRAWS <= f.t:
            self._u.append(self._rng.random(DRAWS))
        u = float(self._u[f.t // DRAWS][f.t % DRAWS])
        p = f.step.p if self.temperature == 1.0 else f.step.p ** (1.0 / self.temperature)
        # plain-Python cumulative sum and bisection, as the model's sampler does
        c = list(accumulate(p.tolist()))
        return min(bisect_right(c, u * c[-1]), len(c) - 1)

    def _complete(self, f: Frame) -> str:
        """The teacher's next symbol for a unit it did not begin (the mode changed mid-unit): a legal one,
        drawn by step number, so that the unit is finished by the rules and not marked as the network's
        error; the end symbol once the unit already broke them."""
        if not f.legal:
            return self.task.end
        options = sorted(f.legal)
        return options[int(np.random.default_rng([self.seed, 2, f.t]).integers(len(options)))]

    def _teacher_at(self, i: int) -> str:
        while len(self._teacher) <= i:
            self._teacher += "".join(self.task.generate(self._teacher_rng, 64))
        return self._teacher[i]

    def _advance(self, prev: Frame | None, x: int, source: str) -> Frame:
        """The frame after prev (None: the start) when the network reads symbol index x."""
        iv, task = self.interventions, self.task
        res = self.net.step(np.zeros(self.net.hidden) if prev is None else prev.step.h, x, iv)
        if prev is None:
            legal = task.legal_next("")
            return Frame(
                0, res, source, "", legal, True, None, self._bad(res.p, legal), None, (), 0, None, 0, {}, 0, False
            )
        sym = self.net.vocab[x]
        # a sampled symbol belongs to the setting of the probabilities it was drawn from: the
        # interventions of the step before and the temperature now
        key = self._key("sample", prev.step) if source == "sample" else None
        run = prev.run + 1 if key is not None and key == prev.key and prev.prefix else int(key is not None)
        teach, feeding = prev.teach, False
        if source == "teacher" and (not prev.prefix or prev.feeding):
            teach, feeding = teach + 1, sym != task.end
        elif prev.feeding:  # the teacher's unit was cut short: its next unit starts after its end
            self._teacher_at(teach)
            teach = self._teacher.index(task.end, teach) + 1
        move_ok = sym in prev.legal
        broke_at = prev.broke_at if prev.broke_at is not None or move_ok else len(prev.prefix)
        pools, finished, recent, units = prev.pools, None, prev.recent, prev.units
        if sym == task.end:
            text = prev.prefix + sym
            own = run == len(text) and run < RUNAWAY * task.max_len  # a runaway was scored already
            finished = Unit(text, task.is_valid(text), broke_at, own, prev.began)
            broke_at = None
            if finished.own:
                pools = pools | {key: (pools.get(key, ()) + (text,))[-WINDOW:]}
            recent, units, prefix = (recent + (finished,))[-RECENT:], units + 1, ""
        else:
            prefix = prev.prefix + sym
            if run == RUNAWAY * task.max_len:
                # a setting under which the unit never ends is scored once, as invalid, so that
                # the score can move even when no unit finishes
                pools = pools | {key: (pools.get(key, ()) + (prefix,))[-WINDOW:]}
        # once a unit broke the rules nothing mends it: skip the task's check of a growing prefix
        legal = frozenset() if broke_at is not None else task.legal_next(prefix)
        bad = self._bad(res.p, legal)
        if source == "teacher":
            k = self._key("teacher", iv)
            pools = pools | {k: (pools.get(k, ()) + (bad,))[-WINDOW:]}
        return Frame(
            prev.t + 1,
            res,
            source,
            prefix,
            legal,
            move_ok,
            broke_at,
            bad,
            finished,
            recent,
            units,
            key,
            run,
            pools,
            teach,
            feeding,
            None if finished else prev.began,
        )

    def _bad(self, p: np.ndarray, legal: frozenset[str]) -> float:
        """Probability on symbols outside legal."""
        return max(0.0, 1.0 - float(sum(p[self._col[c]] for c in legal)))
