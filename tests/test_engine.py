"""The one training engine: recipes as configurations, refused flags, populations, seeds, the typed meta."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
import sys

import numpy as np
import pytest

from helpers import interruptible
from rnnmem_tui import recipes
from rnnmem_tui.cli import run
from rnnmem_tui.meta import Meta
from rnnmem_tui.model import RNN
from rnnmem_tui.seeds import parse_seeds
from rnnmem_tui.tasks import TaskError, load_task
from rnnmem_tui.train import TrainConfig, clip_grads, global_norm, train, train_population
from rnnmem_tui.weights import WeightsError, load, save, shipped


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnmem_tui", *args], capture_output=True, text=True, timeout=120)


def same_network(a, b) -> bool:
    return all(np.array_equal(v, getattr(b, k)) for k, v in a.params.items())


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--recipe", "lines", "--anneal", "0.5"], "--recipe lines does not use --anneal"),
        (["--recipe", "lines", "--no-carry"], "--recipe lines does not use --no-carry"),
        (["--batch", "0"], "argument --batch: must be in 1..4096, got 0"),
        (["--clip-norm", "-1"], "argument --clip-norm: must be at least 0"),
        (["--seeds", "3..1"], "argument --seeds: wants N"),
        (["--seeds", "a,b"], "argument --seeds: wants N"),
        (["--seed", "1", "--seeds", "2"], "give --seed or --seeds, not both"),
    ],
)
def test_a_flag_a_recipe_does_not_use_is_refused_in_one_line(tmp_path, flags, message):
    r = cli("train", "grammar", *flags, "--out", str(tmp_path / "g.npz"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("rnnmem-tui") and not (tmp_path / "g.npz").exists()


def test_every_recipe_honours_what_it_takes_and_records_only_that():
    lines = TrainConfig(recipe="lines")
    assert (lines.batch, lines.window, lines.init_scale) == (128, 80, 0.5)
    assert {"anneal", "carry", "eval_symbols"}.isdisjoint(lines.settings())
    windows = TrainConfig(batch=8)
    assert windows.settings()["batch"] == 8 and windows.settings()["carry"] is True
    with pytest.raises(ValueError, match="does not use --anneal"):
        TrainConfig(recipe="lines", anneal=0.5)
    cfg = TrainConfig(
        hidden=3, recipe="lines", batch=16, window=30, max_steps=60, val_units=50, optimizer="adagrad", clip_norm=1.0
    )
    assert train(load_task("grammar"), cfg).net.meta.trainer == cfg.settings()


def test_a_falling_rate_follows_its_cosine_over_the_budget_and_a_constant_one_is_not_recorded(monkeypatch):
    falling = lambda end, step, budget: recipes.cosine(1.0, step, budget, floor=end)  # noqa: E731
    assert falling(0.1, 0, 100) == 1.0 and falling(0.1, 100, 100) == pytest.approx(0.1)
    assert falling(0.1, 50, 100) == pytest.approx(0.55) and falling(0.1, 500, 100) == pytest.approx(0.1)
    assert "decay" not in TrainConfig().settings() and TrainConfig(decay=0.1).settings()["decay"] == 0.1
    with pytest.raises(ValueError, match="does not use --decay"):
        TrainConfig(recipe="lines", decay=0.1)
    seen = []  # the rates each update was given
    from rnnmem_tui import train as engine

    real = engine.Adam.step
    monkeypatch.setattr(engine.Adam, "step", lambda self, P, g, lr: (seen.append(float(lr[0])), real(self, P, g, lr)))
    cfg = TrainConfig(hidden=2, lr=0.01, decay=0.25, max_steps=40, val_units=20, eval_symbols=10**9)
    train(load_task("count"), cfg)
    assert len(seen) == 40
    assert seen[0] == pytest.approx(0.01 * falling(0.25, 0, 40)) and seen[-1] < seen[0]
    assert seen[-1] == pytest.approx(0.01 * falling(0.25, 39, 40))


def test_the_task_table_gives_defaults_and_flags_override_it(monkeypatch):
    spec = {"family": "grammar", "train": {"recipe": "lines", "lr": 0.02, "batch": 64}}
    monkeypatch.setattr(recipes, "load_spec", lambda name: spec)
    assert recipes.settings_for("grammar", {}) == {"recipe": "lines", "lr": 0.02, "batch": 64}
    assert recipes.settings_for("grammar", {"lr": 0.01})["lr"] == 0.01
    assert recipes.settings_for("grammar", {"recipe": "windows"}) == {"recipe": "windows"}  # not its recipe
    spec["train"] = {"recipe": "lines", "anneal": 0.5}
    with pytest.raises(TaskError, match=r"bad \[train\] table.*does not use --anneal"):
        recipes.settings_for("grammar", {})


def test_a_cell_s_own_table_overrides_the_task_s_for_that_cell_alone(monkeypatch):
    spec = {"family": "count", "train": {"lr": 0.02, "margin": 0.4, "relu": {"lr": 0.01, "carry": False}}}
    monkeypatch.setattr(recipes, "load_spec", lambda name: spec)
    assert recipes.settings_for("count", {}) == {"lr": 0.02, "margin": 0.4}
    assert recipes.settings_for("count", {"cell": "relu"}) == {
        "lr": 0.01,
        "margin": 0.4,
        "carry": False,
        "cell": "relu",
    }
    assert recipes.settings_for("count", {"cell": "relu", "lr": 0.05})["lr"] == 0.05  # a flag still wins
    spec["train"]["tanh"] = {"lr": 0.01}
    with pytest.raises(TaskError, match=r"\[train.tanh\] names no cell"):
        recipes.settings_for("count", {})
    spec["train"] = {"gru": {"speed": 2}}
    with pytest.raises(TaskError, match=r"bad \[train.gru\] table"):
        recipes.settings_for("count", {})  # checked whichever cell runs
    spec["train"] = {"lstm": {"hidden": 3}}
    with pytest.raises(TaskError, match=r"\[train.lstm\] table may not set hidden"):
        recipes.settings_for("count", {"cell": "lstm"})


def test_the_relu_cell_s_initialisation_settings_belong_to_it_alone(monkeypatch):
    """--identity and --init-bias shape a ReLU network's first weights (W_hh = d I, every input bias + b); at
    their defaults the weights are IRNN's, bit for bit; any other cell, or a [train] table for every cell,
    refuses them; a file's meta keeps them only when set."""
    from rnnmem_tui.cells import CELLS

    V, rng = 3, lambda: np.random.default_rng(4)
    irnn = CELLS["relu"].init(5, V, rng(), 0.3)
    assert all(
        np.array_equal(v, TrainConfig(hidden=5, cell="relu", init_scale=0.3).init(V, rng())[k]) for k, v in irnn.items()
    )
    mine = TrainConfig(hidden=5, cell="relu", init_scale=0.3, identity=0.9, init_bias=0.2).init(V, rng())
    assert np.array_equal(mine["weight_hh"], 0.9 * np.eye(5)) and np.array_equal(mine["bias_ih"], irnn["bias_ih"] + 0.2)
    assert np.array_equal(mine["weight_ih"], irnn["weight_ih"])  # the same draws otherwise
    with pytest.raises(ValueError, match="--identity applies to the relu cell only, not gru"):
        TrainConfig(cell="gru", identity=0.9)
    assert "identity" not in TrainConfig(cell="relu").settings()
    assert TrainConfig(cell="relu", init_bias=0.2).settings()["init_bias"] == 0.2
    spec = {"family": "grammar", "train": {"relu": {"identity": 0.9, "init_bias": 0.2}}}
    monkeypatch.setattr(recipes, "load_spec", lambda name: spec)
    assert recipes.settings_for("grammar", {"cell": "relu"})["identity"] == 0.9
    assert "identity" not in recipes.settings_for("grammar", {"cell": "gru"})
    spec["train"] = {"identity": 0.9}
    with pytest.raises(TaskError, match=r"bad \[train\] table: --identity applies to the relu cell only"):
        recipes.settings_for("grammar", {"cell": "relu"})


