"""The headless command line: each verb works, and bad input ends in one clear line and exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rnnmem_tui.cli import run
from rnnmem_tui.tasks import load_task
from rnnmem_tui.train import TrainConfig, train
from rnnmem_tui.weights import load, shipped

FILL_OPT = str(shipped("fill", optimal=True))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnmem_tui", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args, message", [
    (["eval", "missing.npz"], "missing.npz: no such weights file"),
    (["sample", FILL_OPT, "--zero", "10"], "neuron 10 is out of range"),
    (["sample", FILL_OPT, "--clamp", "3=2"], "VALUE in [-1, 1]"),
    (["sample", FILL_OPT, "--clamp", "3"], "NEURON=VALUE"),
    (["train", "chess", "--out", "x.npz"], "unknown task 'chess'"),
    (["build-optimal", "three-in-a-row", "--out", "x.npz"], "constructions for count, fill, grammar only"),
    (["eval", FILL_OPT, "--bogus"], "unrecognized arguments: --bogus"),
    (["--weights", "missing.npz"], "missing.npz: no such weights file"),
    (["explain", FILL_OPT, "--feature", "nope"], "unknown feature 'nope' for fill; its features: cell0 (cell 0 filled)"),
    (["explain", FILL_OPT, "--streams", "0"], "--streams and --units must be at least 1"),
    (["calibrate", "missing.npz"], "missing.npz: no such weights file"),
])
def test_bad_input_gets_one_clear_line_and_exit_2(args, message):
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("rnnmem-tui")


def test_corrupt_file_is_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00" * 64)
    r = cli("eval", str(bad))
    assert r.returncode == 2 and "not an .npz" in r.stderr and "Traceback" not in r.stderr


def test_every_command_has_help():
    for verb in ("train", "eval", "sample", "build-optimal", "bench"):
        r = cli(verb, "--help")
        assert r.returncode == 0 and "usage: rnnmem-tui " + verb in r.stdout


def test_eval_json_reports_the_metrics_and_verdict(capsys):
    assert run(["eval", FILL_OPT, "--json", "--units", "200"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["validity"] == 1.0 and row["meets"] is True and row["hidden"] == 10


def test_sample_prints_games_as_rows_and_zeroing_breaks_them(capsys):
    run(["sample", FILL_OPT, "--n", "60", "--seed", "1"])
    out = capsys.readouterr()
    assert "invalid" not in out.out and out.out.splitlines()[0].count(" ") == 9
    run(["sample", FILL_OPT, "--n", "300", "--seed", "1", "--zero", "4"])
    out = capsys.readouterr()
    assert "<- invalid" in out.out and "neuron 4 zeroed" in out.err


def test_build_optimal_and_train_write_loadable_files(tmp_path, capsys):
    assert run(["build-optimal", "fill", "--out", str(tmp_path / "opt.npz")]) == 0
    assert load(tmp_path / "opt.npz").meta["metrics"]["validity"] == 1.0
    assert run(["train", "count", "--hidden", "2", "--max-steps", "30", "--out",
                str(tmp_path / "c.npz")]) == 0
    net = load(tmp_path / "c.npz")
    assert net.meta["command"].startswith("rnnmem-tui train count") and net.meta["seed"] == 0
    assert net.meta["trainer"]["hidden"] == 2 and "validity" in net.meta["metrics"]


def test_training_is_deterministic_under_a_seed():
    task = load_task("count")
    cfg = TrainConfig(hidden=2, seed=3, max_steps=40, eval_symbols=10_000)
    a, b = train(task, cfg).net, train(task, cfg).net
    for k, v in a.params.items():
        assert np.array_equal(v, b.params[k])


def test_interrupt_keeps_the_best_network():
    task = load_task("count")
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        if calls["n"] > 60:
            raise KeyboardInterrupt
        return False

    r = train(task, TrainConfig(hidden=2, eval_symbols=20_000), should_stop=stop)
    assert r.interrupted and r.best is not None and r.steps == 60


def test_ctrl_c_saves_the_best_network_and_exits_cleanly(tmp_path):
    import signal
    import time

    out = tmp_path / "c.npz"
    proc = subprocess.Popen([sys.executable, "-m", "rnnmem_tui", "train", "count-reverse", "--hidden", "2",
                             "--max-seconds", "60", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # past start-up and the first validation
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stdout
    assert load(out).meta["steps"] > 0
