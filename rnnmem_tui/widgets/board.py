"""The task view of grid tasks: the board with filled cells, the last move lit, illegal moves red; the games below."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from ..session import Frame, Unit
from ..tasks import GridTask
from .lines import HELD
from .taskview import TaskView

# each cell's kind in plain text too (NO_COLOR, a copied screen): filled [4], the last move >4<, illegal !4!
NARROW = 10  # the narrowest column of games beside the board (fill-4x4 at 80 columns)
GLYPHS = {"empty": "  ", "filled": "[]", "last": "><", "broken": "!!"}


class BoardView(TaskView):
    """A grid task's board after the step on screen, and the move stream of the last games."""

    COMPONENT_CLASSES = {
        "board--empty",
        "board--filled",
        "board--last",
        "board--broken",
        "board--grid",
        "board--valid",
        "board--invalid",
        "board--dim",
        "board--held",
    }

    def __init__(self, task: GridTask, **kwargs) -> None:
        super().__init__(**kwargs)
        self.grid = task

    def needs(self) -> int:
        """The board, a gap, then a game's moves and its mark."""
        return 4 * self.grid.cols + 1 + 2 + self.grid.max_len + 2

    def board(self, game: str) -> list[Text]:
        """The grid of a game's moves (the clear token, if any, excluded), drawn in box characters.

        A cell is red when a move on it was illegal: it was filled already, or the game was over
        (the task's legal_next allowed only the clear token).
        """
        task, C = self.grid, self.grid.cols
        moves = [c for c in game if c != task.end]
        canon, over, broken = "", False, set()  # canon: the cells played while the game could go on
        for c in moves:
            over = over or task.legal_next(canon) == frozenset(task.end)
            if c in canon or over:
                broken.add(task.cells.find(c))
            else:
                canon += c
        filled = {task.cells.find(c) for c in moves}
        last = task.cells.find(moves[-1]) if moves and game[-1] != task.end else None
        grid = self.style("grid")

        def rule(left: str, mid: str, right: str) -> Text:
            """A horizontal line of the grid."""
            return Text.assemble((left + mid.join(["───"] * C) + right, grid))

        rows = [rule("┌", "┬", "┐")]
        for r in range(task.rows):
            row = Text.assemble(("│", grid))
            for c in range(C):
                i = r * C + c
                kind = "broken" if i in broken else "last" if i == last else "filled" if i in filled else "empty"
                left, right = GLYPHS[kind]
                row.append(f"{left}{task.cells[i]}{right}", self.style(kind))
                row.append("│", grid)
            rows.append(row)
            rows.append(rule("├", "┼", "┤") if r < task.rows - 1 else rule("└", "┴", "┘"))
        return rows

    def verdict(self, f: Frame) -> Text:
        """A few words on the game on screen, no wider than the board: cleared well, or what broke."""
        text, broke_at = (f.finished.text, f.finished.broke_at) if f.finished else (f.prefix, f.broke_at)
        if broke_at is not None:
            c = text[broke_at]
            why = "early clear" if c == self.grid.end else f"{c} twice" if c in text[:broke_at] else "no clear"
            return Text.assemble((f"✗ {why}", self.style("invalid")))
        if f.finished:
            return Text.assemble(("✓ cleared", self.style("valid")))
        return Text.assemble((f"move {len(text)}" if text else "empty board", self.style("dim")))

    def game(self, unit: Unit | None, text: str, broke_at: int | None, width: int, began: int | None = None) -> Text:
        """A game as a compact row of moves, red from where it broke the rules, a HELD mark where the
        interventions changed, then its mark; a game too long for the row starts with an ellipsis."""
        out = Text(no_wrap=True, overflow="crop")
        room = width - 2 - (began is not None)
        body = text[-(room - 1) :] if len(text) > room else text
        skip = len(text) - len(body)
        if skip:
            out.append("…", self.style("dim"))
        for k, c in enumerate(body, skip):
            if k == began:
                out.append(HELD, self.style("held"))
            out.append(c, self.style("broken") if broke_at is not None and k >= broke_at else Style())
        if began is not None and began >= len(text):
            out.append(HELD, self.style("held"))
        if unit is not None:
            out.pad_right(width - 2 - out.cell_len)
            out.append_text(self.mark(unit, lead=" "))
        return out

    def text(self) -> Text:
        """The board with its verdict, and the games beside it or below it."""
        f = self.data
        width, height = self.size.width, self.size.height
        shown = f.finished.text if f.finished else f.prefix
        board = self.board(shown)
        board.append(self.verdict(f))
        bw = board[0].cell_len
        side = width - bw - 2
        room = min(len(self.grid.cells) + 3, side if side >= NARROW else width)  # a long game starts with …
        games = [self.game(u, u.text, u.broke_at, room, u.began) for u in f.recent]
        if not f.finished:
            games.append(self.game(None, f.prefix, f.broke_at, room, f.began))
        if side >= NARROW:  # the games beside the board, newest last, as a log
            n = max(height, len(board))
            games = games[-n:] + [Text()] * (n - len(games[-n:]))
            board += [Text()] * (n - len(board))
            lines = [b + Text(" " * (bw + 2 - b.cell_len)) + g for b, g in zip(board, games)]
            return Text("\n").join(lines)
        below = max(0, height - len(board))
        return Text("\n").join(board + (games[-below:] if below else []))
