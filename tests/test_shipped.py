"""Every shipped network: its recorded figures reproduce, and it shows what the results table says."""

from __future__ import annotations

import pytest

from rnnmem_tui.metrics import Protocol, evaluate
from rnnmem_tui.paths import data_dir
from rnnmem_tui.weights import load, task_for

SHIPPED = sorted(p.name for p in data_dir("weights").glob("*.npz"))

# file -> bounds it must meet under the standard protocol (sampling seed 0)
ROWS = {
    "count-2.npz": {"validity": 0.99, "tvd": 0.05},
    "count-reverse-3.npz": {"validity": 0.99, "tvd": 0.05},  # the smallest size at target
    "count-optimal-1.npz": {"validity": 1.0, "tvd": 0.05, "bad_max": 1e-3},
    "count-optimal-2.npz": {"validity": 1.0, "tvd": 0.05},
    "count-reverse-optimal-2.npz": {"validity": 1.0, "tvd": 0.05, "bad_max": 1e-3},
    "fill-10.npz": {"validity": 0.99, "bad_mean": 0.01},
    "fill-optimal-9.npz": {"validity": 1.0, "bad_max": 1e-3},
    "fill-optimal-10.npz": {"validity": 1.0, "bad_max": 0.01},
    "fill-4x4-optimal-16.npz": {"validity": 1.0, "bad_max": 1e-3},
    "fill-4x4-optimal-17.npz": {"validity": 1.0, "bad_max": 0.01},
    "fill-4x4-17.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest trained size at target
    "three-in-a-row-30.npz": {"validity": 0.99, "bad_mean": 0.01},
    "three-in-a-row-13.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest trained size found at target
    "three-in-a-row-optimal-17.npz": {"validity": 1.0, "bad_max": 1e-3},
    "grammar-optimal-4.npz": {"validity": 1.0, "tvd": 0.1},
    "dyck-5.npz": {"validity": 0.99, "tvd": 0.1},  # the formal families: the smallest trained sizes found
    "anbncn-4.npz": {"validity": 0.99, "tvd": 0.1},
    "parity-5.npz": {"validity": 0.99, "tvd": 0.1},
}


def test_the_issue_s_files_are_shipped():
    for name in (
        "count-2.npz",
        "count-reverse-2.npz",
        "fill-10.npz",
        "fill-5.npz",
        "fill-optimal-10.npz",
        "three-in-a-row-30.npz",
        "grammar-4.npz",
        "grammar-3.npz",
    ):
        assert name in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_recorded_metrics_reproduce_exactly(name):
    """The figures in each file's meta (and so in the README) come back under the standard protocol."""
    net = load(data_dir("weights") / name)
    scores = evaluate(net, task_for(net))
    assert scores.as_dict() == pytest.approx(net.meta.metrics, abs=2e-6)
    assert net.meta.command.startswith("rnnmem-tui ") and (net.meta.seed is not None or net.meta.construction)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_shipped_network_meets_its_row(name):
    net = load(data_dir("weights") / name)
    s = evaluate(net, task_for(net), Protocol(seed=0))
    bounds = ROWS[name]
    assert s.validity >= bounds["validity"]
    assert s.tvd <= bounds.get("tvd", 1.0)
    assert s.bad_mean <= bounds.get("bad_mean", 1.0) and s.bad_max <= bounds.get("bad_max", 1.0)


def test_a_bare_formal_task_name_means_its_shipped_network_that_meets():
    from rnnmem_tui.weights import resolve

    for task in ("dyck", "anbncn", "parity"):
        net = load(resolve(task))
        assert net.meta.spec == task and net.meta.verdict["verdict"] == "meets"


def test_fill_5_is_clearly_worse_than_fill_10():
    five, ten = (load(data_dir("weights") / f) for f in ("fill-5.npz", "fill-10.npz"))
    p = Protocol(units=1000)
    assert evaluate(five, task_for(five), p).bad_mean > 3 * evaluate(ten, task_for(ten), p).bad_mean


@pytest.mark.parametrize("name", ["count-2.npz", "fill-10.npz"])
def test_recorded_command_reproduces_the_file(name, tmp_path, capsys):
    """Rerunning a shipped file's recorded command gives the same network: the same updates, stop
    reason, weights and figures (training is budgeted in updates, so the machine's speed does not matter)."""
    import shlex

    import numpy as np

    from rnnmem_tui import cli

    shipped = load(data_dir("weights") / name)
    argv = shlex.split(shipped.meta.command)[1:]
    out = tmp_path / name
    argv[argv.index("--out") + 1] = str(out)
    assert cli.main(argv) == 0
    capsys.readouterr()
    again = load(out)
    for key in ("steps", "stopped_by", "metrics", "verdict", "trainer", "confirmation"):
        assert getattr(again.meta, key) == getattr(shipped.meta, key), key
    for k, v in shipped.params.items():
        np.testing.assert_array_equal(again.params[k], v)
