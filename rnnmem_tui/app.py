"""The Textual apps: the explorer on a network (or training one first), and two networks compared; they know
nothing of sys.argv."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from textual.actions import parse
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .model import RNN
from .screens.compare import CompareScreen
from .screens.explorer import ExploreScreen
from .screens.exports import save_network, write_svg
from .screens.help import HelpScreen
from .screens.quitting import QuitScreen
from .screens.training import TrainScreen
from .session import Session
from .tasks import Task
from .train import TrainConfig


class AbandoningExecutor(ThreadPoolExecutor):
    """The thread pool of the app's workers. At exit it does not wait for work still running (labelling
    the neurons of a large network takes a minute), so `q` quits at once; the process then ends
    without joining those threads (`cli.finish`)."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=True)


class RnnmemApp(App):
    """What rnnmem-tui's apps share: the styles, workers that the exit does not wait for, and a crash kept
    for the runner to report in one line."""

    CSS_PATH = "app.tcss"
    TITLE = "rnnmem-tui"
    crash: BaseException | None = None  # an unhandled exception that ended the app
    export_dir: Path = Path(".")  # where the screen's exports go

    BINDINGS = [Binding("ctrl+c", "interrupt", "Interrupt", show=False, priority=True)]

    def on_load(self) -> None:
        """Run thread workers in a pool that the exit does not wait for; on a terminal, take SIGINT (`kill -INT`)
        as the Ctrl-C key."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(AbandoningExecutor())
        if not self.is_headless:
            loop.add_signal_handler(signal.SIGINT, self.action_interrupt)

    def action_interrupt(self) -> None:
        """Ctrl-C: exit at once with 130, as a shell tool does, keeping what would be lost (`parting_words`)."""
        self.exit(return_code=130, message=self.parting_words())

    def parting_words(self) -> str | None:
        """What an interrupted app says as it goes; nothing by default."""
        return None

    def export_svg(self, stem: str) -> str:
        """Save the screen as `stem.svg` in the export directory (`stem-2.svg`... if taken); returns its path."""
        return str(write_svg(self, self.export_dir / f"{stem}.svg"))

    def save_screen(self, stem: str) -> None:
        """`export_svg`, saying where the file went, or in a notice why it could not be written."""
        try:
            self.notify(f"saved {self.export_svg(stem)}", timeout=4)
        except (OSError, ValueError) as e:
            self.notify(f"could not export: {e}", severity="error", timeout=6)

    def _handle_exception(self, error: Exception) -> None:
        """Keep the exception for the runner, which reports it in one line (Textual would print a traceback)."""
        self.crash = self.crash or error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Exit without Textual's full-screen traceback; `run_app` reports `crash` instead."""
        self._close_messages_no_wait()


class CompareApp(RnnmemApp):
    """Two networks of one task side by side on one input stream: `CompareApp(a, b, task, names=(...))`."""

    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(
        self,
        a: RNN,
        b: RNN,
        task: Task,
        seed: int = 0,
        *,
        names: tuple[str, str] = ("A", "B"),
        mode: str = "teacher",
        play: bool = False,
        export_dir: str | Path = ".",
    ) -> None:
        super().__init__()
        self.nets, self.rnn_task, self.seed, self.names, self.mode, self.play = (a, b), task, seed, names, mode, play
        self.export_dir = Path(export_dir)

    def get_default_screen(self) -> Screen:
        """The comparison."""
        return CompareScreen([Session(n, self.rnn_task, self.seed) for n in self.nets], self.names, self.mode)


class ExplorerApp(RnnmemApp):
    """rnnmem-tui's explorer: `ExplorerApp(net, task)`, or `ExplorerApp(None, task, train=TrainConfig(...))`."""

    BINDINGS = [Binding("question_mark", "help", "Help", key_display="?"), Binding("q", "quit", "Quit")]

    def __init__(
        self,
        net: RNN | None,
        task: Task,
        seed: int = 0,
        *,
        source: str = "",
        train: TrainConfig | None = None,
        labels: Sequence[str | None] = (),
        export_dir: str | Path = ".",
        play: bool = False,
        note: str = "",
        hint: str = "",
    ) -> None:
        super().__init__()
        if net is None and train is None:
            raise ValueError("give a network to explore, or a training configuration")
        self.net, self.rnn_task, self.seed = net, task, seed
        self.source, self.train_config, self.labels = source, train, labels
        self.export_dir = Path(export_dir)
        self.play = play  # start playing as soon as the explorer shows
        self.note = note  # beside the network's recorded verdict
        self.hint = hint  # said once, as a notification, when the explorer opens

    def on_mount(self) -> None:
        """Say the opening hint, if any (that a smaller shipped network meets too, and how to open it)."""
        if self.hint:
            self.notify(self.hint, timeout=10)

    def get_default_screen(self) -> Screen:
        """The explorer, or the training screen when there is no network yet."""
        if self.net is None:
            return TrainScreen(self.rnn_task, self.train_config, self.seed)
        return ExploreScreen(Session(self.net, self.rnn_task, self.seed), self.source, self.labels, note=self.note)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The help is about the explorer's keys: offered where they work."""
        return action != "help" or isinstance(self.screen, (ExploreScreen, HelpScreen))

    def action_help(self) -> None:
        """Show the keys, the modes and how to read the panels."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def unsaved(self) -> ExploreScreen | None:
        """The explorer on a network trained here and not yet saved, if any."""
        return next((s for s in self.screen_stack if isinstance(s, ExploreScreen) and s.trained), None)

    def parting_words(self) -> str | None:
        """Save a network trained here and not yet saved to the export folder, and say where (or why not)."""
        screen = self.unsaved()
        if screen is None:
            return None
        try:
            return f"saved the network trained here to {save_network(screen.session, self.export_dir)}"
        except (OSError, ValueError) as e:
            return f"could not save the network trained here: {e}"

    async def action_quit(self) -> None:
        """Quit; with a network trained here and not saved, ask first: save and quit, quit, or stay."""
        if self.unsaved() is None or isinstance(self.screen, QuitScreen):
            self.exit()
            return

        def answered(answer: str | None) -> None:
            if answer == "save":
                self.exit(message=self.parting_words())
            elif answer == "quit":
                self.exit()

        self.push_screen(QuitScreen(str(self.export_dir)), answered)

    def screenshot(self) -> None:
        """The palette's Screenshot: the explorer's export where it is open, else the screen as it is."""
        if isinstance(self.screen, ExploreScreen):
            self.screen.action_export()
        else:
            self.save_screen("rnnmem-tui-screen")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands (its screenshot replaced by ours, into the export folder), the help, then every
        explorer action by name."""
        yield from (c for c in super().get_system_commands(screen) if c.title != "Screenshot")
        yield SystemCommand(
            "Screenshot", f"Save the screen as an SVG file in {self.export_dir} · key s", self.screenshot
        )
        if self.check_action("help", ()):
            yield SystemCommand("Help", "The keys, the modes and how to read the panels · key ?", self.action_help)
        if isinstance(screen, ExploreScreen):
            for b in screen.BINDINGS:
                if not b.action.startswith("pick") and screen.offers(*parse(b.action)[1:]):
                    yield SystemCommand(
                        b.description,
                        f"{b.tooltip} · key {b.key_display or b.key}",
                        partial(screen.run_command, b.action),
                    )
            for title, help_, action in screen.PALETTE:
                yield SystemCommand(title, help_, partial(screen.run_command, action))
