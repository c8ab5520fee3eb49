"""Sweeps on a Dask cluster: a scheduler and a worker on localhost give the same table as the local pool."""

from __future__ import annotations

import json
import signal
import time

import pytest

from helpers import interruptible
from rnnmem_tui.cli import run

pytestmark = pytest.mark.slow  # a Dask scheduler and worker, and a 10 s connection timeout

distributed = pytest.importorskip("distributed")  # the [dask] extra (the [test] extra includes it)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a scheduler with one worker process, on a free port of localhost."""
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, scheduler_port=0, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def sweep(capsys, *more: str) -> list[dict]:
    assert run(["sweep", "count", "--hidden", "1..3", "--seeds", "2", "--max-steps", "200", "--json", *more]) == 0
    rows = json.loads(capsys.readouterr().out)["sizes"]
    return sorted(
        ({k: v for k, v in r.items() if k != "seconds"} for row in rows for r in row["runs"]),
        key=lambda r: (r["hidden"], r["seed"]),
    )


def test_a_sweep_on_a_local_cluster_gives_the_local_pool_s_table(capsys, scheduler):
    remote = sweep(capsys, "--scheduler", scheduler)
    local = sweep(capsys)
    assert [(r["hidden"], r["seed"]) for r in local] == [(h, s) for h in (1, 2, 3) for s in (0, 1)]
    assert remote == local


def test_ctrl_c_cancels_the_cluster_s_futures(scheduler):
    p = interruptible(
        "sweep", "count", "--hidden", "1..4", "--seeds", "2", "--max-steps", "20000", "--scheduler", scheduler
    )
    with distributed.Client(scheduler) as client:
        deadline = time.time() + 60
        while not any(client.processing().values()) and time.time() < deadline:  # the jobs are running
            time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err
        deadline = time.time() + 10
        while any(client.processing().values()) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(client.processing().values())  # nothing left running on the worker


def test_an_unreachable_scheduler_is_one_line(capsys):
    argv = ["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "10", "--scheduler", "tcp://127.0.0.1:9"]
    assert run(argv) == 2  # after distributed's 10 s of retries
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the scheduler" in err[0]
