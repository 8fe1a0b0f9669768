"""Writing a batch: its folders, crash-safe image writes, stale temps, COCO rebuilt from meta/.

Names and stems come from `fridge_batch.layout` (the batch folder contract); this module writes
the render stage's files in that layout.

Temporary files live in ``out_dir/.tmp/`` (same file system as the batch, so renames are atomic)
and are named ``<pid>-<final name>``, e.g. ``.tmp/4711-000042.png``. A write that fails removes
its temp file; a process that is killed cannot, so every batch run starts by removing stale
temps (`clean_stale_temps`). Several shards may write into one out_dir at the same time, so a run
only removes a temp when it is certainly dead:

* temps of this shard's own images (``NNNNNN.*`` with ``NNNNNN % shard.count == shard.index``):
  only this shard writes those, and its workers have not started yet;
* any other temp (other shards' images, annotations.json, previews) whose last change is older
  than the run start minus `STALE_TEMP_AGE_S`: no write keeps a temp that long, so a temp another
  shard is writing right now is never touched;
Running the same shard twice at once is not supported. Shards merge annotations.json without a
lock (`fridge_batch.layout.finish_shard`).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fridge_batch import layout
from fridge_batch.layout import (
    SUBDIRS,
    TMP_DIR,
    OutputError,
    atomic_write,
    describe_os_error,
    read_metas,
    rebuild_annotations,
    stem,
    tmp_path,
)

from .ground_truth import depth_to_mm, encode_png16

__all__ = ["SUBDIRS", "TMP_DIR", "read_metas", "rebuild_annotations", "stem", "tmp_path"]

log = logging.getLogger(__name__)

STALE_TEMP_AGE_S = 600.0
_IMAGE_TEMP = re.compile(rf"^\d+-(\d{{{layout.STEM_DIGITS},}})\.")  # <pid>-<index stem>.<ext>[...]


def ground_truth_files(outputs: Any, index: int) -> dict[str, str]:
    """`depth_file` and `normals_file` of image `index` (relative paths) as `outputs` asks."""
    files = {}
    if outputs is not None and outputs.depth:
        files["depth_file"] = layout.depth_file(index, outputs.depth_format)
    if outputs is not None and outputs.normals is not None:
        files["normals_file"] = layout.normals_file(index)
    return files


def prepare(out_dir: Path, outputs: Any = None) -> None:
    """Create the batch folders (and a hidden temp folder on the same file system)."""
    extra = [f.split("/")[0] for f in ground_truth_files(outputs, 0).values()]
    try:
        for sub in (*SUBDIRS, *extra, TMP_DIR):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(describe_os_error(err, err.filename or out_dir)) from err


def write_json(out_dir: Path, final: Path, data: Any) -> None:
    """Write JSON atomically (sorted keys, stable text)."""
    layout.write_batch_json(out_dir, final, data)


def write_rgb(out_dir: Path, final: Path, rgb: np.ndarray) -> None:
    """Write an 8-bit RGB PNG atomically."""
    img = Image.fromarray(rgb, mode="RGB")
    atomic_write(final, lambda p: img.save(p, format="PNG", compress_level=6),
                 tmp_path(out_dir, final.name))  # fmt: skip


def write_mask(out_dir: Path, final: Path, ids: np.ndarray) -> None:
    """Write a 16-bit instance-id PNG atomically."""
    img = Image.fromarray(ids.astype(np.uint16))
    atomic_write(final, lambda p: img.save(p, format="PNG"), tmp_path(out_dir, final.name))


def write_depth(out_dir: Path, final: Path, depth_m: np.ndarray) -> None:
    """Write depth atomically: a uint16 millimetre PNG, or a float32 metre EXR (by suffix)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.suffix == ".exr":
        from .render import write_exr  # OpenImageIO ships inside bpy; only workers write EXR

        atomic_write(final, lambda p: write_exr(p, depth_m), tmp_path(out_dir, final.name))
        return
    img = Image.fromarray(depth_to_mm(depth_m))
    atomic_write(final, lambda p: img.save(p, format="PNG"), tmp_path(out_dir, final.name))


def write_normals(out_dir: Path, final: Path, code: np.ndarray) -> None:
    """Write encoded normals (uint16, h x w x 3) as a 16-bit RGB PNG atomically."""
    final.parent.mkdir(parents=True, exist_ok=True)
    data = encode_png16(code)
    atomic_write(final, lambda p: p.write_bytes(data), tmp_path(out_dir, final.name))


def is_done(out_dir: Path, index: int, outputs: Any = None) -> bool:
    """An image is finished when its meta file (written last) and its files exist.

    With `outputs` (the batch's OutputSettings), its depth and normals files count too: a batch
    resumed with depth switched on renders again the images that have none.
    """
    need = [
        layout.meta_file(index),
        layout.image_file(index),
        layout.mask_file(index),
        *ground_truth_files(outputs, index).values(),
    ]
    return all((out_dir / p).exists() for p in need)


def clean_stale_temps(
    out_dir: Path, shard_index: int = 0, shard_count: int = 1, started: float | None = None
) -> list[Path]:
    """Remove the dead temps of earlier runs from ``out_dir/.tmp`` (rule in the module doc).

    `started` is the run's start time (default: now). Returns the removed paths.
    """
    folder = out_dir / TMP_DIR
    if not folder.is_dir():
        return []
    cutoff = (time.time() if started is None else started) - STALE_TEMP_AGE_S
    removed = []
    for p in folder.iterdir():
        m = _IMAGE_TEMP.match(p.name)
        try:
            mine = m is not None and int(m.group(1)) % shard_count == shard_index
            if not mine and p.lstat().st_mtime >= cutoff:
                continue
            if p.is_dir() and not p.is_symlink():
                continue  # nothing here makes folders; leave what someone else put there
            p.unlink()
        except FileNotFoundError:
            continue  # another shard removed or published it meanwhile
        except OSError as err:
            log.warning("could not remove stale temporary file %s: %s", p, err.strerror or err)
            continue
        removed.append(p)
    if removed:
        log.info("%s: removed %d stale temporary file(s) of earlier runs", folder, len(removed))
    return removed
