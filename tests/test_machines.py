"""Each task family's minimal automaton (states reachable under valid input, output = legal next symbols)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from rnnmem_tui.fsm import compare, machine, minimise
from rnnmem_tui.tasks import Task, load_task


@pytest.mark.parametrize(
    "name, states",
    [
        ("count", 11),
        ("count-reverse", 11),
        ("grammar", 33),
        ("three-in-a-row", 231),
        ("fill", 512),
        ("fill-4x4", 65_536),
    ],
)
def test_each_family_gives_the_issues_state_count(name, states):
    assert load_task(name).automaton.states == states


def test_count_states_are_the_line_start_and_the_cs_still_to_print():
    m = load_task("count").automaton
    assert m.allows(0) == "123456789"
    assert sorted(m.allows(s) for s in range(1, 11)) == ["\n"] + ["c"] * 9  # 0..9 c's left
    assert {m.name(s) for s in range(m.states)} >= {"", "9", "1c"}


def test_grammar_counts_the_as_then_the_bs_up_to_n_max():
    m = load_task("grammar").automaton  # a^k (k = 0..10), a^k b (11), then b's still to print (0..10)
    allows = [m.allows(s) for s in range(m.states)]
    assert allows.count("ab") == 10 and allows.count("a") == 11 and allows.count("b") == 11
    assert allows.count("\n") == 1


@pytest.mark.parametrize("name", ["three-in-a-row", "fill"])
def test_the_grids_vectorised_exploration_is_the_generic_one(name):
    task = load_task(name)
    fast, slow = minimise(task.explore())[0], minimise(Task.explore(task))[0]
    assert fast.states == slow.states
    c = compare(fast, slow)
    assert c.one_to_one and not c.counterexamples


def test_every_state_of_a_task_machine_allows_exactly_the_legal_next_symbols_of_its_name():
    for name in ("count-reverse", "grammar", "three-in-a-row"):
        task = load_task(name)
        m = task.automaton
        for s in range(m.states):
            assert m.allows(s) == "".join(c for c in task.vocab if c in task.legal_next(m.name(s)))


def test_minimisation_merges_equivalent_states_and_drops_unreachable_ones():
    # states 1 and 2 both allow symbol 0 only and go back to the start; state 3 is unreachable
    delta = np.array([[1, 2], [0, -1], [0, -1], [3, 3]])
    small, block = minimise(machine(delta, ("x", "y")))
    assert small.states == 2 and block.tolist()[:3] == [0, 1, 1]


@dataclass
class TwoBitParity(Task):
    """A family that declares only its rules: two bits, `=`, then e (even 1s) or o (odd), e.g. `01=o`."""

    family = "two-bit-parity"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.vocab = ("\n", "0", "1", "=", "e", "o")

    def legal_next(self, prefix: str) -> frozenset[str]:
        lines = [f"{a}{b}={'eo'[(a + b).count('1') % 2]}\n" for a in "01" for b in "01"]
        return frozenset(s[len(prefix)] for s in lines if s.startswith(prefix) and len(s) > len(prefix))


def test_a_family_that_gives_only_its_legal_next_symbols_gets_its_minimal_machine():
    # by hand: the start; even or odd after one bit; even or odd after two (each allows =); after =, one
    # allows e and one o; after e or o, the newline: 1 + 2 + 2 + 2 + 1 = 8 states
    m = TwoBitParity(name="two-bit-parity", params={}).automaton
    assert m.states == 8
    assert sorted(m.allows(s) for s in range(m.states)) == sorted(["01", "01", "01", "=", "=", "e", "o", "\n"])
