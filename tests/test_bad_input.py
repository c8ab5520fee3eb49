"""The bad-input tier's table: every case we know of gets exit 2 (or 130), one line naming the problem, no
traceback, no file lost or changed, and the child within a stated memory bound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import children_cpu, cpu_of, interruptible, measured
from rnnmem_tui import limits
from rnnmem_tui.cli import run
from rnnmem_tui.limits import LimitError, available_memory, check_memory, human
from rnnmem_tui.paths import data_dir
from rnnmem_tui.recipes import settings_for
from rnnmem_tui.tasks import load_task
from rnnmem_tui.train import TrainConfig, population_bytes
from rnnmem_tui.weights import load

GRAMMAR = data_dir("weights") / "grammar-4.npz"
MEMORY_MIB = 300  # every refusal below: the child's peak resident memory (about 50-65 MiB to start and check)


def cli(*args: str, cwd=None, **popen) -> subprocess.CompletedProcess:
    """`rnnmem-tui ARGS` in a child, which must stay within MEMORY_MIB."""
    r, peak = measured(*args, cwd=cwd, **popen)
    assert peak < MEMORY_MIB, f"{args}: peak {peak:.0f} MiB"
    return r


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
    import rnnmem_tui.train as engine
    from rnnmem_tui.cells import CELLS
    from rnnmem_tui.tasks import load_task

    real, calls = CELLS["rnn"].stack_loss_and_grads, [0]

    def blow_up(*a, **k):
        loss, grads, h = real(*a, **k)
        calls[0] += 1
        return (loss * np.nan if calls[0] > 300 else loss), grads, h

    monkeypatch.setattr(CELLS["rnn"], "stack_loss_and_grads", blow_up)
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


# Output safety: no verb replaces a special file or a symlink, writes half a file, or loses a file.


def spec(folder: Path, text: str, name: str = "spec.toml") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def one_line(r: subprocess.CompletedProcess, says: str, code: int = 2) -> None:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code and "Traceback" not in r.stderr, r.stderr
    assert says in lines[-1] and lines[-1].startswith("rnnmem-tui"), r.stderr


SPECS = {  # the text of a bad task spec -> what the one line says
    "deep arrays": ("x = " + "[" * 5000 + "]" * 5000, "nests arrays or tables too deeply"),
    "deep tables": ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "nests arrays or tables too deeply"),
    "over 1 MiB": ('family = "count"\n#' + "x" * (1 << 20), "a task spec is at most 1 MiB"),
    "a carriage return": ('family = "grammar"\n[params]\nu = "\\r"', "u holds U+000D"),
    "a NUL": ('family = "grammar"\n[params]\nu = "\\u0000"', "u holds U+0000"),
    "DEL": ('family = "grammar"\n[params]\nu = "\\u007f"', "u holds U+007F"),
    "a C1 control": ('family = "grammar"\n[params]\nu = "\\u0085"', "u holds U+0085"),
    "a zero-width space": ('family = "grammar"\n[params]\nv = "\\u200b"', "v holds U+200B (ZERO WIDTH SPACE)"),
    "a combining mark": ('family = "grammar"\n[params]\nv = "\\u0301"', "v holds U+0301 (COMBINING ACUTE ACCENT)"),
    "a double-width symbol": ('family = "grammar"\n[params]\nw = "b\\u4e16"', "w holds U+4E16"),
}


@pytest.mark.parametrize("case", sorted(SPECS))
@pytest.mark.parametrize("verb", [["train", "--out", "net.npz"], ["sweep", "--hidden", "1"], ["explore"]])
def test_a_bad_spec_is_refused_in_one_line_by_every_verb(tmp_path, case, verb):
    text, says = SPECS[case]
    path = spec(tmp_path, text)
    argv = [path] if verb == ["explore"] else [verb[0], path, *verb[1:]]
    start = children_cpu()
    one_line(cli(*argv, cwd=tmp_path), says)
    assert children_cpu() - start < 10  # CPU seconds: refused at the spec, before any work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]  # nothing written


def test_symbols_a_spec_may_use_still_load(tmp_path):
    path = spec(tmp_path, 'family = "grammar"\n[params]\nu = "é"\nv = " "\nw = " é"\nn_min = 1\nn_max = 3\n')
    r = cli("train", path, "--hidden", "2", "--max-steps", "20", "--out", "net.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert cli("eval", str(tmp_path / "net.npz"), "--units", "50", "--seeds", "1").returncode == 0


@pytest.mark.parametrize("what", ["fifo", "link to a device", "broken link"])
def test_a_special_file_given_as_input_is_named_for_what_it_is(tmp_path, what):
    import os

    path = tmp_path / "x.npz"
    if what == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero" if what == "link to a device" else tmp_path / "nothing")
    says = {"fifo": "is a named pipe (FIFO)", "link to a device": "is a symbolic link to a character device"}
    one_line(cli("eval", str(path)), says.get(what, "is a symbolic link to nothing"))
    toml = tmp_path / "x.toml"
    os.mkfifo(toml)
    one_line(cli("train", str(toml), "--out", "n.npz", cwd=tmp_path), "is a named pipe (FIFO), not a task file")


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_symlink_destination_is_refused_and_its_target_kept(tmp_path, force):
    target = tmp_path / "precious.npz"
    target.write_bytes(b"keep me")
    (tmp_path / "link.npz").symlink_to(target)
    for argv in (["train", "count", "--max-steps", "5"], ["build-optimal", "count"], ["trace", "count-2"]):
        one_line(cli(*argv, "--out", str(tmp_path / "link.npz"), *force), "is a symbolic link")
    assert target.read_bytes() == b"keep me" and (tmp_path / "link.npz").is_symlink()


def test_as_root_no_verb_replaces_a_device_node(tmp_path):
    """A device of our own, made with mknod under the test's folder: /dev/null is never touched."""
    import os
    import stat

    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    dev = tmp_path / "null.npz"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for argv in (["train", "count", "--max-steps", "5"], ["build-optimal", "count"], ["trace", "count-2"]):
        one_line(cli(*argv, "--out", str(dev), "--force"), "is not a regular file")
    assert stat.S_ISCHR(os.stat(dev).st_mode)
    one_line(cli("calibrate", "count-2", "--out", str(dev), "--force"), "is not a regular file")
    one_line(cli("figures", "--out", str(dev), "--only", "opt"), "is a file")


