"""Neuron roles and ablation sweeps on networks whose roles are known by construction."""
from __future__ import annotations

import numpy as np

from rnnmem_tui.analysis import ablation_sweep, auc, neuron_roles
from rnnmem_tui.metrics import Protocol
from rnnmem_tui.optimal import build_fill
from rnnmem_tui.study import parse_range
from rnnmem_tui.paths import data_dir
from rnnmem_tui.tasks import load_task
from rnnmem_tui.weights import load, task_for


def test_auc_handles_ties_and_orientation():
    x = np.array([0.0, 0.0, 1.0, 1.0])
    assert auc(x, np.array([False, False, True, True])) == 1.0
    assert auc(x, np.array([True, True, False, False])) == 0.0
    assert auc(np.zeros(4), np.array([True, False, True, False])) == 0.5


def test_hand_built_fill_gets_a_cell_bit_per_neuron_and_an_all_filled_flag():
    task = load_task("fill")
    roles = neuron_roles(build_fill(task), task, units=200)
    for i in range(9):
        assert roles[i].kind == "bit" and roles[i].feature == f"cell{i}", roles[i].label
        assert roles[i].label == f"bit: cell {i} filled (AUC 1.00)"
    assert roles[9].label == "flag: all filled (AUC 1.00)"


def test_hand_built_count_network_has_a_flag_and_a_counter():
    net = load(data_dir("weights") / "count-optimal-2.npz")
    roles = neuron_roles(net, task_for(net), units=300)
    assert roles[0].kind == "flag" and roles[0].feature == "line_start" and roles[0].value == 1.0
    assert roles[1].kind == "counter" and roles[1].feature == "remaining" and roles[1].value > 0.85


def test_zeroing_a_cell_bit_breaks_the_hand_built_fill_network_but_the_flag_is_redundant():
    task = load_task("fill")
    intact, rows = ablation_sweep(build_fill(task), task, Protocol(units=200, bad_units=20))
    assert intact.validity == 1.0 and len(rows) == 10
    assert rows == sorted(rows, key=lambda a: -a.damage)
    assert {a.neurons[0] for a in rows[:9]} == set(range(9)) and all(a.damage > 0.5 for a in rows[:9])
    # with the "full" neuron at 0 the cell logits alone still rule out clearing early
    assert rows[9].neurons == (9,) and rows[9].scores.validity >= 0.98


def test_sweep_sizes_parse():
    assert parse_range("1..4") == [1, 2, 3, 4] and parse_range("2,8") == [2, 8]
