"""One place for the batch folder contract: names, stems, atomic writes, COCO rebuild and merge.

A render batch (``fridge-render out_dir=...``) looks like this::

    images/000000.png       RGB render                     (`image_path`)
    masks/000000.png        16-bit instance ids, 0 = none   (`mask_path`)
    meta/000000.json        everything about the image; written last, the source of truth
    depth/000000.png|.exr   with ``outputs.depth``          (`depth_file`)
    normals/000000.png      with ``outputs.normals``        (`normals_file`)
    annotations.json        COCO, rebuilt from meta/ (`rebuild_annotations`)
    README.md, dataset.json the dataset card, rebuilt with annotations.json
    preview.png, preview_labels.png   contact sheets
    shards/annotations-<i>-of-<n>.json   per-shard COCO parts of a sharded render
    .tmp/                   temp files (same file system, so renames are atomic)

Both stages import this module: the render stage writes the layout, the GAN stage reads it. It
never imports Blender or torch (the COCO records and the card are built by the pure
`blender_scenes.annotate` and `blender_scenes.card`, imported when a rebuild runs).

Writes go to a temp name and are renamed into place (`atomic_write`), with the process umask's
permissions (``open``, not ``tempfile.mkstemp``). A failed write removes its temp file and raises
`OutputError`, one line ("disk full: ..." for ENOSPC and EDQUOT).

Sharded renders (``shard.count`` > 1) into one batch need no file lock: each shard writes its own
COCO part atomically, and the shard that finds every part complete rebuilds annotations.json and
the card from meta/. Any shard doing so reads the same finished meta files, so two shards that
finish at the same moment write the same bytes (`finish_shard`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------- names
IMAGES = "images"
MASKS = "masks"
META = "meta"
DEPTH = "depth"
NORMALS = "normals"
BLEND = "blend"  # with save_blend=true
SHARDS = "shards"
TMP_DIR = ".tmp"
SUBDIRS = (IMAGES, MASKS, META)  # depth/ and normals/ are made when asked for
ANNOTATIONS = "annotations.json"
CARD_README = "README.md"
CARD_JSON = "dataset.json"
CARD_FILES = (CARD_README, CARD_JSON)
PREVIEW = "preview.png"
PREVIEW_LABELS = "preview_labels.png"
STEM_DIGITS = 6


def stem(index: int) -> str:
    """File stem of image `index` (``000042``)."""
    return f"{index:0{STEM_DIGITS}d}"


def image_file(index: int) -> str:
    """Path of image `index`'s RGB render, relative to the batch."""
    return f"{IMAGES}/{stem(index)}.png"


def mask_file(index: int) -> str:
    """Path of image `index`'s instance-id mask, relative to the batch."""
    return f"{MASKS}/{stem(index)}.png"


def meta_file(index: int) -> str:
    """Path of image `index`'s meta record, relative to the batch."""
    return f"{META}/{stem(index)}.json"


def depth_file(index: int, depth_format: str = "png") -> str:
    """Path of image `index`'s depth file (``exr`` or 16-bit ``png``), relative to the batch."""
    return f"{DEPTH}/{stem(index)}.{'exr' if depth_format == 'exr' else 'png'}"


def normals_file(index: int) -> str:
    """Path of image `index`'s encoded normals, relative to the batch."""
    return f"{NORMALS}/{stem(index)}.png"


def blend_file(index: int) -> str:
    """Path of image `index`'s saved Blender scene (``save_blend=true``), relative to the batch."""
    return f"{BLEND}/{stem(index)}.blend"


def image_path(batch: str | Path, index: int) -> Path:
    """`image_file` inside `batch`."""
    return Path(batch) / image_file(index)


def mask_path(batch: str | Path, index: int) -> Path:
    """`mask_file` inside `batch`."""
    return Path(batch) / mask_file(index)


def meta_path(batch: str | Path, index: int) -> Path:
    """`meta_file` inside `batch`."""
    return Path(batch) / meta_file(index)


def meta_paths(batch: str | Path) -> list[Path]:
    """Every finished meta file of a batch, in image order (empty without meta/)."""
    return sorted((Path(batch) / META).glob("*.json"))


def read_metas(batch: str | Path) -> Iterator[dict[str, Any]]:
    """Every finished meta record of a batch, in image order."""
    for p in meta_paths(batch):
        yield json.loads(p.read_text())


def is_render_batch(folder: str | Path) -> bool:
    """True when `folder` has the images/ and masks/ folders of a render batch."""
    root = Path(folder)
    return (root / IMAGES).is_dir() and (root / MASKS).is_dir()


def has_labels(folder: str | Path) -> bool:
    """True when `folder` holds labels: ``meta/*.json`` or ``annotations.json``."""
    root = Path(folder)
    meta = root / META
    return (meta.is_dir() and any(meta.glob("*.json"))) or (root / ANNOTATIONS).is_file()


# ------------------------------------------------------------------------- atomic writes
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class OutputError(OSError):
    """A file or folder that could not be written or read back; the message is one line."""


def first_line(text: str) -> str:
    """The first non-empty line of `text`, stripped."""
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


def describe_os_error(err: OSError, path: str | Path) -> str:
    """One line for a failed write of `path`: disk full, or the system's reason."""
    if isinstance(err, OutputError):
        return str(err)
    where = Path(path)
    if err.errno in DISK_FULL:
        return f"disk full: could not write {where} ({err.strerror or 'no space left on device'})"
    reason = err.strerror or first_line(str(err)) or type(err).__name__
    return f"could not write {where}: {reason}"