def test_calibrate_checks_its_destination_before_working(tmp_path):
    """Not a table of ours: refused in a moment (calibrating took 44 s to 5 minutes before failing)."""
    theirs = tmp_path / "theirs.json"
    theirs.write_text('{"a": 1}\n')
    start = children_cpu()
    one_line(cli("calibrate", "count-2", "--out", str(theirs)), "is not a thresholds table of version")
    (tmp_path / "afile").write_text("x")
    one_line(cli("calibrate", "count-2", "--out", str(tmp_path / "afile" / "t.json")), "is a file, not a directory")
    assert children_cpu() - start < 15 and theirs.read_text() == '{"a": 1}\n'


def test_calibrate_missing_keeps_the_shapes_a_table_has(tmp_path):
    """--missing: a shape already in the table, with all its task's features, is not measured again (fill's
    gated shapes took 30 minutes to recompute the same numbers)."""
    import shutil

    from rnnmem_tui.nulls import SHIPPED

    table = tmp_path / "nulls.json"
    shutil.copy(SHIPPED, table)
    start = children_cpu()
    done = cli("calibrate", "fill-gru-10", "fill-lstm-10", "--out", str(table), "--missing")
    assert done.returncode == 0, done.stderr
    assert "2 shapes already in" in done.stderr and "0 shapes written" in done.stdout
    assert children_cpu() - start < 15 and table.read_bytes() == SHIPPED.read_bytes()


