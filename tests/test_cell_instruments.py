"""Every instrument on every cell (issue 25): files, training, explain, ablate, automaton, fixed points, trace,
the explorer and PyTorch's layout, on small relu, gru and lstm networks."""

from __future__ import annotations

import numpy as np
import pytest

from rnnmem_tui.cells import CellNet
from rnnmem_tui.nulls import calibrate, random_net
from rnnmem_tui.tasks import load_task
from rnnmem_tui.weights import WeightsError, load, save

CELL_NAMES = ["relu", "gru", "lstm"]


@pytest.fixture(scope="module")
def count():
    return load_task("count")


def lively(task, cell: str) -> CellNet:
    """A random network of the cell, its weights scaled down so that it neither saturates nor explodes."""
    net = random_net(task, 2, 7, cell)
    return CellNet(net.cell, {k: v * 0.6 for k, v in net.P.items()}, net.vocab, net.meta)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_a_cell_network_saves_and_loads_in_pytorch_s_layout(tmp_path, count, cell):
    net = lively(count, cell)
    path = save(net, tmp_path / f"count-{cell}-2.npz")
    back = load(path)
    assert back.meta.cell == cell and back.meta.format == 2 and back.hidden == net.hidden
    assert all(np.array_equal(back.params[k], v) for k, v in net.params.items())
    names = set(np.load(path).files)
    assert {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "Why", "by"} <= names and "Whh" not in names


def test_a_file_whose_meta_names_another_cell_is_refused(tmp_path, count):
    gru = lively(count, "gru")
    gru.meta.cell = "lstm"
    path = save(gru, tmp_path / "x.npz")
    with pytest.raises(WeightsError, match="another cell's"):
        load(path)
    gru.meta.cell, gru.meta.format = None, None  # an old reader's view: the rnn's arrays are missing
    with pytest.raises(WeightsError, match="another cell's|missing"):
        load(save(gru, tmp_path / "y.npz"))


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_training_a_population_of_each_cell(count, cell):
    from rnnmem_tui.train import TrainConfig, train_population

    cfgs = [TrainConfig(hidden=2, seed=s, cell=cell, max_steps=300, val_units=50) for s in (0, 1)]
    results = train_population(count, cfgs)
    assert [r.net.meta.cell for r in results] == [cell, cell]
    assert all(isinstance(r.net, CellNet) and np.isfinite(r.net.P["weight_hh"]).all() for r in results)
    alone = train_population(count, cfgs[1:])[0]  # a member trains as it would alone
    assert all(np.array_equal(alone.net.params[k], results[1].net.params[k]) for k in alone.net.params)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_explain_ablate_automaton_and_fixed_points_run_on_each_cell(count, cell, monkeypatch):
    from rnnmem_tui.analysis import ablation_sweep
    from rnnmem_tui.automaton import report
    from rnnmem_tui.dynamics import fixed_points
    from rnnmem_tui.metrics import Protocol
    from rnnmem_tui.roles import explain

    import rnnmem_tui.roles as roles_module

    monkeypatch.setattr(roles_module, "WHOLE_UNITS", 60)  # the whole-behaviour runs, shortened for the test
    net = lively(count, cell)
    null = calibrate(count, 2, nets=20, cell=cell)
    roles = explain(net, count, streams=2, units=200, causal=cell == "gru", null=null)
    assert len(roles) == net.hidden  # an LSTM's c units get roles of their own
    intact, rows = ablation_sweep(net, count, Protocol(units=100))
    assert len(rows) == net.hidden
    assert report(net, count, resolution=0.1).extracted.machine
    points = fixed_points(net, count, symbols="c")
    assert all(np.isfinite(p.point).all() and p.point.shape == (net.hidden,) for p in points)


