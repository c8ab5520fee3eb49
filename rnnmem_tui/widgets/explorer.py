"""The explorer screen: owns the session, maps keys to it, and hands each new frame to the panels."""
from __future__ import annotations

import time
from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from ..session import HISTORY, TEMPERATURES, Session
from .board import BoardView
from .lines import LinesView
from .neurons import NeuronData, NeuronsView
from .output import OutputData, OutputView, show_symbol
from .status import StatusBar, StatusData

SPEEDS = (1, 2, 5, 10, 20, 30, 60, 120, 240)  # steps per second
FPS = 30  # at most this many redraws a second; faster playback takes several steps per redraw
SPARK = 240  # hidden states handed to the neuron panel: its widest sparkbar
DIGIT_GAP = 1.0  # seconds within which two digits make one neuron number (networks of 11+ neurons)


class ExploreScreen(Screen):
    """The task view, the next-symbol bars, the neurons and the status, driven by the keys below."""

    BINDINGS = [
        Binding("space", "play", "Play", tooltip="Play or pause"),
        Binding("n,right", "step", "Step", key_display="n/→", tooltip="One step forward"),
        Binding("left", "back", "Back", key_display="←", tooltip=f"One step back ({HISTORY} kept)"),
        Binding("m", "mode", "Mode", tooltip="Mode: sample, teacher, type"),
        Binding("z", "zero", "Zero", tooltip="Zero the selected neuron"),
        Binding("c", "clamp", "Clamp", tooltip="Clamp it at its value now"),
        Binding("x", "release", "Free", tooltip="Release it"),
        Binding("X", "release_all", "Free all", tooltip="Release all: the original net"),
        Binding("C", "cycle_clamp", "Clamp ±1", show=False, tooltip="Clamp it at +1, then -1"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+", show=False,
                tooltip=f"Play faster (to {SPEEDS[-1]}/s)"),
        Binding("minus", "speed(-1)", "Slower", key_display="-", show=False, tooltip="Play slower"),
        Binding("t", "temperature(1)", "Hotter", show=False, tooltip="Sample hotter"),
        Binding("T", "temperature(-1)", "Colder", show=False, tooltip="Sample colder"),
        Binding("r", "reset", "Reset", show=False, tooltip="Reset: h = 0, same draws"),
        Binding("up", "select(-1)", "Neuron up", key_display="↑", show=False, tooltip="Select the neuron above"),
        Binding("down", "select(1)", "Neuron down", key_display="↓", show=False,
                tooltip="Select the neuron below"),
        *(Binding(str(d), f"pick({d})", f"Neuron {d}", show=False,
                  tooltip="Select by number (1 2 → 12)") for d in range(10)),
    ]

    playing: reactive[bool] = reactive(False)
    speed: reactive[int] = reactive(SPEEDS.index(10))  # index into SPEEDS
    selected: reactive[int] = reactive(0)

    def __init__(self, session: Session, source: str = "", labels: Sequence[str | None] = ()) -> None:
        super().__init__()
        self.session, self.source, self.labels = session, source, tuple(labels)
        self._timer: Timer | None = None
        self._digit: tuple[float, str] = (0.0, "")  # when the last digit came, and the digits so far

    def compose(self) -> ComposeResult:
        """Task view and output on the left, neurons on the right, status and footer below."""
        task = self.session.task
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield BoardView(task, id="task") if task.is_grid else LinesView(task.max_len, id="task")
                yield OutputView(id="output")
            yield NeuronsView(id="neurons")
        yield StatusBar(id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Title the panels and draw the start frame."""
        s = self.session
        src = self.source or "network"
        self.query_one("#task").border_title = src if src.startswith(s.task.name) else f"{s.task.name} · {src}"
        self.query_one("#output").border_title = "next symbol"
        self.query_one("#neurons").border_title = f"{s.net.hidden} neurons"
        self.show()

    # ---- reactives ----

    def validate_speed(self, i: int) -> int:
        """Keep the speed index within SPEEDS."""
        return min(max(i, 0), len(SPEEDS) - 1)

    def validate_selected(self, i: int) -> int:
        """Keep the selection on an existing neuron."""
        return min(max(i, 0), self.session.net.hidden - 1)

    def watch_speed(self, i: int) -> None:
        """A new timer at the new rate, paused unless playing."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1.0 / min(SPEEDS[i], FPS), self.tick, pause=not self.playing)
        self.show_status()

    def watch_playing(self, playing: bool) -> None:
        """Start or stop the timer."""
        if self._timer is not None and playing:
            self._timer.resume()
        elif self._timer is not None:
            self._timer.pause()
        self.show_status()

    def watch_selected(self) -> None:
        """Redraw the neurons with the new selection."""
        self.show_neurons()

    # ---- drawing ----

    def tick(self) -> None:
        """One timer tick: as many steps as the speed asks for, then one redraw."""
        if self.session.mode == "type":
            self.playing = False
            return
        for _ in range(max(1, SPEEDS[self.speed] // FPS)):
            self.session.step()
        self.show()

    def show(self) -> None:
        """Hand the newest frame to every panel."""
        s, f = self.session, self.session.frame
        self.query_one("#task").frame = f
        how = "teacher" if s.mode == "teacher" else "next"
        self.query_one(OutputView).data = OutputData(s.net.vocab, f.step.p, f.legal, s.next_symbol(),
                                                     how, f.bad)
        self.show_neurons()
        self.show_status()

    def show_neurons(self) -> None:
        """Hand the recent hidden states, interventions and selection to the neuron panel."""
        s = self.session
        self.query_one(NeuronsView).data = NeuronData(s.window(SPARK), s.interventions, self.selected,
                                                      self.labels)

    def show_status(self) -> None:
        """Hand the counts and the running score to the status bar."""
        s = self.session
        typing = "".join(map(show_symbol, s.net.vocab)) + (" (enter for ↵)" if "\n" in s.net.vocab else "")
        self.query_one(StatusBar).data = StatusData(s.mode, s.temperature, self.playing,
                                                    SPEEDS[self.speed], s.frame.t, s.frame.units,
                                                    s.running(), s.interventions, typing)

    # ---- keys ----

    def on_key(self, event: events.Key) -> None:
        """In type mode a key that is one of the task's symbols is read by the network, before any binding."""
        if self.session.mode != "type":
            return
        symbol = "\n" if event.key == "enter" else event.character
        if symbol and symbol in self.session.net.vocab:
            event.prevent_default()
            event.stop()
            self.session.step(symbol)
            self.show()

    def on_neurons_view_picked(self, message: NeuronsView.Picked) -> None:
        """A click on a neuron selects it."""
        self.selected = message.neuron

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what does nothing in the current mode; hide keys that type symbols in type mode."""
        mode, vocab = self.session.mode, self.session.net.vocab
        if mode == "type" and action in ("play", "step"):
            return None
        if mode != "sample" and action == "temperature":
            return None
        if mode == "type" and ((action == "clamp" and "c" in vocab) or
                               (action == "pick" and str(parameters[0]) in vocab)):
            return False
        return True

    def action_play(self) -> None:
        """Play or pause."""
        self.playing = not self.playing

    def action_step(self) -> None:
        """One step forward."""
        self.session.step()
        self.show()

    def action_back(self) -> None:
        """One step back, restoring the state exactly."""
        if not self.session.back():
            self.notify("no older steps are kept", severity="warning", timeout=2)
        self.show()

    def action_speed(self, delta: int) -> None:
        """Faster or slower playback."""
        self.speed += delta

    def action_temperature(self, delta: int) -> None:
        """Hotter or colder sampling."""
        s = self.session
        i = min(range(len(TEMPERATURES)), key=lambda k: abs(TEMPERATURES[k] - s.temperature))
        s.set_temperature(TEMPERATURES[min(max(i + delta, 0), len(TEMPERATURES) - 1)])
        self.show()

    def action_reset(self) -> None:
        """Hidden state to 0 and an empty stream; the same random draws follow."""
        self.session.reset()
        self.show()

    def action_mode(self) -> None:
        """Next mode: sample, teacher, type."""
        if self.session.cycle_mode() == "type":
            self.playing = False
        self.refresh_bindings()
        self.show()

    def action_select(self, delta: int) -> None:
        """Select the neuron above or below."""
        self.selected += delta

    def action_pick(self, digit: int) -> None:
        """Select a neuron by number; two quick digits make a two-digit number."""
        now, H = time.monotonic(), self.session.net.hidden
        last, digits = self._digit
        both = digits + str(digit)
        digits = both if now - last < DIGIT_GAP and int(both) < H and len(digits) == 1 else str(digit)
        self._digit = (now, digits)
        if int(digits) < H:
            self.selected = int(digits)

    def action_zero(self) -> None:
        """Hold the selected neuron at 0."""
        self.session.zero(self.selected)
        self.show()

    def action_clamp(self) -> None:
        """Hold the selected neuron at its value on screen."""
        self.session.clamp(self.selected)
        self.show()

    def action_cycle_clamp(self) -> None:
        """Hold the selected neuron at +1, or at -1 if it is held at +1."""
        self.session.cycle_clamp(self.selected)
        self.show()

    def action_release(self) -> None:
        """Free the selected neuron."""
        self.session.release(self.selected)
        self.show()

    def action_release_all(self) -> None:
        """Free every neuron: the original network."""
        self.session.release_all()
        self.show()
