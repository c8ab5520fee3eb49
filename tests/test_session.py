"""The explorer's state without a screen: stepping, stepping back, interventions, modes and running scores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnnmem_tui.model import NONE, Interventions
from rnnmem_tui.session import RECENT, WINDOW, Session
from rnnmem_tui.tasks import load_task
from rnnmem_tui.weights import load, shipped, task_for


@pytest.fixture(scope="module")
def count():
    """The shipped count network and its task."""
    net = load(shipped("count"))
    return net, task_for(net)


@pytest.fixture(scope="module")
def fill():
    """The shipped fill network and its task."""
    net = load(shipped("fill"))
    return net, task_for(net)


def run(s: Session, n: int) -> list:
    """n steps; the frames they made."""
    return [s.step() for _ in range(n)]


def read(s: Session, frames) -> str:
    """The symbols the frames read."""
    return "".join(s.net.vocab[f.step.x] for f in frames)


def test_the_stream_is_the_cli_samplers_for_the_same_seed(count):
    net, task = count
    s = Session(net, task, seed=3)
    frames = run(s, 300)
    out, _ = net.sample(np.zeros(net.hidden), int(net.index(task.end)[0]), 300, np.random.default_rng(3))
    assert read(s, frames) == "".join(net.vocab[i] for i in out)


def test_start_frame_reads_the_start_token_from_zero(count):
    net, task = count
    s = Session(net, task)
    f = s.frame
    assert f.t == 0 and net.vocab[f.step.x] == task.end and f.prefix == "" and f.units == 0
    assert np.array_equal(f.step.h, net.step(np.zeros(net.hidden), f.step.x).h)


def test_back_restores_the_frame_and_the_step_after_it_exactly(count):
    net, task = count
    s = Session(net, task, seed=1)
    run(s, 40)
    before = s.frame
    after = s.step()
    assert s.back() and s.frame is before
    again = s.step()
    assert again.step.x == after.step.x
    assert np.array_equal(again.step.h, after.step.h) and np.array_equal(again.step.p, after.step.p)
    assert again.prefix == after.prefix and again.pools == after.pools


def test_back_stops_at_the_oldest_kept_frame(count):
    net, task = count
    s = Session(net, task, history=10)
    run(s, 30)
    assert sum(s.back() for _ in range(20)) == 9 and s.frame.t == 21


def test_zeroed_neuron_is_exactly_zero_from_the_step_on_screen(count):
    net, task = count
    s = Session(net, task)
    run(s, 20)
    s.zero(1)
    assert s.frame.step.h[1] == 0.0 and s.frame.step.zeroed == frozenset({1})
    assert all(f.step.h[1] == 0.0 for f in run(s, 100))


def test_clamp_holds_the_value_on_screen(count):
    net, task = count
    s = Session(net, task)
    run(s, 20)
    v = float(s.frame.step.h[0])
    s.clamp(0)
    assert all(f.step.h[0] == v for f in run(s, 50))
    s.cycle_clamp(0)
    assert s.interventions.of(0) == "clamped +1.00"
    s.cycle_clamp(0)
    assert s.interventions.of(0) == "clamped -1.00"
    assert all(f.step.h[0] == -1.0 for f in run(s, 20))


def test_release_all_then_reset_replays_the_unablated_run_bit_for_bit(count):
    net, task = count
    plain = Session(net, task, seed=5)
    want = run(plain, 200)
    s = Session(net, task, seed=5)
    s.zero(1)
    s.clamp(0, 0.5)
    held = run(s, 150)
    assert read(s, held) != read(plain, want[:150])
    s.release_all()
    assert s.interventions == NONE
    s.reset()
    got = run(s, 200)
    assert read(s, got) == read(plain, want)
    assert all(np.array_equal(a.step.h, b.step.h) and np.array_equal(a.step.p, b.step.p) for a, b in zip(got, want))


def test_an_intact_twin_scores_beside_the_held_network_from_the_fork(count):
    net, task = count
    s = Session(net, task)
    run(s, 400)
    r = s.running()
    assert r.name == "valid" and not r.twin and r.n_now > 30 and r.now > 0.9
    s.zero(1)
    r = s.running()
    assert r.twin and r.n_now == r.n_free == 0  # only units after the fork count
    run(s, 400)
    r = s.running()
    assert r.n_now > 0 and r.now < 0.5 and r.free > 0.9 and r.n_free > 30  # the ablation's effect, as a number
    plain = Session(net, task)
    run(plain, 800)  # the twin is the network without interventions, on the same draws
    assert s.twin.frame.t == plain.frame.t == s.frame.t == 800
    assert np.array_equal(s.twin.frame.step.h, plain.frame.step.h)
    assert s.twin.frame.recent == plain.frame.recent
    s.release_all()
    assert s.twin is None and not s.running().twin


def test_the_twin_follows_back_reset_and_mode_and_the_fork_is_marked(count):
    net, task = count
    s = Session(net, task, seed=3)
    run(s, 12)
    at, fork = len(s.frame.prefix), s.frame.t
    s.zero(0)
    assert s.frame.began == at
    run(s, 60)
    held = [f.finished for f in s.frames if f.finished and f.t > fork]
    assert held[0].began == at and all(u.began is None for u in held[1:])
    for _ in range(70):  # back before the fork: the twin forks again from the intact frame on screen
        s.back()
    assert s.twin is not None and s.twin.frame.t == s.frame.t
    assert np.array_equal(s.twin.frame.step.h, s.frame.step.h)
    s.cycle_mode()
    run(s, 10)
    assert s.twin.mode == "teacher" and s.running().name == "bad mass" and s.running().twin
    s.reset()
    assert s.twin.frame.t == 0 and s.interventions.of(0) == "zeroed"


def test_a_unit_cut_by_the_teacher_is_finished_by_the_rules_not_marked_as_an_error(fill):
    net, task = fill
    tried = 0
    for seed in range(6):
        s = Session(net, task, seed=seed)
        run(s, 5)  # mid-game, the network's moves so far legal
        if s.frame.broke_at is not None or not s.frame.prefix:
            continue
        tried += 1
        prefix = s.frame.prefix
        s.cycle_mode()
        frames = run(s, 20)
        cut = next(f.finished for f in frames if f.finished)
        assert cut.valid and not cut.own and cut.text.startswith(prefix)
    assert tried >= 3


def test_runaway_unit_is_scored_once_as_invalid(count):
    net, task = count
    nl = net.vocab.index("\n")
    # with both neurons held at +1 the output is fixed: make that output never a newline, so the
    # line runs away on every seed instead of on lucky ones
    s = Session(replace(net, by=net.by - np.eye(len(net.vocab))[nl] * (60 + net.Why[nl].sum())), task)
    s.intervene(Interventions().clamp(0, 1.0).clamp(1, 1.0))
    frames = run(s, 200)
    assert not any(f.finished for f in frames[3:])
    r = s.running()
    assert r.now == 0.0 and r.n_now == 1


def test_scores_are_capped_at_the_window(count):
    net, task = count
    s = Session(net, task)
    run(s, 1500)
    assert s.running().n_now == WINDOW and len(s.frame.recent) == RECENT


def test_teacher_mode_feeds_only_valid_units_and_measures_bad_mass(fill):
    net, task = fill
    s = Session(net, task, seed=2)
    run(s, 5)  # mid-game: the unit is cut, then the teacher's games follow
    s.cycle_mode()
    assert s.mode == "teacher"
    frames = run(s, 200)
    units = [f.finished for f in frames if f.finished][1:]
    assert len(units) >= 15 and all(u.valid and not u.own for u in units)
    r = s.running()
    assert r.name == "bad mass" and r.n_now == WINDOW and r.now < 0.05
    assert all(abs(f.bad - (1 - sum(f.step.p[net.vocab.index(c)] for c in f.legal))) < 1e-12 for f in frames)


def test_teacher_mode_resumes_at_a_unit_start_after_a_break(fill):
    net, task = fill
    s = Session(net, task, seed=2)
    s.cycle_mode()
    run(s, 4)
    s.mode = "sample"
    run(s, 30)
    s.mode = "teacher"
    frames = run(s, 60)
    units = [f.finished for f in frames if f.finished][1:]
    assert units and all(u.valid for u in units)


def test_type_mode_reads_the_symbols_given(count):
    net, task = count
    s = Session(net, task)
    s.mode = "type"
    with pytest.raises(ValueError):
        s.step()
    with pytest.raises(ValueError):
        s.step("z")
    for c in "3ccc\n":
        s.step(c)
    assert s.frame.finished.text == "3ccc\n" and s.frame.finished.valid and not s.frame.finished.own
    assert s.next_symbol() is None


def test_an_intervention_recomputes_the_step_on_screen(count):
    net, task = count
    s = Session(net, task)
    run(s, 10)
    prev, x = s.frames[-2], s.frame.step.x
    s.zero(0)
    want = net.step(prev.step.h, x, Interventions().zero(0))
    assert np.array_equal(s.frame.step.h, want.h) and np.array_equal(s.frame.step.p, want.p)


def test_broken_units_are_marked_where_they_broke():
    task = load_task("fill")
    net = load(shipped("fill", optimal=True))
    s = Session(net, task)
    s.mode = "type"
    for c in "0120":
        s.step(c)
    assert s.frame.broke_at == 3 and not s.frame.legal and s.frame.bad == 1.0
    s.step(task.end)
    assert s.frame.finished.broke_at == 3 and not s.frame.finished.valid


def test_temperature_changes_the_draws_and_the_score_key(count):
    net, task = count
    s = Session(net, task, seed=4)
    cold = read(s, run(s, 100))
    s.reset()
    s.set_temperature(2.0)
    hot = read(s, run(s, 100))
    assert hot != cold
    with pytest.raises(ValueError):
        s.set_temperature(0)
