"""What the explorer writes to its export folder: the screen as SVG, a figure (SVG and PNG), the steps kept as data,
a trained network."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from ..paths import write_atomically
from ..session import Session
from ..trace import Trace, names_of
from ..weights import save


def free_name(folder: Path, stem: str, suffix: str) -> Path:
    """`stem.suffix` in folder, or `stem-2.suffix`, `stem-3.suffix`... when it is taken: nothing is replaced."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def write_svg(app: App, path: Path, replace: bool = False) -> Path:
    """Save the app's screen as SVG at path, atomically (`NAME-2.svg`... if taken, unless `replace`); returns
    where it went. A failed write raises PathError naming the file and leaves nothing behind."""
    svg = app.export_screenshot()
    return write_atomically(path, lambda f: f.write(svg.encode()), replace)


def save_figure(app: App, stem: Path, replace: bool = False) -> tuple[Path, Path]:
    """Save the app's screen as a figure: `stem.svg` with our bundled font instead of Textual's web fonts, and
    `stem.png` drawn from it by resvg (`picture.py`), each atomically, under a free name unless `replace`;
    returns both."""
    from ..picture import png, portable

    svg = portable(app.export_screenshot())
    image = png(svg)
    where = stem.with_suffix(".svg") if replace else free_name(stem.parent, stem.name, ".svg")
    went = write_atomically(where, lambda f: f.write(svg.encode()), replace)
    return went, write_atomically(went.with_suffix(".png"), lambda f: f.write(image), True)


def export_steps(
    session: Session, folder: Path, stem: str, suffix: str = ".npz", network: str = ""
) -> tuple[Path, str]:
    """Write the steps the session keeps (as `rnnmem-tui trace` does) to a new file, each step with the
    interventions in force and the file with what it is of (the network, its task, the mode, the seed and the
    temperature); returns its path and a note for the user when the interventions changed within those steps."""
    frames = list(session.frames)
    about = {
        "network": network or stem,
        "task": session.task.name,
        "mode": session.mode,
        "seed": session.seed,
        "temperature": session.temperature,
    }
    names = names_of(session.net.hidden, session.net.size)
    trace = Trace.of(frames, session.net.vocab, session.interventions, about, names)
    path = trace.write(free_name(folder, f"{stem}-steps{frames[0].t}-{frames[-1].t}", suffix))
    settings = {(f.step.zeroed, f.step.clamped) for f in frames}
    note = "; the interventions changed within them: each step's are in its held columns" if len(settings) > 1 else ""
    return path, note


def save_network(session: Session, folder: Path) -> Path:
    """Save the session's network (one trained in the app) atomically to a new file named after it."""
    net, task = session.net, session.task
    seed = net.meta.seed if net.meta is not None and net.meta.seed is not None else session.seed
    return save(net, free_name(folder, f"{task.name}-{net.hidden}-trained-s{seed}", ".npz"))
