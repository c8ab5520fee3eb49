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
    "fill-4x4-17.npz": {"validity": 0.99, "bad_mean": 0.01},  # meets at 40,000 updates (5 of 20 runs)
    "three-in-a-row-30.npz": {"validity": 0.99, "bad_mean": 0.01},
    "three-in-a-row-13.npz": {"validity": 0.99, "bad_mean": 0.01},
    "three-in-a-row-11.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest at target in 20,000 updates
    "three-in-a-row-10.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest at target: 66,500 updates
    "three-in-a-row-optimal-17.npz": {"validity": 1.0, "bad_max": 1e-3},
    "grammar-optimal-4.npz": {"validity": 1.0, "tvd": 0.1},
    "dyck-5.npz": {"validity": 0.99, "tvd": 0.1},  # the formal families: the smallest trained sizes found
    "anbncn-4.npz": {"validity": 0.99, "tvd": 0.1},
    "parity-5.npz": {"validity": 0.99, "tvd": 0.1},
    "count-gru-1.npz": {"validity": 0.99, "tvd": 0.05},  # the other cells (issue 25): the smallest sizes found
    "count-lstm-2.npz": {"validity": 0.99, "tvd": 0.05},
    "count-relu-2.npz": {"validity": 0.99, "tvd": 0.05},
    "count-relu-1.npz": {"validity": 0.99, "tvd": 0.05},
    "count-lstm-1.npz": {"validity": 0.99, "tvd": 0.05},
    "grammar-gru-4.npz": {"validity": 0.99, "tvd": 0.1},
    "grammar-gru-3.npz": {"validity": 0.99, "tvd": 0.1},
    "grammar-lstm-3.npz": {"validity": 0.99, "tvd": 0.1},
    "dyck-gru-5.npz": {"validity": 0.99, "tvd": 0.1},  # issue 26: the smallest searched sizes that meet
    "dyck-lstm-5.npz": {"validity": 0.99, "tvd": 0.1},
    "dyck-gru-4.npz": {"validity": 0.99, "tvd": 0.1},
    "anbncn-gru-4.npz": {"validity": 0.99, "tvd": 0.1},
    "anbncn-gru-3.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest GRU and LSTM sizes that meet
    "anbncn-lstm-4.npz": {"validity": 0.99, "tvd": 0.1},
    "anbncn-lstm-2.npz": {"validity": 0.99, "tvd": 0.1},
    "grammar-relu-7.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest where the ReLU defaults meet 9 of 10
    "grammar-relu-3.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest size where some ReLU run meets
    "count-reverse-gru-2.npz": {"validity": 0.99, "tvd": 0.05},  # the smallest gated sizes that meet (2 at 40,000)
    "count-reverse-gru-3.npz": {"validity": 0.99, "tvd": 0.05},  # the smallest at the default budget
    "count-reverse-lstm-2.npz": {"validity": 0.99, "tvd": 0.05},  # 2 at 40,000 updates
    "count-reverse-lstm-3.npz": {"validity": 0.99, "tvd": 0.05},  # the smallest at the default budget
    "anbncn-relu-4.npz": {"validity": 0.99, "tvd": 0.1},  # with anbncn's [train.relu], 10 of 10 meet at 4
    "anbncn-relu-3.npz": {"validity": 0.99, "tvd": 0.1},  # and 13 of 60 runs at 3, the smallest that meets
    "dyck-lstm-4.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest LSTM size that meets (0 of 60 at 3)
    "three-in-a-row-relu-30.npz": {"validity": 0.99, "bad_mean": 0.01},  # three-in-a-row's [train.relu]: 10 of 10
    "grammar-lstm-2.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest LSTM size that meets
    "fill-gru-10.npz": {"validity": 0.99, "bad_mean": 0.01},  # the study's size; 9 is not searched for the GRU
    "fill-lstm-10.npz": {"validity": 0.99, "bad_mean": 0.01},  # the study's size (9 meets too: 2 of 10 runs)
    "dyck-4.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest tanh sizes that meet (dyck at 30,500 updates)
    "parity-4.npz": {"validity": 0.99, "tvd": 0.1},
    "fill-relu-30.npz": {"validity": 0.99, "bad_mean": 0.01},  # fill's [train.relu]: 10 of 10 at 30
    "fill-lstm-9.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest LSTM size that meets (2 of 10)
    "parity-gru-3.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest gated sizes that meet (0 of 60 at 2)
    "parity-lstm-3.npz": {"validity": 0.99, "tvd": 0.1},
    "parity-relu-6.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest ReLU size that meets at 20,000 updates
    "parity-relu-5.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest that meets: at 40,000 updates (0 of 20 at 4)
    # count-reverse-relu-3 and -4 meet under the verdict protocol (10 streams), which the meta's figures hold;
    # their stream 0 alone falls just short (validity 0.989; TVD 0.052), so they have no row here.
    "dyck-relu-8.npz": {"validity": 0.99, "tvd": 0.1},  # the smallest ReLU size searched that meets
    "three-in-a-row-gru-30.npz": {"validity": 0.99, "bad_mean": 0.01},  # the gated cells' only searched size: 10 of 10
    "three-in-a-row-lstm-30.npz": {"validity": 0.99, "bad_mean": 0.01},
    "fill-4x4-16.npz": {"validity": 0.99, "bad_mean": 0.01},  # the smallest tanh size that meets (2 of 60 runs)
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
    """The figures in each file's meta (and so in the results pages, docs/results/) come back under the standard protocol."""
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


