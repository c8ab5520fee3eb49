"""Layouts over many networks: which roles pass in each trained network of a shape, and how often each set occurs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .roles import NeuronRoles, explain
from .weights import load, task_for

Layout = tuple[tuple[str, str], ...]
CELL = re.compile(r"cell \d+ filled")  # a fill task's cell bit, in the task's words


def memory(n: NeuronRoles) -> list[tuple[str, str]]:
    """A neuron's passing roles that are findings about memory, as (kind, feature text): input roles say what
    was just read, not what is remembered, and correlational ones are no finding, so both are left out."""
    return [(r.kind, r.text) for r in n.roles if r.kind != "input" and not r.correlational]


def layout(neurons: list[NeuronRoles]) -> Layout:
    """What a network remembers, whatever order its neurons come in: the set of (kind, feature text) of its
    neurons' passing memory roles (`memory`), sorted."""
    return tuple(sorted({role for n in neurons for role in memory(n)}))


def primary(neurons: list[NeuronRoles]) -> Layout:
    """The coarser view: each neuron's strongest memory role, repeats kept (two neurons on one cell), sorted."""
    return tuple(sorted(memory(n)[0] for n in neurons if memory(n)))


def cells_held(neurons: list[NeuronRoles]) -> list[int]:
    """For a fill task: how many distinct `cell N filled` features each neuron's passing roles hold, one count
    per neuron (a neuron holding several cells is a shortcut; the optimal network holds one each)."""
    return [len({r.text for r in n.roles if r.kind == "bit" and CELL.fullmatch(r.text)}) for n in neurons]


def words(lay: Layout) -> str:
    """A layout in words, repeats counted: e.g. `bit: cell 0 filled; 2 x counter: a's read`."""
    said = [f"{k} x {kind}: {text}" if k > 1 else f"{kind}: {text}" for (kind, text), k in Counter(lay).items()]
    return "; ".join(said) or "(no memory role)"


def layouts_of(paths: Iterable[str | Path]) -> dict:
    """The layouts of the networks of one shape, each explained at the instrument's defaults and split by its
    recorded verdict: {"meets": Counter of layouts among those that meet, "other": among the rest (misses,
    undecided or unjudged), "networks": how many, "each": [(file name, verdict, layout)]}, and for a fill task
    "cells": each network's `cells_held`."""
    out: dict = {"meets": Counter(), "other": Counter(), "networks": 0, "each": []}
    for path in paths:
        net = load(path)
        task = task_for(net)
        verdict = (net.meta.verdict or {}).get("verdict")
        neurons = explain(net, task)
        lay = layout(neurons)
        out["meets" if verdict == "meets" else "other"][lay] += 1
        out["networks"] += 1
        out["each"].append((Path(path).name, verdict, lay))
        if task.family == "fill":
            out.setdefault("cells", []).append(cells_held(neurons))
    return out
