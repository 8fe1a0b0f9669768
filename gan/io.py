"""Atomic file writes for training, translation, evaluation and the pipeline.

A reader never sees a half-written file, and a killed run leaves at most a hidden temp file
(`.<name>.<pid>.tmp`) beside the target (`remove_stale_temps` clears them). Files are created
with `open()` and folders with `mkdir()`, so they get the usual permissions under the process
umask (0644 / 0755 under umask 022), unlike `tempfile.mkstemp`'s 0600 and `mkdtemp`'s 0700.

A failed write removes its temp file and raises `OutputError`, whose one-line message says what
happened and where ("disk full: ..." for ENOSPC/EDQUOT). `check_output_dir` tells, before any
work, whether a folder can be created and written.

The atomic write, `OutputError`, `describe_os_error` and `temp_name` are the render stage's too:
one implementation in `fridge_batch.layout`; `write_atomic` adds an fsync before the rename and
creates the parent folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from fridge_batch.layout import (
    DISK_FULL,
    OutputError,
    atomic_write,
    describe_os_error,
    temp_name,
)

__all__ = ["DISK_FULL", "OutputError", "describe_os_error", "temp_name"]


def check_output_dir(key: str, path: str | Path) -> Path:
    """`path` must be a folder or creatable as one, and writable; ValueError names `key`.

    Nothing is created. The error is `gan.config.ConfigError` (a ValueError): `key` is a file,
    lies under a file, or its nearest existing folder is not writable.
    """
    from gan.config import ConfigError

    if not str(path).strip():
        raise ConfigError(f"{key}: expected a folder path, got {str(path)!r}")
    p = Path(path).expanduser()
    probe = p
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        what = "is a file, not a folder" if probe == p else f"lies under the file {probe}"
        raise ConfigError(f"{key}: {p} {what}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{key}: {probe} is not writable")
    return p


def remove_stale_temps(folder: str | Path, names: tuple[str, ...]) -> list[Path]:
    """Delete temp files `.<name>.*.tmp` of the given names left in `folder` by killed runs."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for name in names:
        for tmp in folder.glob(f".{name}.*.tmp"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(fh)` on a temp file beside `path`, fsync, then rename it over `path`.

    On an OSError the temp file is removed and `OutputError` (one line) is raised.
    """
    path = Path(path)

    def write_synced(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from exc
    return atomic_write(path, write_synced)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda fh: fh.write(text.encode()))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (indented, non-serializable values as strings) atomically."""
    return write_text(path, json.dumps(data, indent=2, default=str))


def write_png(img: Image.Image, path: str | Path) -> Path:
    """Save a PIL image as PNG atomically."""
    return write_atomic(path, lambda fh: img.save(fh, format="PNG"))
