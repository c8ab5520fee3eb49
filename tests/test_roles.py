"""The role instrument on networks whose answer is known: hand-built, random, memoryless and permuted ones.

The acceptance figures of the full sizes are marked slow (a few minutes; the whole suite runs them, and
`-m "not slow"` leaves them out); the fast tier runs the same checks on fewer networks.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rnnmem_tui.cli import run
from rnnmem_tui.model import RNN
from rnnmem_tui.nulls import SEED, random_net, thresholds
from rnnmem_tui.optimal import GAIN, build_fill
from rnnmem_tui.roles import CAUSAL_MEASURES, explain, find_feature, lookup
from rnnmem_tui.tasks import load_task, task_names
from rnnmem_tui.tasks.base import KINDS
from rnnmem_tui.weights import load, task_for

SLOW = pytest.mark.slow
MEMORY = set(KINDS) - {"input"}
TRAINED = [
    "count-1",
    "count-2",
    "count-reverse-2",
    "count-reverse-3",
    "fill-9",
    "fill-10",
    "fill-5",
    "fill-4x4-17",
    "grammar-3",
    "grammar-4",
    "three-in-a-row-30",
]


def roles_of(name: str, **kw):
    """The instrument's verdict on a shipped network."""
    net = load(name)
    return explain(net, task_for(net), **kw)


def top(n) -> tuple:
    """A neuron's strongest role as (kind, feature, phase), or ('unexplained',)."""
    return (n.top.kind, n.top.feature, n.top.phase) if n.top else ("unexplained",)


# ---- the hand-built networks get their constructed roles ----


def test_count_optimal_2_reads_a_newline_and_counts_the_cs_still_to_print():
    roles = roles_of("count-optimal-2")
    assert top(roles[0]) == ("input", "reads_newline", None) and roles[0].label.startswith("input: reads a newline")
    assert top(roles[1]) == ("counter", "remaining", None) and roles[1].top.text == "c's still to print"
    assert all(n.confident and n.stability == 1.0 for n in roles)


@pytest.mark.parametrize("name, cells", [("fill-optimal-10", "012345678"), ("fill-4x4-optimal-17", "0123456789abcdef")])
def test_hand_built_fill_has_a_bit_per_cell_and_an_all_filled_flag(name, cells):
    roles = roles_of(name, units=300 if len(cells) > 9 else 1000)
    for i, c in enumerate(cells):
        assert top(roles[i]) == ("bit", f"cell{c}", None), roles[i].label
        assert roles[i].label == f"bit: cell {c} filled (AUC 1.00)"
    assert top(roles[-1]) == ("flag", "full", None) and roles[-1].label == "flag: all cells filled (AUC 1.00)"


def test_grammar_optimal_4_has_its_two_counters_each_in_its_phase_and_its_in_the_bs_flag():
    roles = roles_of("grammar-optimal-4")
    assert top(roles[0]) == ("counter", "read", "in the a's")
    assert roles[0].label.startswith("counter: a's read in the a's")
    assert top(roles[1]) == ("counter", "left", "in the b's")
    assert top(roles[3]) in {("flag", "in_v", None), ("phase", "phase", None)}
    assert roles[3].top.text in {"in the b's", "in the a's / just read b / in the b's"}


@pytest.mark.xfail(
    strict=True,
    reason="random N(0, 1) 4-neuron networks hold 'b seen' at AUC 1.00 in more than 1% "
    "of their neurons (the last two symbols decide it), above G's 0.99",
)
def test_grammar_optimal_4_neuron_2_is_the_b_seen_flag():
    n = roles_of("grammar-optimal-4", causal=False)[2]
    assert top(n) == ("flag", "seen", None) and n.top.text == "b seen"


def test_grammar_optimal_4_neuron_2_holds_b_seen_as_built_but_no_better_than_random_networks():
    net = load("grammar-optimal-4")
    n, passes = next(row for row in lookup(net, task_for(net), "b seen") if row[0].neuron == 2)
    assert n.roles[0].score > 0.98 and n.roles[0].control["random"] >= n.roles[0].score and not passes


