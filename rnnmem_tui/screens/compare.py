"""Two networks of one task side by side, reading one input stream: their sparkbars, next-symbol bars and scores."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from ..session import Session
from ..widgets.neurons import NeuronData, NeuronsView
from ..widgets.output import OutputData, OutputView, show_symbol
from ..widgets.status import badge, mood, score
from .explorer import FPS, SPARK
from .keys import SPEEDS

MODES = ("teacher", "type")  # both networks read the same symbols: fed valid units, or typed ones


class CompareScreen(Screen):
    """Both networks step together; the selection moves in both neuron panels at once."""

    BINDINGS = [
        Binding("space", "play", "Play", tooltip="Play or pause"),
        Binding("n,right", "step", "Step", key_display="n/→", tooltip="One step forward"),
        Binding("m", "mode", "Mode", tooltip="Mode: teacher (valid units fed in) or type (you type)"),
        Binding("up", "select(-1)", "Up", key_display="↑", show=False, tooltip="Select the neuron above"),
        Binding("down", "select(1)", "Down", key_display="↓", show=False, tooltip="Select the neuron below"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+", show=False, tooltip="Play faster"),
        Binding("minus", "speed(-1)", "Slower", key_display="-", show=False, tooltip="Play slower"),
        Binding("r", "reset", "Reset", tooltip="Reset both: h = 0, the same stream"),
    ]

    playing: reactive[bool] = reactive(False)
    speed: reactive[int] = reactive(SPEEDS.index(10))
    selected: reactive[int] = reactive(0)

    def __init__(self, sessions: Sequence[Session], names: Sequence[str], mode: str = "teacher") -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"compare reads fed or typed symbols: mode is one of {', '.join(MODES)}")
        self.sessions, self.names = list(sessions), list(names)
        for s in self.sessions:
            s.mode = mode
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """A column per network: its neurons, then its next-symbol bars; the scores and the keys below."""
        with Horizontal(id="compare"):
            for k in range(len(self.sessions)):
                with Vertical(classes="side"):
                    yield NeuronsView(id=f"neurons-{k}", classes="compare-neurons")
                    yield OutputView(id=f"output-{k}", classes="compare-output")
        yield Static(id="compare-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Title each side with its name, size and recorded verdict; draw; play if asked."""
        for k, (s, name) in enumerate(zip(self.sessions, self.names)):
            self.query_one(f"#neurons-{k}").border_title = f"{'AB'[k]} {name} · {s.net.hidden} · {badge(s.net.meta)}"
            self.query_one(f"#output-{k}").border_title = f"{'AB'[k]} next symbol"
        self.show()
        self.playing = getattr(self.app, "play", False)

    @property
    def mode(self) -> str:
        """The mode both sessions are in."""
        return self.sessions[0].mode

    def validate_speed(self, i: int) -> int:
        """Keep the speed index within SPEEDS."""
        return min(max(i, 0), len(SPEEDS) - 1)

    def validate_selected(self, i: int) -> int:
        """Keep the selection on a neuron of the larger network."""
        return min(max(i, 0), max(s.net.hidden for s in self.sessions) - 1)

    def watch_speed(self, i: int) -> None:
        """A new timer at the new rate, paused unless playing."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1.0 / min(SPEEDS[i], FPS), self.tick, pause=not self.playing)

    def watch_playing(self, playing: bool) -> None:
        """Start or stop the timer."""
        if self._timer is not None:
            self._timer.resume() if playing else self._timer.pause()
        if self.is_mounted:
            self.show_status()

    def watch_selected(self) -> None:
        """Move the selection in both panels."""
        self.show()

    def tick(self) -> None:
        """As many steps as the speed asks for, then one redraw."""
        if self.mode == "type":
            self.playing = False
            return
        for _ in range(max(1, SPEEDS[self.speed] // FPS)):
            self.step()
        self.show()

    def step(self, symbol: str | None = None) -> None:
        """Both networks read the next symbol: the teacher's (the same stream for both) or the one typed."""
        for s in self.sessions:
            s.step(symbol)

    def show(self) -> None:
        """Hand each side its frame, and the scores to the status."""
        for k, s in enumerate(self.sessions):
            f = s.frame
            selected = min(self.selected, s.net.hidden - 1)
            self.query_one(f"#neurons-{k}", NeuronsView).data = NeuronData(
                s.window(SPARK), s.interventions, selected, symbols=s.symbols(SPARK)
            )
            self.query_one(f"#output-{k}", OutputView).data = OutputData(
                s.net.vocab, f.step.p, f.legal, s.next_symbol(), "teacher" if s.mode == "teacher" else "next", f.bad
            )
        self.show_status()

    def show_status(self) -> None:
        """The mode and step, then each network's running score (bad mass per step while fed)."""
        s0 = self.sessions[0]
        top = Text(f" {self.mode.upper()} ", style="reverse bold")
        top.append(
            f"  {'▶ playing' if self.playing else 'paused'} at {SPEEDS[self.speed]} step{'s' * (SPEEDS[self.speed] != 1)}/s"
            f"  step {s0.frame.t}  units {s0.frame.units}"
        )
        low = Text(" ")
        if self.mode == "type":
            typing = "".join(map(show_symbol, s0.net.vocab))
            low.append(f"type one of {typing}{' (enter for ↵)' if chr(10) in s0.net.vocab else ''}: both read it")
        for k, s in enumerate(self.sessions):
            r = s.running()
            if r is not None:
                low.append(f"{'AB'[k]} {r.name} ")
                colour = {"good": "green", "bad": "bold red", "dim": "dim"}[mood(r, r.now)]
                low.append(score(r, r.now, r.n_now), style=colour)
                low.append("   ")
        self.query_one("#compare-status", Static).update(Text("\n").join([top, low]))

    def on_key(self, event: events.Key) -> None:
        """In type mode a key that is one of the task's symbols is read by both networks."""
        if self.mode != "type":
            return
        symbol = "\n" if event.key == "enter" else event.character
        if symbol and symbol in self.sessions[0].net.vocab:
            event.prevent_default()
            event.stop()
            self.step(symbol)
            self.show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Playing and stepping do nothing in type mode."""
        return None if self.mode == "type" and action in ("play", "step") else True

    def action_play(self) -> None:
        """Play or pause."""
        self.playing = not self.playing

    def action_step(self) -> None:
        """One step forward."""
        self.step()
        self.show()

    def action_mode(self) -> None:
        """Teacher or type, both networks alike."""
        mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        for s in self.sessions:
            s.mode = mode
        if mode == "type":
            self.playing = False
        self.refresh_bindings()
        self.show()

    def action_select(self, delta: int) -> None:
        """Select the neuron above or below, in both panels."""
        self.selected += delta

    def action_speed(self, delta: int) -> None:
        """Faster or slower."""
        self.speed += delta

    def action_reset(self) -> None:
        """Both back to h = 0 and the start of the same stream."""
        for s in self.sessions:
            s.reset()
        self.show()
