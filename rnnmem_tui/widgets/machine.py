"""The automaton view: the network's extracted machine, its current state, and whether it is on the task's machine."""

from __future__ import annotations

from itertools import islice

from rich.text import Text
from textual import work
from textual.strip import Strip
from textual.widget import Widget

from ..automaton import ALLOW, Report, report
from ..fsm import Machine
from ..session import Session, describe
from .output import show_symbol
from .view import View

TRAIL = 8  # recent states drawn in bold
MEMO = 256  # frames whose state is remembered
STYLE = {
    "now": "bold reverse",
    "trail": "bold cyan",
    "state": "grey62",
    "wrong": "red",
    "ok": "bold green",
    "off": "bold white on red",
    "dim": "grey50",
}


def symbols(text: str) -> str:
    """Symbols as shown on screen (a newline as ↵), or a dash for none."""
    return "".join(map(show_symbol, text)) or "-"


def reached(text: str) -> str:
    """How a state is reached: 'after 3cc', or 'the start'."""
    return f"after {symbols(text)}" if text else "the start"


class MachineView(Widget):
    """Draws where a Session's network is in its extracted machine, and whether it is still on the task's machine.

    `show()` redraws from the session; the machine of each setting of interventions is extracted once, in a
    thread (the first line says it is being extracted).
    """

    DEFAULT_CSS = "MachineView { height: 1fr; }"

    def __init__(self, session: Session, **kw) -> None:
        super().__init__(**kw)
        self.session = session
        self.reports: dict[tuple, Report] = {}  # (zeroed, clamped) -> the machine extracted under them
        self._asked: set[tuple] = set()
        self.trail: list[int] = []  # the extracted states of the recent steps, newest last
        self._drawn: tuple | None = None  # (what the lines show, the lines)
        self._memo: dict[tuple, tuple[int, bool]] = {}  # (frame, interventions) -> state_at, oldest first

    def key(self) -> tuple:
        """The interventions held: what the extracted machine depends on."""
        iv = self.session.interventions
        return iv.zeroed, iv.clamped

    @property
    def report(self) -> Report | None:
        """The machine extracted under the interventions held, once it is known."""
        return self.reports.get(self.key())

    def show(self) -> None:
        """Redraw from the session; ask for the machine of the interventions held if it is not known yet."""
        k = self.key()
        if k not in self.reports and k not in self._asked:
            self._asked.add(k)
            self.extract(k, self.session.interventions)
        self.trail = self.states(TRAIL)
        self.refresh()

    @work(thread=True, group="automaton")
    def extract(self, key: tuple, iv) -> None:
        """Extract the machine under the interventions, off the UI thread."""
        s = self.session
        r = report(s.net, s.task, iv)
        self.app.call_from_thread(self._found, key, r)

    def _found(self, key: tuple, r: Report) -> None:
        self.reports[key] = r
        self.trail = self.states(TRAIL)
        self.refresh()

    def states(self, n: int) -> list[int]:
        """The extracted states of the last n steps (or fewer), oldest first; empty until the machine is known."""
        if self.report is None:
            return []
        return [self.state_at(f)[0] for f in list(islice(reversed(self.session.frames), n))[::-1]]

    def state_at(self, frame) -> tuple[int, bool]:
        """The extracted state of a frame's hidden state, and whether its cell was explored; remembered for the
        recent frames (a frame never changes), since a cell never explored costs a nearest-neighbour search."""
        key = (frame, self.key())
        if key not in self._memo:
            if len(self._memo) > MEMO:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = self.report.extracted.state_of(frame.step.h)
        return self._memo[key]

    def task_state(self) -> int | None:
        """The task machine's state after the current partial unit, or None once the unit broke the rules."""
        m, s = self.session.task.automaton, 0
        for c in self.session.frame.prefix:
            s = int(m.delta[s, self.session.net.vocab.index(c)])
            if s < 0:
                return None
        return s

    def render_line(self, y: int) -> Strip:
        """Line y of `text`, which is made once per step, setting or size."""
        state = (self.session.frame, self.key(), self.report is not None, self.size)
        if self._drawn is None or self._drawn[0] != state:
            base, console = self.rich_style, self.app.console
            lines = [
                Strip(line.render(console)).apply_style(base).adjust_cell_length(self.size.width, base)
                for line in self.text().split("\n")
            ]
            self._drawn = (state, lines)
        lines = self._drawn[1]
        return lines[y] if y < len(lines) else Strip.blank(self.size.width, self.rich_style)

    def text(self) -> Text:
        """The figures and the current state, then every state of a small machine as a grid."""
        s, f, r = self.session, self.session.frame, self.report
        vocab = s.net.vocab
        out = Text(no_wrap=True, overflow="ellipsis")
        held = describe(s.interventions)
        if r is None:
            out.append("extracting the network's machine" + (f" with {held}" if held else "") + "…", STYLE["dim"])
            return out
        m, tm, ex = r.extracted.machine, r.task_machine, r.extracted
        out.append(
            f"network's machine {m.states} states · task's {tm.states} · agreement {r.agreement:.4f} · "
            f"step {ex.resolution:g}" + (f" · {held}" if held else "") + "\n"
        )
        if s.task.machine_note:
            out.append(f"task's machine: {s.task.machine_note}\n", STYLE["dim"])
        now, exact = self.state_at(f)
        allows = "".join(c for c, p in zip(vocab, f.step.p) if p >= ALLOW)  # what the network allows right now
        legal = "".join(c for c in vocab if c in f.legal)
        ts = self.task_state()
        where = "" if exact else " (nearest: this hidden state was never reached in the exploration)"
        out.append(f"now in state {now} ({reached(m.name(now))}){where}: allows {symbols(m.allows(now))}\n")
        if ts is None:
            out.append(" off the task's machine: this unit already broke the rules ", STYLE["off"])
        elif allows != legal:
            out.append(
                f" off the task's machine: the network allows {symbols(allows)} where the task allows "
                f"{symbols(legal)} ",
                STYLE["off"],
            )
        else:
            out.append(
                f"on the task's machine: task state {ts} ({reached(tm.name(ts))}), allows {symbols(legal)}", STYLE["ok"]
            )
        out.append("\n")
        self.grid(out, r, now)
        return out

    def grid(self, out: Text, r: Report, now: int) -> None:
        """A small machine state by state with its transitions (each symbol to the state it leads to), the current
        state reversed, the recent ones bold, those that disagree with the task's machine in red; a machine too
        large for that, summarised: the current state's transitions, the recent path and how many states
        disagree."""
        m = r.extracted.machine
        lines = max(self.size.height - out.plain.count("\n") - 1, 0)
        if m.states + 1 <= lines:
            out.append("each state, what it allows, and where each symbol leads\n", STYLE["dim"])
            w = len(str(m.states - 1))
            for i in range(m.states):
                out.append(f"{i:>{w}}", self.style_of(i, now, r))
                out.append(f" {self.moves(m, i)}\n", STYLE["state"])
            return
        out.append(f"\n{m.states} states, too many to list; from the current one:\n", STYLE["dim"])
        out.append(f"{now}", STYLE["now"])
        out.append(f" {self.moves(m, now)}\n", STYLE["state"])
        path = " → ".join(str(t) for t in self.trail[-TRAIL:])
        out.append(f"the last steps went through {path}\n", STYLE["trail"])
        wrong = len(r.comparison.wrong)
        out.append(
            f"{wrong} of {m.states} states allow other symbols than the task's machine does somewhere"
            if wrong
            else f"all {m.states} states allow what the task's machine does",
            STYLE["wrong"] if wrong else STYLE["ok"],
        )

    @staticmethod
    def style_of(i: int, now: int, r: Report) -> str:
        """A state's style: current, then wrong (it disagrees with the task's machine), else plain."""
        return STYLE["now"] if i == now else STYLE["wrong"] if i in r.comparison.wrong else STYLE["trail"]

    @staticmethod
    def moves(m: Machine, i: int) -> str:
        """State i's transitions, e.g. `a→3 b→4`, or `allows nothing`."""
        moves = [f"{show_symbol(m.vocab[x])}→{int(t)}" for x, t in enumerate(m.delta[i]) if t >= 0]
        return " ".join(moves) or "allows nothing"


VIEW = View(
    "k",
    "machine",
    "Machine",
    "the finite-state machine the network implements",
    "The machine extracted from the network's hidden states (quantised, minimised), its current state "
    "highlighted as the network runs, beside the task's own minimal machine; it says when the network "
    "leaves the task's machine, e.g. after an intervention (rnnmem-tui automaton gives the same in full).",
    make=MachineView,
    show=lambda view, seen: view.show(),
    tip="Automaton: the machine the network implements, state by state",
)
