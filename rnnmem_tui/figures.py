"""The seed study's nine figures, each as a network, a terminal size and the keys that reproduce it in the
explorer; `rnnmem-tui figures --out DIR` replays them all headless and saves each view in figure mode as
DIR/NAME.svg and DIR/NAME.png."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .paths import make_folder
from .weights import load, resolve, task_for

TYPE = ("m", "m")  # sample -> teacher -> type: the keys that make the explorer read typed symbols


@dataclass(frozen=True)
class Figure:
    """One figure of the study: which network, the keys pressed (text after TYPE is typed), the size. A figure
    whose neurons are chosen by their roles gives `choose`: from the network's role labels, the keys and the
    caption (so that the caption names only roles the generated results confirm)."""

    name: str  # the study's file name, without .png
    network: str  # a shipped name, as `rnnmem-tui TASK --weights NAME` opens it
    keys_given: tuple[str, ...]  # key names as Textual's pilot presses them
    size: tuple[int, int] = (120, 30)
    caption_given: str = ""
    choose: Callable[[list[str]], tuple[tuple[str, ...], str]] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys pressed: given, or chosen from the roles."""
        return self.chosen[0]

    @property
    def caption(self) -> str:
        """What the figure shows: given, or written from the roles it chose."""
        return self.chosen[1]

    @property
    def chosen(self) -> tuple[tuple[str, ...], str]:
        """The keys and the caption, from the roles when the figure chooses by them."""
        return self.chosen_from(role_labels(self.network) if self.choose else [])

    def chosen_from(self, labels: list[str]) -> tuple[tuple[str, ...], str]:
        """The keys and the caption given these role labels of the network's neurons."""
        if self.choose is None:
            return self.keys_given, self.caption_given
        return self.choose(labels)

    @property
    def command(self) -> str:
        """The command that opens the explorer on the figure's network."""
        task = task_for(load(self.network)).name
        return f"rnnmem-tui {task} --weights {self.network} --paused"

    @property
    def keys_text(self) -> str:
        """The keys as a person types them (`text_of`)."""
        return self.text_of(self.keys)

    def text_of(self, keys: tuple[str, ...]) -> str:
        """Keys as a person types them: key names apart, the symbols typed in type mode run together
        (a newline as ↵)."""
        vocab = load(self.network).vocab
        out, typing, run = [], False, ""
        for n, k in enumerate(keys):
            if typing and (k == "enter" or k in vocab):
                run += "↵" if k == "enter" else k
                continue
            out += [run] if run else []
            out.append(k)
            run, typing = "", typing or keys[max(n - 1, 0) : n + 1] == TYPE
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
ROWS = ("top row complete", "bottom row complete", "middle row complete")  # the lines the row figures follow


@cache
def role_labels(network: str) -> tuple[str, ...]:
    """Each neuron's role label as the generated results give it (`report.neuron_roles`): from the report's
    cache of this checkout when it holds the file's analysis for today's code, else measured now."""
    from .paths import data_dir
    from .report import CACHE, cached, neuron_roles

    path = resolve(network)
    cache_file = data_dir("weights").parent / "docs" / CACHE
    try:
        store = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    except (OSError, ValueError):
        store = {}
    return tuple(n["label"] for n in cached(store, path, neuron_roles))


def holds(label: str, words: str) -> bool:
    """Whether a role label is a role (any kind) for the feature in these words, e.g. `top row complete`."""
    return re.match(rf"\w+: {re.escape(words)}( \(low\))? \(", label) is not None


def row_figure(games: str, ended: str) -> Callable[[list[str]], tuple[tuple[str, ...], str]]:
    """The row figures' choice: the neurons whose role is a row's flag (top, bottom, middle), then a cell bit,
    pinned in the heatmap; the caption names each with its role, and says so when the top row has none."""

    def choose(labels: list[str]) -> tuple[tuple[str, ...], str]:
        picked = [next((i for i, lab in enumerate(labels) if holds(lab, row)), None) for row in ROWS]
        cell = next((i for i, lab in enumerate(labels) if lab.startswith("bit: cell ")), None)
        neurons = [i for i in (*picked, cell) if i is not None]
        named = "; ".join(f"{i}: {labels[i]}" for i in neurons) or "no neuron has a row's role or a cell's"
        if any(i is not None for i in picked):
            head = "the neurons of the row flags and a cell bit"
            missing = "" if picked[0] is not None else "; no neuron passes for the top row complete"
        else:
            head, missing = "no neuron passes for a row complete, so a cell bit alone", ""
        keys = ("h", *pin(*neurons), *TYPE, *typed(games))
        return keys, f"three-in-a-row, {head} ({named}){missing}; games ended by {ended}"

    return choose


FIGURES = (
    Figure(
        "2neuron",
        "count-2",
        (*TYPE, *typed("3ccc\n2cc\n1c\n3ccc\n8cccccccc\n9ccccccccc\n9ccccccccc\n"), "h"),
        caption_given="count, 2 neurons: a counter and a newline flag",
    ),
    Figure(
        "fillboard_act10",
        "fill-10",
        (*TYPE, *typed("56328014794632578019"), "h"),
        caption_given="fill, 10 neurons, two typed games: mostly one cell each",
    ),
    Figure("10neurprobs", "fill-10", ("p",), (100, 30), "fill, 10 trained neurons: the probability heatmap"),
    Figure("5neurprobs", "fill-5", ("p",), (100, 30), "fill, 5 trained neurons: mass on filled cells"),
    Figure("opt", "fill-optimal-10", ("p",), (100, 30), "fill, the hand-built 10 neurons"),
    Figure("toprow", "three-in-a-row-30", (), (120, 24), choose=row_figure(TOP, "the top row")),
    Figure("bottomrow", "three-in-a-row-30", (), (120, 24), choose=row_figure(BOTTOM, "the bottom row")),
    Figure(
        "3neursimplegrammar", "grammar-3", (*TYPE, *typed(GRAMMAR), "h"), (120, 24), "a^n b a b^n, 3 trained neurons"
    ),
    Figure(
        "4neursimplegrammar", "grammar-4", (*TYPE, *typed(GRAMMAR), "h"), (120, 24), "a^n b a b^n, 4 trained neurons"
    ),
)


async def draw(figure: Figure, out: Path) -> list[Path]:
    """Open the explorer headless on the figure's network, press its keys, and save the view in figure mode
    (its caption in place of the status line and footer) as out/NAME.svg and out/NAME.png."""
    from .app import ExplorerApp
    from .screens.exports import save_figure

    net = load(figure.network)
    # the roles as the generated results give them: no roles worker to wait for
    app = ExplorerApp(net, task_for(net), source=resolve(figure.network).name, labels=role_labels(figure.network))
    async with app.run_test(size=figure.size) as pilot:
        await pilot.pause()
        for key in figure.keys:
            await pilot.press(key)
        app.screen.figure_mode(True)
        await pilot.pause()
        return list(save_figure(app, out / figure.name, replace=True))


def make_figures(out: str | Path, names: list[str] | None = None) -> list[Path]:
    """Draw the figures (all, or those named) into the folder out; returns the files written (SVG and PNG)."""
    out = make_folder(out, "--out names the folder the figures go to")
    wanted = [f for f in FIGURES if not names or f.name in names]
    return [p for f in wanted for p in asyncio.run(draw(f, out))]
