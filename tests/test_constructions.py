"""Hand-built networks: each scores validity 1.0 with no bad mass, and build-optimal picks them by size."""

from __future__ import annotations

import numpy as np
import pytest

from rnnmem_tui import constructions
from rnnmem_tui.cli import run
from rnnmem_tui.metrics import Protocol, evaluate
from rnnmem_tui.tasks import load_task
from rnnmem_tui.weights import load

BUILT = [
    ("count", 1),
    ("count", 2),
    ("count-reverse", 2),
    ("fill", 9),
    ("fill", 10),
    ("fill-4x4", 16),
    ("fill-4x4", 17),
    ("grammar", 4),
    ("three-in-a-row", 17),
]


@pytest.mark.parametrize("name, hidden", BUILT)
def test_a_construction_is_perfect(name, hidden):
    task = load_task(name)
    net = constructions.build(task, hidden)
    assert net.hidden == hidden and net.meta.construction
    s = evaluate(net, task, Protocol(units=2000, seed=3))
    assert s.validity == 1.0 and s.bad_max <= 1e-3
    assert s.tvd <= task.target.get("tvd", 1.0) and s.bad_mean <= task.target.get("bad_mass", 1.0)


@pytest.mark.parametrize("name, smallest", [("count", 1), ("count-reverse", 2), ("fill", 9), ("fill-4x4", 16)])
def test_without_a_size_the_smallest_is_built(name, smallest):
    task = load_task(name)
    assert min(constructions.sizes(task)) == smallest
    assert constructions.build(task).hidden == smallest


def test_fill_9_has_no_full_neuron_and_reads_its_bits():
    net = constructions.build(load_task("fill"), 9)
    assert (net.Whh == net.Whh[0, 0] * np.eye(9)).all()  # nine independent bits
    h, x = np.zeros(9), net.index("9")[0]
    for cell in "40728135":
        h = net.step(h, x).h
        x = net.index(cell)[0]
    p = net.step(h, x).p
    assert p[net.index("6")[0]] > 0.999  # the one empty cell, not clear


NOT_YET = {"dyck", "anbncn", "parity"}  # the formal-language families: trained networks only, no construction yet


def test_every_task_has_a_construction():
    from rnnmem_tui.tasks import task_names

    assert all(constructions.sizes(load_task(name)) for name in task_names() if name not in NOT_YET)
    assert not any(constructions.sizes(load_task(name)) for name in NOT_YET)  # a new one: take it off the list


def test_build_optimal_records_the_command_that_rebuilds_it(tmp_path, capsys):
    out = tmp_path / "f.npz"
    assert run(["build-optimal", "fill", "--hidden", "10", "--out", str(out)]) == 0
    meta = load(out).meta
    assert meta.hidden == 10 and meta.command == f"rnnmem-tui build-optimal fill --hidden 10 --out {out}"
    assert meta.verdict["verdict"] == "meets"


def test_a_size_without_a_construction_is_refused_with_the_sizes_that_have_one(tmp_path, capsys):
    assert run(["build-optimal", "fill", "--hidden", "5", "--out", str(tmp_path / "x.npz")]) == 2
    assert not (tmp_path / "x.npz").exists()
    assert "no construction of fill with 5 neurons; sizes with one: 9, 10" in capsys.readouterr().err