def with_top_row_neuron(task) -> RNN:
    """The hand-built fill network (nine cell bits and `full`) with an eleventh neuron that is exactly
    "top row complete": the top row's bits of the previous step plus the top cell just read, reset by clear.
    The clear logit reads it with a weight of -1, too small beside `full`'s margin to change what the network
    does: by its effect, nothing reads it."""
    net = build_fill(task)
    H, V, clear, row = net.hidden + 1, len(task.vocab), len(task.cells), list(task.lines["row0"])
    Wxh, Whh, bh = np.zeros((H, V)), np.zeros((H, H)), np.zeros(H)
    Wxh[:-1], Whh[:-1, :-1], bh[:-1] = net.Wxh, net.Whh, net.bh
    Whh[-1, row] = GAIN  # +GAIN per filled top cell, -GAIN per empty one
    Wxh[-1, row] = 2 * GAIN  # the cell just read turns from empty to filled
    Wxh[-1, clear] = -4 * len(row) * GAIN
    bh[-1] = -(len(row) - 1) * GAIN  # on only when all three are filled
    Why = np.concatenate([net.Why, np.zeros((V, 1))], axis=1)
    Why[clear, -1] = -1.0
    return RNN(Wxh, Whh, Why, bh, net.by, vocab=net.vocab, meta=replace(net.meta, hidden=H))


def test_a_hand_built_top_row_complete_neuron_gets_that_label():
    task = load_task("fill")
    # the shipped null of fill with 10 neurons stands in for 11's, which would take half a minute to measure
    roles = explain(with_top_row_neuron(task), task, null=thresholds(task, 10))
    assert top(roles[10]) == ("flag", "row0_complete", None) and roles[10].top.lag == 0
    # nothing reads it (no probability moves by 1e-9), so zeroing or clamping it changes nothing: correlational
    assert roles[10].label == "flag: top row complete (AUC 1.00) · correlational · unread"
    assert [top(n)[1] for n in roles[:10]] == [f"cell{i}" for i in range(9)] + ["full"]


# ---- controls: random and memoryless networks hold no memory roles ----


def memory_roles(task_name: str, hidden: int, seeds: range) -> list[str]:
    """Every memory role that passes on random N(0, 1) networks (any of a neuron's roles), without causal evidence."""
    task = load_task(task_name)
    assert seeds.stop <= SEED  # never the null's own networks
    nets = [explain(random_net(task, hidden, s), task, causal=False) for s in seeds]
    return [
        f"{s} {n.neuron} {r.label}" for s, net in zip(seeds, nets) for n in net for r in n.roles if r.kind in MEMORY
    ]


@pytest.mark.parametrize(
    "task_name, hidden, nets", [("count", 2, 10), ("grammar", 4, 5), ("fill", 10, 2), ("three-in-a-row", 30, 1)]
)
def test_few_random_neurons_get_a_memory_role(task_name, hidden, nets):
    assert len(memory_roles(task_name, hidden, range(nets))) <= 1


CONTROLS = tomllib.loads((Path(__file__).parents[1] / "docs" / "study" / "controls.toml").read_text())


@SLOW
@pytest.mark.parametrize("task_name, hidden", CONTROLS["shapes"])
def test_acceptance_at_most_5_memory_roles_on_50_random_networks_per_shape(task_name, hidden):
    first = CONTROLS["first_seed"]
    found = memory_roles(task_name, hidden, range(first, first + CONTROLS["nets"]))
    assert CONTROLS["nets"] == 50 and CONTROLS["allowed"] == 5
    assert len(found) <= CONTROLS["allowed"], found


@pytest.mark.parametrize("name", TRAINED)
def test_a_shipped_network_with_Whh_zeroed_has_no_memory_role(name):
    net = load(name)
    net.Whh[:] = 0.0
    roles = explain(net, task_for(net), causal=False, units=300)
    assert not [n.label for n in roles if n.kind in MEMORY]


# ---- the instrument's invariances and evidence ----


@pytest.mark.parametrize("name", ["grammar-4", "fill-10"])
def test_permuting_the_hidden_units_permutes_the_roles(name):
    net = load(name)
    p = np.random.default_rng(0).permutation(net.hidden)
    moved = replace(net, Wxh=net.Wxh[p], Whh=net.Whh[p][:, p], Why=net.Why[:, p], bh=net.bh[p])
    task = task_for(net)
    before, after = explain(net, task), explain(moved, task)
    for i, n in enumerate(after):
        was = before[p[i]]
        assert n.label == was.label and len(n.roles) == len(was.roles) and n.stability == was.stability
        for a, b in zip(n.roles, was.roles):
            assert (a.feature, a.lag, a.phase, a.kind) == (b.feature, b.lag, b.phase, b.kind)
            assert abs(a.score - b.score) < 1e-9 and np.allclose(a.interval, b.interval, rtol=0, atol=1e-9)
            assert a.causal is not None and abs(a.causal.zero - b.causal.zero) < 1e-9
            assert abs(a.causal.clamp - b.causal.clamp) < 1e-9


def test_clamping_a_cell_bit_at_empty_replays_its_cell_and_the_full_flag_is_redundant_unless_clamped():
    roles = roles_of("fill-optimal-10")
    bit, full = roles[4].top.causal, roles[9].top.causal
    assert bit.measure in CAUSAL_MEASURES and bit.clamp_value < -0.99 and bit.clamp > 0.3 and bit.zero > 0.05
    assert abs(full.zero) < 0.01 and full.clamp > 0.9  # clamped at "not full", it never clears


def test_zeroing_the_a_counter_breaks_the_b_runs():
    assert roles_of("grammar-optimal-4")[0].top.causal.zero > 0.05


def with_a_late_copy(net: RNN) -> RNN:
    """A network with one more neuron that copies its last neuron of one step before: that neuron's feature,
    a step late. Its readout is as small as the copied neuron's, so it changes nothing the network does."""
    H, V = net.hidden + 1, len(net.vocab)
    Wxh, Whh, bh = np.zeros((H, V)), np.zeros((H, H)), np.zeros(H)
    Wxh[:-1], Whh[:-1, :-1], bh[:-1] = net.Wxh, net.Whh, net.bh
    Whh[-1, -2] = GAIN
    Why = np.concatenate([net.Why, net.Why[:, -1:]], axis=1)
    return RNN(Wxh, Whh, Why, bh, net.by, vocab=net.vocab, meta=replace(net.meta, hidden=H))


def test_roles_carry_a_lag_and_a_late_copy_of_a_neuron_shows_as_lag_minus_one():
    task = load_task("fill")
    roles = explain(with_a_late_copy(with_top_row_neuron(task)), task, null=thresholds(task, 10), causal=False)
    assert roles[10].top.lag == 0 and roles[10].top.words == "top row complete"
    late = roles[11].top
    assert (late.feature, late.lag) == ("row0_complete", -1) and late.words == "top row complete, a move late"


def test_a_role_one_step_ahead_says_so_in_the_task_s_words():
    """The study's "early" neuron would be scored against the feature one step ahead: lag +1."""
    role = roles_of("fill-10", causal=False)[0].top
    assert replace(role, lag=1).words == role.text + ", a move early"
    assert replace(role, lag=0).words == role.text


# ---- features belong to their task family ----


@pytest.mark.parametrize("name", task_names())
def test_each_family_declares_its_features_in_its_own_words(name):
    task = load_task(name)
    feats = task.features(task.end + "".join(task.generate(np.random.default_rng(0), 20)))
    declared = task.state_features
    assert set(feats) == {f.name for f in declared}
    assert len({f.text for f in declared}) == len(declared) and all(f.kind in KINDS for f in declared)
    phases = {v for f in declared if f.kind == "phase" for v in f.values}
    assert all(p is None or p in phases for f in declared for p in f.phases)
    assert {f.symbol for f in task.input_features} == set(task.vocab)


