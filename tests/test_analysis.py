"""Ablation sweeps and the scores behind the roles, on networks and data whose answer is known."""

from __future__ import annotations

import numpy as np

from rnnmem_tui.analysis import ablation_sweep
from rnnmem_tui.metrics import Protocol
from rnnmem_tui.optimal import build_fill
from rnnmem_tui.scores import auc, average_ranks, corr
from rnnmem_tui.cli.study import parse_range
from rnnmem_tui.tasks import load_task


def test_auc_handles_ties_and_orientation():
    x = np.array([[0.0], [0.0], [1.0], [1.0]])
    assert auc(x, np.array([[0.0], [0.0], [1.0], [1.0]]))[0, 0] == 1.0
    assert auc(x, np.array([[1.0], [1.0], [0.0], [0.0]]))[0, 0] == 0.0
    assert auc(np.zeros((4, 1)), np.array([[1.0], [0.0], [1.0], [0.0]]))[0, 0] == 0.5


def brute_auc(x: np.ndarray, f: np.ndarray, groups: np.ndarray) -> float:
    """AUC over the (positive, negative) pairs within each group, by counting them."""
    wins = pairs = 0.0
    for g in np.unique(groups):
        pos, neg = x[(groups == g) & (f == 1)], x[(groups == g) & (f == 0)]
        wins += (pos[:, None] > neg).sum() + 0.5 * (pos[:, None] == neg).sum()
        pairs += len(pos) * len(neg)
    return wins / pairs


def test_scores_within_groups_count_only_pairs_inside_a_group():
    rng = np.random.default_rng(1)
    x = np.round(rng.normal(size=(300, 3)), 1)  # (T, H) with ties
    F = (rng.random((300, 2)) < 0.4).astype(float)  # (T, K)
    g = rng.integers(0, 4, 300)
    want = [[brute_auc(x[:, h], F[:, k], g) for h in range(3)] for k in range(2)]
    assert np.allclose(auc(x, F, g), want) and np.allclose(auc(x, F, g, ranks=average_ranks(x)), want)
    r = corr(x, F, g)
    xc = x - np.array([x[g == k].mean(axis=0) for k in range(4)])[g]
    fc = F - np.array([F[g == k].mean(axis=0) for k in range(4)])[g]
    assert np.isclose(r[1, 2], np.corrcoef(xc[:, 2], fc[:, 1])[0, 1])
    constant_in_groups = np.array([0.1, 0.5, -0.3, 0.9])[g][:, None]  # (T, 1): reads the group, nothing else
    assert np.isnan(corr(constant_in_groups, F, g)).all() and (auc(constant_in_groups, F, g) == 0.5).all()


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
