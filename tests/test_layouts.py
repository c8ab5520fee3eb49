"""Layouts: the set of a network's causal memory roles, whatever order its neurons come in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnnmem_tui.layouts import cells_held, layout, layouts_of, primary
from rnnmem_tui.roles import explain
from rnnmem_tui.weights import load, task_for


@pytest.fixture(scope="module")
def optimal():
    """The hand-built fill network and what the instrument says of it (about 3 s)."""
    net = load("fill-optimal-10")
    return net, explain(net, task_for(net))


def test_the_optimal_fill_network_lays_out_nine_cell_bits_and_the_full_flag(optimal):
    _, neurons = optimal
    # What the instrument finds, run and read: neurons 0-8 each hold one cell bit and nothing else that passes,
    # neuron 9 the "all cells filled" flag; none is correlational (the flag's zeroing changes nothing, but
    # clamping it at "not full" does, so it keeps its causal standing).
    cells = tuple(("bit", f"cell {c} filled") for c in range(9))
    assert layout(neurons) == primary(neurons) == (*cells, ("flag", "all cells filled"))
    assert cells_held(neurons) == [1] * 9 + [0]


def test_a_layout_ignores_the_order_of_the_neurons(optimal):
    net, neurons = optimal
    p = np.random.default_rng(0).permutation(net.hidden)
    moved = replace(net, Wxh=net.Wxh[p], Whh=net.Whh[p][:, p], Why=net.Why[:, p], bh=net.bh[p])
    after = explain(moved, task_for(moved))
    assert [n.top.text for n in after] == [neurons[i].top.text for i in p]  # the roles did move with the units
    assert layout(after) == layout(neurons)


def test_a_layout_leaves_out_input_and_correlational_roles(optimal):
    _, neurons = optimal
    first = neurons[0]
    kept = replace(first.roles[0], kind="input")
    gone = replace(first.roles[0], correlational=True)
    assert layout([replace(first, roles=(kept,)), replace(first, roles=(gone,))]) == ()


def test_layouts_of_counts_the_layouts_by_verdict(optimal, monkeypatch):
    _, neurons = optimal
    monkeypatch.setattr("rnnmem_tui.layouts.explain", lambda net, task: neurons)  # measured once, in the fixture
    found = layouts_of(["fill-optimal-10", "fill-optimal-10"])
    assert found["networks"] == 2 and found["cells"] == [[1] * 9 + [0]] * 2
    assert found["meets"] == {layout(neurons): 2} and not found["other"]  # its meta records "meets"