def temp_name(path: str | Path) -> Path:
    """The hidden temp name ``.<name>.<pid>.tmp`` beside `path` (same file system)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def tmp_path(batch: str | Path, name: str) -> Path:
    """A private temp path in the batch's temp folder: ``.tmp/<pid>-<name>``."""
    return Path(batch) / TMP_DIR / f"{os.getpid()}-{name}"


def atomic_write(final: str | Path, write: Callable[[Path], None], tmp: Path | None = None) -> Path:
    """Call `write(tmp)` and rename `tmp` to `final`; on failure remove `tmp`, raise OutputError.

    `tmp` defaults to `temp_name(final)`. The one atomic write of both stages.
    """
    final = Path(final)
    tmp = Path(tmp) if tmp is not None else temp_name(final)
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
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return final


def write_text(final: str | Path, text: str, tmp: Path | None = None) -> Path:
    """Write UTF-8 text atomically (see `atomic_write`)."""
    return atomic_write(final, lambda p: p.write_text(text, encoding="utf-8"), tmp)


def write_batch_json(batch: str | Path, final: str | Path, data: Any) -> Path:
    """Write a batch JSON file atomically (sorted keys, indent 1), its temp in ``.tmp/``."""
    text = json.dumps(data, sort_keys=True, indent=1)
    return atomic_write(final, lambda p: p.write_text(text), tmp_path(batch, Path(final).name))


# ----------------------------------------------------------------- COCO rebuild and merge
def shard_indices(count: int, shard_index: int, shard_count: int) -> list[int]:
    """Every shard_count-th image starting at shard_index."""
    return list(range(shard_index, count, shard_count))


def coco_part_path(batch: str | Path, shard_index: int, shard_count: int) -> Path:
    """The COCO part of one shard: ``shards/annotations-<i>-of-<n>.json``."""
    return Path(batch) / SHARDS / f"annotations-{shard_index}-of-{shard_count}.json"


def write_coco_part(batch: str | Path, count: int, shard_index: int, shard_count: int) -> Path:
    """Write this shard's COCO part (its finished images, read from meta/) atomically.

    Besides the COCO keys the part has ``shard``: index, count and the batch's image count.
    """
    from blender_scenes.annotate import coco_from_meta

    batch = Path(batch)
    mine = set(shard_indices(count, shard_index, shard_count))
    metas = [m for m in read_metas(batch) if m["image"]["index"] in mine]
    part = coco_from_meta(metas)
    part["shard"] = {"index": shard_index, "count": shard_count, "images": count}
    path = coco_part_path(batch, shard_index, shard_count)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_batch_json(batch, path, part)
    return path


def parts_complete(batch: str | Path, count: int, shard_count: int) -> bool:
    """True when every shard of `shard_count` has written a part covering all of its images."""
    for i in range(shard_count):
        path = coco_part_path(batch, i, shard_count)
        try:
            part = json.loads(path.read_text())
        except (OSError, ValueError):
            return False
        if part.get("shard", {}).get("images") != count:
            return False
        have = {im["id"] - 1 for im in part.get("images", [])}
        if have != set(shard_indices(count, i, shard_count)):
            return False
    return True


def rebuild_annotations(
    batch: str | Path, dataset: Any = None, config: Any = None
) -> dict[str, Any]:
    """Rewrite annotations.json and the dataset card from all meta files present; returns COCO.

    `dataset` (DatasetInfo) and `config` (the validated render config) describe the batch in the
    card and the COCO header; when not given, those of the previous card are kept. The result
    depends only on meta/ (and the card's inputs), so rebuilding twice writes the same bytes.
    """
    from blender_scenes import card
    from blender_scenes.annotate import coco_from_meta

    batch = Path(batch)
    for sub in (*SUBDIRS, TMP_DIR):
        (batch / sub).mkdir(parents=True, exist_ok=True)
    metas = list(read_metas(batch))
    before = card.previous_card(batch)
    if dataset is None:
        dataset = {k: before[k] for k in card.dataset_fields(None) if k in before}
    config = card.config_record(config) if config is not None else before.get("config")
    info, licenses = card.coco_header(metas, dataset)
    coco = coco_from_meta(metas, info, licenses)
    write_batch_json(batch, batch / ANNOTATIONS, coco)
    data = card.build_card(metas, dataset, config)
    write_batch_json(batch, batch / CARD_JSON, data)
    text = card.card_markdown(data)
    write_text(batch / CARD_README, text, tmp_path(batch, CARD_README))
    return coco


def finish_shard(
    batch: str | Path,
    count: int,
    shard_index: int = 0,
    shard_count: int = 1,
    dataset: Any = None,
    config: Any = None,
) -> tuple[dict[str, Any], bool]:
    """After a shard rendered its images: merge annotations.json when the whole batch is done.

    Unsharded (`shard_count` 1): rebuild annotations.json and the card from meta/. Sharded: write
    this shard's COCO part; when every shard's part is complete, rebuild from meta/ (the merge).
    Returns the COCO dict written (annotations.json, else this shard's part) and whether
    annotations.json was rebuilt; when not, a later shard merges. A merged card records the
    config with ``shard_index: null``, so whichever shard merges writes the same card.
    """
    if shard_count > 1:
        part = write_coco_part(batch, count, shard_index, shard_count)
        if not parts_complete(batch, count, shard_count):
            return json.loads(part.read_text()), False
        if config is not None:  # the card describes the batch, not the shard that merged it
            from blender_scenes.card import config_record

            config = {**config_record(config), "shard_index": None}
    return rebuild_annotations(batch, dataset, config), True
