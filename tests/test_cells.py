"""The cells (issue 25): each cell's stacked kernel against its plain reference and against finite
differences, hand-set networks against their equations, and sampling alone against sampling together."""

from __future__ import annotations

import numpy as np
import pytest

from rnnmem_tui.cells import CELLS, CellNet
from rnnmem_tui.model import Interventions

H, V, S, B, T = 3, 4, 2, 3, 5
NAMES = list(CELLS)


def population(cell, seed=0, scale=0.7):
    """S networks of this cell with lively random weights and biases, stacked."""
    rng = np.random.default_rng(seed)
    nets = [{k: rng.standard_normal(s) * scale for k, s in cell.shapes(H, V).items()} for _ in range(S)]
    return {k: np.stack([n[k] for n in nets]) for k in nets[0]}


def data(cell, seed=1):
    rng = np.random.default_rng(seed)
    X, Y = rng.integers(0, V, (S, B, T)), rng.integers(0, V, (S, B, T))
    s0 = rng.standard_normal((S, B, cell.width(H))) * 0.5
    return X, Y, s0


@pytest.mark.parametrize("name", NAMES)
def test_the_stacked_kernel_matches_the_plain_reference(name):
    cell = CELLS[name]
    P = population(cell)
    X, Y, s0 = data(cell)
    loss, grads, last = cell.stack_loss_and_grads(P, X, Y, s0)
    for j in range(S):
        Pj = {k: v[j] for k, v in P.items()}
        total, g = 0.0, {k: np.zeros_like(v) for k, v in Pj.items()}
        for b in range(B):
            lb, gb = cell.reference(Pj, X[j, b].tolist(), Y[j, b].tolist(), s0[j, b])
            total += lb
            for k in g:
                g[k] += gb[k]
        assert loss[j] == pytest.approx(total / (B * T), rel=1e-12)
        for k in g:
            np.testing.assert_allclose(grads[k][j], g[k] / (B * T), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("held", [False, True], ids=["free", "held"])
@pytest.mark.parametrize("name", NAMES)
def test_the_stacked_gradients_match_finite_differences(name, held):
    """With a unit held too (the last: an LSTM's c), as the explorer's live training holds it."""
    cell = CELLS[name]
    P = population(cell, seed=3)
    X, Y, s0 = data(cell, seed=4)
    iv = Interventions(clamped=((cell.width(H) - 1, 0.3),)) if held else Interventions()
    _, grads, _ = cell.stack_loss_and_grads(P, X, Y, s0, iv)
    eps, rng = 1e-6, np.random.default_rng(5)
    for k, v in P.items():
        for flat in rng.choice(v[0].size, size=min(6, v[0].size), replace=False):
            at = (0, *np.unravel_index(flat, v[0].shape))
            keep = v[at]
            v[at] = keep + eps
            up = cell.stack_loss_and_grads(P, X, Y, s0, iv)[0][0]
            v[at] = keep - eps
            down = cell.stack_loss_and_grads(P, X, Y, s0, iv)[0][0]
            v[at] = keep
            assert grads[k][at] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8), (k, at)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def one(cell, P):
    return cell.net({k: np.asarray(v, dtype=float) for k, v in P.items()}, tuple("abcd"))


def test_a_hand_set_gru_and_lstm_step_as_pytorch_s_equations_say():
    rng = np.random.default_rng(7)
    for name, G in (("gru", 3), ("lstm", 4)):
        cell = CELLS[name]
        P = {k: rng.standard_normal(s) for k, s in cell.shapes(H, V).items()}
        net = one(cell, P)
        s = rng.standard_normal(cell.width(H))
        got = net.step(s, 2).h
        gi, gh = P["weight_ih"][:, 2] + P["bias_ih"], P["weight_hh"] @ s[:H] + P["bias_hh"]
        if name == "gru":
            r, z = sig(gi[:H] + gh[:H]), sig(gi[H : 2 * H] + gh[H : 2 * H])
            n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
            want = (1 - z) * n + z * s
        else:
            pre = gi + gh
            i, f, g, o = sig(pre[:H]), sig(pre[H : 2 * H]), np.tanh(pre[2 * H : 3 * H]), sig(pre[3 * H :])
            c = f * s[H:] + i * g
            want = np.concatenate([o * np.tanh(c), c])
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
        y = P["Why"] @ got[:H] + P["by"]
        np.testing.assert_allclose(net.step(s, 2).p, np.exp(y) / np.exp(y).sum(), rtol=1e-12)


