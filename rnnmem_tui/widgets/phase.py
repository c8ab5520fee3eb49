"""The phase portrait view: a plane of hidden states, the live trajectory, the current symbol's fixed points and flow."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from ..dynamics import Plane, Point, fixed_points, flow, plane_of
from ..session import Session, describe
from .output import show_symbol
from .view import View

TRAIL = 40  # steps of trajectory drawn
ARROWS = "→↗↑↖←↙↓↘"  # by angle, counter-clockwise from east
GLYPH = {"stable": "◆", "saddle": "✕", "unstable": "○"}
STYLE = {
    "stable": "bold green",
    "saddle": "bold yellow",
    "unstable": "bold red",
    "now": "bold reverse",
    "trail": "cyan",
    "old": "blue",
    "flow": "grey42",
}
FLOW_EVERY = (6, 2)  # an arrow every this many columns and rows


@lru_cache(maxsize=32)
def _style(name: str) -> Style:
    return Style.parse(name) if name else Style()


class PhaseView(Widget):
    """Draws a Session's recent hidden states in a fixed plane with the current symbol's fixed points and flow.

    `show()` redraws from the session. The fixed points are found in one thread per setting of interventions,
    the current symbol's first and then the others', and drawn as they arrive (the legend says when they are
    being found); new interventions cancel the search for the old ones between two symbols.
    """

    DEFAULT_CSS = "PhaseView { height: 1fr; }"

    def __init__(self, session: Session, **kw) -> None:
        super().__init__(**kw)
        self.session = session
        self._plane: Plane | None = None  # found on first use: the explorer builds its views at start
        self.points: dict[tuple, list[Point]] = {}  # (symbol, zeroed, clamped) -> its fixed points
        self._searching: tuple | None = None  # the interventions the running search is for
        self._drawn: tuple | None = None  # (what the picture shows, its lines)
        self._pinned: dict[tuple, dict[str, np.ndarray]] = {}  # key -> its fixed points in the plane, by kind

    @property
    def plane(self) -> Plane:
        """The plane drawn: the neurons themselves for two, else the first two principal components of the
        states of a teacher-forced run."""
        if self._plane is None:
            self._plane = plane_of(self.session.net, self.session.task)
        return self._plane

    def key(self) -> tuple:
        """The symbol just read and the interventions held: what the fixed points on show depend on."""
        s = self.session
        return s.net.vocab[s.frame.step.x], s.interventions.zeroed, s.interventions.clamped

    def show(self) -> None:
        """Redraw from the session; start a search under the interventions held if it is needed and not running."""
        k = self.key()
        if k not in self.points and k[1:] != self._searching:
            self._searching = k[1:]
            self.find(k[1:], self.session.interventions, k[0])
        self.refresh()

    @work(thread=True, exclusive=True, group="fixed-points")
    def find(self, held: tuple, iv, first: str) -> None:
        """Find every symbol's fixed points under the interventions, `first` first, off the UI thread."""
        s, worker = self.session, get_current_worker()
        for sym in sorted(s.net.vocab, key=lambda c: c != first):
            if worker.is_cancelled:
                return
            if (sym, *held) not in self.points:
                found = fixed_points(s.net, s.task, iv, symbols=sym)
                self.app.call_from_thread(self._found, (sym, *held), found)

    def pinned(self, k: tuple) -> dict[str, np.ndarray]:
        """The fixed points of a key in the plane, (n, 2) by kind; projected once, since a fill network has
        hundreds per symbol."""
        if k not in self._pinned and k in self.points:
            by_kind = {kind: [q.point for q in self.points[k] if q.kind == kind] for kind in GLYPH}
            self._pinned[k] = {kind: self.plane.project(np.array(at)) for kind, at in by_kind.items() if at}
        return self._pinned.get(k, {})

    def _found(self, key: tuple, found: list[Point]) -> None:
        self.points[key] = found
        self.refresh()

    @property
    def ready(self) -> bool:
        """The fixed points of the current symbol are known."""
        return self.key() in self.points

    def render_line(self, y: int) -> Strip:
        """Line y of the canvas, or of the two legend lines under it; the picture is drawn once per change."""
        W, H = self.size.width, self.size.height
        k = self.key()
        state = (self.session.frame, k, k in self.points, W, H)
        if self._drawn is None or self._drawn[0] != state:
            self._drawn = (state, self.lines(W, H))
        lines = self._drawn[1]
        return lines[y] if y < len(lines) else Strip.blank(W, self.rich_style)

    def lines(self, W: int, H: int) -> list[Strip]:
        """Every line: the canvas (H - 2 lines), then the legend."""
        if W < 8 or H < 6:
            return [Strip([Segment("too small for the phase portrait"[:W], self.rich_style)])]
        legend = self.legend(self.key(), W)
        chars, look = self.canvas(W, H - len(legend))
        base, out = self.rich_style, []
        changes = look[:, 1:] != look[:, :-1]  # (H, W - 1) where a run of one style ends
        styles = {name: base + _style(name) for name in ("", *STYLE.values())}
        for r, row in enumerate(chars.tolist()):
            cuts = [0, *(np.flatnonzero(changes[r]) + 1).tolist(), W]
            out.append(Strip([Segment("".join(row[a:b]), styles[look[r, a]]) for a, b in zip(cuts, cuts[1:])], W))
        console = self.app.console
        for line in legend:
            out.append(Strip(line.render(console)).apply_style(base).adjust_cell_length(W, base))
        return out

    def canvas(self, W: int, H: int) -> tuple[np.ndarray, np.ndarray]:
        """The picture's characters and styles (H, W): the flow, the trajectory, the fixed points and the state
        now, each drawn over the one before."""
        s, p, k = self.session, self.plane, self.key()
        u0, u1, v0, v1 = p.bounds
        chars = np.full((H, W), " ", dtype="<U1")  # (H, W)
        look = np.full((H, W), "", dtype=object)  # (H, W) the style of each cell; "" for none

        def put(uv: np.ndarray, glyph, style) -> None:
            """Draw glyphs at plane points uv (n, 2), clipped to the border."""
            col = np.rint((uv[:, 0] - u0) / (u1 - u0) * (W - 1)).clip(0, W - 1).astype(int)
            row = np.rint((v1 - uv[:, 1]) / (v1 - v0) * (H - 1)).clip(0, H - 1).astype(int)
            chars[row, col], look[row, col] = glyph, style

        # the flow of the current symbol's map, an arrow every few cells
        cc, rr = np.meshgrid(
            np.arange(FLOW_EVERY[0] // 2, W, FLOW_EVERY[0]), np.arange(FLOW_EVERY[1] // 2, H, FLOW_EVERY[1])
        )
        uv = np.stack([u0 + cc.ravel() / (W - 1) * (u1 - u0), v1 - rr.ravel() / (H - 1) * (v1 - v0)], 1)  # (n, 2)
        d = flow(s.net, s.frame.step.x, s.interventions, p, uv)  # (n, 2) in plane units
        dc, dr = d[:, 0] / (u1 - u0) * W, d[:, 1] / (v1 - v0) * H  # in cells, up positive
        octant = np.rint(np.arctan2(dr, dc) / (np.pi / 4)).astype(int) % 8
        put(uv, np.where(np.hypot(dc, dr) < 0.3, "·", np.array(list(ARROWS))[octant]), STYLE["flow"])
        trail = p.project(s.window(TRAIL))  # (T, 2) oldest first
        put(trail[:-8], "•", STYLE["old"])
        put(trail[-8:], "•", STYLE["trail"])
        for kind, uv in self.pinned(k).items():
            put(uv, GLYPH[kind], STYLE[kind])
        put(trail[-1:], "●", STYLE["now"])
        return chars, look

    def legend(self, k: tuple, width: int) -> list[Text]:
        """What the symbols mean, which plane this is and its ranges, and what the fixed points are, in lines of
        at most `width` cells (an item is never cut)."""
        sym = show_symbol(k[0])
        found = self.points.get(k)
        if found is None:
            what = f"finding the fixed points of {sym}…"
        else:
            kinds = {kind: sum(q.kind == kind for q in found) for kind in GLYPH}
            what = (
                f"{sym}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
                if found
                else f"{sym}: no fixed point"
            )
        held = describe(self.session.interventions)
        (x, y), (u0, u1, v0, v1) = self.plane.names, self.plane.bounds
        items = [Text(f"{x} → {u0:+.2f} to {u1:+.2f}"), Text(f"{y} ↑ {v0:+.2f} to {v1:+.2f}")]
        shown = (("●", "now", "now"), ("•", "trail", "last 8"), ("•", "old", f"last {TRAIL}"))
        items += [
            Text(f"{g} {words}", STYLE[name]) for g, name, words in (*shown, *((g, k, k) for k, g in GLYPH.items()))
        ]
        lines = [Text()]
        for item in items:
            if lines[-1].cell_len and lines[-1].cell_len + 2 + item.cell_len > width:
                lines.append(Text())
            lines[-1].append_text(Text("  ") if lines[-1].cell_len else Text())
            lines[-1].append_text(item)
        return [*lines, Text(what + (f" · {held}" if held else ""))]


VIEW = View(
    "d",
    "phase",
    "Dynamics",
    "phase portrait · fixed points of the symbol just read",
    "The hidden states of the last steps in a plane (the two neurons themselves for H = 2, else the "
    "first two principal components of a teacher-forced run), with the fixed points of the map under "
    "the symbol just read (◆ stable, ✕ saddle, ○ unstable) and its flow. Zero or clamp a neuron and "
    "watch the points move: does a counter walk down a chain of points or along a line?",
    make=PhaseView,
    show=lambda view, seen: view.show(),
    tip="Phase portrait: the trajectory, the fixed points and the flow",
)