def test_a_thresholds_table_is_written_atomically_with_the_usual_mode(tmp_path):
    import os

    from rnnmem_tui.nulls import read_table, write_table
    from rnnmem_tui.paths import file_mode

    table = tmp_path / "t.json"
    write_table(table, {"count-2": {"printed": 0.5}})
    write_table(table, {"count-3": {"printed": 0.6}})  # merged, not replaced
    assert set(read_table(table)) == {"count-2", "count-3"}
    assert os.stat(table).st_mode & 0o777 == file_mode()  # 0644 under a 022 umask, not a temporary file's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def small_files(limit: int = 2000):
    """A child whose files cannot grow past `limit` bytes: every write past it fails as on a full disk."""
    import resource

    def limit_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


def test_figures_on_a_full_disk_name_the_file_and_leave_no_half_svg(tmp_path):
    r = cli("figures", "--out", str(tmp_path / "figs"), "--only", "opt", preexec_fn=small_files())
    one_line(r, "opt.svg: could not write it (File too large)")
    assert list((tmp_path / "figs").iterdir()) == []
    (tmp_path / "afile").write_text("x")
    one_line(cli("figures", "--out", str(tmp_path / "afile")), "is a file; --out names the folder")


def test_a_trace_on_a_full_disk_names_the_file_and_leaves_nothing(tmp_path):
    r = cli("trace", "count-2", "--steps", "5000", "--out", str(tmp_path / "t.csv"), preexec_fn=small_files())
    one_line(r, "t.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_diverging_run_says_so_without_numpy_warnings(tmp_path):
    r = cli("train", "count", "--hidden", "2", "--lr", "1e308", "--max-steps", "50", "--out", "n.npz", cwd=tmp_path)
    assert r.returncode == 0 and "diverged" in r.stdout + r.stderr and "Warning" not in r.stderr, r.stderr


# The explorer: a failed export is a notice, and Ctrl-C exits with 130 keeping a network trained in it.


def explorer(export_dir, **kw):
    from rnnmem_tui.app import ExplorerApp
    from rnnmem_tui.weights import load, task_for

    net = load("count-2")
    return ExplorerApp(net, task_for(net), source="count-2.npz", labels=[""] * net.hidden, export_dir=export_dir, **kw)


async def test_a_failed_export_is_a_notice_and_the_session_goes_on(tmp_path):
    (tmp_path / "afile").write_text("x")
    app = explorer(tmp_path / "afile" / "exports")  # a folder that cannot exist: every write fails
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.trained = True  # so that W saves
        for key in ("s", "E", "W"):  # the screen, the steps kept, the network
            await pilot.press(key)
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert sum("could not" in m and "exports" in m for m in notes) == 3, notes
        await pilot.press("n")  # the session goes on
        assert app.is_running and app.return_code is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


async def test_ctrl_c_exits_with_130_after_saving_a_network_trained_here(tmp_path):
    from rnnmem_tui.screens.explorer import ExploreScreen

    app = explorer(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ExploreScreen)
        screen.trained = True  # as after `--train`: nothing on disk yet
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130
    saved = list(tmp_path.glob("*.npz"))
    assert len(saved) == 1 and saved[0].name.startswith("count-2-trained")


def test_sigint_ends_the_explorer_on_a_terminal_with_130(tmp_path):
    """`kill -INT` (or Ctrl-C where the terminal sends a signal) as well as the key: exit 130, in a moment."""
    import os
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the explorer on a pseudo-terminal, SIGINT at its default
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "rnnmem_tui", "count", "--weights", "count-2", "--paused"])
    seen, deadline = b"", time.monotonic() + 60
    while b"PAUSED" not in seen.upper() and time.monotonic() < deadline:
        try:
            seen += os.read(fd, 65536)
        except OSError:
            break
    os.kill(pid, signal.SIGINT)
    start = time.monotonic()
    while True:
        try:
            if not os.read(fd, 65536):
                break
        except OSError:
            break
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130 and time.monotonic() - start < 10


# Resource bounds: a long trace streams to disk with flat memory and keeps what is done on Ctrl-C; a size that
# needs more disk or memory than the machine has is refused at once, in one line.

