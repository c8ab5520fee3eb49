"""`rnnmem-tui automaton`: the machine a network implements, against the task's, on hand-built and trained networks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rnnmem_tui.automaton import report
from rnnmem_tui.cli import run
from rnnmem_tui.model import Interventions
from rnnmem_tui.weights import load, task_for


def figures(name: str, iv: Interventions = Interventions()) -> dict:
    net = load(name)
    return report(net, task_for(net), iv).as_json()


@pytest.mark.parametrize("name", ["fill-optimal-10", "fill-optimal-9", "fill-10"])
def test_a_perfect_fill_network_implements_the_512_board_machine(name):
    r = figures(name)
    assert (r["states"], r["task_states"], r["agreement"]) == (512, 512, 1.0)
    assert r["one_to_one"] and r["counterexamples"] == []


@pytest.mark.parametrize("name", ["count-optimal-2", "count-optimal-1"])
def test_count_optimal_has_a_line_start_and_ten_counter_levels(name):
    # by hand: the line start, then the counter at L_k after the digit k, one level down per c: L_9 .. L_0
    r = figures(name)
    assert (r["states"], r["agreement"], r["one_to_one"]) == (11, 1.0, True)


def test_grammar_optimal_counts_the_as_then_the_bs_in_33_states():
    # by hand: a^k (k = 0..10), a^k b (the middle a comes next, 11), then r b's still to print (r = 0..10)
    r = figures("grammar-optimal-4")
    assert (r["states"], r["task_states"], r["agreement"], r["one_to_one"]) == (33, 33, 1.0, True)
    assert r["resolution"] <= 1e-4  # its a-counter runs near 0, in steps of about 1e-4


def test_zeroing_the_counter_breaks_the_machine_and_names_a_counterexample():
    # without its counter the network knows only "line start" and "in a line", where it says c forever
    r = figures("count-optimal-2", Interventions().zero(1))
    assert r["states"] == 2 and r["agreement"] < 0.9 and not r["one_to_one"]
    first = r["counterexamples"][0]
    assert (first["input"], first["task_allows"], first["network_allows"]) == ("1c", "\n", "c")


def test_the_json_has_the_issues_keys(capsys):
    assert run(["automaton", "count-optimal-2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"states", "task_states", "agreement", "counterexamples"} <= out.keys()
    assert out["agreement"] == round(out["agreement"], 4)


def test_the_text_says_grammars_machine_stops_at_n_max(capsys):
    assert run(["automaton", "grammar-3"]) == 0
    out = capsys.readouterr().out
    assert "33 states (lines up to n_max = 10; the language needs an unbounded counter)" in out
    assert "agreement" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["automaton", "count-2", "--zero", "7"], "neuron 7 is out of range"),
        (["automaton", "count-2", "--resolution", "0"], "--resolution: must be at least 1e-06"),
        (["automaton", "nowhere.npz"], "nowhere.npz: no such weights file"),
        (["fixed-points", "count-2", "--max-points", "0"], "--max-points: must be at least 1"),
        (["fixed-points", "count-2", "--clamp", "1=3"], "VALUE in [-1, 1]"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(args, message):
    r = subprocess.run([sys.executable, "-m", "rnnmem_tui", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2  # `read PATH`, then the error


@pytest.mark.parametrize("verb, words", [("automaton", "p >= 0.02"), ("fixed-points", "slower than 0.001")])
def test_both_commands_have_help_that_states_their_thresholds(verb, words):
    r = subprocess.run([sys.executable, "-m", "rnnmem_tui", verb, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and f"Usage: rnnmem-tui {verb}" in r.stdout and words in " ".join(r.stdout.split())