def test_clipping_by_global_norm_is_per_network():
    rng = np.random.default_rng(0)
    grads = {
        "a": rng.standard_normal((3, 4, 4)) * [[[10.0]], [[0.01]], [[3.0]]],
        "b": rng.standard_normal((3, 4)) * [[1.0], [0.01], [1.0]],
    }
    before = {k: v.copy() for k, v in grads.items()}
    norms = global_norm(grads)
    clip_grads(grads, clip=0.0, clip_norm=1.0)
    after = global_norm(grads)
    assert after[0] == pytest.approx(1.0, rel=1e-5) and after[2] == pytest.approx(1.0, rel=1e-5)
    assert np.array_equal(grads["a"][1], before["a"][1]) and norms[1] < 1  # under the bound: untouched
    clip_grads(grads, clip=0.1, clip_norm=0.0)
    assert max(np.abs(g).max() for g in grads.values()) <= 0.1


@pytest.mark.slow  # trains a population and each network alone
def test_a_population_trains_each_network_exactly_as_it_trains_alone():
    task = replace(load_task("count"), target={"validity": 0.6})  # within reach of a short run
    cfgs = [
        TrainConfig(hidden=2, seed=s, lr=lr, max_steps=800, eval_symbols=40_000)
        for s, lr in ((0, 0.05), (1, 0.05), (2, 0.02))
    ]
    together = train_population(task, cfgs)
    assert any(r.stopped_by == "target" for r in together)  # one left the computation early
    for cfg, r in zip(cfgs, together):
        alone = train(task, cfg)
        assert same_network(r.net, alone.net), cfg
        assert (r.steps, r.stopped_by, r.best) == (alone.steps, alone.stopped_by, alone.best)
        assert r.net.meta.seed == cfg.seed and r.net.meta.trainer["lr"] == cfg.lr


