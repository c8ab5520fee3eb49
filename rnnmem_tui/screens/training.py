"""The training screen: trains a fresh network in a thread worker, drawing its loss and validity live; and the
same curve, viewable from the explorer once training has ended."""

from __future__ import annotations

from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from ..session import Session
from ..tasks import Task
from ..train import Progress, TrainConfig, TrainResult, train
from ..words import plural
from .explorer import ExploreScreen


class TrainScreen(Screen):
    """A live plot of the smoothed loss (left axis) and validity (right axis) while training runs."""

    BINDINGS = [Binding("escape", "stop", "Stop now and explore the best so far", key_display="esc")]

    class Report(Message):
        """A progress report from the trainer's thread."""

        def __init__(self, progress: Progress) -> None:
            super().__init__()
            self.progress = progress

    class Trained(Message):
        """Training ended: the best network it found."""

        def __init__(self, result: TrainResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, task: Task, config: TrainConfig, seed: int = 0) -> None:
        super().__init__()
        self.rnn_task, self.config, self.seed = task, config, seed
        self.history: list[Progress] = []
        self._stop = False

    def compose(self) -> ComposeResult:
        """The plot, a status line and the footer."""
        yield PlotextPlot(id="curve")
        yield Static(id="train-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Title the plot and start training."""
        c = self.config
        self.query_one("#curve").border_title = (
            f"training {self.rnn_task.name}, {plural(c.hidden, 'neuron')}, seed {c.seed}, "
            f"at most {c.max_steps} updates or {c.max_seconds:g} s"
        )
        self.query_one("#train-status").update("starting: the first figures come after the first validation")
        self.run_training()

    @work(thread=True, exclusive=True)
    def run_training(self) -> None:
        """Train in a thread; report through messages, which are thread-safe to post."""
        worker = get_current_worker()
        result = train(
            self.rnn_task,
            self.config,
            lambda p: self.post_message(self.Report(p)),
            should_stop=lambda: worker.is_cancelled or self._stop,
            command=f"rnnmem-tui {self.rnn_task.name} --train",
        )
        if not worker.is_cancelled:
            self.post_message(self.Trained(result))

    def on_train_screen_report(self, message: Report) -> None:
        """Redraw the curves with one more report."""
        p = message.progress
        self.history.append(p)
        draw_curve(self.query_one(PlotextPlot), self.history)
        self.query_one("#train-status").update(
            f"{p.seconds:5.1f} s  update {p.step}  loss {p.loss:.3f}  validity {p.scores.validity:.3f}  "
            f"best {p.best.validity:.3f}"
        )

    def on_train_screen_trained(self, message: Trained) -> None:
        """Say how training ended and explore the network."""
        r = message.result
        how = "reached the target" if r.reached else "stopped before the target"
        self.notify(
            f"{how} after {r.steps} updates in {r.seconds:.0f} s; "
            f"validation validity {r.best.validity:.3f}; W saves it",
            timeout=8,
        )
        # the explorer goes on top: the default screen (this one) cannot be switched away
        self.app.push_screen(
            ExploreScreen(
                Session(r.net, self.rnn_task, self.seed),
                source=f"trained {r.seconds:.0f} s",
                trained=True,
                curve=partial(CurveScreen, self.query_one("#curve").border_title, list(self.history)),
            )
        )

    def action_stop(self) -> None:
        """Stop training now; the best network so far is explored."""
        self._stop = True
        self.query_one("#train-status").update("stopping after the current update…")


def draw_curve(plot: PlotextPlot, history: list[Progress]) -> None:
    """The smoothed loss (left axis) and validation validity (right axis) against updates."""
    plt = plot.plt
    plt.clear_data()
    steps = [h.step for h in history]
    plt.plot(steps, [h.loss for h in history], label="loss", color="orange")
    plt.plot(steps, [h.scores.validity for h in history], label="validity", color="cyan", yside="right")
    plt.ylim(0, 1, yside="right")
    plt.xlabel("updates")
    plot.refresh()


class CurveScreen(ModalScreen):
    """The training curve of a network trained here, after training ended (the explorer's `L`)."""

    BINDINGS = [Binding("escape,L", "dismiss", "Back", key_display="esc")]

    def __init__(self, title: str, history: list[Progress]) -> None:
        super().__init__()
        self.title_text, self.history = title, list(history)

    def compose(self) -> ComposeResult:
        """The plot and the footer."""
        yield PlotextPlot(id="curve")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Draw the curve as it stood when training ended."""
        plot = self.query_one(PlotextPlot)
        plot.border_title = f"{self.title_text}: ended after {self.history[-1].step if self.history else 0} updates"
        draw_curve(plot, self.history)
