"""The explorer's background work: the roles and ablation-sweep workers and the messages they post."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading

from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import get_current_worker

from ..analysis import Ablation, ablation_sweep
from ..metrics import Protocol, Scores
from ..model import RNN
from ..probe import Stopped
from ..roles import NeuronRoles
from ..tasks import Task

SWEEP = Protocol(units=1000)  # the ablation view's measure: `rnnmem-tui ablate`'s


class RolesFound(Message):
    """The roles worker labelled every neuron (of one side, in compare)."""

    def __init__(self, roles: list[NeuronRoles], side: int = 0) -> None:
        super().__init__()
        self.roles, self.side = roles, side


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
    """Measure every neuron's roles as `rnnmem-tui explain` does (`measure_roles`); posts RolesFound."""
    roles = measure_roles(net, task)
    if roles is not None:
        screen.post_message(RolesFound(roles))


@work(thread=True, group="compare-roles")
def find_side_roles(screen: Screen, side: int, net: RNN, task: Task) -> None:
    """The roles of one side of a comparison (`measure_roles`); posts RolesFound with the side."""
    roles = measure_roles(net, task)
    if roles is not None:
        screen.post_message(RolesFound(roles, side))


def measure_roles(net: RNN, task: Task) -> list[NeuronRoles] | None:
    """Every neuron's roles as `rnnmem-tui explain` finds them; None when the worker was cancelled or the
    measurement failed.

    The measurement runs in a process of its own (`roles.serve`): in a thread it would hold the
    interpreter for seconds, and the keys would wait.
    """
    worker = get_current_worker()
    child = subprocess.Popen(
        [sys.executable, "-c", "from rnnmem_tui.roles import serve; serve()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    # The question goes in and the answer comes out on threads of their own: `communicate` retried after a
    # timeout sends no more of its input, so a question bigger than it writes in one timeout never arrived.
    out: list[bytes] = []
    pipes = [
        threading.Thread(target=send, args=(child.stdin, pickle.dumps((net, task))), daemon=True),
        threading.Thread(target=lambda: out.append(child.stdout.read()), daemon=True),
    ]
    for pipe in pipes:
        pipe.start()
    try:
        while True:
            try:
                child.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if worker.is_cancelled:
                    return None
    finally:
        child.kill()
        child.wait()
        for pipe in pipes:
            pipe.join()
    return pickle.loads(out[0]) if child.returncode == 0 and out and not worker.is_cancelled else None


def send(stdin, payload: bytes) -> None:
    """Write the whole payload and close the pipe; a child that ended early is not an error here."""
    try:
        with stdin:
            stdin.write(payload)
    except OSError:  # BrokenPipeError: the child is gone, and its exit code says why
        pass


@work(thread=True, exclusive=True, group="ablation")
def run_sweep(view: Widget, net: RNN, task: Task) -> None:
    """Zero each neuron in turn and measure it as `rnnmem-tui ablate` does; posts SweepProgress, then SweepDone."""
    worker = get_current_worker()

    def progress(done: int, total: int) -> None:
        """Report a neuron measured; stop the sweep when the worker was cancelled."""
        if worker.is_cancelled:
            raise Stopped
        view.post_message(SweepProgress(done, total))

    view.post_message(SweepProgress(0, net.hidden))
    try:
        intact, rows = ablation_sweep(net, task, SWEEP, progress=progress)
    except Stopped:
        return
    view.post_message(SweepDone(intact, rows))
