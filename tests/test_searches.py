"""Size searches as records: the shipped searches read from their text, the success-rate bound, sweep --record,
and the files that must be refused in one line."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from rnnmem_tui.cli import run, study
from rnnmem_tui.meta import source_id
from rnnmem_tui.searches import (
    CHECKPOINTS,
    Record,
    SearchError,
    append,
    binomial_cdf,
    from_text,
    load,
    save,
    summary,
    upper_bound,
)

SEARCHES = Path(__file__).resolve().parent.parent / "docs" / "searches"
TEXTS = sorted(SEARCHES.glob("*.txt"))
# a row of a sweep's summary table: H best median meets undecided misses
SIZE_ROW = re.compile(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)$")
RUN = Record(
    task="count",
    cell="rnn",
    hidden=2,
    seed=0,
    lr=0.02,
    recipe="windows",
    budget=20000,
    curve=None,
    verdict="misses",
    validity=0.5,
    validity_interval=(0.49, 0.51),
    updates=20000,
    code="git:0000000000000000000000000000000000000000",
    superseded=False,
    command="rnnmem-tui sweep count --hidden 2",
)


def summary_tables(text: str) -> dict[str, dict[int, tuple]]:
    """Each sweep command's summary table as the text prints it: size -> (best, median, meets, undecided, misses)."""
    tables, command = {}, None
    for line in text.splitlines():
        if line.startswith("$ "):
            command = line[2:] if " sweep " in line else None
            if command:
                tables[command] = {}
        elif command and (m := SIZE_ROW.match(line)):
            h, best, median, *counts = m.groups()
            tables[command][int(h)] = (float(best), float(median), *map(int, counts))
    return tables


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_each_search_read_from_its_text_gives_its_summary_table(path):
    records = from_text(path.read_text(), "git:x")
    tables = summary_tables(path.read_text())
    assert tables, "every search has a sweep"
    for command, table in tables.items():
        runs = [replace(r, superseded=False) for r in records if r.command == command]  # counted as printed
        got = {s.hidden: s for s in summary(runs)}
        assert sorted(got) == sorted(table), command
        for h, (best, median, meets, undecided, misses) in table.items():
            s = got[h]
            assert (s.meets, s.undecided, s.misses) == (meets, undecided, misses), (command, h)
            # the table rounds to 3 places what the runs print to 4
            assert s.best == pytest.approx(best, abs=6e-4) and s.median == pytest.approx(median, abs=6e-4)
    for r in records:
        assert r.updates is None or r.updates <= r.budget
        assert f"--max-steps {r.budget}" in r.command and r.task == shlex.split(r.command)[2]


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_each_shipped_record_file_is_its_text_read(path):
    records = load(path.with_suffix(".jsonl"))
    assert records == from_text(path.read_text(), records[0].code)
    assert re.fullmatch(r"git:[0-9a-f]{40}", records[0].code) and {r.code for r in records} == {records[0].code}


def test_the_runs_before_round_2_are_superseded_and_no_others():
    for path in TEXTS:
        text = path.read_text()
        records = load(path.with_suffix(".jsonl"))
        before = text.split("# Round 2")[0] if "# Round 2" in text else ""
        assert all(r.superseded == (f"$ {r.command}\n" in before) for r in records), path.name
    dyck = load(SEARCHES / "dyck.jsonl")
    # dyck 5's 17 records are 13 runs: four seeds were trained again on a larger budget, and count once
    assert {(s.hidden, s.meets, s.runs) for s in summary(dyck)} == {(5, 2, 13), (6, 5, 8)}
    assert len([r for r in dyck if r.hidden == 5 and not r.superseded]) == 17


def test_clopper_pearson_upper_bounds():
    assert upper_bound(0, 15) == pytest.approx(0.1810, abs=5e-5)
    assert upper_bound(0, 60) == pytest.approx(0.0487, abs=5e-5)
    assert upper_bound(3, 20) == pytest.approx(0.3437, abs=5e-5)
    for n in (1, 3, 15, 60, 400):
        assert upper_bound(0, n) == pytest.approx(1 - 0.05 ** (1 / n), abs=1e-9)
    assert upper_bound(5, 5) == 1.0 and binomial_cdf(3, 20, upper_bound(3, 20)) == pytest.approx(0.05, abs=1e-9)
    assert upper_bound(0, 15) < upper_bound(1, 15) < upper_bound(2, 15)
    with pytest.raises(ValueError):
        upper_bound(3, 2)


