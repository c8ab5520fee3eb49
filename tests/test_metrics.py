"""The metrics of DESIGN.md on networks whose behaviour is known, and on hand-made unit lists."""

from __future__ import annotations

import numpy as np

from rnnmem_tui.metrics import Protocol, Scores, bad_mass, evaluate, sample_units, tvd, validity
from rnnmem_tui.model import RNN, Interventions
from rnnmem_tui.optimal import build_fill
from rnnmem_tui.tasks import load_task


def test_validity_and_tvd_on_hand_made_units():
    task = load_task("count")
    perfect = [f"{k}" + "c" * k + "\n" for k in range(1, 10)]
    assert validity(task, perfect) == 1.0
    assert tvd(task, perfect) < 1e-12
    only_ones = ["1c\n"] * 9  # the net that only ever prints 1c
    assert validity(task, only_ones) == 1.0
    assert abs(tvd(task, only_ones) - 8 / 9) < 1e-12
    half_bad = perfect + ["3cc\n"] * 9
    assert validity(task, half_bad) == 0.5
    assert abs(tvd(task, half_bad) - 0.5) < 1e-12  # invalid mass sits outside the support
    assert validity(task, []) == 0.0 and tvd(task, []) == 1.0


def test_sampling_drops_burn_in_and_the_unfinished_tail():
    task = load_task("fill")
    units = sample_units(build_fill(task), task, 50, np.random.default_rng(0))
    assert len(units) == 50 and all(u.endswith("9") for u in units)


def test_hand_built_fill_is_perfect_and_a_zeroed_bit_breaks_it():
    task = load_task("fill")
    net = build_fill(task)
    p = Protocol(units=300, bad_units=50)
    s = evaluate(net, task, p)
    assert s.validity == 1.0 and s.bad_max <= 0.01 and s.meets(task.target)
    broken = evaluate(net, task, p, Interventions().zero(4))
    assert broken.validity < 0.8 and broken.bad_mean > 0.02  # cell 4 looks half-empty forever


def test_bad_mass_is_high_for_a_random_network():
    task = load_task("fill")
    net = RNN.init(10, task.vocab, np.random.default_rng(0))
    bad = bad_mass(net, task, np.random.default_rng(1), 20)
    assert 0.2 < bad.mean() < 0.9  # about the share of filled cells


def test_scores_meet_targets_with_margin():
    s = Scores(validity=0.992, tvd=0.03, bad_mean=0.0, bad_max=0.0, units=10)
    target = {"validity": 0.99, "tvd": 0.05}
    assert s.meets(target) and not s.meets(target, margin=0.5)
