"""Batch folder layout and crash-safe writes: temp name + rename, meta last, COCO rebuilt."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .annotate import coco_from_meta

SUBDIRS = ("images", "masks", "meta")


def stem(index: int) -> str:
    """File stem of image `index`."""
    return f"{index:06d}"


def prepare(out_dir: Path) -> None:
    """Create the batch folders (and a hidden temp folder on the same file system)."""
    for sub in (*SUBDIRS, ".tmp"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)


def tmp_path(out_dir: Path, name: str) -> Path:
    """A private temp path next to the batch (renamed into place when complete)."""
    return out_dir / ".tmp" / f"{os.getpid()}-{name}"


def publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished file into place."""
    os.replace(tmp, final)


def write_json(out_dir: Path, final: Path, data: Any) -> None:
    """Write JSON atomically (sorted keys, stable text)."""
    tmp = tmp_path(out_dir, final.name)
    tmp.write_text(json.dumps(data, sort_keys=True, indent=1))
    publish(tmp, final)


def write_rgb(out_dir: Path, final: Path, rgb: np.ndarray) -> None:
    """Write an 8-bit RGB PNG atomically."""
    tmp = tmp_path(out_dir, final.name)
    Image.fromarray(rgb, mode="RGB").save(tmp, format="PNG", compress_level=6)
    publish(tmp, final)


def write_mask(out_dir: Path, final: Path, ids: np.ndarray) -> None:
    """Write a 16-bit instance-id PNG atomically."""
    tmp = tmp_path(out_dir, final.name)
    Image.fromarray(ids.astype(np.uint16)).save(tmp, format="PNG")
    publish(tmp, final)


def is_done(out_dir: Path, index: int) -> bool:
    """An image is finished when its meta file (written last) and its files exist."""
    s = stem(index)
    return all((out_dir / p).exists() for p in (f"meta/{s}.json", f"images/{s}.png", f"masks/{s}.png"))


def read_metas(out_dir: Path) -> Iterator[dict[str, Any]]:
    """Every finished meta record of a batch."""
    for p in sorted((out_dir / "meta").glob("*.json")):
        yield json.loads(p.read_text())


@contextmanager
def batch_lock(out_dir: Path) -> Iterator[None]:
    """Serialize COCO rebuilds of shards writing into the same folder."""
    with open(out_dir / ".tmp" / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rebuild_annotations(out_dir: Path) -> dict[str, Any]:
    """Rewrite annotations.json from all meta files present; returns the COCO dict."""
    prepare(out_dir)
    with batch_lock(out_dir):
        coco = coco_from_meta(list(read_metas(out_dir)))
        write_json(out_dir, out_dir / "annotations.json", coco)
    return coco
