"""Crash-safe file writes shared by the render stage: temp name + rename, one-line errors.

`atomic_write` writes a file under a temporary name and renames it into place, so a reader (or a
resumed batch) never sees a half-written file. It opens files the ordinary way (``open``, not
``tempfile.mkstemp``), so finished files get the usual permissions of the process umask (0644
under umask 022), not mkstemp's private 0600. When the write fails the temp file is removed and
an `OutputError` says in one line what happened and where: "disk full" for ENOSPC and EDQUOT.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
LOW_SPACE_BYTES = 64 * 2**20  # below this much free space a broken file is blamed on the disk


class OutputError(OSError):
    """A batch file that could not be written or read back; the message is one line."""


def first_line(text: str) -> str:
    """The first non-empty line of `text`, stripped."""
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


def disk_free(path: Path) -> int | None:
    """Free bytes on the file system of `path` (or of its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def describe_os_error(err: OSError, path: Path | str) -> str:
    """One line for a failed write of `path`: disk full, or the system's reason."""
    where = Path(path)
    if err.errno in DISK_FULL:
        return f"disk full: could not write {where} ({err.strerror or 'no space left on device'})"
    reason = err.strerror or first_line(str(err)) or type(err).__name__
    return f"could not write {where}: {reason}"


def describe_broken_file(path: Path | str, what: str, reason: str = "") -> str:
    """One line for a file that was written incompletely: truncated, and why if the disk is full."""
    free = disk_free(Path(path).parent)
    detail = f": {first_line(reason)}" if first_line(reason) else ""
    if free is not None and free < LOW_SPACE_BYTES:
        return f"disk full: {what} {path} is truncated ({free // 2**20} MiB free){detail}"
    return f"{what} {path} is truncated or unreadable{detail}"


def atomic_write(final: Path, write: Callable[[Path], None], tmp: Path | None = None) -> Path:
    """Call `write(tmp)` and rename `tmp` to `final`; on failure remove `tmp`, raise OutputError.

    `tmp` defaults to a hidden name next to `final` (same file system, so the rename is atomic).
    """
    final = Path(final)
    tmp = Path(tmp) if tmp is not None else final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, final)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(err, OutputError):
            raise
        raise OutputError(describe_os_error(err, final)) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def write_text(final: Path, text: str, tmp: Path | None = None) -> Path:
    """Write UTF-8 text atomically (see `atomic_write`)."""
    return atomic_write(final, lambda p: p.write_text(text, encoding="utf-8"), tmp)