def test_a_size_with_no_run_that_meets_gets_its_bound_and_superseded_runs_do_not_count():
    runs = [replace(RUN, seed=s) for s in range(15)]
    (size,) = summary(runs + [replace(RUN, seed=99, verdict="meets", validity=0.995, superseded=True)])
    assert (size.runs, size.meets, size.misses, size.best) == (15, 0, 15, 0.5)
    assert size.upper == pytest.approx(0.1810, abs=5e-5)
    (size,) = summary(runs + [replace(RUN, seed=99, verdict="meets", validity=0.995, validity_interval=(0.99, 1.0))])
    assert (size.meets, size.upper, size.best) == (1, None, 0.995)


def test_sweep_records_each_run_and_appends_to_its_own_file(tmp_path, capsys):
    dest = tmp_path / "deep" / "count.jsonl"
    args = ["sweep", "count", "--hidden", "1..2", "--seeds", "1", "--max-steps", "30", "--record", str(dest)]
    assert run(args) == 0
    records = load(dest)
    assert sorted(r.hidden for r in records) == [1, 2]
    for r in records:
        assert (r.task, r.cell, r.budget, r.seed, r.superseded) == ("count", "rnn", 30, 0, False)
        assert r.code == source_id() and "--record" in r.command and 0 < r.updates <= 30
        assert len(r.curve) == CHECKPOINTS and list(r.curve) == sorted(r.curve)
    assert run(args) == 0  # the same search again: every run is in the record already
    assert load(dest) == records and "2 runs were already in" in capsys.readouterr().out
    assert run([*args[:5], "0..1", *args[6:]]) == 0  # one more seed: only its runs are trained and appended
    assert load(dest)[:2] == records and sorted((r.hidden, r.seed) for r in load(dest)[2:]) == [(1, 1), (2, 1)]


