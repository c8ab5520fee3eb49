"""How counts are written for people: `1 neuron`, `3 neurons`."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    """`1 session`, `8 sessions`."""
    return f"{n} {word}{'s' * (n != 1)}"