def test_a_hand_set_lstm_counts_in_c_and_a_relu_counts_in_h():
    """One unit each: the LSTM's c adds 1 per 'a' read (input gate open, forget gate shut open, g = 1), the
    ReLU's h adds 1 per 'a' (identity recurrence): the unbounded counters of Weiss et al. (2018)."""
    big = 30.0
    lstm = CELLS["lstm"]
    P = {k: np.zeros(s) for k, s in lstm.shapes(1, V).items()}
    P["bias_ih"][:] = [big, big, 0, big]  # i = f = o = 1
    P["weight_ih"][2, 0] = big  # g = tanh(30) = 1 on 'a' (index 0), tanh(0) = 0 otherwise
    net, s = one(lstm, P), np.zeros(2)
    for k, x in enumerate([0, 0, 1, 0, 0, 0]):
        s = net.step(s, x).h
    assert s[1] == pytest.approx(5.0, abs=1e-9)  # c counted the five a's; h = tanh(c) saturates
    relu = CELLS["relu"]
    P = {k: np.zeros(s) for k, s in relu.shapes(1, V).items()}
    P["weight_hh"][:] = 1.0
    P["weight_ih"][0, 0] = 1.0
    net, h = one(relu, P), np.zeros(1)
    for x in [0] * 12 + [1]:
        h = net.step(h, x).h
    assert h[0] == 12.0


@pytest.mark.parametrize("name", NAMES[1:])
def test_forward_and_states_agree_with_steps_and_interventions_hold_units(name):
    cell = CELLS[name]
    P = population(cell, seed=9)
    net = CellNet(cell, {k: v[0] for k, v in P.items()}, tuple("abcd"))
    xs = np.array([[0, 1, 2, 3, 1, 0]])
    iv = Interventions(frozenset({1}), ((cell.width(H) - 1, 0.5),))
    hs, ps = net.forward(xs, np.zeros((1, net.hidden)), iv)
    s = np.zeros(net.hidden)
    for t, x in enumerate(xs[0]):
        r = net.step(s, int(x), iv)
        s = r.h
        np.testing.assert_allclose(hs[0, t], s, rtol=1e-12)
        np.testing.assert_allclose(ps[0, t], r.p, rtol=1e-12)
        assert s[1] == 0.0 and s[-1] == 0.5
    free = net.forward(xs, np.zeros((1, net.hidden)))[0][0]
    np.testing.assert_allclose(cell.stack_states(P, [xs[0], xs[0][:3]])[0], free, rtol=1e-12)
    if name != "rnn":  # the sampler's step, its biases and gate scales folded into its weights
        step, s = cell.vector_step(net.P), np.zeros(net.hidden)
        for t, x in enumerate(xs[0]):
            s = step(s, int(x))
            np.testing.assert_allclose(s, free[t], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES[1:])
def test_sampling_together_gives_each_network_its_own_symbols(name):
    cell = CELLS[name]
    P = population(cell, seed=11, scale=1.5)
    together = cell.stack_sample(P, 0, 60, [np.random.default_rng(s) for s in (1, 2)], stop=0, stop_count=4)
    for j, seed in enumerate((1, 2)):
        net = CellNet(cell, {k: v[j] for k, v in P.items()}, tuple("abcd"))
        alone, _ = net.sample(np.zeros(net.hidden), 0, 60, np.random.default_rng(seed), stop=0, stop_count=4)
        assert alone.tolist() == together[j].tolist()
