"""The report: result tables generated from the shipped files into marked blocks, and drift caught."""

from __future__ import annotations

import shutil

import pytest

from rnnmem_tui import report
from rnnmem_tui.cli import main
from rnnmem_tui.paths import data_dir
from rnnmem_tui.weights import load, save

PAGE = "# Results\n\nBefore.\n\n<!-- report:networks -->\nstale\n<!-- /report -->\n\nAfter.\n"


@pytest.fixture(autouse=True)
def networks_only(request, monkeypatch):
    """The block tests need only the networks table (the roles table runs explain on every file)."""
    if "repository" not in request.node.name and "every_block" not in request.node.name:
        monkeypatch.setattr(report, "BLOCKS", {"networks": report.BLOCKS["networks"]})


def checkout(tmp_path, page: str = PAGE):
    """A checkout with one docs page holding a block."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "results.md").write_text(page)
    return tmp_path


def test_report_fills_a_block_from_the_files_metas_and_leaves_the_rest(tmp_path, capsys):
    root = checkout(tmp_path)
    assert main(["report", "--root", str(root), "--check"]) == 1
    assert "-stale" in capsys.readouterr().out
    assert main(["report", "--root", str(root)]) == 0
    text = (root / "docs" / "results.md").read_text()
    assert text.startswith("# Results\n\nBefore.\n\n<!-- report:networks -->\n| file |") and text.endswith("After.\n")
    meta = load(data_dir("weights") / "count-2.npz").meta
    row = next(line for line in text.splitlines() if line.startswith("| count-2.npz |"))
    assert f"`{meta.command}`" in row and f"| {meta.steps} |" in row and meta.verdict["verdict"] in row
    assert main(["report", "--root", str(root), "--check"]) == 0


def test_check_fails_once_a_shipped_file_s_meta_changes(tmp_path, monkeypatch, capsys):
    root = checkout(tmp_path)
    assert main(["report", "--root", str(root)]) == 0
    weights = tmp_path / "weights"
    shutil.copytree(data_dir("weights"), weights)
    net = load(weights / "fill-10.npz")
    net.meta.verdict = {**net.meta.verdict, "validity": net.meta.verdict["validity"] - 0.001}
    save(net, weights / "fill-10.npz")
    monkeypatch.setattr(report, "data_dir", lambda name: weights)
    capsys.readouterr()
    assert main(["report", "--root", str(root), "--check"]) == 1
    diff = capsys.readouterr().out
    assert diff.count("\n-| fill-10.npz |") == 1 and diff.count("\n+| fill-10.npz |") == 1


def test_an_unknown_block_is_refused_in_one_line(tmp_path, capsys):
    root = checkout(tmp_path, PAGE.replace("report:networks", "report:nonesuch"))
    assert main(["report", "--root", str(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown report block 'nonesuch'" in err[0]


@pytest.mark.slow  # draws the nine figures
def test_the_repository_s_blocks_match_the_data(capsys, monkeypatch):
    """What CI checks: the README and the docs hold what `report` generates, from the repository's cache. A
    stale cache is not wrong, only slow (every analysis redone: minutes), so the test fails on the first stale
    entry instead of redoing it."""
    from pathlib import Path

    def current(cache, path, analyse):
        key, entry = f"{path.name}:{analyse.__name__}", cache.get(f"{path.name}:{analyse.__name__}")
        if entry is None or entry["key"] != report.analysis_key(path, analyse.__name__):
            pytest.fail(f"docs/report-cache.json has no current {key}: refill it with `rnnmem-tui report`")
        return entry["value"]

    monkeypatch.setattr(report, "cached", current)
    assert main(["report", "--root", str(Path(__file__).resolve().parents[1]), "--check"]) == 0, capsys.readouterr()


FRESH = ("count-2.npz", "count-2-s0.npz", "three-in-a-row-13.npz")  # files whose analyses each render redoes


@pytest.mark.parametrize("name", sorted(report.BLOCKS))
def test_every_block_renders(name):
    """Each block renders, with the analyses of the FRESH files done again from scratch and the rest from the
    repository's cache (keyed by file and code, so never stale: the check above holds the docs to it)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cache = {k: v for k, v in report.load_cache(root).items() if k.split(":")[0] not in FRESH}
    before = set(cache)
    assert report.render(root, [name], cache)[name].strip()
    assert set(cache) >= before


