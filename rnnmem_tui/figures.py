"""The seed study's nine figures, each as a network, a terminal size and the keys that reproduce it in the
explorer; `rnnmem-tui figures --out DIR` replays them all headless and saves each screen as DIR/NAME.svg."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from .paths import make_folder
from .weights import load, resolve, task_for

TYPE = ("m", "m")  # sample -> teacher -> type: the keys that make the explorer read typed symbols


@dataclass(frozen=True)
class Figure:
    """One figure of the study: which network, the keys pressed (text after TYPE is typed), the size."""

    name: str  # the study's file name, without .png
    network: str  # a shipped name, as `rnnmem-tui TASK --weights NAME` opens it
    keys: tuple[str, ...]  # key names as Textual's pilot presses them
    size: tuple[int, int] = (120, 30)
    caption: str = ""

    @property
    def command(self) -> str:
        """The command that opens the explorer on the figure's network."""
        task = task_for(load(self.network)).name
        return f"rnnmem-tui {task} --weights {self.network} --paused"

    @property
    def keys_text(self) -> str:
        """The keys as a person types them: key names apart, the symbols typed in type mode run together
        (a newline as ↵)."""
        vocab = load(self.network).vocab
        out, typing, run = [], False, ""
        for n, k in enumerate(self.keys):
            if typing and (k == "enter" or k in vocab):
                run += "↵" if k == "enter" else k
                continue
            out += [run] if run else []
            out.append(k)
            run, typing = "", typing or self.keys[max(n - 1, 0) : n + 1] == TYPE
        return " ".join(out + ([run] if run else []))


def typed(text: str) -> tuple[str, ...]:
    """The keys that type text in type mode (a newline is enter)."""
    return tuple("enter" if c == "\n" else c for c in text)


def pin(*neurons: int) -> tuple[str, ...]:
    """In the heatmap: select each neuron by number and pin it."""
    return tuple(k for i in neurons for k in (*str(i), "i"))


TOP = "0712948210925160920192109067129"  # the study's games, each ended by the clear 9
BOTTOM = "36178942876985706986798769601789"
GRAMMAR = "aaaaababbbbb\naababb\naaaaaaababbbbbbb\n"
# three-in-a-row-30's neurons for the top-row figures: top row complete (26), bottom row complete (24),
# cell 2 (25) and middle row complete (29), as `rnnmem-tui explain three-in-a-row-30` labels them
ROW_NEURONS = (26, 24, 25, 29)

FIGURES = (
    Figure(
        "2neuron",
        "count-2",
        (*TYPE, *typed("3ccc\n2cc\n1c\n3ccc\n8cccccccc\n9ccccccccc\n9ccccccccc\n"), "h"),
        caption="count, 2 neurons: a counter and a newline flag",
    ),
    Figure(
        "fillboard_act10",
        "fill-10",
        (*TYPE, *typed("56328014794632578019"), "h"),
        caption="fill, 10 neurons, two typed games: mostly one cell each",
    ),
    Figure("10neurprobs", "fill-10", ("p",), (100, 30), "fill, 10 trained neurons: the probability heatmap"),
    Figure("5neurprobs", "fill-5", ("p",), (100, 30), "fill, 5 trained neurons: mass on filled cells"),
    Figure("opt", "fill-optimal-10", ("p",), (100, 30), "fill, the hand-built 10 neurons"),
    Figure(
        "toprow",
        "three-in-a-row-30",
        ("h", *pin(*ROW_NEURONS), *TYPE, *typed(TOP)),
        (120, 24),
        "three-in-a-row, four chosen neurons; games ended by the top row",
    ),
    Figure(
        "bottomrow",
        "three-in-a-row-30",
        ("h", *pin(*ROW_NEURONS), *TYPE, *typed(BOTTOM)),
        (120, 24),
        "three-in-a-row, the same neurons; games ended by the bottom row",
    ),
    Figure(
        "3neursimplegrammar", "grammar-3", (*TYPE, *typed(GRAMMAR), "h"), (120, 24), "a^n b a b^n, 3 trained neurons"
    ),
    Figure(
        "4neursimplegrammar", "grammar-4", (*TYPE, *typed(GRAMMAR), "h"), (120, 24), "a^n b a b^n, 4 trained neurons"
    ),
)


async def draw(figure: Figure, out: Path) -> Path:
    """Open the explorer headless on the figure's network, press its keys, save the screen as out/NAME.svg."""
    from .app import ExplorerApp
    from .screens.exports import write_svg

    net = load(figure.network)
    # no roles worker: the figures show no labels, and each would wait for it
    app = ExplorerApp(net, task_for(net), source=resolve(figure.network).name, labels=[""] * net.hidden)
    async with app.run_test(size=figure.size) as pilot:
        await pilot.pause()
        for key in figure.keys:
            await pilot.press(key)
        await pilot.pause()
        return write_svg(app, out / f"{figure.name}.svg", replace=True)


def make_figures(out: str | Path, names: list[str] | None = None) -> list[Path]:
    """Draw the figures (all, or those named) into the folder out; returns the files written."""
    out = make_folder(out, "--out names the folder the figures go to")
    wanted = [f for f in FIGURES if not names or f.name in names]
    return [asyncio.run(draw(f, out)) for f in wanted]
