"""`rnnmem-tui fixed-points`: the fixed points of hand-built networks, derived by hand from their constructions."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from rnnmem_tui.cli import run
from rnnmem_tui.dynamics import fixed_points
from rnnmem_tui.weights import load, task_for

GAIN = 5.0  # the constructions' saturation gain


def solve(f, lo: float = -1.0, hi: float = 1.0) -> float:
    """The root of an increasing function on [lo, hi], by bisection."""
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


@pytest.fixture(scope="module")
def count_points():
    net = load("count-optimal-2")
    return fixed_points(net, task_for(net))


@pytest.fixture(scope="module")
def fill_points():
    net = load("fill-optimal-10")
    return fixed_points(net, task_for(net))


def test_count_optimal_2_has_one_stable_point_per_symbol_where_its_counter_settles(count_points):
    # neuron 0, the flag, is tanh(+5) after a newline and tanh(-5) after anything else, whatever h is.
    # neuron 1, the counter, has weight 1 on itself and bias -0.1: under a symbol with input u it maps
    # h to tanh(h - 0.1 + u), an increasing map of slope below 1, so each symbol has one fixed point, stable.
    # Its levels: L_0 = -0.5, L_r = atanh(L_(r-1)) + 0.1; the digit k's input is atanh(L_k) + 1.1.
    levels = [-0.5]
    for _ in range(9):
        levels.append(np.arctanh(levels[-1]) + 0.1)
    inputs = {"\n": -50.0, "c": 0.0, **{str(k): np.arctanh(levels[k]) + 1.1 for k in range(1, 10)}}
    assert sorted(p.symbol for p in count_points) == sorted(inputs)
    for p in count_points:
        u = inputs[p.symbol]
        h = solve(lambda h: h - np.tanh(h - 0.1 + u))
        flag = np.tanh(GAIN if p.symbol == "\n" else -GAIN)
        assert p.stable and p.kind == "stable" and p.speed < 1e-10
        assert p.point == pytest.approx([flag, h], abs=1e-8)
        assert p.eigenvalues == pytest.approx([1 - h * h, 0.0], abs=1e-8)  # the flag does not feed back


def test_under_c_the_counter_walks_down_to_one_attractor_below_its_floor(count_points):
    (c,) = [p for p in count_points if p.symbol == "c"]
    assert c.point[1] < -0.5  # below L_0: the levels are a transient towards it, not a chain of fixed points


def test_fill_optimal_10_has_the_2305_stable_points_derived_by_hand(fill_points):
    # A cell bit maps h to tanh(5 h) when its cell is not read: fixed points -b, 0 and +b with b = tanh(5 b),
    # the outer two stable. Reading cell i drives bit i to on = tanh(10 + 5 on); clear drives every bit to
    # off = tanh(5 off - 10). The "full" neuron reads the bits and has no weight on itself. So each cell
    # symbol has 2^8 stable points (the other bits at +-b) and clear has one: 9 * 256 + 1 = 2305.
    b = solve(lambda h: h - np.tanh(GAIN * h), 0.5, 1.0)
    on = solve(lambda h: h - np.tanh(2 * GAIN + GAIN * h))
    off = solve(lambda h: h - np.tanh(GAIN * h - 2 * GAIN))
    stable = [p for p in fill_points if p.stable]
    assert len(stable) == 2305
    for i in range(9):
        found = {tuple(np.sign(p.point[:9]).astype(int)) for p in stable if p.symbol == str(i)}
        want = {bits[:i] + (1,) + bits[i:] for bits in itertools.product((-1, 1), repeat=8)}
        assert found == want
    for p in stable:
        bits = p.point[:9]
        if p.symbol == "9":
            assert bits == pytest.approx([off] * 9, abs=1e-8)
        else:
            i = int(p.symbol)
            assert bits[i] == pytest.approx(on, abs=1e-8)
            assert np.abs(np.delete(bits, i)) == pytest.approx([b] * 8, abs=1e-8)
        full_in = GAIN * bits.sum() + (2 * GAIN if p.symbol != "9" else -36 * GAIN) - 8 * GAIN
        assert p.point[9] == pytest.approx(np.tanh(full_in), abs=1e-8)


def test_a_bit_at_zero_is_a_saddle_that_pushes_out_at_tanhs_slope_of_5(fill_points):
    saddles = [p for p in fill_points if p.kind == "saddle"]
    one_zero = [p for p in saddles if (np.abs(p.point[:9]) < 1e-6).sum() == 1]
    assert one_zero and all(p.eigenvalues[0] == pytest.approx(GAIN, abs=1e-6) for p in one_zero)
    assert all(sum(e > 1 for e in p.eigenvalues) == (np.abs(p.point[:9]) < 1e-6).sum() for p in saddles)


def test_the_json_lists_stable_points_and_says_when_max_points_binds(capsys):
    assert run(["fixed-points", "fill-optimal-10", "--json", "--max-points", "5"]) == 0
    captured = capsys.readouterr()
    points = json.loads(captured.out)
    assert len(points) == 5 and all(p["stable"] and p["kind"] == "stable" for p in points)
    assert {"symbol", "point", "speed", "eigenvalues", "stable", "kind"} <= points[0].keys()
    assert "showing 5 of 2305 points: --max-points binds" in captured.err


def test_the_text_prints_the_threshold_and_the_tolerance_and_all_adds_the_saddles(capsys):
    assert run(["fixed-points", "count-2", "--all"]) == 0
    out = capsys.readouterr().out
    assert "slow-point threshold 0.001" in out and "de-duplication tolerance 0.001" in out
    assert "saddle" in out


def test_a_clamped_neuron_stays_at_its_value_in_every_point():
    net = load("count-optimal-2")
    from rnnmem_tui.model import Interventions

    points = fixed_points(net, task_for(net), Interventions().clamp(1, 0.25))
    assert points and all(p.point[1] == 0.25 and p.eigenvalues.size == 1 for p in points)


def test_with_every_neuron_held_each_symbols_map_is_constant_and_its_value_is_the_one_point(capsys):
    assert run(["fixed-points", "count-2", "--clamp", "0=1", "--clamp", "1=-1", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert len(points) == 11 and all(p["point"] == [1.0, -1.0] and p["stable"] for p in points)
