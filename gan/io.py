"""Atomic file writes for the translation stage and the pipeline: temp name, then rename.

A reader never sees a half-written file, and a killed run leaves at most a hidden temp file
(`.<name>.<pid>.tmp`) beside the target. Files are created with `open()`, so they get the
usual permissions under the process umask (unlike `tempfile.mkstemp`'s 0600).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(fh)` on a temp file beside `path`, fsync, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda fh: fh.write(text.encode()))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (indented, non-serializable values as strings) atomically."""
    return write_text(path, json.dumps(data, indent=2, default=str))


def write_png(img: Image.Image, path: str | Path) -> Path:
    """Save a PIL image as PNG atomically."""
    return write_atomic(path, lambda fh: img.save(fh, format="PNG"))
