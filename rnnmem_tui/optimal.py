"""The hand-built networks, kept importable by their old name; they live in `constructions`."""

from .constructions import GAIN, MARGIN, build_count, build_count_1, build_fill, build_fill_bits, build_grammar

__all__ = ["GAIN", "MARGIN", "build_count", "build_count_1", "build_fill", "build_fill_bits", "build_grammar"]