IMPORTED = "import resource, rnnmem_tui.cli; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
MB = 2**20
OVER_IMPORT = 100 * MB  # a trace's peak over the bare import (~15 MB here; the old code's 2e5 steps took ~140 MB)
GROWTH = 20 * MB  # from 10x fewer steps to 10x more (~2 MB here; the old code grew ~0.7 kB a step)

linux = pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in kB and /proc are Linux's")


def peak(*argv: str) -> int:
    """The peak memory in bytes of `rnnmem-tui ARGV` run in a child process, which must exit 0; with no
    ARGV, of the import alone."""
    if not argv:
        r = subprocess.run([sys.executable, "-c", IMPORTED], capture_output=True, text=True, timeout=60)
        return int(r.stdout.split()[-1])
    r, mib = measured(*argv, timeout=600)
    assert r.returncode == 0, r.stderr
    return int(mib * MB)


def flat(tmp_path, suffix: str, few: int, many: int) -> None:
    """A trace of `many` steps peaks no higher than one of `few`, give or take a block, and the file is whole."""
    base = peak()
    small, large = (
        peak("trace", "count-2", "--steps", str(n), "--out", str(tmp_path / f"t{n}{suffix}")) for n in (few, many)
    )
    assert large - small < GROWTH, f"{human(small)} at {few} steps, {human(large)} at {many}"
    assert large - base < OVER_IMPORT, f"{human(large)} at {many} steps, {human(base)} after the import alone"
    out = tmp_path / f"t{many}{suffix}"
    if suffix == ".npz":
        d = np.load(out, allow_pickle=False)
        assert d["symbols"].shape == (many,) and d["h"].shape == (many, 2) and d["p"].shape == (many, 11)
        assert d["symbols"].dtype == "<U1" and d["vocab"].shape == (11,) and d["clamped"].shape == (0, 2)
    else:
        with out.open() as f:
            assert sum(1 for _ in f) == many + 2  # the `# rnnmem-tui trace:` line, the header, a line per step


@linux
@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_trace_streams_with_flat_memory(tmp_path, suffix):
    flat(tmp_path, suffix, 20_000, 200_000)  # ~4 s each on 2 cores


@linux
@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_million_step_trace_streams_with_flat_memory(tmp_path, suffix):
    flat(tmp_path, suffix, 100_000, 1_000_000)  # ~20 s each; the old code peaked at ~750 MB here


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_ctrl_c_writes_the_steps_done_and_exits_130(tmp_path, suffix):
    out = tmp_path / f"t{suffix}"
    proc = interruptible("trace", "count-2", "--steps", "2000000", "--out", str(out))  # ~35 s in full
    assert "read" in proc.stderr.readline()
    time.sleep(1.0)
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.perf_counter() - start < 10
    assert proc.returncode == 130 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"interrupted: wrote {out}: ") and " of 2000000 steps" in err
    rows = int(err.split(": ")[2].split()[0])
    assert 0 < rows < 2_000_000
    if suffix == ".npz":
        d = np.load(out, allow_pickle=False)
        assert d["symbols"].shape == (rows,) and d["h"].shape == (rows, 2) and d["p"].shape == (rows, 11)
        assert np.allclose(d["p"].sum(axis=1), 1)
    else:
        with out.open() as f:
            assert sum(1 for _ in f) == rows + 2  # the `# rnnmem-tui trace:` line, the header, a line per step
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_trace_bigger_than_the_free_disk_is_refused_before_it_starts(tmp_path, monkeypatch, capsys, suffix):
    monkeypatch.setattr(limits.shutil, "disk_usage", lambda folder: SimpleNamespace(free=5 * 2**30))
    start = time.perf_counter()
    assert run(["trace", "count-2", "--steps", "100000000", "--out", str(tmp_path / f"t{suffix}")]) == 2
    assert time.perf_counter() - start < 5
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rnnmem-tui: error: --steps 100000000 needs about ") and "5.0 GiB free" in err[-1]
    assert len(err) == 2 and "Traceback" not in err  # `read PATH`, then the refusal
    assert not list(tmp_path.iterdir())


