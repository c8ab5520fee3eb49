"""The docs: the README stays one page, and every block marked runnable in README.md and docs/ runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- runnable -->"  # put it on the line before a ```python block that a test should run
RUNNABLE = re.compile(r"^<!-- runnable -->\n```python\n(.*?)^```", re.S | re.M)
# what a block must print, by page
PRINTS = {"docs/howto/api.md": ("neurons on grammar", "with neuron 0 zeroed")}


def runnable_blocks() -> list[tuple[str, str]]:
    """(page:line, code) of every marked python block in README.md and docs/**/*.md."""
    blocks = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text()
        assert text.count(MARK) == len(RUNNABLE.findall(text)), f"{path}: a {MARK} line not before a python block"
        for m in RUNNABLE.finditer(text):
            blocks.append((f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 2}", m[1]))
    return blocks


def test_the_readme_is_one_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move the detail into docs/"


def test_the_python_api_example_is_marked_runnable():
    assert [where for where, _ in runnable_blocks() if where.startswith("docs/howto/api.md:")]


@pytest.mark.parametrize("where, code", [pytest.param(w, c, id=w) for w, c in runnable_blocks()])
def test_a_runnable_block_runs_as_written(where, code, capsys):
    exec(compile(code, where, "exec"), {})
    out = capsys.readouterr().out
    assert all(s in out for s in PRINTS.get(where.split(":")[0], ())), out
