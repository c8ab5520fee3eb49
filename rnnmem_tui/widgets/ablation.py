"""The ablation view: each neuron zeroed in turn, sorted by the damage done, with its role beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static

from ..analysis import Ablation
from ..metrics import Scores
from ..session import Session
from .view import Seen, View
from .workers import SweepDone, SweepProgress, run_sweep

BAR = 8  # cells of the damage bar
EIGHTHS = " ▏▎▍▌▋▊▉█"


@dataclass(frozen=True, eq=False)
class AblationData:
    """A sweep's state: how far it got, its results once done, the roles when known, the selection."""

    done: int = 0
    total: int = 0
    intact: Scores | None = None
    rows: Sequence[Ablation] = ()  # by damage, largest first
    roles: Sequence[str] = ()  # a role label per neuron, once known
    selected: int = 0


def bar(v: float, top: float) -> str:
    """A horizontal bar of v on a scale to top, in eighths of a cell."""
    n = int(round(BAR * 8 * min(max(v / top, 0.0), 1.0))) if top > 0 else 0
    return ("█" * (n // 8) + (EIGHTHS[n % 8] if n % 8 else "")).ljust(BAR)


def table(d: AblationData, styles: dict[str, Style]) -> Table:
    """A row per zeroed neuron: the drop in validity, its TVD and bad mass, a damage bar and its role."""
    t = Table(box=None, padding=(0, 1), header_style=styles["head"], expand=False)
    t.add_column("n", justify="right", no_wrap=True)
    t.add_column("Δvalid", justify="right", no_wrap=True, min_width=6)
    t.add_column("TVD", justify="right", no_wrap=True, min_width=5)
    t.add_column("bad", justify="right", no_wrap=True, min_width=5)
    t.add_column("damage", no_wrap=True)
    t.add_column("role", overflow="fold", ratio=1)  # the role wraps under itself; the figures are never cut
    top = max((a.damage for a in d.rows), default=0.0)
    for a in d.rows:
        s, drop = a.scores, a.scores.validity - a.intact.validity
        hurt = styles["bad"] if a.damage >= 0.05 else styles["dim"]
        i = a.neurons[0]
        role = d.roles[i] if i < len(d.roles) else ""
        t.add_row(
            f"{'▶' if i == d.selected else ''}{','.join(map(str, a.neurons))}",
            Text(f"{drop:+.3f}", hurt),
            f"{s.tvd:.3f}",
            f"{s.bad_mean:.3f}",
            Text(bar(a.damage, top), hurt) + Text(f" {a.damage:.3f}"),
            Text(role, styles["role"] if d.roles else styles["dim"]),
            style=styles["selected"] if i == d.selected else None,
        )
    return t


class AblationView(Vertical):
    """The intact figures, a progress bar while the sweep runs, then the table sorted by damage."""

    COMPONENT_CLASSES = {"ablation--head", "ablation--bad", "ablation--dim", "ablation--role", "ablation--selected"}

    data: reactive[AblationData | None] = reactive(None)

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.sweep: AblationData | None = None  # None until the view is first shown
        self.seen: Seen | None = None

    def show_seen(self, seen: Seen) -> None:
        """Draw the sweep so far with the roles and the selection; the first time, start the sweep."""
        self.seen = seen
        if self.sweep is None:
            self.sweep = AblationData(0, self.session.net.hidden)
            run_sweep(self, self.session.net, self.session.task)
        self.data = replace(self.sweep, roles=seen.short, selected=seen.selected)

    def on_sweep_progress(self, message: SweepProgress) -> None:
        """Move the progress bar."""
        self.sweep = AblationData(message.done, message.total)
        if self.seen is not None:
            self.show_seen(self.seen)

    def on_sweep_done(self, message: SweepDone) -> None:
        """Show the table."""
        self.sweep = AblationData(len(message.rows), len(message.rows), message.intact, message.rows)
        if self.seen is not None:
            self.show_seen(self.seen)

    def compose(self) -> ComposeResult:
        """The heading, the progress, the table."""
        yield Static(id="ablation-intact")
        yield ProgressBar(id="ablation-progress", show_eta=False)
        with ScrollableContainer(id="ablation-scroll"):
            yield Static(id="ablation-table")

    def watch_data(self, d: AblationData | None) -> None:
        """Show the progress, then the figures."""
        if d is None:
            return
        styles = {
            k: self.get_component_rich_style(f"ablation--{k}") for k in ("head", "bad", "dim", "role", "selected")
        }
        progress = self.query_one(ProgressBar)
        progress.update(total=d.total or None, progress=d.done)
        progress.display = d.intact is None
        head = Text(no_wrap=True, overflow="ellipsis")
        if d.intact is None:
            head.append(f" zeroing each neuron in turn: {d.done} of {d.total} measured", styles["dim"])
        else:
            s = d.intact
            head.append(" intact ", styles["head"])
            head.append(f" valid {s.validity:.3f} · TVD {s.tvd:.3f} · bad {s.bad_mean:.3f} · {s.units} units a run")
        self.query_one("#ablation-intact", Static).update(head)
        self.query_one("#ablation-table", Static).update(table(d, styles) if d.rows else "")


VIEW = View(
    "a",
    "ablation",
    "Ablation",
    "ablation · each neuron zeroed in turn",
    "Each neuron zeroed in turn and measured as `rnnmem-tui ablate` does, sorted by damage, its role beside it.",
    tip="Zero each neuron in turn: damage and role",
    make=AblationView,
    show=AblationView.show_seen,
    depends=lambda seen: (seen.selected, seen.short),
    subtitle="damage: the fall in valid − TVD − bad",
)
