"""The one form of a seeds flag, everywhere: `N` (that many, from 0), `A..B` or `a,b,c`."""

from __future__ import annotations

SEEDS_FORM = "N (that many, from 0), A..B or a,b,c of distinct seeds >= 0"


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
        raise ValueError(f"{flag} wants {SEEDS_FORM}, got {text!r}")
    return seeds
