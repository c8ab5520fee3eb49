"""The bad-input tier's table: every case we know of gets exit 2 (or 130), one line naming the problem, no
traceback, and no file lost or changed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import children_cpu, cpu_of, interruptible
from rnnmem_tui.paths import data_dir

GRAMMAR = data_dir("weights") / "grammar-4.npz"


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def variant(folder, name: str, meta: dict | None = None, **arrays) -> str:
    """grammar-4.npz with some meta keys and arrays changed."""
    files = dict(np.load(GRAMMAR, allow_pickle=False))
    files.update(arrays)
    files["meta"] = np.array(json.dumps({**json.loads(str(files["meta"])), **(meta or {})}))
    path = folder / name
    np.savez(path, **files)
    return str(path)


FILES = {  # name -> (meta changes, array changes, what the message says)
    "task-list": ({"task": ["grammar"]}, {}, "unknown task ['grammar']"),
    "empty-uv": ({"u": "", "v": ""}, {}, "u must be a non-empty string"),
    "h0": (
        {"hidden": 0},
        {"Wxh": np.zeros((0, 3)), "Whh": np.zeros((0, 0)), "Why": np.zeros((3, 0)), "bh": np.zeros(0)},
        "a network has 1 to 4096",
    ),
    "n-max": ({"n_max": 3000}, {}, "n_max must be in 0..50"),
    "spec-number": ({"spec": 5}, {}, "spec must be a task name"),
    "whh-5000": ({}, {"Whh": np.zeros((5000, 5000))}, "Whh holds 5000 neurons"),
    "unknown-param": ({"rows": 3}, {}, "unknown parameter(s) rows"),
}


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("verb", ["eval", "sample", "explain", "ablate"])
def test_bad_files_are_refused_by_every_verb(tmp_path, name, verb):
    meta, arrays, says = FILES[name]
    path = variant(tmp_path, f"{name}.npz", meta, **arrays)
    start = children_cpu()
    r = cli(verb, path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert says in r.stderr and r.stderr.strip().splitlines()[-1].startswith("rnnmem-tui")
    assert children_cpu() - start < 30  # CPU seconds: refused without working through the file


@pytest.mark.parametrize(
    "args, says",
    [
        (["train", "count", "--batch", "0", "--out", "x.npz"], "argument --batch: must be in 1..4096, got 0"),
        (["train", "count", "--window", "0", "--out", "x.npz"], "argument --window"),
        (["train", "count", "--hidden", "100000", "--out", "x.npz"], "argument --hidden: must be in 1..1024"),
        (["train", "count", "--lr", "nan", "--out", "x.npz"], "argument --lr: must be a finite number"),
        (["train", "count", "--max-seconds", "nan", "--out", "x.npz"], "argument --max-seconds"),
        (["sample", "count-2", "--n", "1000000000"], "argument --n: must be in 1..100000000"),
        (["sample", "count-2", "--n", "-5"], "argument --n"),
        (["sample", "count-2", "--seed", "-1"], "argument --seed"),
        (["sample", "count-2", "--temperature", "0"], "argument --temperature: must be above 0"),
        (["sample", "count-2", "--temperature", "nan"], "argument --temperature"),
        (["sample", "count-2", "--zero", "0", "--clamp", "0=0.5"], "neuron 0 is given more than one"),
        (["eval", "count-2", "--units", "0"], "argument --units: must be at least 1"),
        (["sweep", "count", "--hidden", "12..1"], "12..1 is an empty range"),
        (["sweep", "count", "--hidden", "2,2"], "lists size 2 twice"),
        (["sweep", "count", "--seeds", "0"], "argument --seeds"),
        (["sweep", "count", "--record", "runs.txt"], "runs.txt: a search record is a .jsonl file"),
        (["--weights"], "--weights needs a PATH"),
        (["evaluate", "count-2"], "did you mean eval?"),
        (["eval", str(data_dir("weights"))], "is a directory"),
    ],
)
def test_bad_flags_get_one_line_naming_the_problem(args, says, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert says in lines[-1] and "Traceback" not in r.stderr and lines[-1].startswith("rnnmem-tui")
    assert not any(tmp_path.iterdir())  # nothing written


def test_eval_prints_the_good_rows_then_the_error(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    r = cli("eval", "count-2", str(tmp_path / "bad.npz"), "--units", "300", "--seeds", "2")
    assert r.returncode == 2 and "count-2" in r.stdout and "not an .npz" in r.stderr


def test_a_file_in_the_current_folder_wins_over_the_shipped_one_and_the_file_read_is_named(tmp_path):
    mine = variant(tmp_path, "count-2.npz")  # a grammar network under a shipped count network's name
    r = cli("eval", "count-2", "--units", "300", "--seeds", "1", "--json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)[0]["task"] == "grammar"
    assert f"read {'count-2.npz'}" in r.stderr or f"read {mine}" in r.stderr


def test_sample_streams_its_output():
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnmem_tui", "sample", "count-2", "--n", "10000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first = proc.stdout.readline()
    used = cpu_of(proc.pid)  # CPU seconds until the first line, however busy the machine
    proc.kill()
    proc.communicate()
    assert first[0].isdigit() and used < 5  # about 1 s: the start and one line, not 10 million symbols


def test_ctrl_c_stops_a_sweep_at_once_with_what_is_finished():
    proc = interruptible("sweep", "count", "--hidden", "1..30", "--seeds", "1", "--max-steps", "400", "--json")
    for line in proc.stderr:  # wait until some runs are done
        if "runs" in line and not line.split("]")[-1].strip().startswith("0/"):
            break
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.perf_counter() - start < 10  # about 0.3 s quiet; the sweep's unfinished runs would take far longer
    assert proc.returncode == 130 and "Traceback" not in err and "interrupted" in err
    done = json.loads(out)
    assert done["interrupted"] and 0 < len(done["sizes"]) < 30


def test_a_diverging_run_stops_and_keeps_a_finite_network(monkeypatch):
    from rnnmem_tui import train as engine
    from rnnmem_tui.tasks import load_task

    real, calls = engine.stack_loss_and_grads, [0]

    def blow_up(*a, **k):
        loss, grads, h = real(*a, **k)
        calls[0] += 1
        return (loss * np.nan if calls[0] > 300 else loss), grads, h

    monkeypatch.setattr(engine, "stack_loss_and_grads", blow_up)
    r = engine.train(load_task("count"), engine.TrainConfig(hidden=2, max_steps=1000))
    assert r.stopped_by == "diverged" and r.steps == 300
    assert all(np.isfinite(v).all() for v in r.net.params.values())


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_destination_that_is_not_a_regular_file_is_never_replaced(tmp_path, force):
    """`--out /dev/null --force` as root would rename a file over the device; a pipe stands in for it here."""
    import os
    import stat

    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    for argv in (["train", "count", "--max-steps", "5"], ["build-optimal", "count"], ["trace", "count-2"]):
        r = cli(*argv, "--out", str(pipe), *force)
        assert r.returncode == 2 and "is not a regular file" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_saving_over_a_special_file_is_refused_at_the_moment_of_writing(tmp_path):
    import os

    from rnnmem_tui.paths import PathError, write_atomically

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(PathError, match="not a regular file"):
        write_atomically(pipe, lambda f: f.write(b"x"))
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_two_runs_saving_onto_one_path_both_keep_their_network(tmp_path):
    """The second run finds the name taken at the moment of saving, and saves to the next free name."""
    from rnnmem_tui.paths import write_atomically

    dest = tmp_path / "same.npz"
    first = write_atomically(dest, lambda f: f.write(b"seed 0"), replace=False)
    second = write_atomically(dest, lambda f: f.write(b"seed 1"), replace=False)
    assert (first, second) == (dest, tmp_path / "same-2.npz")
    assert dest.read_bytes() == b"seed 0" and second.read_bytes() == b"seed 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same-2.npz", "same.npz"]  # no temporary file left


@settings(max_examples=10, deadline=None)
@given(writers=st.integers(2, 6))
def test_writers_racing_for_one_destination_all_survive(writers):
    import tempfile
    import threading

    from rnnmem_tui.paths import write_atomically

    with tempfile.TemporaryDirectory() as folder:
        dest, went, start = Path(folder) / "net.npz", [], threading.Barrier(writers)

        def write(i: int) -> None:
            start.wait()
            went.append(write_atomically(dest, lambda f: f.write(f"network {i}".encode()), replace=False))

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(went)) == writers
        assert sorted(p.read_text() for p in went) == sorted(f"network {i}" for i in range(writers))


def test_each_crash_report_is_a_new_file_that_follows_no_link(tmp_path, monkeypatch, capsys):
    import tempfile

    from rnnmem_tui.bugs import report_bug

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "rnnmem-tui-crash.txt").symlink_to(target)
    assert report_bug(ValueError("first")) == report_bug(ValueError("second")) == 1
    lines = capsys.readouterr().err.splitlines()
    files = [line.split("the traceback is in ")[1].split(";")[0] for line in lines]
    assert len(set(files)) == 2 and all(Path(f).parent == tmp_path for f in files)
    assert "ValueError: first" in Path(files[0]).read_text() and target.read_text() == "keep me"
