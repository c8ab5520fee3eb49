"""The question asked before quitting while a network trained in the explorer is not saved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class QuitScreen(ModalScreen[str]):
    """Save and quit, quit without saving, or stay: dismissed with "save", "quit" or "stay"."""

    BINDINGS = [
        Binding("s,W", "answer('save')", "Save and quit"),
        Binding("q,y", "answer('quit')", "Quit, lose it"),
        Binding("escape,n", "answer('stay')", "Stay", key_display="esc"),
    ]

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        """The question and its three answers."""
        with Vertical(id="quit-question"):
            yield Static("The network trained here is not saved.", classes="question")
            yield Static(f"s  save it to {self.folder} and quit\nq  quit and lose it\nesc  stay")

    def action_answer(self, answer: str) -> None:
        """Close with the answer."""
        self.dismiss(answer)