def test_eval_refuses_units_that_need_more_memory_than_the_machine_has():
    start = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "eval", "count-2", "--units", "1000000000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - start < 10
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert r.returncode == 2 and "Traceback" not in r.stderr and not r.stdout, r.stderr
    assert len(errors) == 1 and errors[0].startswith("rnnmem-tui: error: --units 1000000000 needs about ")
    assert "(half is the limit)" in errors[0]


def test_the_limits_say_sizes_in_one_line(monkeypatch):
    assert [human(n) for n in (512, 1536, 7.1 * 2**30, 164 * 2**30)] == ["512 B", "1.5 KiB", "7.1 GiB", "164 GiB"]
    monkeypatch.setattr(limits, "available_memory", lambda: 8 * 2**30)
    check_memory(4 * 2**30, "--units 1")
    with pytest.raises(LimitError, match=r"^--units 9 needs about 5.0 GiB of memory; .* 8.0 GiB available"):
        check_memory(5 * 2**30, "--units 9")
    assert limits.available_memory() > 0


# A huge population: one that cannot fit in memory is refused before any work, and Ctrl-C stops one within
# 2 s in every phase, with one line, keeping whole the files already saved.


def too_many() -> str:
    """A range of seeds whose population needs more than half of this machine's memory, by the estimate."""
    cfg = TrainConfig(hidden=2, max_steps=100, **settings_for("count", {}))
    last = next(
        n for n in (100_000, 999_999) if population_bytes(load_task("count"), cfg, n + 1) > available_memory() // 2
    )
    return f"0..{last}"