def test_an_lstm_s_c_units_are_named_held_and_traced(tmp_path, count, capsys):
    from rnnmem_tui.cli import main

    path = save(lively(count, "lstm"), tmp_path / "count-lstm-2.npz")
    out = tmp_path / "t.npz"
    assert main(["trace", str(path), "--steps", "40", "--zero", "c1", "--out", str(out)]) == 0
    t = np.load(out)
    assert t["h"].shape == t["c"].shape == (40, 2) and (t["c"][:, 1] == 0).all() and t["held"].shape == (40, 4)
    csv = tmp_path / "t.csv"
    assert main(["trace", str(path), "--steps", "5", "--out", str(csv)]) == 0
    assert "h0,h1,c0,c1," in csv.read_text() and "held_c1" in csv.read_text()
    out2 = tmp_path / "t2.npz"
    assert main(["trace", str(path), "--steps", "10", "--clamp", "c0=5.5", "--out", str(out2)]) == 0  # c is unbounded
    assert (np.load(out2)["c"][:, 0] == 5.5).all()
    assert main(["trace", str(path), "--steps", "10", "--zero", "c9", "--out", str(out2), "--force"]) == 2
    assert "no unit 'c9': this network's units are h0..h1 and c0..c1" in capsys.readouterr().err


async def test_the_explorer_shows_an_lstm_s_c_rows_and_holds_them(count):
    from rnnmem_tui.app import ExplorerApp

    net = lively(count, "lstm")
    app = ExplorerApp(net, count, labels=["", "", "", ""])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n", "n", "down", "down", "down", "z", "n")
        screen = app.screen
        assert screen.session.interventions.of(3) == "zeroed"
        assert "c1 zeroed" in app.export_screenshot().replace("&#160;", " ")
        panel = screen.query_one("#neurons")
        text = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
        assert "h0" in text and "c1" in text and "lstm, 2 h and 2 c units" in str(panel.border_title)


class Tensor:
    """What from_torch reads of a torch tensor."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float32)

    def detach(self):
        return self

    def cpu(self):
        return self

    def double(self):
        return self

    def numpy(self):
        return self.a.astype(float)


def test_from_torch_copies_pytorch_s_arrays_in_their_layout(count):
    from rnnmem_tui import from_torch

    rng = np.random.default_rng(0)
    H, V = 3, len(count.vocab)
    GRU = type("GRU", (), {})
    m = GRU()
    m.weight_ih_l0, m.weight_hh_l0 = Tensor(rng.standard_normal((3 * H, V))), Tensor(rng.standard_normal((3 * H, H)))
    m.bias_ih_l0, m.bias_hh_l0 = Tensor(rng.standard_normal(3 * H)), Tensor(rng.standard_normal(3 * H))
    readout = type("Linear", (), {"weight": Tensor(rng.standard_normal((V, H))), "bias": Tensor(np.zeros(V))})()
    net = from_torch(m, readout, "count")
    assert net.cell.name == "gru" and net.meta.cell == "gru" and net.size == H
    np.testing.assert_array_equal(net.P["weight_hh"], m.weight_hh_l0.numpy())
    with pytest.raises(ValueError, match="needs"):
        from_torch(m, type("Linear", (), {"weight": Tensor(np.zeros((2, H))), "bias": Tensor(np.zeros(2))})(), count)


@pytest.mark.parametrize("kind", ["GRU", "LSTM", "RNN"])
def test_a_pytorch_network_copied_gives_the_same_probabilities(kind, count):
    torch = pytest.importorskip("torch", reason="the [bench] extra installs torch; without it this check is skipped")
    from rnnmem_tui import from_torch

    torch.manual_seed(0)
    V, H = len(count.vocab), 3
    extra = {"nonlinearity": "relu"} if kind == "RNN" else {}
    module = getattr(torch.nn, kind)(V, H, batch_first=True, **extra).double()
    readout = torch.nn.Linear(H, V).double()
    xs = count.vocab.index("\n"), *[count.vocab.index(c) for c in "3ccc\n2cc\n"]
    onehot = torch.nn.functional.one_hot(torch.tensor([xs]), V).double()
    with torch.no_grad():
        want = torch.softmax(readout(module(onehot)[0]), -1)[0].numpy()
    net = from_torch(module, readout, count)
    _, got = net.forward(np.array([xs]), np.zeros((1, net.hidden)))
    np.testing.assert_allclose(got[0], want, atol=1e-6)
