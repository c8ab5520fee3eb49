"""The explorer's background work: the roles and ablation-sweep workers, the messages they post, role labels."""
from __future__ import annotations

from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from ..analysis import Ablation, Role, ablation_sweep, neuron_roles
from ..metrics import Protocol, Scores
from ..model import RNN
from ..tasks import Task

SWEEP = Protocol(units=1000)  # the ablation view's measure: `rnnmem-tui ablate`'s


class Stopped(Exception):
    """The sweep's worker was cancelled."""


class RolesFound(Message):
    """The roles worker labelled every neuron."""

    def __init__(self, roles: list[Role]) -> None:
        super().__init__()
        self.roles = roles


class SweepProgress(Message):
    """The ablation worker measured another neuron."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total

    def can_replace(self, message: Message) -> bool:
        """A newer count supersedes an older one still queued."""
        return isinstance(message, SweepProgress)


class SweepDone(Message):
    """The ablation sweep finished."""

    def __init__(self, intact: Scores, rows: list[Ablation]) -> None:
        super().__init__()
        self.intact, self.rows = intact, rows


@work(thread=True, exclusive=True, group="roles")
def find_roles(screen: Screen, net: RNN, task: Task) -> None:
    """Label every neuron by the state feature it tracks best (a teacher-forced run); posts RolesFound."""
    roles = neuron_roles(net, task)
    if not get_current_worker().is_cancelled:
        screen.post_message(RolesFound(roles))


@work(thread=True, exclusive=True, group="ablation")
def run_sweep(screen: Screen, net: RNN, task: Task) -> None:
    """Zero each neuron in turn and measure it as `rnnmem-tui ablate` does; posts SweepProgress, then SweepDone."""
    worker = get_current_worker()

    def progress(done: int, total: int) -> None:
        """Report a neuron measured; stop the sweep when the worker was cancelled."""
        if worker.is_cancelled:
            raise Stopped
        screen.post_message(SweepProgress(done, total))

    screen.post_message(SweepProgress(0, net.hidden))
    try:
        intact, rows = ablation_sweep(net, task, SWEEP, progress=progress)
    except Stopped:
        return
    screen.post_message(SweepDone(intact, rows))


def role_label(role: Role, strength: bool = True) -> str:
    """A role in few words: `bit: cell 6 filled (AUC 1.00)`, or `? cell 3 empty (AUC 0.80)` when unexplained.

    Without the strength (the neuron panel's short form) a named role reads `bit: cell 6 filled`, as
    it passed its threshold, and an unexplained one `? cell 3 empty .80`.
    """
    shown = f"r={role.value:.2f}" if role.measure == "r" else f"AUC {role.value:.2f}"
    if not strength:
        shown = f"{abs(role.value):.2f}".lstrip("0") if role.kind == "unexplained" else ""
    what = "?" if role.kind == "unexplained" else f"{role.kind}:"
    return f"{what} {role.text} {shown if not strength else f'({shown})'}".rstrip()
