"""Tasks from the user's own TOML file: they train from their path, the weights carry the spec, bad specs get one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rnnmem_tui.cli import run
from rnnmem_tui.tasks import TaskError, load_task
from rnnmem_tui.weights import load, task_for

XY = """# S -> xSy | yx, n <= 4: x^n y x y^n
family = "grammar"
hidden = 3

[params]
u = "x"
v = "y"
w = "yx"
n_min = 0
n_max = 4
"""


def test_a_user_grammar_trains_from_its_path_and_evaluates_from_another_directory(tmp_path, monkeypatch, capsys):
    home, away = tmp_path / "home", tmp_path / "away"
    home.mkdir(), away.mkdir()
    (home / "xy.toml").write_text(XY)
    monkeypatch.chdir(home)
    task = load_task("./xy.toml")
    assert task.name == "xy" and task.is_valid("xxyxyy\n") and not task.is_valid("aababb\n")
    assert task.target == {"validity": 0.99, "tvd": 0.1}  # no [target]: the default
    assert run(["train", "./xy.toml", "--max-steps", "200", "--out", "xy.npz"]) == 0
    net = load(home / "xy.npz")
    assert net.hidden == 3 and net.meta.spec == "xy" and net.meta.target == {"validity": 0.99, "tvd": 0.1}
    assert net.meta.command == "rnnmem-tui train ./xy.toml --max-steps 200 --out xy.npz"
    (home / "xy.toml").unlink()  # the file alone is enough from now on
    monkeypatch.chdir(away)
    capsys.readouterr()
    assert run(["eval", str(home / "xy.npz"), "--json", "--seeds", "2", "--units", "300"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["task"] == "xy" and row["target"] == {"validity": 0.99, "tvd": 0.1} and 0 <= row["validity"] <= 1
    assert task_for(load(home / "xy.npz")).language == task.language


def test_a_spec_with_its_own_target_and_the_new_families_defaults(tmp_path):
    (tmp_path / "d.toml").write_text('family = "dyck"\n[params]\nn_max = 3\n[target]\nvalidity = 0.95\n')
    task = load_task(str(tmp_path / "d.toml"))
    assert task.target == {"validity": 0.95} and task.params == {"n_min": 1, "n_max": 3, "max_depth": 4}
    assert task.is_valid("(())()\n") and not task.is_valid("(()))(\n") and not task.is_valid("()()()()\n")


def test_sweep_and_build_optimal_take_a_path(tmp_path, capsys):
    spec = tmp_path / "c.toml"
    spec.write_text('family = "count"\n[params]\nmin_count = 1\nmax_count = 4\n')
    assert run(["sweep", str(spec), "--hidden", "1", "--seeds", "1", "--max-steps", "50", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "c"
    assert run(["build-optimal", str(spec), "--out", str(tmp_path / "c.npz")]) == 0
    net = load(tmp_path / "c.npz")
    assert net.meta.params == {"min_count": 1, "max_count": 4} and net.meta.verdict["verdict"] == "meets"


@pytest.mark.parametrize(
    "text, message",
    [
        ('family = "chess"\n', "family: unknown task family 'chess'"),
        ('famly = "grammar"\n', "unknown key 'famly'"),
        ("[params]\nn_max = 3\n", "missing key 'family'"),
        ('family = "grammar"\n[params]\nn_min = 0\nn_max = 99\n', "[params] n_max must be in 0..50, got 99"),
        ('family = "grammar"\n[params]\nn_min = 0\nn_max = "four"\n', "[params] n_max must be a whole number"),
        ('family = "grammar"\n[params]\nn_min = 0\nn_max = 3\nk = 1\n', "[params] unknown parameter(s) k"),
        ('family = "grammar"\n[params]\nn_min = 0\nn_max = 3\nu = "x"\nv = "x"\nw = "yx"\n', "must differ"),
        ('family = "dyck"\n[params]\nmax_depth = 11\n', "[params] max_depth must be in 1..10, got 11"),
        ('family = "dyck"\n[target]\nvalidity = 1.5\n', "[target] validity must be a number in 0..1"),
        ('family = "dyck"\n[target]\naccuracy = 0.9\n', "[target] accuracy: unknown bound"),
        ('family = "dyck"\nparams = 3\n', "params must be a table"),
        ('family = "dyck\n', "not valid TOML"),
    ],
)
def test_a_bad_spec_gets_one_line_naming_the_key(tmp_path, text, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    with pytest.raises(TaskError, match=None) as e:
        load_task(str(spec))
    assert message in str(e.value) and str(spec) in str(e.value) and "\n" not in str(e.value)
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "train", str(spec), "--out", str(tmp_path / "x.npz")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.npz").exists()


def test_a_missing_spec_file_is_named(tmp_path):
    with pytest.raises(TaskError, match="nope.toml: no such task file"):
        load_task(str(tmp_path / "nope.toml"))


def test_the_explorer_takes_a_spec_path_and_a_file_made_from_one(tmp_path, monkeypatch, capsys):
    from rnnmem_tui.cli import run_explorer
    from rnnmem_tui.cli.explore import explorer, parse
    from rnnmem_tui.explore import prepare

    (tmp_path / "xy.toml").write_text(XY)
    monkeypatch.chdir(tmp_path)
    assert run_explorer(["./xy.toml"]) == 2
    assert "nothing is shipped for it; give --train" in capsys.readouterr().err
    options = prepare(parse(explorer, ["./xy.toml", "--train", "--max-steps", "5"]))
    assert options["task"].name == "xy" and options["train"].hidden == 3
    assert run(["train", "./xy.toml", "--hidden", "2", "--max-steps", "5", "--out", "xy.npz"]) == 0
    (tmp_path / "xy.toml").unlink()
    options = prepare(parse(explorer, ["xy", "--weights", "xy.npz"]))  # what `--weights xy.npz` becomes
    assert options["task"].name == "xy" and options["net"].hidden == 2
    capsys.readouterr()
    assert run(["--weights", "xy.npz"]) == 2  # every check passes; only the terminal is missing here
    assert "the explorer needs a terminal" in capsys.readouterr().err
