"""What an analysis view declares to be registered (screens/views.py): its key, title, help, widget and data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.binding import Binding
from textual.widget import Widget

from ..model import Interventions
from ..roles import NeuronRoles
from ..session import Frame, Session
from ..tasks import Task


@dataclass(frozen=True, eq=False)
class Seen:
    """What the explorer hands an open view: the session, the frame on screen, the interventions held,
    the selected neuron and the neurons' roles (empty until they are found)."""

    session: Session
    frame: Frame
    interventions: Interventions
    selected: int
    roles: Sequence[NeuronRoles] = ()
    short: tuple[str, ...] = ()  # each neuron's role as the panel labels it (given, or the roles' short labels)

    @property
    def labels(self) -> tuple[str, ...]:
        """Each neuron's role label, once known."""
        return tuple(n.label for n in self.roles)


def redraw(widget: Widget, seen: Seen) -> None:
    """The default hand-over: a widget that reads the session itself just redraws."""
    widget.refresh()


def everything(seen: Seen) -> tuple:
    """The default dependency: the frame, the interventions, the selection and whether the roles are known."""
    return (seen.frame, seen.interventions, seen.selected, len(seen.roles))


@dataclass(frozen=True)
class View:
    """An analysis view, shown in place of the explorer's panels while open.

    `make(session)` builds its widget once; whenever `depends(seen)` changes while the view is open,
    `show(widget, seen)` hands it what to draw. `keys` are bindings that act on the open view: each
    calls `action_<name>` on the widget. A widget that takes the Session and reads it when it
    renders needs only the first six fields.
    """

    key: str  # the key that opens it
    name: str  # its id, and the argument of the explorer's `view` action
    label: str  # its name in the footer and the palette
    title: str  # the border title
    help: str  # a paragraph for the help screen
    make: Callable[[Session], Widget]
    show: Callable[[Any, Seen], None] = redraw
    depends: Callable[[Seen], object] = everything
    applies: Callable[[Task], bool] = lambda task: True  # False: not offered for this task
    keys: tuple[Binding, ...] = field(default=())  # bindings acting on the open view
    subtitle: str = ""  # the border subtitle
    tip: str = ""  # a few words for the key's line in the help and the palette; the title when empty
