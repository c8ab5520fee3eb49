"""The status bar: mode, playback, step and unit counts, the running score; while neurons are held, the
intact twin's score beside the held network's, both since the fork."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive

from ..meta import Meta
from ..model import Interventions
from ..session import Running, describe
from ..words import plural
from .textlines import TextLines


@dataclass(frozen=True)
class StatusData:
    """What the status bar shows."""

    mode: str
    temperature: float
    playing: bool
    speed: float  # steps per second
    t: int
    units: int
    running: Running | None
    interventions: Interventions
    typing: str = ""  # the symbols a user can type
    names: tuple[str, ...] = ()  # the units' names when not n0, n1, ... (an LSTM's h0.., c0..)


def percent(v: float | None) -> str:
    """A fraction as a percentage, or a dash when nothing was scored yet."""
    return "—" if v is None else f"{100 * v:.0f}%"


class StatusBar(TextLines):
    """Two lines: what is running, then how well, with the interventions spelled out."""

    COMPONENT_CLASSES = {"status--mode", "status--held", "status--good", "status--bad", "status--dim"}

    data: reactive[StatusData | None] = reactive(None)

    def text(self) -> Text:
        """The mode line, then the score line."""
        d = self.data
        top = Text(no_wrap=True, overflow="ellipsis")
        top.append(f" {d.mode.upper()} ", self.style("mode"))
        if d.mode == "sample":
            top.append(f" T={d.temperature:g}")
        top.append(
            f"  {'▶ playing' if d.playing else 'paused'} at {d.speed:g} step{'s' * (d.speed != 1)}/s", self.style("dim")
        )
        top.append(f"  step {d.t}  units {d.units}")
        low = Text(no_wrap=True, overflow="ellipsis")
        r = d.running
        if r is None:
            low.append(f"type one of {d.typing}: the network reads it")
        elif r.twin:  # since the fork: the intact twin, then the network as held
            low.append(f"{r.name} ")
            low.append(f"intact {score(r, r.free, r.n_free)}", self.style(mood(r, r.free)))
            low.append(" · ")
            low.append(f"held {score(r, r.now, r.n_now)}", self.style(mood(r, r.now)))
        else:
            low.append(f"{r.name} {score(r, r.now, r.n_now)}", self.style(mood(r, r.now)))
        if d.interventions:
            low.append("  ")
            low.append(f" {describe(d.interventions, d.names)} ", self.style("held"))
        return Text("\n").join([top, low])


def score(r: Running, v: float | None, n: int) -> str:
    """A running score and what it counts: `97% of 100` units, or `0.004 over 100 steps`."""
    if r.name == "valid":
        return f"{percent(v)} of {n}"
    return f"{'—' if v is None else f'{v:.3f}'} over {plural(n, 'step')}"


def mood(r: Running, v: float | None) -> str:
    """The style of a score: dim before anything is scored, good when it meets the usual target, else bad."""
    if v is None:
        return "dim"
    return "good" if (v >= 0.9 if r.name == "valid" else v < 0.01) else "bad"


def badge(meta: Meta | None, note: str = "") -> str:
    """How good the network is, as its file records it under the verdict protocol (never measured live):
    `meets 0.993 [0.992, 0.994]`, the verdict and the validity with its 95% interval."""
    v = (meta.verdict if meta is not None else None) or {}
    if "verdict" not in v or "validity_interval" not in v:
        text = "no recorded verdict"
    else:
        lo, hi = v["validity_interval"]
        text = f"{v['verdict']} {v['validity']:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{text} · {note}" if note else text
