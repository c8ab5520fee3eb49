"""The length test: the families' rules without their bound, and the largest clean size of a network."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rnnmem_tui.lengths import CLEAN, lengths
from rnnmem_tui.tasks import load_task
from rnnmem_tui.weights import load, shipped


@pytest.mark.parametrize("name", ["grammar", "anbncn", "dyck"])
def test_the_unbounded_rules_hold_the_bounded_ones_and_the_test_units_are_valid_there(name):
    task = load_task(name)
    for line in task.by_size:
        for prefix in task.prefixes(task.end + line[:-1]):
            assert task.legal_next(prefix) <= task.open_next(prefix), (name, prefix)
    bound = task.params[task.LONG]
    for n in range(1, bound + 1):
        assert task.is_valid(task.long_unit(n))


def test_past_the_bound_the_language_goes_on():
    grammar, anbncn, dyck = (load_task(n) for n in ("grammar", "anbncn", "dyck"))
    assert "a" not in grammar.legal_next("a" * 10) and grammar.open_next("a" * 10) == {"a", "b"}
    assert grammar.open_next("a" * 12 + "ba" + "b" * 11) == {"b"} and grammar.open_next("a" * 12 + "ba" + "b" * 12) == {
        "\n"
    }
    assert anbncn.open_next("a" * 9) == {"a", "b"} and anbncn.open_next("a" * 9 + "b" * 9 + "c" * 8) == {"c"}
    assert dyck.open_next("(" * 7) == {"(", ")"} and dyck.open_next("()") == {"(", "\n"} and dyck.open_next("") == {"("}
    assert dyck.long_unit(3) == "((()))\n"


class Oracle:
    """A stand-in network that puts its mass evenly on the legal next symbols, except `slip` on an illegal one
    at the n-th unit's last step."""

    hidden = 1

    def __init__(self, task, slip: float = 0.0, at: int = 0):
        self.task, self.slip, self.at = task, slip, at

    def index(self, text: str) -> np.ndarray:
        return np.array([self.task.vocab.index(c) for c in text])

    def forward(self, X, h0):
        text = "".join(self.task.vocab[i] for i in X[0])
        ps = np.zeros((1, len(text), len(self.task.vocab)))
        for t, prefix in enumerate(self.task.prefixes(text)):
            legal = [self.task.vocab.index(c) for c in self.task.open_next(prefix)]
            ps[0, t, legal] = 1.0 / len(legal)
        unit = text.split(self.task.end)[-1]
        if self.slip and unit == self.task.long_unit(self.at)[:-1]:
            illegal = [i for i, c in enumerate(self.task.vocab) if c not in self.task.open_next(unit)][0]
            ps[0, -1] *= 1 - self.slip
            ps[0, -1, illegal] = self.slip
        return None, ps


@pytest.mark.parametrize("name", ["grammar", "anbncn", "dyck"])
def test_a_network_that_knows_the_unbounded_rules_is_clean_to_the_family_s_bound(name):
    task = load_task(name)
    bound = task.PARAMS[task.LONG].hi
    assert lengths(Oracle(task), task, bound).clean == bound
    slipped = lengths(Oracle(task, 2 * CLEAN, at=task.params[task.LONG] + 3), task, bound)
    assert slipped.clean == task.params[task.LONG] + 2
    assert lengths(Oracle(task, CLEAN / 2, at=5), task, bound).clean == bound  # under the threshold: clean


def test_the_grammar_construction_counts_to_its_training_bound_and_no_further():
    net = load(shipped("grammar", optimal=True))
    got = lengths(net, load_task("grammar"), 20)
    assert got.clean == 10 and min(got.worst[11:]) > 0.5, got.worst


def test_eval_n_max_gives_each_file_s_largest_clean_size_as_json():
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "eval", "grammar-optimal-4", "dyck-5", "--n-max", "10", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["task"], x["trained"], x["clean"]) for x in rows] == [("grammar", 10, 10), ("dyck", 4, 4)]
    assert list(rows[1]["worst"]) == [str(n) for n in range(1, 11)]
