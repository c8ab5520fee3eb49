"""The study's claims: each written rule gives its word on runs whose answer is known, and the table is data."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnmem_tui import claims
from rnnmem_tui.claims import Run, judge

ROOT = Path(__file__).resolve().parents[1]


def runs(*validities: float, verdict: str = "meets", half: float = 0.0005) -> list[Run]:
    """Runs with these validities and intervals of +-half."""
    return [Run("test", 10, i, verdict, v, (v - half, v + half)) for i, v in enumerate(validities)]


@pytest.mark.parametrize(
    "got, word",
    [
        (runs(0.95, 0.5, 0.4), "reproduced"),  # one run wholly above 0.9 is enough: "on some trials"
        (runs(0.5, 0.6, 0.7, 0.8, 0.85), "refuted"),  # five runs, every one wholly below
        (runs(0.5, 0.6), "not reproduced"),  # too few runs to refute
        (runs(0.9, 0.5, 0.6, 0.7, 0.8, half=0.01), "not reproduced"),  # one straddles 0.9
    ],
)
def test_some_run_at_least(got, word):
    assert claims.some_run_at_least({"threshold": 0.9}, got)[0] == word


def test_perfect_needs_a_run_that_meets_0999_and_is_never_refuted_by_training():
    assert claims.perfect({}, runs(0.9995, 0.99))[0] == "reproduced"
    assert claims.perfect({}, runs(0.9992, verdict="undecided", half=0.0005))[0] == "not reproduced at 0.999"
    word, said = claims.perfect({}, runs(0.5, 0.6, 0.7, 0.8, 0.9, verdict="misses"))
    assert word == "not reproduced at 0.999" and "best 0.9000 [0.8995, 0.9005]" in said


def test_not_perfect_is_refuted_by_one_run_at_0999_and_reproduced_by_five_below():
    assert claims.not_perfect({}, runs(0.9995))[0] == "refuted"
    assert claims.not_perfect({}, runs(0.99, 0.98, 0.97, 0.96, 0.95, verdict="misses"))[0] == "reproduced"
    assert claims.not_perfect({}, runs(0.99, 0.98, verdict="misses"))[0] == "not reproduced"


def test_worse_than_needs_five_runs_at_each_size_wholly_below():
    low, high = runs(0.1, 0.2, 0.3, 0.2, 0.1, verdict="misses"), runs(0.99, 0.995, 0.993, 0.992, 0.991)
    assert claims.worse_than({"reference": 10}, low, high)[0] == "reproduced"
    assert claims.worse_than({"reference": 10}, low[:2], high)[0] == "not reproduced"
    assert claims.worse_than({"reference": 10}, high, high)[0] == "refuted"


def test_a_claim_without_runs_is_not_reproduced_and_only_its_rule_makes_it_untestable(tmp_path):
    claim = {"study": "x", "task": "fill", "hidden": 10, "rule": "perfect", "source": "perfect"}
    (tmp_path / "docs").mkdir()
    assert judge(tmp_path, claim).word == "not reproduced"
    why = "the study gives no number"
    assert judge(tmp_path, {**claim, "rule": "untestable", "why": why}).word == "untestable with our controls"


def test_every_claim_names_a_known_rule_and_source():
    for c in claims.claims(ROOT):
        assert c["rule"] in claims.RULES and c["source"] in ("searches", "perfect", "shipped"), c
        assert judge(ROOT, c).word in ("reproduced", "not reproduced", "not reproduced at 0.999", "refuted")
