"""What the machine can hold: the memory and disk a piece of work needs, checked before it starts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


class LimitError(ValueError):
    """Work that needs more memory or disk than the machine has; its message is one line."""


def human(n_bytes: float) -> str:
    """A size in binary units: `512 B`, `7.1 GiB`, `164 GiB`."""
    n, unit = float(n_bytes), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            break
        n /= 1024
    return f"{n:.0f} {unit}" if unit == "B" or abs(n) >= 100 else f"{n:.1f} {unit}"


def available_memory() -> int:
    """Bytes of memory the machine can give a new piece of work: MemAvailable of /proc/meminfo, else the free
    physical pages (the physical pages where even those are not known)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    pages = next((n for n in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES") if n in os.sysconf_names), "SC_PHYS_PAGES")
    return os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")


def check_memory(need: int, what: str) -> None:
    """Refuse work that needs about `need` bytes of memory when that is over half of what is available; `what`
    names the flag that asked for it (`--units 1000000000`). Raises LimitError."""
    free = available_memory()
    if need > free // 2:
        raise LimitError(
            f"{what} needs about {human(need)} of memory; this machine has {human(free)} available (half is the limit)"
        )


def check_disk(folder: str | Path, need: int, what: str) -> None:
    """Refuse to write about `need` bytes into `folder` when its file system has less free. Raises LimitError."""
    free = shutil.disk_usage(folder).free
    if need > free:
        raise LimitError(f"{what} needs about {human(need)} of disk at {folder}, which has {human(free)} free")