@pytest.mark.slow  # trains populations twice
def test_full_checks_that_wait_to_be_sampled_together_change_nothing(monkeypatch):
    """A population samples its members' full checks (and the validations that can no longer change their
    training) in batches, after the members trained on; each member still stops where it stops alone, with
    the same network, figures and reports."""
    import rnnmem_tui.train as engine
    from rnnmem_tui.metrics import Protocol

    task = replace(load_task("count"), target={"validity": 0.97})  # many checks that fail first
    cfgs = [TrainConfig(hidden=2, seed=s, max_steps=1200, eval_symbols=40_000) for s in (0, 2, 3)]
    alone = [train(task, cfg) for cfg in cfgs]
    batches, sample = [], engine.evaluate_many

    def spy(nets, task, protocols):
        if protocols and protocols[0].units == Protocol().units:
            batches.append(len(nets))
        return sample(nets, task, protocols)

    later = []

    class Waiting(engine.Waiting):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            later.append(self.scores is None)

    monkeypatch.setattr(engine, "evaluate_many", spy)
    monkeypatch.setattr(engine, "Waiting", Waiting)
    monkeypatch.setattr(engine, "DEFER", 300)
    together = train_population(task, cfgs)
    assert max(batches) > 1  # checks waited and were sampled together
    assert any(later)  # so did validations of networks that had annealed
    assert {r.stopped_by for r in together} == {"target", "steps"}  # one left early; the best of the others counts
    for a, r in zip(alone, together):
        assert same_network(r.net, a.net)
        assert (r.steps, r.stopped_by, r.best, r.net.meta.confirmation) == (
            a.steps,
            a.stopped_by,
            a.best,
            a.net.meta.confirmation,
        )
        assert [(p.step, p.scores, p.best) for p in r.history] == [(p.step, p.scores, p.best) for p in a.history]


