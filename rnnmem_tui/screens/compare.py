"""Two networks of one task side by side, reading one input stream: their sparkbars with their roles, next-symbol
bars and scores; an intervention acts on the side in focus, and the explorer's views open on it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, Static

from ..roles import NeuronRoles
from ..session import Session, describe
from ..widgets.neurons import NeuronData, NeuronsView
from ..widgets.output import OutputData, OutputView, show_symbol
from ..widgets.status import badge, mood, score
from ..widgets.workers import RolesFound, find_side_roles
from ..words import plural
from .explorer import FPS
from .keys import SPEEDS, view_bindings
from .views import VIEWS, Seen, View

MODES = ("teacher", "type")  # both networks read the same symbols: fed valid units, or typed ones


class CompareScreen(Screen):
    """Both networks step together; the selection moves in both neuron panels at once."""

    BINDINGS = [
        Binding("space", "play", "Play", tooltip="Play or pause"),
        Binding("n,right", "step", "Step", key_display="n/→", tooltip="One step forward"),
        Binding("left", "back", "Step back", key_display="←", show=False, tooltip="One step back, both sides"),
        Binding("m", "mode", "Mode", tooltip="Mode: teacher (valid units fed in) or type (you type)"),
        Binding("tab", "side", "Side", priority=True, tooltip="Move the focus to the other network"),
        Binding("z", "zero", "Zero", tooltip="Zero the selected neuron of the side in focus"),
        Binding("c", "clamp", "Clamp", show=False, tooltip="Clamp it at its value now"),
        Binding("C", "cycle_clamp", "Clamp ±1", show=False, tooltip="Clamp it at +1, then -1"),
        Binding("x", "release", "Free", show=False, tooltip="Release it"),
        Binding("X", "release_all", "Free all", show=False, tooltip="Release every neuron of the side in focus"),
        Binding("up", "select(-1)", "Up", key_display="↑", show=False, tooltip="Select the neuron above"),
        Binding("down", "select(1)", "Down", key_display="↓", show=False, tooltip="Select the neuron below"),
        Binding("plus,equals_sign", "speed(1)", "Speed up", key_display="+", show=False, tooltip="Play faster"),
        Binding("minus", "speed(-1)", "Speed down", show=False, key_display="-", tooltip="Play slower"),
        Binding("r", "reset", "Reset", tooltip="Reset both: h = 0, the same stream"),
        Binding("s", "export", "SVG", show=False, tooltip="Save the screen as an SVG file"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="The keys of the comparison"),
        Binding("escape", "view('main')", "Back", key_display="esc", tooltip="Back to the two networks"),
        *view_bindings(VIEWS),  # the explorer's views, opened on the side in focus
    ]

    playing: reactive[bool] = reactive(False)
    speed: reactive[int] = reactive(SPEEDS.index(10))
    selected: reactive[int] = reactive(0)
    side: reactive[int] = reactive(0)  # the network in focus: interventions act on it, views show it
    view: reactive[str] = reactive("main")  # both networks' panels, or the name of a view open on the side in focus

    def __init__(self, sessions: Sequence[Session], names: Sequence[str], mode: str = "teacher") -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"compare reads fed or typed symbols: mode is one of {', '.join(MODES)}")
        self.sessions, self.names = list(sessions), list(names)
        for s in self.sessions:
            s.mode = mode
        self._timer: Timer | None = None
        self.labels: list[tuple[str, ...]] = [() for _ in self.sessions]  # each side's roles, once found
        self.roles: list[list[NeuronRoles]] = [[] for _ in self.sessions]
        task = self.sessions[0].task
        self.views = {v.name: v for v in VIEWS if v.applies(task)}  # those this task offers
        self._drawn: dict[str, object] = {}  # a view's widget -> what it was last drawn from

    def compose(self) -> ComposeResult:
        """A column per network: its neurons, then its next-symbol bars; the scores and the keys below."""
        with ContentSwitcher(id="views", initial="main"):
            with Horizontal(id="main"):
                for k in range(len(self.sessions)):
                    with Vertical(classes="side"):
                        yield NeuronsView(id=f"neurons-{k}", classes="compare-neurons")
                        yield OutputView(id=f"output-{k}", classes="compare-output")
            for k, s in enumerate(self.sessions):
                for v in self.views.values():
                    widget = v.make(s)
                    widget.id = f"{v.name}-{k}"
                    widget.add_class("view")
                    yield widget
        yield Static(id="compare-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Title each side with its name, size and recorded verdict; draw; play if asked."""
        self.title_sides()
        for k, s in enumerate(self.sessions):
            self.query_one(f"#output-{k}").border_title = f"{'AB'[k]} next symbol"
            self.query_one(f"#neurons-{k}").border_subtitle = "finding roles…"
            for v in self.views.values():
                self.query_one(f"#{v.name}-{k}").border_subtitle = v.subtitle
            find_side_roles(self, k, s.net, s.task)
        self.show()
        self.playing = getattr(self.app, "play", False)

    def title_sides(self) -> None:
        """Title each side with its name, size and recorded verdict, the one in focus marked; the verdict alone
        where the panel is too narrow for all."""
        for k, (s, name) in enumerate(zip(self.sessions, self.names)):
            panel = self.query_one(f"#neurons-{k}")
            mark = "▶" if k == self.side else " "
            name = name.removesuffix(".npz")
            verdict = badge(s.net.meta)
            titles = (
                f"{mark}{'AB'[k]} {name} · {s.net.hidden} · {verdict}",
                f"{mark}{'AB'[k]} {name} · {verdict.split(' [')[0]}",
                f"{mark}{'AB'[k]} {name} · {verdict.split()[0] if '[' in verdict else verdict}",
                f"{mark}{'AB'[k]} {name}",
            )
            room = panel.size.width - 6
            panel.border_title = next((t for t in titles if room <= 0 or len(t) <= room), titles[-1])
            for v in self.views.values():  # a view takes the screen's width: its title drops the name where narrow
                titles = (f"{'AB'[k]} {name} · {v.title}", f"{'AB'[k]} · {v.title}")
                fits = next((t for t in titles if len(t) <= self.size.width - 6), titles[-1])
                self.query_one(f"#{v.name}-{k}").border_title = fits
            panel.set_class(k == self.side, "in-focus")

    def on_resize(self) -> None:
        """Titles fit the new width."""
        self.call_after_refresh(self.title_sides)

    def on_roles_found(self, message: RolesFound) -> None:
        """Show one side's roles beside its neurons."""
        self.roles[message.side] = message.roles
        self.labels[message.side] = tuple(n.short for n in message.roles)
        self.query_one(f"#neurons-{message.side}").border_subtitle = ""
        self.show()

    def watch_side(self) -> None:
        """Mark the side in focus; an open view turns to it."""
        if self.is_mounted:
            self.title_sides()
            self.watch_view(self.view)

    def watch_view(self, view: str) -> None:
        """Show both networks, or the view asked for on the side in focus."""
        self.query_one(ContentSwitcher).current = "main" if view == "main" else f"{view}-{self.side}"
        if view == "main":
            self.call_after_refresh(self.title_sides)  # the panels' width was unknown while hidden
        self.refresh_bindings()
        self.show()

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
        """A new timer at the new rate, paused unless playing; the status says the new speed at once."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1.0 / min(SPEEDS[i], FPS), self.tick, pause=not self.playing)
        if self.is_mounted:
            self.show_status()

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
            self.query_one(f"#neurons-{k}", NeuronsView).data = NeuronData.of(s, selected, self.labels[k])
            self.query_one(f"#output-{k}", OutputView).data = OutputData(
                s.net.vocab, f.step.p, f.legal, s.next_symbol(), "teacher" if s.mode == "teacher" else "next", f.bad
            )
        self.show_view()
        self.show_status()

    def show_view(self, force: bool = False) -> None:
        """Hand the view open on the side in focus what it shows, when that changed since it was last drawn."""
        v = self.views.get(self.view)
        if v is None:
            return
        k, s = self.side, self.focused_session()
        selected = min(self.selected, s.net.hidden - 1)
        seen = Seen(s, s.frame, s.interventions, selected, tuple(self.roles[k]), self.labels[k])
        key, name = v.depends(seen), f"{v.name}-{k}"
        if force or self._drawn.get(name, self) != key:
            self._drawn[name] = key
            v.show(self.query_one(f"#{name}"), seen)

    def show_status(self) -> None:
        """The mode and step, then each network's running score (bad mass per step while fed)."""
        s0 = self.sessions[0]
        top = Text(f" {self.mode.upper()} ", style="reverse bold")
        top.append(
            f"  {'▶ playing' if self.playing else 'paused'} at {plural(SPEEDS[self.speed], 'step')}/s"
            f"  step {s0.frame.t}  units {s0.frame.units}"
        )
        low = Text(" ")
        if self.mode == "type":
            typing = "".join(map(show_symbol, s0.net.vocab))
            low.append(f"type one of {typing}{' (enter for ↵)' if chr(10) in s0.net.vocab else ''}: both read it")
        for k, s in enumerate(self.sessions):
            r = s.running()
            if r is not None:
                held = describe(s.interventions, s.unit_names)
                low.append(f"{'▶' if k == self.side else ''}{'AB'[k]}{' ' + held if held else ''} {r.name} ")
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
        """Playing and stepping do nothing in type mode; a view's keys show while it is open."""
        if self.mode == "type" and action in ("play", "step"):
            return None
        if action == "view":
            return parameters[0] != self.view and self.offers(action, parameters)
        if action == "in_view":
            return self.owner(str(parameters[0])) is self.views.get(self.view) is not None
        return True

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether the task has the action at all: the views it offers and their keys."""
        if action == "view":
            return parameters[0] == "main" or parameters[0] in self.views
        return action != "in_view" or self.owner(str(parameters[0])) is not None

    def owner(self, action: str) -> View | None:
        """The view whose keys include action."""
        return next((v for v in self.views.values() if any(b.action == action for b in v.keys)), None)

    def action_view(self, view: str) -> None:
        """Open a view on the side in focus, or (escape) both networks; escape while typing in a view drops the typing."""
        if view == "main" and self.view != "main" and isinstance(self.focused, Input):
            widget = self.query_one(f"#{self.view}-{self.side}")
            getattr(widget, "action_escape", lambda: self.set_focus(None))()
            return
        self.view = view

    def action_in_view(self, action: str) -> None:
        """A key of the open view: its widget's `action_<action>`, then a redraw."""
        getattr(self.query_one(f"#{self.view}-{self.side}"), f"action_{action}")()
        self.show_view(force=True)

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

    def action_side(self) -> None:
        """Move the focus to the other network."""
        self.side = (self.side + 1) % len(self.sessions)

    def focused_session(self) -> Session:
        """The session in focus."""
        return self.sessions[self.side]

    def neuron(self) -> int | None:
        """The selected neuron of the side in focus, or None when that network has fewer neurons."""
        return self.selected if self.selected < self.focused_session().net.hidden else None

    def hold(self, act: str, *args) -> None:
        """Zero, clamp or release the selected neuron of the side in focus, and redraw at once."""
        i = self.neuron()
        if i is None:
            self.notify(f"{'AB'[self.side]} has no neuron {self.selected}", timeout=3)
            return
        getattr(self.focused_session(), act)(i, *args)
        self.show()

    def action_zero(self) -> None:
        """Zero the selected neuron of the side in focus."""
        self.hold("zero")

    def action_clamp(self) -> None:
        """Clamp it at its value now."""
        self.hold("clamp")

    def action_cycle_clamp(self) -> None:
        """Clamp it at +1, then -1."""
        self.hold("cycle_clamp")

    def action_release(self) -> None:
        """Release it."""
        self.hold("release")

    def action_release_all(self) -> None:
        """Release every neuron of the side in focus."""
        self.focused_session().release_all()
        self.show()

    def action_back(self) -> None:
        """One step back, both sides."""
        for s in self.sessions:
            s.back()
        self.show()

    def action_export(self) -> None:
        """Save the screen as SVG into the app's export folder."""
        self.app.save_screen(f"compare-{'-'.join(self.names)}-step{self.sessions[0].frame.t}")

    def action_help(self) -> None:
        """The comparison's keys, its modes and the views it opens, on the help screen."""
        from .help import MODES as EXPLAINED
        from .help import HelpScreen

        offered = [b for b in self.BINDINGS if self.offers(*parse(b.action)[1:])]
        modes = [m for m in EXPLAINED if m[0] in MODES]
        panels = [
            ("sides", "Each network's neurons with their roles, and its next-symbol bars; ▶ marks the side in focus.")
        ]
        offered.append(Binding("q", "quit", "Quit", tooltip="Quit"))
        self.app.push_screen(HelpScreen(offered, modes, panels, tuple(self.views.values()), "compare: keys"))

    def action_reset(self) -> None:
        """Both back to h = 0 and the start of the same stream."""
        for s in self.sessions:
            s.reset()
        self.show()