def test_a_population_too_big_for_memory_is_refused_before_any_work(tmp_path):
    out = tmp_path / "pop"
    seeds = too_many()
    cpu = children_cpu()
    r = subprocess.run(
        [sys.executable, "-m", "rnnmem_tui", "train", "count", "--hidden", "2", "--seeds", seeds, "--max-steps", "100"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert (
        "networks" in r.stderr and "--seeds" in r.stderr and "of memory" in r.stderr and "half is the limit" in r.stderr
    )
    assert not out.exists()  # not even the folder
    assert children_cpu() - cpu < 10  # CPU seconds: about 0.3, the start and the estimate


def tree_cpu(pid: int) -> float:
    """CPU seconds a running process, its live children and the children it has waited for have used so far
    (Linux: /proc); a child that has just ended counts as nothing (its parent's waited-for time has it)."""
    try:
        waited = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[13:15]
        children = (Path(f"/proc/{pid}/task") / str(pid) / "children").read_text().split()
        own = cpu_of(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return own + sum(map(int, waited)) / os.sysconf("SC_CLK_TCK") + sum(tree_cpu(int(c)) for c in children)


def ctrl_c(out: Path, seeds: str, phase: str, *flags: str, after: float = 0.0) -> tuple[int, str, float, float]:
    """Train a population of count networks into `out`, and press Ctrl-C `after` seconds once a line on stderr
    starts with `phase`. Returns the exit code, the stderr from the Ctrl-C on, and the CPU (of the run and its
    workers) and wall seconds the run took after it."""
    cpu = children_cpu()
    proc = interruptible("train", "count", "--hidden", "2", "--seeds", seeds, "--out", str(out), *flags)
    said = ""
    while not said.startswith(phase):
        said = proc.stderr.readline()
        assert said, f"it ended before {phase}"
    time.sleep(after)
    used, start = tree_cpu(proc.pid), time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    return proc.returncode, rest, children_cpu() - cpu - used, time.perf_counter() - start


def check_stopped(code: int, rest: str, cpu: float, wall: float, doing: str) -> str:
    """Exit 130 within 2 s (CPU seconds, however busy the machine; wall seconds with slack), with one line
    saying what it was doing; returns that line."""
    said = [line for line in rest.splitlines() if "interrupted" in line]
    assert code == 130 and "Traceback" not in rest and len(said) == 1, rest
    assert said[0].startswith(f"rnnmem-tui: interrupted while {doing};"), said
    assert cpu < 2 and wall < 10, (cpu, wall)
    return said[0]


def check_files(out: Path, total: int, line: str) -> list:
    """The files saved are as many as the line says, whole and loadable, with no temporary file left."""
    files = sorted(out.glob("count-2-s*.npz"))
    assert len(files) == (0 if "nothing was saved" in line else int(line.split("saved ")[1].split(" of ")[0]))
    assert f"of {total} networks" in line or not files
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    return [load(p).meta for p in files]


def test_ctrl_c_while_setting_up_a_population_stops_at_once(tmp_path):
    code, rest, cpu, wall = ctrl_c(tmp_path, "0..1999", "setting up 2000", "--jobs", "1")
    line = check_stopped(code, rest, cpu, wall, "setting up")
    assert line.endswith("nothing was saved") and check_files(tmp_path, 2000, line) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_while_training_a_population_saves_what_it_can_in_a_second(tmp_path, jobs):
    code, rest, cpu, wall = ctrl_c(
        tmp_path, "0..299", "training 300", "--max-steps", "100000", "--jobs", jobs, after=1.0
    )
    line = check_stopped(code, rest, cpu, wall, "training")
    for meta in check_files(tmp_path, 300, line):  # each one's best so far, without the verdict protocol's minutes
        assert meta.stopped_by == "interrupted" and meta.verdict is None


def test_ctrl_c_while_saving_a_population_keeps_the_files_written(tmp_path):
    code, rest, cpu, wall = ctrl_c(tmp_path, "0..299", "saving 300", "--max-steps", "1", "--jobs", "1", after=0.05)
    line = check_stopped(code, rest, cpu, wall, "saving")  # about 1 ms a file: some saved, most not
    assert line.endswith(("without their verdicts", "nothing was saved"))
    assert len(check_files(tmp_path, 300, line)) < 300


def test_ctrl_c_while_judging_a_population_keeps_every_file_and_the_verdicts_made(tmp_path):
    code, rest, cpu, wall = ctrl_c(tmp_path, "0..299", "judging:", "--max-steps", "1", "--jobs", "2")
    line = check_stopped(code, rest, cpu, wall, "judging")
    metas = check_files(tmp_path, 300, line)
    judged = int(line.split(", ")[-1].split()[0])
    assert len(metas) == 300 and 0 < judged < 300 and sum(m.verdict is not None for m in metas) == judged


def test_a_relu_network_whose_state_overflows_gets_a_defined_verdict_without_warnings(tmp_path):
    """An unbounded unit that overflows gives NaN probabilities: its units come out invalid and its steps count as
    wholly illegal, instead of a NaN bad mass and numpy's warnings."""
    from rnnmem_tui.metrics import judge, VerdictProtocol
    from rnnmem_tui.weights import task_for

    net = load(data_dir("weights") / "count-relu-2.npz")
    net.params["weight_hh"][:] = 50 * np.eye(2)
    net.params["bias_ih"][:] = 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = judge(net, task_for(net), VerdictProtocol(seeds=2, units=200))
    assert v.verdict == "misses" and v.validity == 0.0 and 0.5 < v.bad_mean <= 1.0 and v.bad_max == 1.0


def test_explain_says_when_the_state_overflows(tmp_path, capsys):
    """A ReLU file whose state reaches inf gets one warning line before its roles, not silent NaN measures."""
    from rnnmem_tui.weights import save

    net = load(data_dir("weights") / "count-relu-2.npz")
    net.params["weight_hh"][:] = 3 * np.eye(2)
    save(net, tmp_path / "blown.npz")
    assert run(["explain", str(tmp_path / "blown.npz"), "--streams", "2", "--units", "100"]) == 0
    out, err = capsys.readouterr()
    assert "nan" not in out and "(at an overflowed value)" in out  # the value a clamp holds, said, not NaN
    err = [line for line in err.splitlines() if "warning" in line]
    assert len(err) == 1 and err[0].startswith("rnnmem-tui: warning: the state overflows (inf or NaN) on ")
    assert run(["explain", "count-relu-2", "--streams", "2", "--units", "100"]) == 0
    assert "warning" not in capsys.readouterr().err
