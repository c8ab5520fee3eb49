"""The study's nine figures: each is keys in the explorer, listed in docs/study-figures.md, and redrawn by one
command."""

from __future__ import annotations

from pathlib import Path


import pytest

from rnnmem_tui.cli import run
from rnnmem_tui.figures import FIGURES

ROOT = Path(__file__).resolve().parent.parent
STUDY = {
    "2neuron",
    "fillboard_act10",
    "10neurprobs",
    "5neurprobs",
    "opt",
    "toprow",
    "bottomrow",
    "3neursimplegrammar",
    "4neursimplegrammar",
}


def test_every_figure_of_the_study_has_its_row_in_the_docs_and_an_svg_of_ours():
    assert {f.name for f in FIGURES} == STUDY
    page = (ROOT / "docs" / "study-figures.md").read_text()
    for f in FIGURES:
        row = next(line for line in page.splitlines() if line.startswith(f"| {f.name}.png |"))
        assert f"`{f.command}`" in row and f"`{f.keys_text}`" in row and f"](figures/{f.name}.svg)" in row
        assert (ROOT / "docs" / "figures" / f"{f.name}.svg").read_text().lstrip().startswith("<svg")


@pytest.mark.slow  # draws a figure in the explorer
def test_the_figures_command_redraws_a_figure(tmp_path, capsys):
    assert run(["figures", "--out", str(tmp_path), "--only", "toprow,opt"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opt.svg", "toprow.svg"]
    text = (tmp_path / "toprow.svg").read_text()
    from rnnmem_tui.figures import ROW_NEURONS

    assert "pinned&#160;" + "&#160;".join(map(str, ROW_NEURONS)) in text


def test_an_unknown_figure_is_refused(tmp_path, capsys):
    assert run(["figures", "--out", str(tmp_path), "--only", "nope"]) == 2
    assert "no figure nope" in capsys.readouterr().err and not list(tmp_path.iterdir())
