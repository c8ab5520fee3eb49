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
        assert (ROOT / "docs" / "figures" / f"{f.name}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow  # draws a figure in the explorer
def test_the_figures_command_redraws_a_figure(tmp_path, capsys):
    assert run(["figures", "--out", str(tmp_path), "--only", "toprow,opt"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opt.png", "opt.svg", "toprow.png", "toprow.svg"]
    text = (tmp_path / "toprow.svg").read_text()
    toprow = next(f for f in FIGURES if f.name == "toprow")
    neurons = "".join(toprow.keys[1 : toprow.keys.index("m")]).split("i")[:-1]  # `h 2 6 i 2 4 i ...`
    if neurons:
        assert "pinned&#160;" + "&#160;".join(neurons) in text


def test_an_unknown_figure_is_refused(tmp_path, capsys):
    assert run(["figures", "--out", str(tmp_path), "--only", "nope"]) == 2
    assert "no figure nope" in capsys.readouterr().err and not list(tmp_path.iterdir())


def test_the_row_figures_name_the_neurons_their_roles_confirm():
    from rnnmem_tui.figures import TOP, row_figure

    labels = [
        "bit: cell 4 filled (AUC 1.00)",
        "unexplained (best: top row complete, AUC 0.85)",
        "flag: top row complete (low) (AUC 0.99)",
        "flag: bottom row complete (AUC 0.97) · correlational",
    ]
    keys, caption = row_figure(TOP, "the top row")(labels)
    assert keys[:7] == ("h", "2", "i", "3", "i", "0", "i")  # top row, bottom row, then the cell bit
    assert "2: flag: top row complete (low) (AUC 0.99)" in caption and "· correlational" in caption
    assert "no neuron passes" not in caption
    keys, caption = row_figure(TOP, "the top row")([labels[0], labels[1], labels[1], labels[3]])
    assert "no neuron passes for the top row complete" in caption and keys[:5] == ("h", "3", "i", "0", "i")
    keys, caption = row_figure(TOP, "the top row")(labels[:2])
    assert "no neuron passes for a row complete, so a cell bit alone (0: bit: cell 4" in caption
    assert keys[:3] == ("h", "0", "i")


def test_a_figure_uses_the_bundled_font_and_renders_the_same_png_twice():
    from rnnmem_tui.picture import FAMILY, FONTS, png, portable

    svg = (ROOT / "docs" / "figures" / "opt.svg").read_text()
    out = portable(svg)
    assert "@font-face" not in out and "cdnjs" not in out and f'"{FAMILY}"' in out
    assert (FONTS / "LICENSE-DejaVu.txt").is_file() and len(list(FONTS.glob("*.ttf"))) == 2
    first = png(svg)
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and png(svg) == first
