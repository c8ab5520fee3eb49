"""The status bar: mode, playback, step and unit counts, the running score with and without interventions."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive

from ..model import Interventions
from ..session import Running, describe
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
        top.append(f"  {'▶ playing' if d.playing else 'paused'} at {d.speed:g} steps/s", self.style("dim"))
        top.append(f"  step {d.t}  units {d.units}")
        low = Text(no_wrap=True, overflow="ellipsis")
        if d.interventions:
            low.append(f" held: {describe(d.interventions)} ", self.style("held"))
            low.append(" ")
        else:
            low.append("no interventions  ", self.style("dim"))
        r = d.running
        if r is None:
            low.append(f"type one of {d.typing}: the network reads it")
        elif r.name == "valid":
            mood = "dim" if r.now is None else "good" if r.now >= 0.9 else "bad"
            low.append(f"valid {percent(r.now)} of {r.n_now}", self.style(mood))
            if d.interventions:
                low.append(f" · without {percent(r.free)} of {r.n_free}", self.style("dim"))
        else:
            now = "—" if r.now is None else f"{r.now:.3f}"
            mood = "dim" if r.now is None else "good" if r.now < 0.01 else "bad"
            low.append(f"illegal mass {now} over {r.n_now} steps", self.style(mood))
            if d.interventions:
                free = "—" if r.free is None else f"{r.free:.3f}"
                low.append(f" · without {free} over {r.n_free}", self.style("dim"))
        return Text("\n").join([top, low])
