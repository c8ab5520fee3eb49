"""The grammar's hand-built 4-neuron network and the pieces of the whole-line training recipe."""

from __future__ import annotations

import numpy as np

from rnnmem_tui.metrics import Protocol, evaluate
from rnnmem_tui.optimal import build_grammar
from rnnmem_tui.recipes import cosine, line_batch
from rnnmem_tui.train import train
from rnnmem_tui.tasks import load_task
from rnnmem_tui.train import TrainConfig


def test_hand_built_grammar_is_valid_and_uniform():
    task = load_task("grammar")
    net = build_grammar(task)
    s = evaluate(net, task, Protocol(units=1000, bad_units=20, seed=0))
    assert s.validity == 1.0
    assert s.tvd < 0.06  # sampling floor at 1000 units is ~0.04


def test_hand_built_grammar_distribution_and_determinism_exactly():
    """Teacher-force every line after a line: deterministic steps are near-certain, P(n) is near uniform."""
    task = load_task("grammar")
    net = build_grammar(task)
    probs = {}
    for n in task.sizes:
        line = task.line(n) + "\n"
        stream = "\n" + task.line(3) + "\n" + line  # a line first, so the state is a line end's
        _, ps = net.forward(net.index(stream[:-1])[None, :], np.zeros((1, net.hidden)))
        start = len(stream) - len(line) - 1
        p_line = 1.0
        for t in range(start, len(stream) - 1):
            p = ps[0, t, net.vocab.index(stream[t + 1])]
            if t - start > n:  # past the choice of n: the rest is determined
                assert p > 1 - 1e-6, (n, t, p)
            p_line *= p
        probs[n] = p_line
    got = np.array([probs[n] for n in task.sizes])
    assert abs(got.sum() - 1) < 1e-5
    assert 0.5 * np.abs(got - 1 / len(got)).sum() < 0.02


def test_line_batch_starts_at_a_line_start_and_holds_valid_lines():
    task = load_task("grammar")
    X, Y = line_batch(task, np.random.default_rng(0), 4, 40)
    assert X.shape == Y.shape == (4, 40)
    assert (X[:, 1:] == Y[:, :-1]).all()
    for row in X:
        text = "".join(task.vocab[i] for i in row)
        assert text[0] == "\n"
        units, _ = task.split(text[1:])
        assert units and all(task.is_valid(u) for u in units)


def test_cosine_schedule_ends():
    assert cosine(0.03, 0, 100) == 0.03
    assert abs(cosine(0.03, 100, 100) - 1e-4) < 1e-12


def test_train_lines_respects_max_steps_and_writes_meta():
    task = load_task("grammar")
    r = train(task, TrainConfig(hidden=3, seed=0, max_steps=60, val_units=50, recipe="lines"), command="test")
    assert r.steps == 60
    assert r.net.meta.trainer["recipe"] == "lines" and r.net.meta.command == "test"
    assert r.net.Whh.shape == (3, 3)
