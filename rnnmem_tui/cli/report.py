"""The verb that keeps the results in the README and the docs generated from the data: report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..paths import write_atomically
from ..report import CACHE, documents, drift, fill, load_cache, render, stale_figures, typed_results


@click.command(
    "report",
    short_help="write every result table into the README's and the docs' marked blocks, or check them",
    help="Regenerate the results that the README and docs/*.md hold between `<!-- report:NAME -->` and "
    "`<!-- /report -->` from the shipped files' metas, the search and bench records and the study's claims; with "
    "--check, change nothing and fail with a diff when the text has drifted from the data, or when a figure with "
    "its interval is typed outside a block (DESIGN.md and the changelog are exempt).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default="the current folder",
    help="the checkout whose README.md and docs/ hold the blocks",
)
@click.option("--check", is_flag=True, help="change nothing; exit 1 with a diff if any block differs from the data")
def report(root: Path, check: bool) -> int:
    """Fill or check the report blocks and the figures under ROOT."""
    cache = load_cache(root)
    blocks = render(root, cache=cache)
    if check:
        return check_all(root, blocks)
    changed = []
    if (root / "docs").is_dir() and cache != load_cache(root):
        text = json.dumps(cache, indent=1, sort_keys=True) + "\n"
        write_atomically(root / "docs" / CACHE, lambda f, data=text.encode(): f.write(data))
    for path in documents(root):
        text = path.read_text()
        if (new := fill(text, blocks)) != text:
            write_atomically(path, lambda f, data=new.encode(): f.write(data))
            changed.append(str(path.relative_to(root)))
    folder = root / "docs" / "figures"
    if folder.is_dir():
        from ..figures import make_figures  # the explorer loads only when it is wanted

        before = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".svg", ".png")}
        changed += [f"docs/figures/{p.name}" for p in make_figures(folder) if before.get(p.name) != p.read_bytes()]
    print(f"report: rewrote {', '.join(changed) if changed else 'nothing: all is current'}", file=sys.stderr)
    return 0


def check_all(root: Path, blocks: dict[str, str]) -> int:
    """Say every drift (a block's diff, a result typed outside a block, a stale figure); 1 when there is any."""
    diff, typed, stale = drift(root, blocks), typed_results(root), stale_figures(root)
    sys.stdout.writelines(diff)
    sys.stdout.writelines(f"{t}\n" for t in typed)
    sys.stdout.writelines(f"docs/figures/{name}: not what `rnnmem-tui figures` draws now\n" for name in stale)
    said = [
        "drift: the diff above" if diff else "every block matches the data",
        f"{len(typed)} result(s) typed outside a block" if typed else "no result typed outside one",
        f"{len(stale)} figure(s) stale" if stale else "every figure current",
    ]
    print("report: " + "; ".join(said), file=sys.stderr)
    return 1 if diff or typed or stale else 0


COMMANDS = (report,)
