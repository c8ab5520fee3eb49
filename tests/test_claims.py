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
    words = ("reproduced", "not reproduced", "not reproduced at 0.999", "refuted", "untestable with our controls")
    for c in claims.claims(ROOT):
        assert c["rule"] in claims.RULES and c["source"] in ("searches", "perfect", "shipped", "layouts"), c
        assert (c["source"] == "layouts") == (c["rule"] == "roles-in-networks"), c
        if c["source"] != "layouts":  # the layouts' claims are judged in test_report, from the report's cache
            assert judge(ROOT, c).word in words[:4]


def network(*neurons: list[tuple[str, str]], verdict: str = "meets") -> dict:
    """A layout record of a network whose neurons hold these (kind, feature text) roles."""
    return {"verdict": verdict, "neurons": [list(n) for n in neurons]}


def test_a_network_holds_roles_by_kind_and_words_with_counts_of_neurons_and_features():
    bits = network([("bit", "cell 0 filled"), ("bit", "cell 1 filled")], [("bit", "cell 2 filled")], [])
    assert claims.holds(bits, {"kind": "bit", "text": r"cell \d+ filled", "neurons": 2, "features": 3})
    assert not claims.holds(bits, {"kind": "bit", "text": r"cell \d+ filled", "neurons": 3})
    assert claims.holds(bits, {"kind": "bit", "text": r"cell \d+ filled", "features": 2, "one_neuron": True})
    assert not claims.holds(bits, {"kind": "bit", "text": r"cell \d+ filled", "features": 3, "one_neuron": True})
    assert not claims.holds(bits, {"kind": "flag", "text": ".*"})  # the kind must match as well


def test_roles_in_networks_counts_the_networks_that_hold_every_role():
    claim = {"roles": [{"kind": "counter", "text": "a's read"}, {"kind": "flag", "text": "in the b's"}]}
    both = network([("counter", "a's read")], [("flag", "in the b's")])
    one = network([("counter", "a's read")], [])
    word, said = claims.roles_in_networks(claim, [both] * 3 + [one] * 3, [])
    assert (word, said) == ("reproduced", "3 of 6 networks that meet hold them")
    assert claims.roles_in_networks(claim, [both] + [one] * 5, [])[0] == "not reproduced"
    assert claims.roles_in_networks(claim, [one] * 5, [])[0] == "refuted"
    assert claims.roles_in_networks(claim, [one] * 4, [])[0] == "not reproduced"  # too few to refute
    missing = [network([("counter", "a's read")], [("flag", "in the b's")], verdict="misses")] * 5
    assert claims.roles_in_networks(claim, missing, [])[0] == "not reproduced"  # only those that meet count
    assert claims.roles_in_networks({**claim, "networks": "all"}, missing, [])[0] == "reproduced"
    assert claims.roles_in_networks(claim, [both] * 5, ["b seen"])[0] == "untestable with our controls"
