"""The explorer's keys in one table: its bindings (the views' come from their registry), the commands offered
in the palette only, the playback speeds, and the two-digit neuron numbers."""

from __future__ import annotations

import time

from textual.actions import parse
from textual.binding import Binding

from ..session import HISTORY
from .views import VIEWS, View

SPEEDS = (1, 2, 5, 10, 20, 30, 60, 120, 240)  # steps per second
DIGIT_GAP = 1.0  # seconds within which two digits make one neuron number (networks of 11+ neurons)
GROUP = Binding.Group("Views", compact=True)


def view_bindings(views: tuple[View, ...]) -> list[Binding]:
    """A key to open each view, then the keys that act on an open view."""
    return [
        *(Binding(v.key, f"view('{v.name}')", v.label, group=GROUP, tooltip=v.tip or v.title) for v in views),
        *(
            Binding(b.key, f"in_view('{b.action}')", b.description, show=b.show, tooltip=b.tooltip)
            for v in views
            for b in v.keys
        ),
    ]


def bindings(views: tuple[View, ...]) -> list[Binding]:
    """The explorer's bindings with these views'. The footer shows what fits in 80 columns in every view;
    the rest are in the help (?) and the palette."""
    return [
        Binding("escape", "view('main')", "Back", key_display="esc", tooltip="Back to the explorer's panels"),
        Binding("space", "play", "Play", tooltip="Play or pause"),
        Binding("n,right", "step", "Step", key_display="n/→", tooltip="One step forward"),
        Binding("left", "back", "Step back", key_display="←", show=False, tooltip=f"One step back ({HISTORY} kept)"),
        Binding("m", "mode", "Mode", tooltip="Mode: sample, teacher, type"),
        Binding("z", "zero", "Zero", tooltip="Zero the selected neuron"),
        Binding("c", "clamp", "Clamp", show=False, tooltip="Clamp it at its value now"),
        Binding("x", "release", "Free", show=False, tooltip="Release it"),
        Binding("X", "release_all", "Free all", show=False, tooltip="Release all: the original net"),
        *view_bindings(views),
        Binding("s", "export", "SVG", show=False, tooltip="Save the screen as an SVG file"),
        Binding("F", "figure", "Figure", show=False, tooltip="Save the view as a figure (SVG and PNG) with a caption"),
        Binding(
            "E",
            "export_steps('.npz')",
            "Export data",
            show=False,
            tooltip="Export the steps kept (symbols, h, p) to .npz",
        ),
        Binding("W", "save_network", "Save net", tooltip="Save the network trained here"),
        Binding("L", "training_curve", "Curve", show=False, tooltip="The training curve of a network trained here"),
        Binding("C", "cycle_clamp", "Clamp ±1", show=False, tooltip="Clamp it at +1, then -1"),
        Binding(
            "plus,equals_sign",
            "speed(1)",
            "Speed up",
            key_display="+",
            show=False,
            tooltip=f"Play faster (to {SPEEDS[-1]}/s)",
        ),
        Binding("minus", "speed(-1)", "Speed down", key_display="-", show=False, tooltip="Play slower"),
        Binding("t", "temperature(1)", "Temperature up", show=False, tooltip="Sample hotter"),
        Binding("T", "temperature(-1)", "Temperature down", show=False, tooltip="Sample colder"),
        Binding("r", "reset", "Reset", show=False, tooltip="Reset: h = 0, same draws"),
        Binding("up", "select(-1)", "Neuron up", key_display="↑", show=False, tooltip="Select the neuron above"),
        Binding("down", "select(1)", "Neuron down", key_display="↓", show=False, tooltip="Select the neuron below"),
        *(
            Binding(str(d), f"pick({d})", f"Neuron {d}", show=False, tooltip="Select by number (1 2 → 12)")
            for d in range(10)
        ),
    ]


BINDINGS = bindings(VIEWS)

# commands offered in the palette only: (title, help, action)
PALETTE = [
    (
        "Export data as CSV",
        "Write the steps kept (symbols, h, p) to .csv, as rnnmem-tui trace does",
        "export_steps('.csv')",
    )
]


APP_KEYS = [("?", "This help"), ("ctrl+p", "Palette: actions by name"), ("q", "Quit")]  # the app's, not the screen's


def key_rows(bindings: list[Binding] = BINDINGS, app_keys: list[tuple[str, str]] = APP_KEYS) -> list[tuple[str, str]]:
    """Every key and what it does, in declaration order, the digits folded into one row: the one list that the
    help screen, the explorer's --help and the README's key table show."""
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if b.action.startswith("pick("):
            if b.key == "0":
                rows.append(("0-9", b.tooltip))
            continue
        rows.append((b.key_display or b.key, b.tooltip or b.description))
    return rows + app_keys


def markdown() -> str:
    """The key table of the README."""
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    return "\n".join(["| key | action |", "|---|---|", *(f"| `{k}` | {cell(t)} |" for k, t in key_rows())])


def keys_by_action(bindings: list[Binding]) -> dict[tuple[str, tuple], tuple[str, ...]]:
    """Each binding's action and arguments, mapped to its keys (type mode hides those the task types)."""
    return {parse(b.action)[1:]: tuple(b.key.split(",")) for b in bindings}


KEYS = keys_by_action(BINDINGS)


class DigitPicker:
    """Neuron numbers typed as digits: two quick digits make one number when it exists."""

    def __init__(self) -> None:
        self._last, self._digits = 0.0, ""  # when the last digit came, and the digits so far

    def pick(self, digit: int, hidden: int) -> int | None:
        """The neuron the digits so far name, or None when there is no such neuron."""
        now, both = time.monotonic(), self._digits + str(digit)
        one_number = now - self._last < DIGIT_GAP and len(self._digits) == 1 and int(both) < hidden
        self._last, self._digits = now, both if one_number else str(digit)
        return int(self._digits) if int(self._digits) < hidden else None

    def end(self) -> None:
        """Another key came: the next digit starts a new number (`1 i 0` pins 1, then selects 0, never 10)."""
        self._digits = ""


if __name__ == "__main__":  # python -m rnnmem_tui.screens.keys --markdown: the README's key table
    import sys

    print(markdown() if "--markdown" in sys.argv else "\n".join(f"{k:<8} {t}" for k, t in key_rows()))
