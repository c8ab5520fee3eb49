"""docs/DESIGN.md, the project's canonical copy of the contracts, agrees with the shared one beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

OURS = Path(__file__).resolve().parents[1] / "docs" / "DESIGN.md"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md"
RULES = ("- **Which network a task name means.**", "- **A shipped file is reproducible.**", "- **Claims are generated")


def line(text: str, start: str) -> str:
    """The line of `text` that starts with `start`."""
    return next(x for x in text.splitlines() if x.startswith(start))


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared DESIGN.md is not beside this checkout")
def test_our_design_holds_each_shared_rule_and_the_cells_contract_as_written():
    ours, shared = OURS.read_text(), SHARED.read_text()
    for rule in RULES:
        assert line(ours, rule).startswith(line(shared, rule)), rule
    cells = shared[shared.index("## Cells (contract)") :].split("\n## ")[0].splitlines()[1:]
    assert all(x in ours.splitlines() for x in cells if x.strip())