def test_grids_name_cells_by_symbol_and_lines_by_place():
    words = {f.text for f in load_task("fill-4x4").state_features}
    assert {
        "cell d filled",
        "top row complete",
        "bottom row complete",
        "left column complete",
        "right column complete",
        "main diagonal complete",
        "anti-diagonal complete",
    } <= words
    three = load_task("three-in-a-row")
    assert find_feature(three, "Top  Row complete").name == find_feature(three, "row0_complete").name
    assert {"middle row complete", "middle column complete", "odd move count"} <= {f.text for f in three.state_features}


# ---- the command line ----


def test_explain_json_follows_the_contract(capsys):
    assert run(["explain", "grammar-optimal-4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    role_keys = {
        "kind",
        "feature",
        "text",
        "lag",
        "phase",
        "measure",
        "score",
        "interval",
        "control",
        "causal",
        "correlational",
        "confident",
    }
    assert [n["neuron"] for n in out] == [0, 1, 2, 3]
    for n in out:
        assert role_keys | {"neuron", "roles", "stability", "runner_up", "unread", "whole"} <= set(n)
        if not n["roles"]:  # neuron 2, "b seen": random 4-neuron networks hold it as well as any can
            assert n["kind"] == "unexplained" and n["runner_up"]["feature"] == "seen" and n["score"] is None
            assert n["correlational"] is False and set(n["whole"]) == {"zero", "clamp", "clamp_value"}
            continue
        assert all(role_keys <= set(r) for r in n["roles"])
        assert n["kind"] == n["roles"][0]["kind"] and n["score"] == n["roles"][0]["score"]
        assert n["measure"] in {"r", "spearman", "auc"} and isinstance(n["lag"], int) and n["lag"] in (-1, 0, 1)
        lo, hi = n["interval"]
        assert lo <= n["score"] <= hi and set(n["control"]) == {"input", "random", "p"}
        assert n["control"]["p"] is None or 0 < n["control"]["p"] <= 1
        assert set(n["causal"]) == {"zero", "clamp", "zero_interval", "clamp_interval", "clamp_value", "measure"}
        assert set(n["whole"]) == {"zero", "clamp", "clamp_value"} and not n["unread"]
        assert n["causal"]["measure"] in CAUSAL_MEASURES and isinstance(n["confident"], bool)
        assert 0.0 <= n["stability"] <= 1.0
    assert out[0]["phase"] == "in the a's" and out[0]["text"] == "a's read"


def test_explain_json_names_the_runner_up_of_an_unexplained_neuron():
    n = next(n for n in roles_of("grammar-4", causal=False) if n.kind == "unexplained")
    j = n.as_json()
    assert j["kind"] == "unexplained" and j["feature"] is None and j["roles"] == []
    assert j["runner_up"]["feature"] and j["runner_up"]["score"] < j["runner_up"]["threshold"]
    assert n.label.startswith(f"unexplained (best: {n.runner_up.words}, ")


def test_explain_feature_ranks_the_neurons_by_machine_name_or_words(capsys):
    assert run(["explain", "fill-optimal-10", "--feature", "cell 4 filled", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["neuron"] == 4 and rows[0]["passes"] and rows[0]["causal"]["clamp"] > 0.3
    assert all(r["feature"] == "cell4" for r in rows) and [r["score"] for r in rows] == sorted(
        (r["score"] for r in rows), reverse=True
    )
    assert run(["explain", "fill-optimal-10", "--feature", "cell4"]) == 0
    assert "neuron  4  passes  bit: cell 4 filled" in capsys.readouterr().out


def test_an_unknown_feature_exits_2_and_lists_the_task_s_features():
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "explain", "count-optimal-2", "--feature", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in r.stderr.strip().splitlines() if not line.startswith("read ")]  # which file was read
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(errors) == 1
    assert "unknown feature 'nope'" in r.stderr and "remaining (c's still to print)" in r.stderr


@SLOW
def test_acceptance_explain_three_in_a_row_30_takes_under_15_s():
    """In CPU seconds of the one process `explain` runs in, which a machine loaded by others does not stretch."""
    from helpers import children_cpu

    times = []
    for _ in range(3):
        start = children_cpu()
        subprocess.run(
            [sys.executable, "-m", "rnnmem_tui", "explain", "three-in-a-row-30"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        times.append(children_cpu() - start)
    print(f"explain three-in-a-row-30: {statistics.median(times):.1f} s median of {times}")
    assert statistics.median(times) < 15


def test_a_neuron_nothing_reads_keeps_its_role_and_is_marked_unread():
    """The top-row neuron with no outgoing weight at all: its activation still holds the row (issue: it was
    'unexplained, AUC 0.50', with a RuntimeWarning)."""
    import warnings

    task = load_task("fill")
    net = with_top_row_neuron(task)
    net.Why[:, -1] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roles = explain(net, task, null=thresholds(task, 10), causal=False)
    assert top(roles[10]) == ("flag", "row0_complete", None) and roles[10].unread
    assert roles[10].label == "flag: top row complete (AUC 1.00) · unread"
    assert not any(n.unread for n in roles[:10]) and roles[10].as_json()["unread"] is True
    net.Why[-1, -1] = 1e-12  # a readout too small to move any probability is still nothing that reads
    assert explain(net, task, null=thresholds(task, 10), causal=False)[10].unread


def test_a_dead_neuron_is_called_constant_with_no_best_guess():
    """A unit that never moves (a dead ReLU unit, here a tanh unit with no weights in) has no best candidate:
    it was 'unexplained (best: b seen, AUC 0.50)', AUC's tie read as a score."""
    net = load("count-2")
    row, col = ((0, 1), (0, 0)), ((0, 0), (0, 1))  # pad one unit onto the rows, or onto the columns
    dead = RNN(
        np.pad(net.Wxh, row),
        np.pad(net.Whh, (0, 1)),
        np.pad(net.Why, col),
        np.pad(net.bh, (0, 1)),
        net.by,
        vocab=net.vocab,
        meta=replace(net.meta, hidden=net.hidden + 1),
    )
    n = explain(dead, task_for(dead), null=thresholds(task_for(net), 2), causal=False)[-1]
    assert n.kind == "unexplained" and n.runner_up is None and n.unread
    assert n.short == n.label == "unexplained (constant) · unread"


# ---- causal evidence at two scales; correlation is not a role ----


def test_count_2_s_counter_shows_its_whole_behaviour_effect():
    """On the steps its feature governs, zeroing the counter adds only +0.003 bad mass; over the whole
    behaviour, zeroing it leaves almost no valid line."""
    net = load("count-2")
    counter = explain(net, task_for(net))[0]
    w = counter.whole
    assert counter.kind == "counter" and counter.finding == "counter" and not counter.top.correlational
    assert w.zero_validity.mean > 0.9 and w.zero_validity.interval[0] > 0 and w.zero_bad.interval[0] > 0


def test_a_role_with_no_effect_at_either_scale_is_correlational_and_no_finding():
    """The hand-built top-row neuron that nothing reads holds its row exactly, and changes nothing."""
    task = load_task("fill")
    roles = explain(with_top_row_neuron(task), task, null=thresholds(task, 10))
    n = roles[10]
    assert n.top.correlational and n.whole.nil and n.top.causal.nil and n.finding == "correlational"
    assert n.label == "flag: top row complete (AUC 1.00) · correlational · unread"
    assert n.as_json()["roles"][0]["correlational"] is True and n.as_json()["whole"]["clamp_value"] is not None
    assert not any(m.top.correlational for m in roles[:9])  # the cell bits break the network when zeroed


def test_a_flag_low_where_its_feature_is_on_says_so():
    """The hand-built top-row neuron with its sign flipped (its incoming weights and its readout negated: the
    same network, the neuron at -1 where it was at +1): its label carries the sign."""
    task = load_task("fill")
    net = with_top_row_neuron(task)
    flip = np.ones(net.hidden)
    flip[10] = -1.0
    net = RNN(
        flip[:, None] * net.Wxh,
        flip[:, None] * net.Whh * flip,
        net.Why * flip,
        flip * net.bh,
        net.by,
        vocab=net.vocab,
        meta=net.meta,
    )
    n = explain(net, task, null=thresholds(task, 10))[10]
    assert n.top.sign == -1 and top(n) == ("flag", "row0_complete", None) and "top row complete (low)" in n.label


def test_held_is_the_intervention_folded_into_the_biases():
    from rnnmem_tui.metrics import Protocol, evaluate
    from rnnmem_tui.model import Interventions
    from rnnmem_tui.roles import held

    net = load("grammar-4")
    task, p = task_for(net), Protocol(units=200, bad_units=100, seed=3)
    a, b = evaluate(net, task, p, Interventions(frozenset({2}))), evaluate(held(net, 2, 0.0), task, p)
    assert (a.validity, a.tvd) == (b.validity, b.tvd) and abs(a.bad_mean - b.bad_mean) < 1e-12  # zeroed: exact
    a, b = evaluate(net, task, p, Interventions(clamped=((1, 0.5),))), evaluate(held(net, 1, 0.5), task, p)
    assert abs(a.bad_mean - b.bad_mean) < 1e-4  # clamped: all but the first step, whose start state holds 0


# ---- anticipation: a neuron one move ahead shows as "one move from complete" at lag 0 ----


def with_near_top_row_neuron(task) -> RNN:
    """The hand-built three-in-a-row network (nine cell bits, eight line neurons) with an eighteenth neuron
    that fires when at least two top cells are filled: the top row's bits of the previous step plus the cell
    just read, reset by clear. In a game, which ends as soon as a line completes, that is "top row one move
    from complete" at every step but a top-row completion. Nothing reads it."""
    from rnnmem_tui.constructions.grid import and_neuron, build_three_lines

    net = build_three_lines(task)
    H, clear = net.hidden + 1, len(task.cells)
    Wxh, Whh, bh = np.zeros((H, net.Wxh.shape[1])), np.zeros((H, H)), np.zeros(H)
    Wxh[:-1], Whh[:-1, :-1], bh[:-1] = net.Wxh, net.Whh, net.bh
    and_neuron(Wxh, Whh, bh, H - 1, task.lines["row0"], clear)
    bh[-1] = 0.0  # two of three filled is enough
    Why = np.concatenate([net.Why, np.zeros((net.Why.shape[0], 1))], axis=1)
    return RNN(Wxh, Whh, Why, bh, net.by, vocab=net.vocab, meta=replace(net.meta, hidden=H))


def test_a_hand_built_one_move_from_complete_neuron_is_found_at_lag_0():
    task = load_task("three-in-a-row")
    # the shipped null of three-in-a-row with 17 neurons stands in for 18's
    n = explain(with_near_top_row_neuron(task), task, null=thresholds(task, 17))[17]
    assert top(n) == ("flag", "row0_near", None) and n.top.lag == 0 and n.top.score > 0.95
    assert n.label.startswith("flag: top row one move from complete (AUC") and n.unread


# ---- the per-network null and the false discovery rate ----


def test_a_p_value_counts_the_random_networks_whose_best_neuron_scored_as_high():
    from rnnmem_tui.nulls import Null, kept

    null = Null(99, {"f": np.array([0.99, 0.95, 0.93, 0.9, 0.8])})  # the 5 largest of 99 networks' maxima
    assert kept(99) == 5
    assert null.p("f", 1.0) == 1 / 100 and null.p("f", 0.95) == 3 / 100 and null.p("f", 0.94) == 3 / 100
    assert null.p("f", 0.7) == 1.0  # below every kept maximum: p > 0.05, which never passes
    assert null.bar("f", 0.02) == 0.95 and null.bar("f", 0.04) == 0.9  # the score p <= cutoff asks to exceed
    assert null.bar("f", 0.001) == np.inf  # no score reaches a cutoff below 1 / (nets + 1)


def test_benjamini_hochberg_passes_the_features_a_neuron_beats_and_no_others():
    from rnnmem_tui.nulls import Null
    from rnnmem_tui.probe import Probe, candidates
    from rnnmem_tui.roles import Verdict

    task = load_task("grammar")
    cands = candidates(task)
    names = [f.name for f in task.state_features]
    top = {f: np.linspace(0.95, 0.5, 11) for f in names}  # 11 kept of 199: p = (1 + above) / 200
    score = np.full(len(cands), 0.3)  # below every kept maximum: p = 1
    rows = {f: [i for i, c in enumerate(cands) if c.memory and c.feature.name == f] for f in names}
    score[rows["read"][0]] = 0.99  # beats every random network: p = 0.005
    score[rows["left"][0]] = 0.92  # beaten by one: p = 0.01
    score[rows["seen"][0]] = 0.905  # by two: p = 0.015
    s = score[None, :, None].repeat(5, axis=0)
    p = Probe(cands, s, np.ones_like(s), np.zeros((5, len(cands))), np.zeros((5, 1)), np.zeros(1, dtype=bool))
    v = Verdict(p, Null(199, top), "symbol")
    passing = {cands[i].feature.name for i in np.flatnonzero(v.passes(score)) if cands[i].memory}
    # six features: the sorted p-values 0.005, 0.01, 0.015 are each at most k 0.05 / 6 (0.0083, 0.0167, 0.025)
    assert passing == {"read", "left", "seen"}
    score[rows["seen"][0]] = 0.3
    s = score[None, :, None].repeat(5, axis=0)
    v = Verdict(replace(p, score=s), Null(199, top), "symbol")
    passing = {cands[i].feature.name for i in np.flatnonzero(v.passes(score)) if cands[i].memory}
    assert passing == {"read", "left"}  # 0.005 <= 0.0083 and 0.01 <= 0.0167
    role = v.role(rows["left"][0], 0)
    assert role.control["p"] == 0.01 and role.control["random"] == pytest.approx(
        0.86
    )  # the 3rd largest: p <= 2 x 0.05 / 6


def test_the_null_of_networks_run_together_is_each_network_probed_alone():
    from rnnmem_tui.nulls import feature_best, maxima
    from rnnmem_tui.probe import probe

    task = load_task("count")
    names, got = maxima(task, 2, range(7, 10))
    for row, s in zip(got, range(7, 10)):
        p = probe(random_net(task, 2, s), task)
        med = np.median(np.where(np.isnan(p.score), -np.inf, p.score), axis=0)
        assert feature_best(task, med)[0] == names
        np.testing.assert_allclose(row, np.maximum(feature_best(task, med)[1].max(axis=1), 0), atol=1e-12)


def test_every_shipped_network_s_shape_has_its_null_shipped():
    """explain never calibrates for a shipped file: rnnmem_tui/nulls.json holds each shipped shape's null,
    so a shipped network's roles take seconds, not the minutes a calibration takes."""
    from rnnmem_tui.cells import cell_of
    from rnnmem_tui.nulls import SHIPPED, covers, read_table, shape_key
    from rnnmem_tui.paths import data_dir

    table = read_table(SHIPPED)
    for path in sorted(data_dir("weights").glob("*.npz")):
        net, cell = load(path), cell_of(load(path)).name
        assert covers(table.get(shape_key(task_for(net), net.size, cell)), task_for(net), cell), path.name


def test_a_random_relu_network_of_30_units_neither_explodes_nor_scores_nothing():
    """With N(0, 1) recurrent weights, a random ReLU network's state reached 1e112 within 200 steps, and its
    best neuron scored AUC 0.51 on every fill feature: a null that no neuron fails. Drawn as `rule` says, the
    state stays finite and the null asks something; an entry drawn the old way is never used."""
    from rnnmem_tui.nulls import PLAIN, covers, maxima, rule
    from rnnmem_tui.probe import teacher_stream

    task = load_task("fill")
    _, symbols, _ = teacher_stream(task, 0, 50)
    for s in range(SEED, SEED + 5):
        hs = random_net(task, 30, s, "relu").forward(symbols[None, :], np.zeros((1, 30)))[0]
        assert np.isfinite(hs).all() and np.abs(hs).max() < 1e3
    names, best = maxima(task, 30, range(SEED, SEED + 4), cell="relu")
    assert np.median(best.max(axis=0)) > 0.6  # the best of 4: 0.628; of 40 drawn the old way: 0.504
    old = {"nets": 800, "top": {n: [0.5] for n in names}}
    assert rule("relu") != PLAIN and not covers(old, task, "relu") and covers(old, task, "rnn")
