"""The explorer's analysis views, registered once: the screen's keys, the help and the palette are built from here.

A new view is one file (its widget and its `View`) and one line below. A widget that takes the Session
and reads it when it renders registers as
    View("g", "phase", "Phase", "border title", "help paragraph", PhaseView),
and is redrawn whenever the step, the interventions, the selection or the roles change.
"""

from __future__ import annotations

from ..widgets import ablation, heatmap, machine, phase, probs, weights
from ..widgets.view import Seen, View

VIEWS: tuple[View, ...] = (
    heatmap.VIEW,
    probs.VIEW,
    weights.VIEW,
    ablation.VIEW,
    phase.VIEW,
    machine.VIEW,
)

__all__ = ["VIEWS", "Seen", "View"]
