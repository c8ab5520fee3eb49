"""The phase portrait: the hidden state's plane (or its first two principal components), the live trajectory, the
fixed points of the symbol being read and the flow of its map; interventions move the picture live."""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import work
from textual.widget import Widget

from ..dynamics import Plane, Point, fixed_points, flow, plane_of
from ..session import Session, describe
from .output import show_symbol

TRAIL = 40  # steps of trajectory drawn
ARROWS = "→↗↑↖←↙↓↘"  # by angle, counter-clockwise from east
GLYPH = {"stable": "◆", "saddle": "✕", "unstable": "○"}
STYLE = {"stable": "bold green", "saddle": "bold yellow", "unstable": "bold red", "now": "bold reverse",
         "trail": "cyan", "old": "blue", "flow": "grey42"}
FLOW_EVERY = (6, 2)  # an arrow every this many columns and rows


class PhaseView(Widget):
    """Draws a Session's recent hidden states in a fixed plane with the current symbol's fixed points and flow.

    `show()` redraws from the session; the fixed points of each (symbol, interventions) are found once, in a
    thread, and drawn when they arrive (the subtitle says they are being found).
    """

    DEFAULT_CSS = "PhaseView { height: 1fr; }"

    def __init__(self, session: Session, **kw) -> None:
        super().__init__(**kw)
        self.session = session
        self.plane: Plane = plane_of(session.net, session.task)
        self.points: dict[tuple, list[Point]] = {}  # (symbol, zeroed, clamped) -> its fixed points
        self._asked: set[tuple] = set()

    def key(self) -> tuple:
        """The symbol just read and the interventions held: what the fixed points on show depend on."""
        s = self.session
        return s.net.vocab[s.frame.step.x], s.interventions.zeroed, s.interventions.clamped

    def show(self) -> None:
        """Redraw from the session; ask for the current symbol's fixed points if they are not known yet."""
        k = self.key()
        if k not in self.points and k not in self._asked:
            self._asked.add(k)
            self.find(k, self.session.interventions)
        self.refresh()

    @work(thread=True, group="fixed-points")
    def find(self, key: tuple, iv) -> None:
        """Find one symbol's fixed points under the interventions, off the UI thread."""
        s = self.session
        found = fixed_points(s.net, s.task, iv, symbols=key[0])
        self.app.call_from_thread(self._found, key, found)

    def _found(self, key: tuple, found: list[Point]) -> None:
        self.points[key] = found
        self.refresh()

    @property
    def ready(self) -> bool:
        """The fixed points of the current symbol are known."""
        return self.key() in self.points

    def render(self) -> Text:
        """The canvas, then a legend line."""
        W, H = self.content_region.width or self.size.width, (self.content_region.height or self.size.height) - 2
        if W < 8 or H < 4:
            return Text("too small for the phase portrait")
        s, p = self.session, self.plane
        sym, zeroed, clamped = k = self.key()
        u0, u1, v0, v1 = p.bounds
        grid = [[(" ", "")] * W for _ in range(H)]

        def cell(uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            col = np.rint((uv[..., 0] - u0) / (u1 - u0) * (W - 1)).clip(0, W - 1).astype(int)
            row = np.rint((v1 - uv[..., 1]) / (v1 - v0) * (H - 1)).clip(0, H - 1).astype(int)
            return row, col

        # the flow of the current symbol's map on a coarse grid of the plane
        cols, rows = np.arange(FLOW_EVERY[0] // 2, W, FLOW_EVERY[0]), np.arange(FLOW_EVERY[1] // 2, H, FLOW_EVERY[1])
        cc, rr = np.meshgrid(cols, rows)
        uv = np.stack([u0 + cc.ravel() / max(W - 1, 1) * (u1 - u0), v1 - rr.ravel() / max(H - 1, 1) * (v1 - v0)], 1)
        d = flow(s.net, s.frame.step.x, s.interventions, p, uv)  # (n, 2) in plane units
        dc, dr = d[:, 0] / (u1 - u0) * W, -d[:, 1] / (v1 - v0) * H  # in cells
        angle = np.arctan2(-dr, dc)
        for r, c, a, m in zip(rr.ravel(), cc.ravel(), angle, np.hypot(dc, dr)):
            grid[r][c] = ("·" if m < 0.3 else ARROWS[int(np.rint(a / (np.pi / 4))) % 8], STYLE["flow"])
        # the trajectory, oldest first
        trail = p.project(s.window(TRAIL))  # (T, 2)
        tr, tc = cell(trail)
        for i, (r, c) in enumerate(zip(tr.tolist(), tc.tolist())):
            grid[r][c] = ("•", STYLE["trail"] if i >= len(tr) - 8 else STYLE["old"])
        for q in self.points.get(k, ()):
            r, c = cell(p.project(q.point))
            grid[int(r)][int(c)] = (GLYPH[q.kind], STYLE[q.kind])
        grid[int(tr[-1])][int(tc[-1])] = ("●", STYLE["now"])
        out = Text()
        for line in grid:
            for ch, style in line:
                out.append(ch, style)
            out.append("\n")
        out.append_text(self.legend(k))
        out.no_wrap, out.overflow = True, "ellipsis"
        return out

    def legend(self, k: tuple) -> Text:
        """What the symbols mean, which plane this is, and what the fixed points are."""
        sym = show_symbol(k[0])
        found = self.points.get(k)
        if found is None:
            what = f"finding the fixed points of {sym}…"
        else:
            kinds = {kind: sum(q.kind == kind for q in found) for kind in GLYPH}
            what = f"{sym}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n) if found \
                else f"{sym}: no fixed point"
        held = describe(self.session.interventions)
        t = Text(f"{self.plane.names[0]} →  {self.plane.names[1]} ↑  ")
        for glyph, name in (("●", "now"), ("•", "trail"), *((g, k) for k, g in GLYPH.items())):
            t.append(f"{glyph} {name}  ", STYLE[name])
        t.append(f"\n{what}" + (f" · {held}" if held else ""))
        return t