TRAINED = [n for n in SHIPPED if load(data_dir("weights") / n).meta.seed is not None]
QUICK = ("count-2.npz",)  # the rest are rerun in the slow tier


@pytest.mark.parametrize("name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in TRAINED])
def test_a_rerun_of_the_recorded_settings_keeps_the_promise(name):
    """A shipped file's recorded settings (meta.trainer, not today's defaults) trained again, in a process that
    asks for the recorded arithmetic: the same bits where it got it (a file trained under the pin asks for the
    X86_V3 loops and Haswell kernels, which any x86 CPU with AVX2 and FMA runs; an older one for its AVX-512
    targets). On another CPU model the rerun is held to the verdict and its interval; one that breaks them is
    an expected failure that says what differed, since a file picked near the target need not keep its
    verdict on another draw."""
    from rnnmem_tui.repro import rerun

    r = rerun(load(data_dir("weights") / name))
    if not r.expects_same_bits and r.mismatches():
        pytest.xfail(f"another arithmetic ({'; '.join(r.unlike)}) gave {'; '.join(r.mismatches())}")
    assert r.mismatches() == [], r.unlike


def run_python(code: str, **env: str) -> str:
    """What a fresh interpreter prints, with this environment less numpy's and OpenBLAS's settings, plus env."""
    import os
    import subprocess
    import sys

    from rnnmem_tui.arith import OWN

    base = {k: v for k, v in os.environ.items() if k not in OWN}
    return subprocess.run(
        [sys.executable, "-c", code], env=base | env, capture_output=True, text=True, check=True
    ).stdout


SIMD = "import rnnmem_tui, numpy; from rnnmem_tui.arith import fingerprint as f; print(f()['simd'], f()['blas_core'])"


def test_a_process_runs_the_pinned_arithmetic_and_a_user_s_own_setting_wins():
    from rnnmem_tui.arith import pinnable

    if not pinnable():
        pytest.skip("not an x86 CPU with AVX2 and FMA")
    assert run_python(SIMD).split() == ["X86_V3", "Haswell"]
    assert run_python(SIMD, NPY_DISABLE_CPU_FEATURES="X86_V3").split() == ["baseline", "Haswell"]


def test_a_rerun_asks_for_the_recorded_simd_targets_and_kernel():
    from rnnmem_tui.arith import env_for

    env = env_for({"simd": "X86_V3 X86_V4 AVX512_ICL", "blas_core": "SkylakeX"})
    assert env["NPY_DISABLE_CPU_FEATURES"] == "AVX512_SPR" and env["OPENBLAS_CORETYPE"] == "SkylakeX"
    assert env_for({"simd": "X86_V3"})["NPY_DISABLE_CPU_FEATURES"] == "X86_V4 AVX512_ICL AVX512_SPR"


def faked(unlike_machine: bool):
    """count-2 beside a copy of itself whose last weight is one ulp off, with the recorded arithmetic faked
    to be this machine's, or an Intel Xeon's."""
    import copy

    import numpy as np

    from rnnmem_tui.arith import differences, fingerprint
    from rnnmem_tui.repro import Rerun

    shipped = load(data_dir("weights") / "count-2.npz")
    for k, v in fingerprint().items():
        setattr(shipped.meta, k, v)
    if unlike_machine:
        shipped.meta.machine = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz (x86_64)"
    again = copy.deepcopy(shipped)
    again.by[-1] = np.nextafter(again.by[-1], np.inf)
    return Rerun(shipped, again, differences(shipped.meta.as_dict()))


def test_the_recorded_machine_s_rerun_is_held_to_the_bits():
    r = faked(unlike_machine=False)
    assert r.expects_same_bits and r.mismatches() == ["by"]


def test_another_machine_s_rerun_is_held_to_the_verdict_and_its_interval():
    r = faked(unlike_machine=True)
    assert not r.expects_same_bits and r.unlike[0].startswith("machine: 'Intel(R) Xeon(R)")
    assert r.mismatches() == []  # the weights may differ there
    r.again.meta.verdict = {**r.again.meta.verdict, "validity_interval": [0.2, 0.3]}
    assert r.mismatches() == ["validity intervals [0.991076, 0.992649] and [0.2, 0.3]"]
    r.again.meta.verdict = {**r.shipped.meta.verdict, "verdict": "undecided"}
    assert r.mismatches() == ["verdict meets -> undecided"]


def test_a_file_older_than_the_fingerprint_is_held_to_the_verdict():
    """A file that did not record its BLAS kernel or numpy's SIMD targets cannot promise the same bits."""
    from rnnmem_tui.arith import differences

    meta = load(data_dir("weights") / "count-2.npz").meta.as_dict()
    meta.pop("simd", None)
    assert [d.split(":")[0] for d in differences(meta)][-1] == "simd"


def test_a_rerun_is_refused_for_a_hand_built_file():
    from rnnmem_tui.repro import rerun

    with pytest.raises(ValueError, match="hand-built"):
        rerun(load(data_dir("weights") / "count-optimal-2.npz"))


@pytest.mark.parametrize("name", TRAINED)
def test_the_recorded_command_gives_the_recorded_settings_under_today_s_defaults(name):
    """A task's [train] table may change; a shipped file's command then names what it needs, so that rerunning
    it trains with the recorded settings, and it writes into weights/."""
    from rnnmem_tui.repro import settings_of

    meta = load(data_dir("weights") / name).meta
    assert settings_of(meta.command) == meta.trainer
    assert meta.command.endswith(f"--out weights/{name}")


def test_the_shortest_command_is_found_for_settings_today_s_defaults_would_change():
    from dataclasses import replace

    from rnnmem_tui.repro import command_for

    meta = load(data_dir("weights") / "fill-10.npz").meta
    changed = replace(meta, trainer={**meta.trainer, "lr": 0.05, "carry": False})
    assert command_for(changed, "x.npz") == (
        "rnnmem-tui train fill --hidden 10 --seed 0 --no-carry --lr 0.05 --out x.npz"
    )


def test_a_recorded_command_is_read_by_each_setting_s_own_type():
    from rnnmem_tui.repro import settings_of

    got = settings_of("rnnmem-tui train fill --hidden 10 --seed 3 --lr 1e-05 --batch 64 --no-carry --out x.npz")
    assert (got["lr"], got["batch"], got["carry"], got["seed"]) == (1e-05, 64, False, 3)
    assert isinstance(got["lr"], float) and isinstance(got["batch"], int)