def test_a_sweep_of_another_cell_or_other_settings_reuses_no_recorded_run(tmp_path, capsys):
    dest = tmp_path / "count.jsonl"
    args = ["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(dest)]
    assert run(args) == 0 and run([*args, "--cell", "gru"]) == 0 and run([*args, "--margin", "0.3"]) == 0
    assert [r.cell for r in load(dest)] == ["rnn", "gru", "rnn"] and "--margin 0.3" in load(dest)[2].command
    assert "already in" not in capsys.readouterr().out
    assert run([*args, "--margin", "0.4"]) == 0 and len(load(dest)) == 3  # count's own margin: the same run
    assert "already in" in capsys.readouterr().out


def test_a_resumed_search_shows_the_recorded_runs_without_their_unrecorded_figures(tmp_path, capsys):
    dest = tmp_path / "s.jsonl"
    args = ["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(dest), "--runs"]
    assert run(args) == 0
    first = capsys.readouterr().out
    assert run(args) == 0 and run([*args, "--json"]) == 0
    again, as_json = capsys.readouterr().out.split("\n{", 1)
    row = lambda out: next(line for line in out.splitlines() if line.startswith("1\t0\t"))  # noqa: E731
    assert row(first).split("\t")[:5] == row(again).split("\t")[:5] and row(again).split("\t")[5] == "-"
    assert json.loads("{" + as_json)["sizes"][0]["runs"][0]["tvd"] is None


def test_a_search_resumes_over_runs_recorded_without_a_curve(tmp_path, capsys):
    """Runs that `train` recorded keep no curve: a sweep resumed over them reuses them, and leaves them out of
    its median curve, as the report leaves them out of a size's growth."""
    dest = tmp_path / "s.jsonl"
    args = ["sweep", "count", "--hidden", "1", "--seeds", "0..1", "--max-steps", "30", "--record", str(dest)]
    assert run(args) == 0
    first, second = load(dest)
    save(dest, [replace(first, curve=None), second])
    assert run([*args, "--grow-to", "60"]) == 0
    out = capsys.readouterr().out
    assert "2 runs were already in" in out and "internal error" not in out
    runs = [{"curve": None, "validity": 0.9}, {"curve": [[10, 0.2], [30, 0.4]], "validity": 0.5}]
    assert [med for _, med, _ in study.curve(runs, 30)][-1] == 0.4  # the curveless run is left out
    assert study.curve(runs[:1], 30) == [(30, 0.9, 0.9)]  # none has a curve: one point at the budget's end


def test_a_budget_doubles_until_the_median_curve_flattens():
    def runs(h, budget, gain):  # two runs whose curve rises by `gain` over the last half
        curve = [[budget * k // 8, 0.5 + (gain if k > 4 else 0.0)] for k in range(1, 9)]
        return [{"hidden": h, "budget": budget, "verdict": "misses", "curve": curve} for _ in range(2)]

    notes = []
    got = study.grown(
        {1: 100, 2: 100, 3: 400}, runs(1, 100, 0.01) + runs(2, 100, 0.004) + runs(3, 400, 0.1), 400, notes
    )
    assert got == {1: 200}
    assert (
        notes[0].endswith("doubled to 200") and notes[1].endswith(": flat") and "the most --grow-to allows" in notes[2]
    )
    met = [dict(r, verdict="meets") for r in runs(1, 100, 0.5)]
    assert study.grown({1: 100}, met, 400, []) == {}  # every run met: nothing to grow


def test_the_sizes_page_calls_a_curve_rising_as_the_sweep_does():
    """The median curve, not the median of each run's gain: two flat runs and one that rises between them
    gain nothing in the median of their gains, yet their median curve rises, and the sweep doubles the budget."""
    from rnnmem_tui.report import rising

    steps = [[0.3] * 8, [0.7] * 8, [0.4] * 4 + [0.6] * 4]
    early = replace(RUN, budget=10000, curve=(0.9,) * 8)  # a smaller budget's runs are left out
    got = [replace(RUN, curve=tuple(c)) for c in steps] + [early]
    assert rising(got).startswith("still rising (the median curve gained +0.2000 over the second half of 20000")
    history = [[[20000 * (k + 1) // 8, v] for k, v in enumerate(c)] for c in steps]
    rows = [{"hidden": 2, "budget": 20000, "verdict": "misses", "curve": h} for h in history]
    assert study.grown({2: 20000}, rows, 40000, []) == {2: 40000}
    assert rising([replace(RUN, curve=(0.5,) * 8)]).startswith("flat") and rising([RUN]) == "unrecorded"


def test_each_recipe_of_a_size_is_judged_on_its_own_curve():
    """A size searched with both recipes: the windows runs flat at 160,000 updates hide nothing of the lines
    runs still rising at 20,000; the page names each recipe, and its growth is its own."""
    from rnnmem_tui.report import rising
    from rnnmem_tui.searches import growths

    flat = [replace(RUN, budget=160000, curve=(0.5,) * 8, seed=k) for k in range(3)]
    lines = [replace(RUN, recipe="lines", curve=(0.1,) * 4 + (0.4,) * 4, seed=k) for k in range(3)]
    assert growths(flat + lines) == {"lines": (20000, pytest.approx(0.3)), "windows": (160000, 0.0)}
    said = rising(flat + lines)
    assert said.startswith("lines: still rising (the median curve gained +0.3000 over the second half of 20000")
    assert "; windows: flat (the median curve gained +0.0000 over the second half of 160000" in said
    assert rising(flat) == rising(flat[:1])  # one recipe: no recipe named


def test_a_rounds_record_names_the_command_that_reruns_it():
    made = {"command": "rnnmem-tui sweep fill --hidden 8 --max-steps 20000 --grow-to 160000 --record s.jsonl"}
    assert (
        study.round_command(made, {"budget": 40000})
        == "rnnmem-tui sweep fill --hidden 8 --record s.jsonl --max-steps 40000"
    )


def test_a_sweep_interrupted_keeps_the_runs_of_the_sizes_that_finished(tmp_path, monkeypatch, capsys):
    def first_then_ctrl_c(workers, jobs):
        yield study.run_job(jobs[0])  # the largest size comes first
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "local_results", first_then_ctrl_c)
    dest = tmp_path / "s.jsonl"
    args = ["sweep", "count", "--hidden", "1..2", "--seeds", "2", "--max-steps", "30", "--record", str(dest)]
    assert run(args) == 130
    assert [(r.hidden, r.seed) for r in load(dest)] == [(2, 0), (2, 1)]
    assert dest.read_text().endswith("}\n")


def test_a_last_line_cut_short_is_reported_with_the_runs_kept(tmp_path):
    path = tmp_path / "s.jsonl"
    save(path, [RUN])
    append(path, [replace(RUN, seed=1)])
    assert [r.seed for r in load(path)] == [0, 1]
    with open(path, "a") as f:
        f.write(replace(RUN, seed=2).to_json()[:40])  # a crash in the middle of a write
    with pytest.raises(SearchError, match=r"line 3 is cut short .* the 2 records before it are whole"):
        load(path)
    before = path.read_bytes()
    assert run(["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(path)]) == 2
    assert path.read_bytes() == before


def bad_line(**change) -> str:
    """A record's line with some keys changed or added."""
    return json.dumps({**json.loads(RUN.to_json()), **change})


def test_a_record_keeps_its_bad_mass_interval_and_an_older_one_without_it_still_loads(tmp_path):
    path = tmp_path / "s.jsonl"
    kept = replace(RUN, bad_mean_interval=(0.001, 0.004))
    older = {k: v for k, v in json.loads(RUN.to_json()).items() if k != "bad_mean_interval"}
    path.write_text(kept.to_json() + "\n" + json.dumps(older) + "\n")
    assert load(path) == [kept, RUN]


def test_sweep_appends_only_after_a_whole_last_line(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    path.write_text(RUN.to_json())  # a record, but no newline: the next line would be glued to it
    assert load(path) == [RUN]
    assert run(["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(path)]) == 2
    assert "its last line has no newline" in capsys.readouterr().err and path.read_text() == RUN.to_json()


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json\n", "line 1 is not a search record: is not JSON"),
        ("[1, 2]\n", "line 1 is not a search record: is not a JSON object"),
        (RUN.to_json() + "\n{}\n", "line 2 is not a search record: lacks the key 'task'"),
        (bad_line(tvd=0.1) + "\n", "unknown key 'tvd'"),
        (bad_line(verdict="passes") + "\n", "verdict wants meets or undecided or misses"),
        (bad_line(validity=0.6) + "\n", "validity_interval wants [lo, hi] around validity"),
        (bad_line(curve=[0.5]) + "\n", "curve wants null or 8 numbers in 0..1"),
        (bad_line(hidden=True) + "\n", "hidden wants a whole number >= 1"),
        (bad_line(updates=-1) + "\n", "updates wants a whole number or null"),
        (bad_line(bad_mean_interval=[0.2, 0.1]) + "\n", "bad_mean_interval wants null or [lo, hi] in 0..1"),
        (b"\xff\n", "cannot be read as text"),
    ],
)
def test_a_bad_search_file_is_refused_in_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SearchError, match=re.escape(message)):
        load(path)
    assert run(["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_sweep_refuses_a_record_destination_before_training(tmp_path, capsys):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    (tmp_path / "dir.jsonl").mkdir()
    for dest, message in [
        (tmp_path / "runs.txt", "a search record is a .jsonl file"),
        (fifo, "is not a regular file"),
        (tmp_path / "dir.jsonl", "is a directory"),
    ]:
        args = ["sweep", "count", "--hidden", "1", "--seeds", "1", "--max-steps", "30", "--record", str(dest)]
        assert run(args) == 2, dest
        err = capsys.readouterr()
        assert err.err.count("\n") == 1 and message in err.err and err.out == ""


def test_a_missing_file_or_a_folder_is_not_a_search_file(tmp_path):
    with pytest.raises(SearchError, match="no such search file"):
        load(tmp_path / "missing.jsonl")
    with pytest.raises(SearchError, match="is not a regular file"):
        load(tmp_path)


def test_a_run_trained_longer_counts_once_and_a_run_with_other_settings_counts_apart():
    from rnnmem_tui.searches import distinct, trained_with

    longer = replace(RUN, budget=40000, command="rnnmem-tui sweep count --hidden 2 --max-steps 40000 --jobs 1")
    other = replace(RUN, command="rnnmem-tui sweep count --hidden 2 --identity 1 --init-bias 0")
    assert trained_with(other.command) == (("--identity", "1"), ("--init-bias", "0"))
    assert trained_with("rnnmem-tui sweep grammar --hidden 2 --batch 64 --no-carry") == (("--no-carry", ""),)
    assert distinct([RUN, longer]) == [longer]
    assert distinct([RUN, longer, other]) == [longer, other]
