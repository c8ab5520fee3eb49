"""A one-line progress bar for long command-line work, on stderr."""

from __future__ import annotations

import sys
import time


class Bar:
    """Redraws one line on a terminal; elsewhere prints a line every few seconds."""

    def __init__(self, total: float, label: str = "", width: int = 24, stream=None) -> None:
        self.total, self.label, self.width = total, label, width
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0

    def update(self, done: float, text: str = "") -> None:
        """Show `done` out of the total, with a short status text."""
        frac = min(max(done / self.total, 0.0), 1.0) if self.total else 1.0
        fill = int(frac * self.width)
        line = f"{self.label} [{'#' * fill}{'.' * (self.width - fill)}] {text}"
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()
        elif now - self.last >= 5.0:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last = now

    def close(self, text: str = "") -> None:
        """End the bar's line, with a final message."""
        if self.tty:
            self.stream.write("\r\x1b[K")
        if text:
            self.stream.write(text + "\n")
        self.stream.flush()
