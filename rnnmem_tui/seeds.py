"""The one form of a seeds flag, everywhere: `N` (that many, from 0), `A..B` or `a,b,c`."""

from __future__ import annotations

import argparse


def parse_seeds(text: str, flag: str = "--seeds") -> list[int]:
    """`N` (seeds 0..N-1), `A..B` or `a,b,c` as a list of distinct seeds; raises ValueError naming the flag."""
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split(".."))
            seeds = list(range(lo, hi + 1))
        elif "," in text:
            seeds = [int(x) for x in text.split(",")]
        else:
            seeds = list(range(int(text)))
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"{flag} wants N (that many, from 0), A..B or a,b,c of distinct seeds >= 0, got {text!r}")
    return seeds


def seeds_arg(flag: str):
    """An argparse type for a seeds flag: bad forms end in one line naming the flag, and exit 2."""

    def parse(text: str) -> list[int]:
        try:
            return parse_seeds(text, flag)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse
