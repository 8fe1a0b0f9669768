"""Crash-safe file writes of the render stage: temp name + rename, one-line errors.

`atomic_write`, `OutputError` and `describe_os_error` are the ones of `fridge_batch.layout`
(both stages write through them), re-exported here; this module adds `describe_broken_file` for
files a library wrote incompletely. `atomic_write` writes under a temporary name and renames into
place, so a reader (or a resumed batch) never sees a half-written file; files get the usual
permissions of the process umask; a failed write removes its temp file and raises a one-line
`OutputError` ("disk full" for ENOSPC and EDQUOT).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fridge_batch.layout import (  # the one implementation, shared with the GAN stage
    DISK_FULL,
    OutputError,
    atomic_write,
    describe_os_error,
    first_line,
    write_text,
)

__all__ = [
    "DISK_FULL",
    "LOW_SPACE_BYTES",
    "OutputError",
    "atomic_write",
    "describe_broken_file",
    "describe_os_error",
    "disk_free",
    "first_line",
    "write_text",
]

LOW_SPACE_BYTES = 64 * 2**20  # below this much free space a broken file is blamed on the disk


def disk_free(path: Path) -> int | None:
    """Free bytes on the file system of `path` (or of its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def describe_broken_file(path: Path | str, what: str, reason: str = "") -> str:
    """One line for a file that was written incompletely: truncated, and why if the disk is full."""
    free = disk_free(Path(path).parent)
    detail = f": {first_line(reason)}" if first_line(reason) else ""
    if free is not None and free < LOW_SPACE_BYTES:
        return f"disk full: {what} {path} is truncated ({free // 2**20} MiB free){detail}"
    return f"{what} {path} is truncated or unreadable{detail}"
