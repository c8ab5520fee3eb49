"""The RNN: gradients against finite differences, step/forward agreement, interventions, sampling."""

from __future__ import annotations

import numpy as np
import pytest

from rnnmem_tui.model import NONE, PARAMS, RNN, Interventions


def small_net(H: int = 3, V: int = 4, seed: int = 0) -> RNN:
    return RNN.init(H, tuple("abcd"[:V]), np.random.default_rng(seed), scale=0.5)


@pytest.mark.parametrize("interventions", [NONE, Interventions(frozenset({1}), ((2, 0.3),))])
def test_gradients_match_finite_differences(interventions):
    net = small_net()
    rng = np.random.default_rng(1)
    X, Y = rng.integers(0, 4, (2, 5)), rng.integers(0, 4, (2, 5))
    h0 = rng.uniform(-0.5, 0.5, (2, 3))
    _, grads, _ = net.loss_and_grads(X, Y, h0, interventions)
    eps = 1e-5
    for name in PARAMS:
        p = getattr(net, name)
        num = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = net.loss_and_grads(X, Y, h0, interventions)[0]
            p[i] = old - eps
            down = net.loss_and_grads(X, Y, h0, interventions)[0]
            p[i] = old
            num[i] = (up - down) / (2 * eps)
        rel = np.abs(num - grads[name]) / np.maximum(np.abs(num) + np.abs(grads[name]), 1e-8)
        assert rel.max() < 1e-6, (name, rel.max())


def test_step_agrees_with_batched_forward():
    net = small_net()
    X = np.array([[0, 2, 1, 3, 3]])
    hs, ps = net.forward(X, np.zeros((1, 3)))
    h = np.zeros(3)
    for t, x in enumerate(X[0]):
        r = net.step(h, x)
        h = r.h
        np.testing.assert_allclose(r.h, hs[0, t])
        np.testing.assert_allclose(r.p, ps[0, t])


def test_interventions_hold_neurons_and_leave_weights_alone():
    net = small_net()
    before = {k: v.copy() for k, v in net.params.items()}
    iv = Interventions().zero(0).clamp(2, -0.8)
    hs, _ = net.forward(np.array([[0, 1, 2, 3]]), np.zeros((1, 3)), iv)
    assert np.all(hs[0, :, 0] == 0.0) and np.all(hs[0, :, 2] == -0.8)
    r = net.step(np.zeros(3), 1, iv)
    assert r.zeroed == frozenset({0}) and r.clamped == ((2, -0.8),)
    for k, v in before.items():
        assert np.array_equal(v, getattr(net, k))
    assert iv.release(0).release(2) == NONE
    assert iv.of(0) == "zeroed" and iv.of(2) == "clamped -0.80" and iv.of(1) is None


def test_bad_interventions_are_refused():
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):  # a tanh unit
        Interventions(clamped=((0, 1.5),)).check(3)
    assert Interventions(clamped=((0, 1.5),)).check(3, bounded=False)  # a ReLU or c unit: any finite value
    with pytest.raises(ValueError, match="finite"):
        Interventions(clamped=((0, float("nan")),))
    with pytest.raises(ValueError, match="out of range"):
        Interventions(frozenset({7})).check(3)


def test_sample_is_deterministic_and_respects_temperature():
    net = small_net()
    a, _ = net.sample(np.zeros(3), 0, 50, np.random.default_rng(5))
    b, _ = net.sample(np.zeros(3), 0, 50, np.random.default_rng(5))
    assert np.array_equal(a, b)
    cold, _ = net.sample(np.zeros(3), 0, 200, np.random.default_rng(5), temperature=0.01)
    assert len(set(cold[10:].tolist())) <= 2  # near-greedy settles into a short cycle


def test_sample_stops_after_the_requested_unit_ends():
    net = small_net()
    out, _ = net.sample(np.zeros(3), 0, 10_000, np.random.default_rng(0), stop=1, stop_count=3)
    assert out[-1] == 1 and (out == 1).sum() == 3