def test_an_analysis_is_reused_while_its_file_and_code_are_unchanged(tmp_path, monkeypatch):
    calls = []

    def kinds(path):
        calls.append(path.name)
        return {"bit": 9, "unexplained": 1}

    kinds.__name__ = "neuron_roles"
    path = data_dir("weights") / "fill-10.npz"
    cache: dict = {}
    assert report.cached(cache, path, kinds) == report.cached(cache, path, kinds) == {"bit": 9, "unexplained": 1}
    assert calls == ["fill-10.npz"]
    cache["fill-10.npz:neuron_roles"]["key"] = "another file or code"
    report.cached(cache, path, kinds)
    assert calls == ["fill-10.npz", "fill-10.npz"]


def test_check_fails_on_a_result_typed_outside_a_block(tmp_path, capsys):
    root = checkout(tmp_path)
    assert main(["report", "--root", str(root)]) == 0
    page = root / "docs" / "results.md"
    page.write_text(
        page.read_text() + "\nfill-10 meets (0.9935 [0.9928, 0.9942]).\n\nAn example: `meets 0.993 [0.992, 0.994]`.\n"
    )
    capsys.readouterr()
    assert main(["report", "--root", str(root), "--check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"docs/results.md:{len(page.read_text().splitlines()) - 2}: fill-10 meets (0.9935 [0.9928, 0.9942])."
    ]
    (root / "docs" / "changelog.md").write_text("0.9935 [0.9928, 0.9942] on 2026-12-05\n")  # a log is exempt
    page.write_text(page.read_text().replace("(0.9935 [0.9928, 0.9942])", "(see the table)"))
    assert main(["report", "--root", str(root), "--check"]) == 0


def test_an_analysis_rests_on_its_own_shapes_null_only(tmp_path, monkeypatch):
    import json

    from rnnmem_tui import nulls

    table = json.loads(nulls.SHIPPED.read_text())
    fake = tmp_path / "nulls.json"
    fake.write_text(json.dumps(table))
    monkeypatch.setattr(nulls, "SHIPPED", fake)
    path = data_dir("weights") / "fill-10.npz"
    before = report.analysis_key(path, "neuron_roles")
    other = next(k for k in table["shapes"] if not k.startswith("fill {"))
    table["shapes"][other] = {"nets": 1, "top": {}}
    fake.write_text(json.dumps(table))
    assert report.analysis_key(path, "neuron_roles") == before  # another shape's null changed
    own = next(k for k in table["shapes"] if k.startswith("fill {") and k.endswith("H=10"))
    table["shapes"][own] = {"nets": 1, "top": {}}
    fake.write_text(json.dumps(table))
    assert report.analysis_key(path, "neuron_roles") != before


def test_a_bench_record_says_whether_the_goal_is_reached_and_why_each_run_missed(tmp_path):
    """Nine seeds in ten is the default trainer's goal; a miss names its seed, verdict and how it stopped, and
    the arithmetic column says what the record names, or that it names none."""
    import json

    (tmp_path / "docs" / "bench").mkdir(parents=True)
    run = {"task": "grammar", "hidden": 4, "side": "ours", "updates": 9000, "validity": 0.995}
    runs = [run | {"seed": s, "verdict": "meets", "stopped_by": "target", "seconds": 1.0} for s in range(8)]
    runs += [
        run | {"seed": 8, "verdict": "misses", "stopped_by": "steps", "seconds": 2.0, "validity": 0.9},
        run | {"seed": 9, "verdict": "undecided", "stopped_by": "target", "seconds": 2.0, "validity": 0.9901},
    ]
    machine = {"simd": "X86_V3", "blas_core": "Haswell"}
    (tmp_path / "docs" / "bench" / "a.json").write_text(json.dumps({"machine": machine, "runs": runs}))
    (tmp_path / "docs" / "bench" / "b.json").write_text(json.dumps({"machine": {}, "runs": runs[:10]}))
    text = report.bench_misses(tmp_path)
    assert "- a, grammar (rnn, 4 units): meets on 8 of 10 seeds, so falls short of nine in ten;" in text
    assert "seed 8 misses at validity 0.9000 (it ran its whole budget of 9000 updates)" in text
    assert "seed 9 undecided at validity 0.9901 (it stopped at 9000 updates, once one confirming stream" in text
    table = report.bench_table(tmp_path)
    assert "| a | grammar | rnn | 4 | ours | 8 / 10 | 1.0 | 9000 |  | X86_V3; Haswell |" in table
    assert table.count("not recorded") == 1
