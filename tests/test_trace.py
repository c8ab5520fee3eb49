"""Data out: `rnnmem-tui trace` writes one row per step, as .npz or .csv, exactly as the explorer steps."""

from __future__ import annotations

import csv
import json
from itertools import count

import numpy as np
import pytest

from rnnmem_tui import trace as tracing
from rnnmem_tui.cli import run
from rnnmem_tui.model import Interventions
from rnnmem_tui.session import DRAWS, Session
from rnnmem_tui.trace import Trace
from rnnmem_tui.weights import load, shipped, task_for


def test_trace_of_fill_10_with_neuron_3_zeroed(tmp_path):
    out = tmp_path / "t.npz"
    assert run(["trace", "fill-10", "--steps", "300", "--zero", "3", "--out", str(out)]) == 0
    d = np.load(out, allow_pickle=False)
    assert set(d.files) == {"symbols", "h", "p", "held", "vocab", "zeroed", "clamped", "about"}
    assert np.all(d["held"][:, 3] == 0) and np.isnan(np.delete(d["held"], 3, axis=1)).all()
    assert json.loads(str(d["about"])) == {
        "network": "fill-10",
        "task": "fill",
        "mode": "sample",
        "seed": 0,
        "temperature": 1.0,
    }
    assert d["h"].shape == (300, 10) and np.all(d["h"][:, 3] == 0)
    assert d["p"].shape == (300, 10) and np.allclose(d["p"].sum(axis=1), 1)
    assert d["symbols"].shape == (300,) and d["symbols"][0] == "9"  # row 0 reads the start token: clear
    assert d["zeroed"].tolist() == [3] and d["clamped"].shape == (0, 2)


def test_a_trace_is_the_explorers_steps(tmp_path):
    net = load(shipped("count"))
    out = tmp_path / "t.npz"
    assert run(["trace", "count-2", "--steps", "50", "--clamp", "1=0.5", "--seed", "4", "--out", str(out)]) == 0
    s = Session(net, task_for(net), seed=4, interventions=Interventions().clamp(1, 0.5))
    for _ in range(49):
        s.step()
    want = Trace.of(s.frames, net.vocab, s.interventions)
    d = np.load(out, allow_pickle=False)
    assert np.array_equal(d["h"], want.h) and "".join(d["symbols"]) == "".join(want.symbols)
    assert d["clamped"].tolist() == [[1, 0.5]]


@pytest.mark.parametrize(
    "mode, temperature, iv",
    [("sample", 0.7, Interventions().zero(0)), ("teacher", 1.0, Interventions().clamp(1, -0.5))],
)
def test_the_streamed_steps_are_the_sessions_past_a_batch_of_draws(mode, temperature, iv):
    net = load(shipped("count"))
    s = Session(net, task_for(net), seed=7, history=DRAWS + 200, interventions=iv)
    s.mode = mode
    s.set_temperature(temperature)
    for _ in range(DRAWS + 199):
        s.step()
    want = Trace.of(s.frames, net.vocab, iv)
    got = tracing.run(net, task_for(net), DRAWS + 200, iv, mode=mode, seed=7, temperature=temperature)
    assert "".join(got.symbols) == "".join(want.symbols)
    assert np.array_equal(got.h, want.h) and np.array_equal(got.p, want.p)


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_stopped_trace_keeps_its_rows_block_after_block(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(tracing, "BLOCK_BYTES", 10_000)  # 16 rows a block
    net, calls = load(shipped("count")), count()
    went, rows = tracing.stream(
        tmp_path / f"t{suffix}", net, task_for(net), 10**6, should_stop=lambda: next(calls) >= 999
    )
    assert went == tmp_path / f"t{suffix}" and rows == 1000
    want = tracing.run(net, task_for(net), 1000)
    if suffix == ".npz":
        d = np.load(went, allow_pickle=False)
        assert d["symbols"].dtype == "<U1" and "".join(d["symbols"]) == "".join(want.symbols)
        assert np.array_equal(d["h"], want.h) and np.array_equal(d["p"], want.p)
    else:
        want.write(tmp_path / "want.csv")
        assert went.read_bytes() == (tmp_path / "want.csv").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_csv_columns_and_teacher_mode(tmp_path):
    out = tmp_path / "t.csv"
    assert run(["trace", "count-2", "--steps", "40", "--mode", "teacher", "--out", str(out)]) == 0
    first, *lines = out.read_text().splitlines(keepends=True)
    assert first.startswith("# rnnmem-tui trace: ") and json.loads(first.split(": ", 1)[1])["mode"] == "teacher"
    rows = list(csv.reader(lines))
    assert rows[0] == ["t", "symbol", "h0", "h1", "p_\\n", *(f"p_{c}" for c in "123456789c"), "held_h0", "held_h1"]
    assert len(rows) == 41 and rows[1][:2] == ["0", "\\n"]
    text = "".join("\n" if r[1] == "\\n" else r[1] for r in rows[1:])
    units = text[1:].split("\n")[:-1]
    assert units and all(u[1:] == "c" * int(u[0]) for u in units)  # the teacher feeds valid lines
    assert all(abs(sum(map(float, r[4:-2])) - 1) < 1e-6 and r[-2:] == ["", ""] for r in rows[1:])


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--out", "t.txt"], ".npz or .csv"),
        (["--zero", "9", "--out", "t.npz"], "out of range"),
        (["--steps", "0", "--out", "t.npz"], "--steps"),
        (["--mode", "type", "--out", "t.npz"], "--mode"),
    ],
)
def test_bad_trace_flags_fail_in_one_line(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.chdir(tmp_path)
    assert run(["trace", "count-2", *argv]) == 2  # an exit code, never SystemExit
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert not list(tmp_path.iterdir())


def test_an_existing_trace_is_kept_without_force(tmp_path, capsys):
    out = tmp_path / "t.npz"
    out.write_bytes(b"mine")
    assert run(["trace", "count-2", "--out", str(out)]) == 2
    assert out.read_bytes() == b"mine" and "--force" in capsys.readouterr().err
