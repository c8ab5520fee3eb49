"""The explorer screen: owns the session, maps keys to it, hands each new frame to the panels and views."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual import events
from textual.actions import parse
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, Static

from ..cells import cell_of
from ..roles import NeuronRoles
from ..session import TEMPERATURES, Session, describe
from ..widgets.board import BoardView
from ..widgets.lines import LinesView
from ..widgets.neurons import NeuronData, NeuronsView
from ..widgets.output import OutputData, OutputView, show_symbol
from ..widgets.status import StatusBar, StatusData, badge
from ..widgets.taskview import TaskView
from ..widgets.workers import RolesFound, find_roles
from . import keys
from .exports import export_steps, save_figure, save_network
from .keys import KEYS, SPEEDS, DigitPicker
from .views import VIEWS, Seen, View

LEFT = (36, 64)  # the left column's least and most columns; 45% of the screen between, when its panels need it
FPS = 30  # at most this many redraws a second; faster playback takes several steps per redraw
CATCH_UP = 3  # at most this many ticks' worth of steps in one tick, after a late one


class ExploreScreen(Screen):
    """The task view, the next-symbol bars, the neurons and the status, driven by the keys below."""

    # The footer shows what fits in 80 columns in every view; the rest are in the help (?) and the palette.
    VIEWS = VIEWS  # the registry; a subclass may add views with `VIEWS = (...)` and `BINDINGS = keys.bindings(VIEWS)`
    BINDINGS = keys.BINDINGS
    PALETTE = keys.PALETTE

    playing: reactive[bool] = reactive(False)
    speed: reactive[int] = reactive(SPEEDS.index(10))  # index into SPEEDS
    selected: reactive[int] = reactive(0)
    view: reactive[str] = reactive("main")  # the explorer's panels, or the name of an analysis view

    def __init__(
        self,
        session: Session,
        source: str = "",
        labels: Sequence[str | None] = (),
        trained: bool = False,
        curve: Callable[[], Screen] | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.session, self.source, self.labels = session, source, tuple(labels)
        self.note = note  # beside the recorded verdict, e.g. that no shipped trained network meets
        self.trained = trained  # trained in the app: W saves it
        self.curve = curve  # makes the training curve's screen, for a network trained in the app: L shows it
        self.roles: list[NeuronRoles] = []
        self.views = {v.name: v for v in self.VIEWS if v.applies(session.task)}  # those this task offers
        self._timer: Timer | None = None
        self._last, self._due = time.monotonic(), 1.0  # the clock at the last tick; steps owed (fractional)
        self._digits = DigitPicker()
        self._keys = KEYS if self.BINDINGS is keys.BINDINGS else keys.keys_by_action(self.BINDINGS)
        self._drawn: dict[str, object] = {}  # view -> what it was last drawn from

    def compose(self) -> ComposeResult:
        """The explorer's panels (task view and output on the left, neurons on the right) or a view; status and footer."""
        task = self.session.task
        with ContentSwitcher(id="views", initial="main"):
            with Horizontal(id="main"):
                with Vertical(id="left"):
                    yield BoardView(task, id="task") if task.is_grid else LinesView(task.max_len, id="task")
                    yield OutputView(id="output")
                yield NeuronsView(id="neurons")
            for v in self.views.values():
                widget = v.make(self.session)
                widget.id = v.name
                widget.add_class("view")
                yield widget
        yield Static(id="figure-caption")
        yield StatusBar(id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Title the panels, draw the start frame, then measure the neurons' roles in a worker."""
        s = self.session
        src = self.source or "network"
        self.query_one("#task").border_title = src if src.startswith(s.task.name) else f"{s.task.name} · {src}"
        self.query_one("#output").border_title = "next symbol"
        # the left column takes what its panels need (borders and padding included), the neurons the rest
        needs = max(self.query_one("#task", TaskView).needs(), 2 * len(s.net.vocab)) + 4
        self.query_one("#left").styles.max_width = min(LEFT[1], max(LEFT[0], needs))
        self.title_neurons()
        for v in self.views.values():
            widget = self.query_one(f"#{v.name}")
            widget.border_title, widget.border_subtitle = v.title, v.subtitle
        self.show()
        self.playing = self.app.play
        if not self.labels:  # measured once the first frame is on screen, so that it never waits for them
            self.query_one("#neurons").border_subtitle = "finding roles…"
            self.call_after_refresh(find_roles, self, s.net, s.task)

    def title_neurons(self) -> None:
        """The neurons' panel title: how many and the recorded verdict, or the verdict alone where the panel is
        too narrow for both (its interval is never cut)."""
        s, panel = self.session, self.query_one("#neurons")
        verdict = "trained here: no recorded verdict" if self.trained else badge(s.net.meta, self.note)
        full = f"{cell_of(s.net).size_text(s.net.size)} · {verdict}"
        room = panel.size.width - 6  # the corners and the title's spaces
        panel.border_title = full if room <= 0 or len(full) <= room else verdict

    def on_resize(self) -> None:
        """Titles fit the new width."""
        self.call_after_refresh(self.title_neurons)

    def on_roles_found(self, message: RolesFound) -> None:
        """Show the roles beside the neurons and in the views."""
        self.roles = message.roles
        self.labels = tuple(n.short for n in self.roles)
        self.query_one("#neurons").border_subtitle = ""
        self.show_neurons()
        self.show_view()

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
        self._last, self._due = time.monotonic(), 1.0  # the first tick takes a step
        if self._timer is not None and playing:
            self._timer.resume()
        elif self._timer is not None:
            self._timer.pause()
        self.show_status()

    def watch_selected(self) -> None:
        """Redraw the neurons and the view with the new selection."""
        self.show_neurons()
        self.show_view()

    def watch_view(self, view: str) -> None:
        """Show the view asked for."""
        self.query_one(ContentSwitcher).current = view
        self.refresh_bindings()
        self.show_view()

    # ---- drawing ----

    def tick(self) -> None:
        """One timer tick: the steps due at the speed since the last tick, then one redraw. Counting by the
        clock, not by ticks, keeps the rate when a busy machine delivers the ticks late."""
        if self.session.mode == "type":
            self.playing = False
            return
        now = time.monotonic()
        due = self._due + SPEEDS[self.speed] * (now - self._last)
        n = min(int(due), CATCH_UP * max(1, SPEEDS[self.speed] // FPS))
        self._last, self._due = now, min(due - n, 1.0)  # never owe more than a step after a stall
        for _ in range(n):
            self.session.step()
        if n:
            self.show()

    def show(self) -> None:
        """Hand the newest frame to every panel."""
        s, f = self.session, self.session.frame
        self.query_one("#task").data = f
        how = "teacher" if s.mode == "teacher" else "next"
        self.query_one(OutputView).data = OutputData(s.net.vocab, f.step.p, f.legal, s.next_symbol(), how, f.bad)
        self.show_neurons()
        self.show_status()
        self.show_view()

    def seen(self) -> Seen:
        """What the views are drawn from."""
        s = self.session
        return Seen(s, s.frame, s.interventions, self.selected, tuple(self.roles), tuple(x or "" for x in self.labels))

    def show_view(self, force: bool = False) -> None:
        """Hand the open view what it shows, when that changed since it was last drawn (or when forced)."""
        v = self.views.get(self.view)
        if v is None:
            return
        seen = self.seen()
        key = v.depends(seen)
        if not force and self._drawn.get(v.name, self) == key:
            return
        self._drawn[v.name] = key
        v.show(self.query_one(f"#{v.name}"), seen)

    def show_neurons(self) -> None:
        """Hand the recent hidden states, interventions and selection to the neuron panel."""
        self.query_one(NeuronsView).data = NeuronData.of(self.session, self.selected, self.labels)

    def show_status(self) -> None:
        """Hand the counts and the running score to the status bar."""
        s = self.session
        typing = "".join(map(show_symbol, s.net.vocab)) + (" (enter for ↵)" if "\n" in s.net.vocab else "")
        self.query_one(StatusBar).data = StatusData(
            s.mode,
            s.temperature,
            self.playing,
            SPEEDS[self.speed],
            s.frame.t,
            s.frame.units,
            s.running(),
            s.interventions,
            typing,
            s.unit_names,
        )

    # ---- keys ----

    def on_key(self, event: events.Key) -> None:
        """In type mode a key that is one of the task's symbols is read by the network, before any binding; a
        key whose action does nothing here says why."""
        if isinstance(self.focused, Input):
            return
        if not (event.character or "").isdigit():
            self._digits.end()
        if self.session.mode != "type":
            self.say_why_not(event.key)
            return
        symbol = "\n" if event.key == "enter" else event.character
        if symbol and symbol in self.session.net.vocab:
            event.prevent_default()
            event.stop()
            self.session.step(symbol)
            self.show()
        else:
            self.say_why_not(event.key)

    def on_neurons_view_picked(self, message: NeuronsView.Picked) -> None:
        """A click on a neuron selects it."""
        self.selected = message.neuron

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what does nothing in the current mode; hide keys that type symbols in type mode,
        and keys of views that are not open (or not offered for this task)."""
        mode, vocab = self.session.mode, self.session.net.vocab
        if mode == "type" and action in ("play", "step"):
            return None
        if mode != "sample" and action == "temperature":
            return None
        bound = self._keys.get((action, parameters), ())
        if mode == "type" and bound and all(k in vocab for k in bound):
            return False
        if action == "view":
            return parameters[0] != self.view and self.offers(action, parameters)
        if action == "in_view":
            return self.owner(parameters[0]) is self.views.get(self.view) is not None
        return self.offers(action, parameters)

    def say_why_not(self, key: str) -> None:
        """When `key` is bound here only to actions that do nothing now, say why in a notice."""
        bound = [b for b in self.BINDINGS if key in b.key.split(",")]
        if not bound or any(self.check_action(*parse(b.action)[1:]) for b in bound):
            return
        self.notify(self.why_not(*parse(bound[0].action)[1:], key=key), timeout=5)

    def why_not(self, action: str, parameters: tuple[object, ...], key: str) -> str:
        """Why an action does nothing here, in a few words with the way to what it does."""
        task, mode = self.session.task.name, self.session.mode
        if action == "save_network":
            return f"W saves a network trained here: rnnmem-tui {task} --train; this one was loaded from a file"
        if action == "training_curve":
            return f"L shows the training curve of a network trained here: rnnmem-tui {task} --train"
        if action == "view":
            v = next((v for v in self.VIEWS if v.name == parameters[0]), None)
            return f"{v.label} ({key}) is not offered for {task}" if v else "already open"
        if action == "in_view":
            v = self.owner(parameters[0]) or next(
                (v for v in self.VIEWS if any(b.action == parameters[0] for b in v.keys)), None
            )
            if v is None or v.name not in self.views:
                return f"{key} works in a view that {task} does not offer"
            return f"{key} works in the {v.label} view: press {v.key} to open it"
        if action in ("play", "step") and mode == "type":
            return "type mode reads what you type: m for sample or teacher mode"
        if action == "temperature":
            return "t and T set the sampling temperature: sample mode only (m)"
        return f"{key} does nothing here"

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether this network and task have the action at all (the palette lists these): views offered
        for the task and their keys, and saving only a network trained here."""
        if action == "view":
            return parameters[0] == "main" or parameters[0] in self.views
        if action == "in_view":
            return self.owner(parameters[0]) is not None
        if action == "save_network":
            return self.trained
        if action == "training_curve":
            return self.curve is not None
        return True

    def owner(self, action: str) -> View | None:
        """The view whose keys include action."""
        return next((v for v in self.views.values() if any(b.action == action for b in v.keys)), None)

    def action_view(self, view: str) -> None:
        """Open a view, or (escape) the explorer's panels; escape while typing in a view only drops the typing."""
        open_ = self.views.get(self.view)
        if view == "main" and open_ is not None and isinstance(self.focused, Input):
            widget = self.query_one(f"#{open_.name}")
            getattr(widget, "action_escape", lambda: self.set_focus(None))()
            return
        self.view = view

    async def run_command(self, action: str) -> None:
        """An action chosen in the palette: as its key would run it, except that a view's key opens its view."""
        _, name, parameters = parse(action)
        if name == "in_view":
            self.action_in_view(*parameters)
        else:
            await self.run_action(action)

    def action_in_view(self, action: str) -> None:
        """A key of a view: its widget's `action_<action>`, then a redraw; from the palette it opens the view first."""
        v = self.owner(action)
        self.view = v.name
        getattr(self.query_one(f"#{v.name}"), f"action_{action}")()
        self.show_view(force=True)

    def action_export(self) -> None:
        """Save the screen as SVG, named after the network, the view and the step."""
        view = "explorer" if self.view == "main" else self.view
        self.app.save_screen(f"{self.stem()}-{view}-step{self.session.frame.t}")

    def figure_caption(self) -> str:
        """What a figure of this screen shows: the network, its recorded verdict with its interval, the view,
        the mode, the seed and the neurons held."""
        s = self.session
        verdict = "trained here: no recorded verdict" if self.trained else badge(s.net.meta)
        view = "the explorer's panels" if self.view == "main" else self.views[self.view].label
        held = describe(s.interventions, s.unit_names) or "no neuron held"
        return f"{self.source or s.task.name} · {verdict} · {view} · {s.mode} mode, seed {s.seed}, step {s.frame.t} · {held}"

    def figure_mode(self, on: bool) -> None:
        """Show the screen as a figure: the caption in place of the status line and the footer; or back."""
        self.query_one("#figure-caption", Static).update(self.figure_caption() if on else "")
        self.query_one("#figure-caption").display = on
        self.query_one("#status").display = not on
        self.query_one(Footer).display = not on

    def action_figure(self) -> None:
        """Save the view on screen as a figure, SVG and PNG, with its caption and without the status line and
        footer, into the export folder."""
        self.figure_mode(True)
        self.call_after_refresh(self._save_figure)

    def _save_figure(self) -> None:
        view = "explorer" if self.view == "main" else self.view
        try:
            svg, png = save_figure(self.app, self.app.export_dir / f"{self.stem()}-{view}-step{self.session.frame.t}")
        except (OSError, ValueError) as e:
            self.notify(f"could not save the figure: {e}", severity="error", timeout=6)
        else:
            self.notify(f"saved {svg} and {png.name}", timeout=5)
        finally:
            self.figure_mode(False)

    def stem(self) -> str:
        """The network's name in the names of exported files."""
        return Path(self.source).stem if self.source.endswith(".npz") else self.session.task.name

    def action_export_steps(self, suffix: str) -> None:
        """Write the steps kept to a new .npz or .csv file in the export folder."""
        try:
            path, note = export_steps(self.session, self.app.export_dir, self.stem(), suffix, self.source)
        except (OSError, ValueError) as e:
            self.notify(f"could not export: {e}", severity="error", timeout=6)
            return
        self.notify(f"saved {path}{note}", timeout=6)

    def action_save_network(self) -> None:
        """Save the network trained in the app to a new file in the export folder."""
        try:
            path = save_network(self.session, self.app.export_dir)
        except (OSError, ValueError) as e:
            self.notify(f"could not save: {e}", severity="error", timeout=6)
            return
        self.trained = False
        self.refresh_bindings()
        self.notify(f"saved {path}; open it with rnnmem-tui {self.session.task.name} --weights {path}", timeout=8)

    def action_training_curve(self) -> None:
        """Show the training curve of the network trained here."""
        if self.curve is not None:
            self.app.push_screen(self.curve())

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
        neuron = self._digits.pick(digit, self.session.net.hidden)
        if neuron is not None:
            self.selected = neuron

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
