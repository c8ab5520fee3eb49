"""Task rules as properties: generated units are valid, one changed symbol breaks them, legal-next agrees."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnmem_tui.meta import Meta
from rnnmem_tui.tasks import TaskError, load_task, task_from_meta, task_names

NAMES = task_names()


def test_every_shipped_spec_loads():
    assert set(NAMES) == {
        "count",
        "count-reverse",
        "fill",
        "fill-4x4",
        "three-in-a-row",
        "grammar",
        "dyck",
        "anbncn",
        "parity",
    }
    for name in NAMES:
        task = load_task(name)
        assert task.end in task.vocab and task.target


def test_formats_match_the_design():
    assert load_task("count").is_valid("3ccc\n")
    assert load_task("count-reverse").is_valid("@@@3\n")
    assert load_task("grammar").is_valid("aababb\n") and load_task("grammar").is_valid("ba\n")
    assert load_task("dyck").is_valid("(())()\n") and not load_task("dyck").is_valid("((((()))))\n")  # depth 5
    assert load_task("anbncn").is_valid("aabbcc\n") and not load_task("anbncn").is_valid("aabbc\n")
    assert load_task("parity").is_valid("0110=e\n") and load_task("parity").is_valid("1=o\n")
    assert not load_task("parity").is_valid("0110=o\n") and not load_task("parity").is_valid("=e\n")
    fill = load_task("fill")
    assert fill.end == "9" and fill.is_valid("4072813569")
    big = load_task("fill-4x4")
    assert big.end == "g" and big.vocab[-1] == "g" and len(big.cells) == 16
    tir = load_task("three-in-a-row")
    assert tir.is_valid("0129") and tir.is_valid("50489")  # the top row; the diagonal 0-4-8
    assert not tir.is_valid("01239")  # played on after the top row was complete
    assert not tir.is_valid("3049")  # cleared with no line


def test_unknown_task_is_refused_clearly():
    with pytest.raises(TaskError, match="unknown task 'nope'"):
        load_task("nope")
    with pytest.raises(TaskError, match="unknown task family"):
        task_from_meta(Meta.from_json({"task": "chess"}))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_units_are_valid_and_walk_the_legal_next_sets(name, seed):
    task = load_task(name)
    for unit in task.generate(np.random.default_rng(seed), 5):
        assert task.is_valid(unit), unit
        for i, c in enumerate(unit):
            assert c in task.legal_next(unit[:i]), (unit, i)
        assert task.unit_param(unit) is not None or not task.param_dist()


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_one_changed_symbol_makes_a_unit_invalid(name, data):
    task = load_task(name)
    seed = data.draw(st.integers(0, 2**32 - 1))
    unit = task.generate(np.random.default_rng(seed), 1)[0]
    i = data.draw(st.integers(0, len(unit) - 1))
    # In three-in-a-row, moving one move to another empty cell can make a different valid game,
    # so grid substitutions draw from the symbols the game already holds (a repeat or a stray clear).
    pool = set(unit) if task.is_grid else set(task.vocab)
    c = data.draw(st.sampled_from(sorted(pool - {unit[i]})))
    changed = unit[:i] + c + unit[i + 1 :]
    assert not task.is_valid(changed), (unit, changed)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_legal_next_agrees_with_the_checker(name, data):
    """A string built only from legal-next symbols up to the end symbol is valid, and vice versa."""
    task = load_task(name)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    prefix = ""
    for _ in range(task.max_len + 1):
        legal = sorted(task.legal_next(prefix))
        wrong = [s for s in task.vocab if s not in legal]
        if wrong and rng.random() < 0.1:  # step off the rules once: the result must be invalid
            bad = prefix + wrong[rng.integers(len(wrong))]
            tail = "" if bad.endswith(task.end) else task.end
            assert not task.is_valid(bad + tail) or bad + tail == prefix  # never valid
            assert task.legal_next(bad) == frozenset() or bad.endswith(task.end)
        c = legal[rng.integers(len(legal))]
        prefix += c
        if c == task.end:
            break
    assert task.is_valid(prefix), prefix


def test_param_distributions_sum_to_one():
    for name in NAMES:
        dist = load_task(name).param_dist()
        assert abs(sum(dist.values()) - 1.0) < 1e-9


def test_three_in_a_row_game_lengths_match_simulation():
    task = load_task("three-in-a-row")
    lengths = [len(u) - 1 for u in task.generate(np.random.default_rng(0), 20000)]
    for k, p in task.param_dist().items():
        assert abs(lengths.count(k) / len(lengths) - p) < 0.015


def test_features_follow_the_stream():
    count = load_task("count").features("\n3ccc\n")
    assert count["remaining"].tolist() == [0, 3, 2, 1, 0, 0]
    assert count["line_start"].tolist() == [1, 0, 0, 0, 0, 1]
    assert count["printed"].tolist() == [0, 0, 1, 2, 3, 0]
    grammar = load_task("grammar").features("aababb\n")
    assert grammar["phase"].tolist() == [0, 0, 1, 2, 2, 2, 0]  # in the a's, just read b, in the b's
    assert grammar["read"].tolist() == [1, 2, 2, 2, 2, 2, 0]
    assert np.isnan(grammar["left"][[0, 1, 2, 6]]).all() and grammar["left"][3:6].tolist() == [2, 1, 0]
    assert grammar["seen"].tolist() == [0, 0, 1, 1, 1, 1, 0] and grammar["in_v"].tolist() == [0, 0, 0, 1, 1, 1, 0]
    fill = load_task("fill").features("409")
    assert fill["cell4"].tolist() == [1, 1, 0] and fill["filled"].tolist() == [1, 2, 0]
    assert fill["row1"].tolist() == [1, 1, 0] and fill["diag"].tolist() == [1, 2, 0]
    assert fill["parity"].tolist() == [1, 0, 0] and fill["diag_complete"].tolist() == [0, 0, 0]
    dyck = load_task("dyck").features("(())()\n")
    assert dyck["depth"].tolist() == [1, 2, 1, 0, 1, 0, 0] and dyck["opened"].tolist() == [1, 2, 2, 2, 3, 3, 0]
    abc = load_task("anbncn").features("aabbcc\n")
    assert abc["phase"].tolist() == [0, 0, 1, 1, 2, 2, 0] and abc["read"].tolist() == [1, 2, 2, 2, 2, 2, 0]
    assert abc["b_left"][2:4].tolist() == [1, 0] and np.isnan(abc["b_left"][[0, 1, 4, 5, 6]]).all()
    assert abc["c_left"][2:6].tolist() == [2, 2, 1, 0] and np.isnan(abc["c_left"][[0, 1, 6]]).all()
    parity = load_task("parity").features("0110=e\n")
    assert parity["odd"].tolist() == [0, 1, 0, 0, 0, 0, 0] and parity["length"].tolist() == [1, 2, 3, 4, 4, 4, 0]
    assert parity["asked"].tolist() == [0, 0, 0, 0, 1, 0, 0]
    row = load_task("three-in-a-row").features("012")
    assert row["row0_complete"].tolist() == [0, 0, 1] and row["complete"].tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    "family, params, says",
    [
        ("fill", {"rows": 6, "cols": 6}, "at most 35 cells"),
        ("count", {"min_count": 1, "max_count": 10}, "max_count must be in 1..9"),
        ("count", {"min_count": 5, "max_count": 2}, "above max_count"),
        ("grammar", {"n_min": 0, "n_max": 51}, "n_max must be in 0..50"),
        ("grammar", {"n_min": 0, "n_max": 3, "u": "a", "v": "a"}, "must differ"),
        ("grammar", {"n_min": 0, "n_max": 3, "w": "b\n"}, "newline"),
        ("grammar", {"n_min": 0, "n_max": 3, "k": 1}, "unknown parameter(s) k"),
    ],
)
def test_task_parameters_are_bounded_by_their_family(family, params, says):
    from rnnmem_tui.meta import Meta

    with pytest.raises(TaskError, match=re.escape(says)):
        task_from_meta(Meta(task=family, hidden=2, params=params))


def test_dyck_lines_are_uniform_within_their_number_of_pairs():
    task = load_task("dyck")
    assert [len(task.lines_of(n)) for n in (1, 2, 3, 4, 5)] == [1, 2, 5, 14, 41]  # Catalan, less depth > 4
    lines = [u for u in task.generate(np.random.default_rng(0), 40000) if u.count("(") == 3]
    assert all(abs(lines.count(s + "\n") / len(lines) - 0.2) < 0.03 for s in task.lines_of(3))
