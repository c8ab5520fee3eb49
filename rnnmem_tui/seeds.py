"""The one form of a seeds flag, everywhere: `N` (that many, from 0), `A..B` or `a,b,c`; and whole numbers on the
command line, in ASCII digits only."""

from __future__ import annotations

import re

SEEDS_FORM = "N (that many, from 0), A..B or a,b,c of distinct seeds >= 0"


def whole(text: str) -> int:
    """An integer written in ASCII digits, with an optional sign; raises ValueError for anything else (`int()`
    alone would take `١٢` as 12, and `1_000`)."""
    text = str(text).strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f"not a whole number in digits 0-9: {text!r}")
    return int(text)


MAX_SEEDS = 1_000_000  # far past any population or protocol the tools can run; a list of them is 36 MB


def parse_seeds(text: str, flag: str = "--seeds") -> list[int]:
    """`N` (seeds 0..N-1), `A..B` or `a,b,c` as a list of distinct seeds; raises ValueError naming the flag."""
    try:
        if ".." in text:
            lo, hi = (whole(x) for x in text.split(".."))
            seeds = range(lo, hi + 1)
        elif "," in text:
            seeds = [whole(x) for x in text.split(",")]
        else:
            seeds = range(whole(text))
    except ValueError:
        seeds = []
    if len(seeds) > MAX_SEEDS:  # checked before the list is built: 10^9 seeds would need 36 GB
        raise ValueError(f"{flag} wants at most {MAX_SEEDS:,} seeds at once, got {len(seeds):,} ({text})")
    seeds = list(seeds)
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"{flag} wants {SEEDS_FORM}, got {text!r}")
    return seeds