def test_a_population_of_whole_line_learners_matches_them_alone():
    task = load_task("grammar")
    cfgs = [
        TrainConfig(hidden=3, seed=s, recipe="lines", batch=8, window=30, max_steps=40, val_units=30) for s in (4, 5)
    ]
    for cfg, r in zip(cfgs, train_population(task, cfgs)):
        assert same_network(r.net, train(task, cfg).net)


def test_networks_trained_together_must_share_their_shape():
    with pytest.raises(ValueError, match="share every setting but --seed and --lr"):
        train_population(load_task("count"), [TrainConfig(hidden=2), TrainConfig(hidden=3, seed=1)])


def test_train_seeds_writes_one_file_per_seed_with_the_population_command(tmp_path, capsys):
    out = tmp_path / "pop"
    assert run(["train", "count", "--hidden", "2", "--seeds", "3,5", "--max-steps", "40", "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["count-2-s3.npz", "count-2-s5.npz"]
    for name, seed in zip(files, (3, 5)):
        meta = load(out / name).meta
        assert meta.seed == seed and "--seeds 3,5" in meta.command and meta.verdict["verdict"] == "misses"
        alone = train(load_task("count"), TrainConfig(hidden=2, seed=seed, max_steps=40))
        assert same_network(load(out / name), alone.net)


def test_a_population_folder_is_checked_before_training(tmp_path):
    (tmp_path / "plain").write_text("keep me")
    r = cli("train", "count", "--seeds", "2", "--max-steps", "100000", "--out", str(tmp_path / "plain"))
    assert r.returncode == 2 and "is a file" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "pop").mkdir()
    (tmp_path / "pop" / "count-2-s1.npz").write_bytes(b"an earlier network")
    r = cli("train", "count", "--seeds", "2", "--max-steps", "100000", "--out", str(tmp_path / "pop"))
    assert r.returncode == 2 and "count-2-s1.npz: already exists" in r.stderr and "step" not in r.stderr
    assert (tmp_path / "pop" / "count-2-s1.npz").read_bytes() == b"an earlier network"
    assert not (tmp_path / "pop" / "count-2-s0.npz").exists()
    r = cli("train", "count", "--seeds", "2", "--out", "/proc/pop")
    assert r.returncode == 2 and "/proc/pop: cannot create the folder" in r.stderr


@pytest.mark.parametrize("text, seeds", [("3", [0, 1, 2]), ("2..4", [2, 3, 4]), ("7,1,3", [7, 1, 3]), ("0..0", [0])])
def test_seeds_have_one_form(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["0", "-1", "4..2", "1,1", "x", "1..", ""])
def test_bad_seeds_name_the_flag(text):
    with pytest.raises(ValueError, match="--seeds wants"):
        parse_seeds(text)


@pytest.mark.slow  # runs two sweeps
def test_sweep_takes_the_same_seeds_and_a_list_of_rates(capsys):
    def sweep() -> list:
        assert (
            run(
                [
                    "sweep",
                    "count",
                    "--hidden",
                    "2",
                    "--seeds",
                    "2..2",
                    "--lr",
                    "0.02,0.05",
                    "--max-steps",
                    "300",
                    "--json",
                    "--jobs",
                    "1",
                ]
            )
            == 0
        )
        rows = json.loads(capsys.readouterr().out)["sizes"]
        return [{k: v for k, v in r.items() if k != "seconds"} for row in rows for r in row["runs"]]

    first = sweep()
    assert sorted((r["seed"], r["lr"]) for r in first) == [(2, 0.02), (2, 0.05)]
    assert first == sweep()
    r = cli("sweep", "count", "--seeds", "x")
    assert r.returncode == 2 and "argument --seeds: wants" in r.stderr and "Traceback" not in r.stderr
    r = cli("sweep", "count", "--lr", "0.1,fast")
    assert r.returncode == 2 and "argument --lr: wants" in r.stderr and "Traceback" not in r.stderr


def test_meta_round_trips_and_records_how_the_file_was_made(tmp_path):
    net = train(load_task("count"), TrainConfig(hidden=2, max_steps=30)).net
    meta = net.meta
    assert meta.version and meta.numpy == np.__version__ and meta.blas and meta.machine
    assert meta.source.startswith(("git:", "sha256:")) and meta.stopped_by == "steps" and meta.steps == 30
    assert Meta.from_json(meta.to_json()) == meta
    assert load(save(net, tmp_path / "c.npz")).meta == meta
    d = json.loads(meta.to_json())
    assert d["min_count"] == 1 and d["task"] == "count" and d["hidden"] == 2  # the contract's flat keys


def test_old_plain_dict_metas_still_load():
    old = load(shipped("grammar", optimal=True)).meta
    assert old.construction and old.extra["lam"] > 0 and old.params["n_max"] == 10 and old.version is None
    assert json.loads(old.to_json())["lam"] == old.extra["lam"]
    trained = load(shipped("count")).meta
    assert trained.trainer["lr"] == 0.05 and trained.seed == 0 and trained.params == {"min_count": 1, "max_count": 9}


def test_a_meta_whose_hidden_disagrees_with_the_arrays_is_refused(tmp_path):
    net = load(shipped("count"))
    net.meta.hidden = 3
    with pytest.raises(WeightsError, match="meta says hidden=3 but the arrays have 2 neurons"):
        load(save(net, tmp_path / "c.npz"))


@pytest.mark.parametrize("name", ["count", "count-reverse", "fill", "fill-4x4", "three-in-a-row", "grammar"])
def test_a_task_s_index_stream_is_its_units_encoded(name):
    from rnnmem_tui.model import encode

    task = load_task(name)
    for seed in range(3):
        fast = task.generate_indices(np.random.default_rng(seed), 40)
        slow = encode(task.vocab, "".join(task.generate(np.random.default_rng(seed), 40)))
        assert np.array_equal(fast, slow)


def test_evaluating_networks_together_gives_each_its_own_figures():
    from rnnmem_tui.metrics import Protocol, evaluate, evaluate_many

    task = load_task("fill")
    nets = [
        load(shipped("fill")),
        load(shipped("fill", optimal=True)),
        RNN.init(10, task.vocab, np.random.default_rng(1)),
    ]
    nets.append(RNN.init(10, task.vocab, np.random.default_rng(0), 3.0))  # one that rambles to the cap
    protocols = [Protocol(units=200, bad_units=20, seed=s) for s in range(4)]
    assert evaluate_many(nets, task, protocols) == [evaluate(n, task, p) for n, p in zip(nets, protocols)]


def test_a_population_over_two_processes_gives_the_same_networks():
    from rnnmem_tui.parallel import train_parallel

    cfgs = [TrainConfig(hidden=2, seed=s, max_steps=300) for s in range(3)]
    alone = train_parallel(load_task("count"), cfgs, jobs=1)
    split = train_parallel(load_task("count"), cfgs, jobs=2, command="c")
    for a, b in zip(alone, split):
        assert (a.steps, a.stopped_by, a.best) == (b.steps, b.stopped_by, b.best) and b.net.meta.command == "c"
        for k in a.net.params:
            np.testing.assert_array_equal(a.net.params[k], b.net.params[k])


def test_judging_networks_together_gives_each_its_verdict():
    from rnnmem_tui.metrics import VerdictProtocol, judge, judge_many

    task = load_task("count")
    nets = [load(shipped("count")), load(shipped("count", optimal=True))]
    nets += [RNN.init(2, task.vocab, np.random.default_rng(s), 1.0) for s in range(2)]
    vp = VerdictProtocol(seeds=3, units=300, bad_units=20)
    assert judge_many(nets, task, vp) == [judge(n, task, vp) for n in nets]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_saves_every_member_s_best_and_exits_cleanly(tmp_path, jobs):
    import signal

    proc = interruptible(
        "train",
        "count-reverse",
        "--hidden",
        "2",
        "--seeds",
        "2",
        "--max-steps",
        "1000000",
        "--jobs",
        jobs,
        "--out",
        str(tmp_path),
    )
    first = ""
    while "step" not in first:  # the progress bar's first line comes after the first validation
        first += proc.stderr.readline()
        assert proc.poll() is None, first
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in first + rest, first + rest
    assert stdout.count("interrupted after") == 2 and "saved 2 of 2 networks (the best so far)" in rest
    for seed in (0, 1):  # saved at once, without the verdict protocol's minutes
        meta = load(tmp_path / f"count-reverse-2-s{seed}.npz").meta
        assert meta.steps > 0 and meta.stopped_by == "interrupted" and meta.seed == seed and not meta.verdict


def test_train_with_no_recipe_flags_follows_the_task_s_table(tmp_path, monkeypatch, capsys):
    from rnnmem_tui.tasks import load_spec

    spec = load_spec("grammar") | {"train": {"recipe": "lines", "batch": 16, "window": 30, "clip_norm": 1.0}}
    monkeypatch.setattr(recipes, "load_spec", lambda name: spec)
    assert (
        run(
            [
                "train",
                "grammar",
                "--hidden",
                "3",
                "--max-steps",
                "30",
                "--window",
                "40",
                "--out",
                str(tmp_path / "g.npz"),
            ]
        )
        == 0
    )
    used = load(tmp_path / "g.npz").meta.trainer
    assert (used["recipe"], used["batch"], used["window"], used["clip_norm"]) == ("lines", 16, 40, 1.0)
    assert "anneal" not in used and used["max_steps"] == 30


def test_throughput_times_updates_only():
    from rnnmem_tui.cli.bench import throughput

    wall, cpu = throughput(load_task("count"), 10, 2, 20)
    assert wall > 0 and cpu > 0


def test_windows_are_full_even_when_every_unit_is_the_shortest():
    """The batch source draws units by an estimate of their length; streams of short units draw more."""
    from rnnmem_tui.model import encode
    from rnnmem_tui.recipes import Windows

    task = load_task("grammar")
    shortest, usual, calls = encode(task.vocab, "ba\n"), task.generate_indices, [0]

    def some_streams_short(rng, n):  # every other stream gets only the shortest line, n = 0
        calls[0] += 1
        return np.tile(shortest, n) if calls[0] % 2 else usual(rng, n)

    task.generate_indices = some_streams_short
    source = Windows(task, np.random.default_rng(0), batch=4, window=32)
    for i in range(200):
        X, Y = source.next(i)
        assert X.shape == Y.shape == (4, 32)


@pytest.mark.slow  # judges in worker processes
def test_judging_over_two_processes_gives_the_same_verdicts():
    from rnnmem_tui.metrics import judge_many
    from rnnmem_tui.parallel import judge_parallel

    task = load_task("count")
    nets = [RNN.init(2, task.vocab, np.random.default_rng(s), 1.0) for s in range(3)]
    assert judge_parallel(nets, task, 2) == judge_many(nets, task)


def test_a_population_s_files_are_named_as_the_shipped_ones_with_their_cell(tmp_path):
    from rnnmem_tui.cli.train import member_paths

    names = lambda cell: [p.name for p in member_paths("count", cell, 2, str(tmp_path / cell), False, [0, 3])]  # noqa: E731
    assert names("rnn") == ["count-2-s0.npz", "count-2-s3.npz"]
    assert names("gru") == ["count-gru-2-s0.npz", "count-gru-2-s3.npz"]
