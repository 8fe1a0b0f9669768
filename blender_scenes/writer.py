"""Batch folder layout and crash-safe writes: temp name + rename, meta last, COCO rebuilt.

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
* never the lock file. Running the same shard twice at once is not supported.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from . import card
from .annotate import coco_from_meta
from .files import OutputError, atomic_write, describe_os_error
from .ground_truth import depth_to_mm, encode_png16

log = logging.getLogger(__name__)

SUBDIRS = ("images", "masks", "meta")  # depth/ and normals/ are made when asked for
TMP_DIR = ".tmp"
LOCK_NAME = "lock"
STALE_TEMP_AGE_S = 600.0
_IMAGE_TEMP = re.compile(r"^\d+-(\d{6,})\.")  # <pid>-<index stem>.<ext>[...]


def stem(index: int) -> str:
    """File stem of image `index`."""
    return f"{index:06d}"


def ground_truth_files(outputs: Any, index: int) -> dict[str, str]:
    """`depth_file` and `normals_file` of image `index` (relative paths) as `outputs` asks."""
    s = stem(index)
    files = {}
    if outputs is not None and outputs.depth:
        files["depth_file"] = f"depth/{s}.{'exr' if outputs.depth_format == 'exr' else 'png'}"
    if outputs is not None and outputs.normals is not None:
        files["normals_file"] = f"normals/{s}.png"
    return files


def prepare(out_dir: Path, outputs: Any = None) -> None:
    """Create the batch folders (and a hidden temp folder on the same file system)."""
    extra = [f.split("/")[0] for f in ground_truth_files(outputs, 0).values()]
    try:
        for sub in (*SUBDIRS, *extra, TMP_DIR):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(describe_os_error(err, err.filename or out_dir)) from err


def tmp_path(out_dir: Path, name: str) -> Path:
    """A private temp path next to the batch (renamed into place when complete)."""
    return out_dir / TMP_DIR / f"{os.getpid()}-{name}"


def publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished file into place."""
    os.replace(tmp, final)


def write_json(out_dir: Path, final: Path, data: Any) -> None:
    """Write JSON atomically (sorted keys, stable text)."""
    text = json.dumps(data, sort_keys=True, indent=1)
    atomic_write(final, lambda p: p.write_text(text), tmp_path(out_dir, final.name))


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
    s = stem(index)
    need = [f"meta/{s}.json", f"images/{s}.png", f"masks/{s}.png",
            *ground_truth_files(outputs, index).values()]
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
        if p.name == LOCK_NAME:
            continue
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


def read_metas(out_dir: Path) -> Iterator[dict[str, Any]]:
    """Every finished meta record of a batch."""
    for p in sorted((out_dir / "meta").glob("*.json")):
        yield json.loads(p.read_text())


@contextmanager
def batch_lock(out_dir: Path) -> Iterator[None]:
    """Serialize COCO rebuilds of shards writing into the same folder."""
    with open(out_dir / TMP_DIR / LOCK_NAME, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rebuild_annotations(out_dir: Path, dataset: Any = None, config: Any = None) -> dict[str, Any]:
    """Rewrite annotations.json and the dataset card from all meta files present; returns COCO.

    `dataset` (DatasetInfo) and `config` (the validated render config) describe the batch in the
    card and the COCO header; when not given, those of the previous card are kept.
    """
    prepare(out_dir)
    with batch_lock(out_dir):
        metas = list(read_metas(out_dir))
        before = card.previous_card(out_dir)
        if dataset is None:
            dataset = {k: before[k] for k in card.dataset_fields(None) if k in before}
        config = card.config_record(config) if config is not None else before.get("config")
        info, licenses = card.coco_header(metas, dataset)
        coco = coco_from_meta(metas, info, licenses)
        write_json(out_dir, out_dir / "annotations.json", coco)
        data = card.build_card(metas, dataset, config)
        write_json(out_dir, out_dir / "dataset.json", data)
        text = card.card_markdown(data)
        atomic_write(out_dir / "README.md", lambda p: p.write_text(text, encoding="utf-8"),
                     tmp_path(out_dir, "README.md"))  # fmt: skip
    return coco
