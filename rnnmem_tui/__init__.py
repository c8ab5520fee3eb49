"""rnnmem-tui: a terminal explorer of how tiny recurrent networks store information."""

__version__ = "0.1.0"
