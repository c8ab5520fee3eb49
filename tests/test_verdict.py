"""The verdict rule of DESIGN.md: intervals on pooled and per-seed figures, and meets / misses / undecided."""

from __future__ import annotations

import pytest

from rnnmem_tui.metrics import VerdictProtocol, bootstrap, decide, judge, wilson
from rnnmem_tui.weights import load, task_for


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson(100, 100)  # all valid: the upper end is 1, the lower end is below it
    assert hi == 1.0 and lo == pytest.approx(0.9630, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)  # no units: nothing is known


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    values = [0.02, 0.03, 0.025, 0.04, 0.022, 0.031, 0.027, 0.035, 0.029, 0.024]
    lo, hi = bootstrap(values)
    assert lo < sum(values) / len(values) < hi and (lo, hi) == bootstrap(values)
    assert bootstrap([0.1] * 10) == pytest.approx((0.1, 0.1))


@pytest.mark.parametrize(
    "validity, tvd, expected",
    [
        ((0.991, 0.995), (0.02, 0.05), "meets"),
        ((0.985, 0.995), (0.02, 0.05), "undecided"),  # validity straddles 0.99
        ((0.991, 0.995), (0.08, 0.12), "undecided"),  # TVD straddles 0.1
        ((0.980, 0.989), (0.02, 0.05), "misses"),  # wholly below 0.99
        ((0.985, 0.995), (0.11, 0.12), "misses"),  # one bound wholly on the bad side is enough
    ],
)
def test_decide(validity, tvd, expected):
    assert decide({"validity": 0.99, "tvd": 0.1}, validity, tvd, (0.0, 0.0)) == expected


def test_a_bound_the_target_does_not_name_is_not_judged():
    assert decide({"validity": 0.99, "bad_mass": 0.01}, (0.995, 0.999), (0.5, 0.9), (0.001, 0.002)) == "meets"


@pytest.mark.slow  # judges shipped files under the full protocol
def test_shipped_files_under_the_verdict_protocol():
    """grammar-4 meets on the full protocol, but a small sample cannot tell; fill-5 misses."""
    net = load("grammar-4")
    full = judge(net, task_for(net))
    assert full.verdict == "meets" and full.units == 50_000 and full.seeds == 10
    assert full.validity_interval[0] >= 0.99 and full.validity_interval[0] < full.validity < full.validity_interval[1]
    assert full.first.units == 5000  # the first seed's figures are the standard protocol's
    small = judge(net, task_for(net), VerdictProtocol(seeds=3, units=1000))
    assert small.verdict == "undecided" and small.validity_interval[0] < 0.99 < small.validity_interval[1]
    bad = load("fill-5")
    assert judge(bad, task_for(bad), VerdictProtocol(seeds=3, units=2000)).verdict == "misses"
