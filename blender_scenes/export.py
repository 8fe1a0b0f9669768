"""`fridge-export`: a render batch as a dataset that YOLO, YOLO-seg and COCO trainers load as is.

Pure Python (numpy, Pillow, pycocotools, PyYAML): it never imports Blender, so it runs on any
machine. Layout of the dataset folder ``out``::

    images/{train,val}/NNNNNN.png           copies of the batch's renders
    annotations/instances_{train,val}.json  COCO (file_name relative to images/<split>/)
    labels/{train,val}/NNNNNN.txt           yolo, yolo-seg: one line per object
    data.yaml                               yolo, yolo-seg: path, train, val, nc, names

YOLO lines are ``class cx cy w h`` (yolo) or ``class x1 y1 x2 y2 ...`` (yolo-seg), normalised by
the image size: (0, 0) is the top-left corner of the image, (1, 1) its bottom-right corner.
Polygons follow the pixel edges of the exact instance mask (contours.py): the largest outline,
or all outlines joined by zero-width bridges (`polygons=all`); holes are filled.

The whole command line is checked first (config, batch, class map): a bad input stops with one
line ``fridge-export: error: KEY: ...``, exit status 2 and nothing written. The dataset is
written into a temporary sibling folder and renamed into place, so ``out`` is either complete or
untouched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import yaml
from omegaconf import DictConfig
from PIL import Image

from fridge_batch import layout
from gan.cli import CONFIG_DIR, compose_from_cli, fail, resolve_or_fail
from gan.config import default_config, with_defaults

from .config import ConfigError
from .contours import mask_polygon
from .files import OutputError, describe_os_error

log = logging.getLogger("fridge-export")
PROG = "fridge-export"
EXIT_FAILED = 1
FORMATS = ("yolo", "yolo-seg", "coco")
POLYGON_MODES = ("largest", "all")
SPLITS = ("train", "val")
KEYS = ("batch", "format", "out", "overwrite", "split", "classes", "class_map", "filter",
        "polygons", "simplify")  # fmt: skip


@dataclass(frozen=True)
class ExportConfig:
    """A validated export request (types only: the values are in configs/export.yaml)."""

    batch: Path
    out: Path
    format: str
    overwrite: bool
    val: float
    seed: int
    classes: tuple[str, ...] | None
    class_map: dict[str, str | None]
    max_occlusion: float
    min_visible_pixels: int
    polygons: str
    simplify: float


@dataclass
class ExportPlan:
    """What will be written: the label set, and per split the images with their kept objects."""

    names: list[str]  # output classes; YOLO id = position, COCO id = position + 1
    splits: dict[str, list[dict[str, Any]]]  # split -> meta records, objects already filtered
    dropped: dict[str, int]  # reason -> objects without a label in the export


# ---------------------------------------------------------------------------------- checks


def _number(v: Any, key: str, lo: float, hi: float, hi_open: bool = False) -> float:
    """A number in [lo, hi] (or [lo, hi) when `hi_open`)."""
    ok = not isinstance(v, bool) and isinstance(v, int | float)
    if ok:
        ok = lo <= v < hi if hi_open else lo <= v <= hi
    if not ok:
        raise ConfigError(
            f"{key}: expected a number in [{lo}, {hi}{')' if hi_open else ']'}, got {v!r}"
        )
    return float(v)


def _int(v: Any, key: str, lo: int = 0) -> int:
    """An integer >= lo."""
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ConfigError(f"{key}: expected an integer >= {lo}, got {v!r}")
    return v


def _mapping(v: Any, key: str) -> dict:
    """A mapping (null: empty)."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ConfigError(f"{key}: expected a mapping, got {v!r}")
    return v


def validate_export(d: dict[str, Any]) -> ExportConfig:
    """Check the plain export config (from Hydra; keys it leaves out come from the packaged
    export.yaml); one-line `ConfigError` naming the key."""
    d = with_defaults(d, default_config("export"))
    unknown = sorted(set(d) - set(KEYS))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown config key")
    fmt = d.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    batch, out = d.get("batch"), d.get("out")
    if not isinstance(batch, str) or not batch:
        raise ConfigError(f"batch: expected the render batch folder, got {batch!r}")
    if not isinstance(out, str) or not out:
        raise ConfigError(f"out: expected the dataset folder to write, got {out!r}")
    if not isinstance(d.get("overwrite"), bool):
        raise ConfigError(f"overwrite: expected true or false, got {d.get('overwrite')!r}")
    split = _mapping(d.get("split"), "split")
    filt = _mapping(d.get("filter"), "filter")
    for group, g, known in (("split", split, ("val", "seed")),
                            ("filter", filt, ("max_occlusion", "min_visible_pixels"))):  # fmt: skip
        extra = sorted(set(g) - set(known))
        if extra:
            raise ConfigError(f"{group}.{extra[0]}: unknown key (known: {', '.join(known)})")
    classes = d.get("classes")
    if classes is not None:
        if not isinstance(classes, list | tuple) or not classes:
            raise ConfigError(f"classes: expected a non-empty list of class names, got {classes!r}")
        for c in classes:
            if not isinstance(c, str) or not c.strip():
                raise ConfigError(f"classes: expected class names, got {c!r}")
        dup = sorted({c for c in classes if list(classes).count(c) > 1})
        if dup:
            raise ConfigError(f"classes: {dup[0]!r} is listed twice")
        classes = tuple(classes)
    class_map = _mapping(d.get("class_map"), "class_map")
    for k, v in class_map.items():
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise ConfigError(f"class_map.{k}: expected a class name or null (drop), got {v!r}")
    polygons = d.get("polygons")
    if polygons not in POLYGON_MODES:
        raise ConfigError(f"polygons: expected largest or all, got {polygons!r}")
    simplify = d.get("simplify")
    if isinstance(simplify, bool) or not isinstance(simplify, int | float) or simplify < 0:
        raise ConfigError(f"simplify: expected a tolerance >= 0 (pixels), got {simplify!r}")
    cfg = ExportConfig(
        batch=Path(batch).expanduser(),
        out=Path(out).expanduser(),
        format=fmt,
        overwrite=d["overwrite"],
        val=_number(split.get("val"), "split.val", 0.0, 1.0, hi_open=True),
        seed=_int(split.get("seed"), "split.seed"),
        classes=classes,
        class_map={str(k): v for k, v in class_map.items()},
        max_occlusion=_number(filt.get("max_occlusion"), "filter.max_occlusion", 0.0, 1.0),
        min_visible_pixels=_int(filt.get("min_visible_pixels"), "filter.min_visible_pixels", 1),
        polygons=polygons,
        simplify=float(simplify),
    )
    check_out(cfg)
    return cfg


def _inside(a: Path, b: Path) -> bool:
    """Whether path a is b or lies inside b (both resolved)."""
    return a == b or b in a.parents


def check_out(cfg: ExportConfig) -> None:
    """`out` must be new, empty or (with overwrite=true) replaceable, and not touch the batch."""
    out, batch = cfg.out.resolve(), cfg.batch.resolve()
    if _inside(out, batch) or _inside(batch, out):
        raise ConfigError(f"out: {cfg.out} overlaps the batch {cfg.batch}; choose another folder")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: {cfg.out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not cfg.overwrite:
        raise ConfigError(f"out: {cfg.out} is not empty (pass overwrite=true to replace it)")
    probe = out.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"out: {probe} is not a writable folder")


def load_batch(batch: Path) -> list[dict[str, Any]]:
    """Meta records of a finished render batch, by image index; `ConfigError` if it is none."""
    if not batch.exists():
        raise ConfigError(f"batch: {batch}: no such folder")
    if not batch.is_dir():
        raise ConfigError(f"batch: {batch}: not a folder")
    metas = []
    for p in layout.meta_paths(batch):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
            ok = (
                isinstance(meta, dict)
                and isinstance(meta.get("annotations"), list)
                and all(
                    isinstance(meta.get("image"), dict) and k in meta["image"]
                    for k in ("file_name", "mask_file", "index", "width", "height")
                )
            )
        except (OSError, ValueError) as err:
            raise ConfigError(f"batch: {p}: unreadable meta file ({err})") from err
        if not ok:
            raise ConfigError(f"batch: {p}: not a meta file of fridge-render")
        for key in ("file_name", "mask_file"):
            if not (batch / meta["image"][key]).is_file():
                raise ConfigError(f"batch: {batch / meta['image'][key]}: missing file")
        metas.append(meta)
    if not metas:
        raise ConfigError(
            f"batch: {batch}: no rendered images (meta/*.json); is it a render batch?"
        )
    return sorted(metas, key=lambda m: m["image"]["index"])


def batch_classes(batch: Path, metas: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Classes the batch's renderer knew (its COCO categories, in id order) and those present.

    A class map may name any known class (one map serves batches rendered with different
    class selections); the exported label set holds the present ones unless `classes` is given.
    """
    names: list[str] = []
    try:
        coco = json.loads((batch / layout.ANNOTATIONS).read_text(encoding="utf-8"))
        names = [c["name"] for c in sorted(coco["categories"], key=lambda c: c["id"])]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    seen = {o["cls"] for m in metas for o in m["scene"]["objects"]}
    seen |= {a["cls"] for m in metas for a in m["annotations"]}
    present = [c for c in names if c in seen] + sorted(seen - set(names))
    return names + sorted(seen - set(names)), present


def split_images(n: int, val: float, seed: int) -> dict[str, list[int]]:
    """Positions 0..n-1 split into train and val, shuffled by `seed`.

    val gets round(val * n) images, at least one when val > 0 and n >= 2, and train keeps at
    least one.
    """
    order = np.random.default_rng([int(seed), 0x53504C54]).permutation(n)
    n_val = int(round(val * n))
    if val > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    return {"train": sorted(order[n_val:].tolist()), "val": sorted(order[:n_val].tolist())}


def plan_export(cfg: ExportConfig, metas: list[dict[str, Any]]) -> ExportPlan:
    """Label set, class mapping, filters and split; `ConfigError` for an unknown class."""
    known, present = batch_classes(cfg.batch, metas)
    for k in cfg.class_map:
        if k not in known:
            raise ConfigError(f"class_map.{k}: unknown class: not a class of batch {cfg.batch} "
                              f"(known: {', '.join(known)})")  # fmt: skip
    mapped = {c: cfg.class_map.get(c, c) for c in known}
    if cfg.classes is not None:
        names = list(cfg.classes)
        unused = [c for c in names if c not in mapped.values()]
        if unused:
            log.warning("classes: no class of the batch maps to %s (kept, with no labels)",
                        ", ".join(unused))  # fmt: skip
    else:
        names = list(dict.fromkeys(mapped[c] for c in present if mapped[c] is not None))
    if not names:
        raise ConfigError("class_map: every class is dropped; nothing to export")
    dropped = {"class": 0, "occlusion": 0, "visible_pixels": 0}
    records = []
    for meta in metas:
        objects = []
        for a in meta["annotations"]:
            if a["visible_pixels"] <= 0:
                continue  # hidden or outside the frame: never labelled
            target = mapped.get(a["cls"])
            if target is None or target not in names:
                dropped["class"] += 1
            elif a["occlusion"] > cfg.max_occlusion:
                dropped["occlusion"] += 1
            elif a["visible_pixels"] < cfg.min_visible_pixels:
                dropped["visible_pixels"] += 1
            else:
                objects.append({**a, "export_class": target})
        records.append({**meta, "export_objects": objects})
    split = split_images(len(records), cfg.val, cfg.seed)
    return ExportPlan(names=names, dropped=dropped,
                      splits={s: [records[i] for i in split[s]] for s in SPLITS})  # fmt: skip


# ---------------------------------------------------------------------------------- writing


def yolo_box(bbox: list[int], width: int, height: int) -> list[float]:
    """COCO pixel box [x, y, w, h] -> normalised YOLO [cx, cy, w, h]."""
    x, y, w, h = bbox
    return [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]


def _fmt(values: list[float]) -> str:
    """Six decimals (1e-6 of the image size: far below a pixel)."""
    return " ".join(f"{v:.6f}" for v in values)


def label_lines(
    cfg: ExportConfig, names: list[str], record: dict, mask: np.ndarray | None
) -> list[str]:
    """YOLO text lines of one image."""
    w, h = record["image"]["width"], record["image"]["height"]
    lines = []
    for a in record["export_objects"]:
        cls = names.index(a["export_class"])
        if cfg.format == "yolo":
            lines.append(f"{cls} {_fmt(yolo_box(a['bbox'], w, h))}")
            continue
        poly = mask_polygon(mask == a["instance_id"], cfg.polygons, cfg.simplify)
        if poly is None or len(poly) < 3:
            continue
        norm = (poly / np.array([w, h], dtype=np.float64)).ravel().tolist()
        lines.append(f"{cls} {_fmt(norm)}")
    return lines


def coco_split(cfg: ExportConfig, names: list[str], records: list[dict], info: dict) -> dict:
    """The COCO file of one split: file names relative to images/<split>/."""
    images, anns = [], []
    for rec in records:
        im = rec["image"]
        image_id = im["index"] + 1
        entry = {"id": image_id, "file_name": Path(im["file_name"]).name, "width": im["width"],
                 "height": im["height"], "source": im["file_name"]}  # fmt: skip
        if "camera" in rec:
            entry["camera"] = rec["camera"]
        images.append(entry)
        for a in rec["export_objects"]:
            ann = {"id": len(anns) + 1, "image_id": image_id,
                   "category_id": names.index(a["export_class"]) + 1, "bbox": a["bbox"],
                   "area": a["visible_pixels"], "segmentation": a["segmentation"], "iscrowd": 0,
                   "source_class": a["cls"], "instance_id": a["instance_id"],
                   "occlusion": a["occlusion"], "truncation": a["truncation"]}  # fmt: skip
            for k in ("amodal_bbox", "amodal_segmentation"):
                if k in a:
                    ann[k] = a[k]
            anns.append(ann)
    return {
        "info": info,
        "licenses": [],
        "categories": [
            {"id": k + 1, "name": n, "supercategory": "food"} for k, n in enumerate(names)
        ],
        "images": images,
        "annotations": anns,
    }


def _coco_info(cfg: ExportConfig) -> tuple[dict, list]:
    """COCO info and licenses of the batch (annotations.json), noting the export."""
    try:
        coco = json.loads((cfg.batch / layout.ANNOTATIONS).read_text(encoding="utf-8"))
        info, licenses = dict(coco.get("info") or {}), list(coco.get("licenses") or [])
    except (OSError, ValueError):
        info, licenses = {}, []
    info["description"] = (info.get("description") or "fridge-synth renders") + (
        f" (fridge-export format={cfg.format} from {cfg.batch.name})"
    )
    return info, licenses


def write_dataset(cfg: ExportConfig, plan: ExportPlan, root: Path) -> dict[str, Any]:
    """Write the whole dataset under `root` (a fresh folder); returns a summary."""
    info, licenses = _coco_info(cfg)
    yolo = cfg.format in ("yolo", "yolo-seg")
    counts = {}
    for split, records in plan.splits.items():
        (root / "images" / split).mkdir(parents=True)
        if yolo:
            (root / "labels" / split).mkdir(parents=True)
        for rec in records:
            src = cfg.batch / rec["image"]["file_name"]
            name = Path(rec["image"]["file_name"]).name
            shutil.copyfile(src, root / "images" / split / name)
            if yolo:
                mask = None
                if cfg.format == "yolo-seg":
                    mask = np.asarray(Image.open(cfg.batch / rec["image"]["mask_file"])).astype(
                        np.int64
                    )
                lines = label_lines(cfg, plan.names, rec, mask)
                text = "".join(f"{ln}\n" for ln in lines)
                (root / "labels" / split / f"{Path(name).stem}.txt").write_text(text)
        coco = coco_split(cfg, plan.names, records, info)
        coco["licenses"] = licenses
        (root / "annotations").mkdir(exist_ok=True)
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
        counts[split] = {"images": len(records), "objects": len(coco["annotations"])}
    if yolo:
        data = {"path": str(cfg.out.resolve()), "train": "images/train", "val": "images/val",
                "nc": len(plan.names), "names": dict(enumerate(plan.names))}  # fmt: skip
        (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return {"splits": counts, "classes": plan.names, "dropped": plan.dropped}


def export(cfg: ExportConfig, plan: ExportPlan) -> dict[str, Any]:
    """Write the dataset atomically: into a temporary sibling of `out`, then renamed into place.

    A write failure (disk full) removes the temporary folder and raises `OutputError`; `out`
    is left as it was.
    """
    out = cfg.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        summary = write_dataset(cfg, plan, tmp)
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise OutputError(describe_os_error(err, err.filename or out)) from err
    shutil.rmtree(old, ignore_errors=True)
    return summary


# ---------------------------------------------------------------------------------- CLI

_checked: list[tuple[dict, ExportConfig, ExportPlan]] = []


def check(plain: dict) -> tuple[ExportConfig, ExportPlan]:
    """Validated config and plan of a plain config; one-line error and exit 2 if bad."""
    for seen, cfg, plan in _checked:
        if seen == plain:
            return cfg, plan
    try:
        cfg = validate_export(plain)
        plan = plan_export(cfg, load_batch(cfg.batch))
    except ConfigError as err:
        fail(PROG, str(err))
        raise  # unreachable: fail() exits
    _checked[:] = [(plain, cfg, plan)]
    return cfg, plan


def cli_args(args: list[str]) -> list[str]:
    """The command line with a bare first argument (the batch folder) as `batch=...`."""
    out, seen_batch = [], False
    for a in args:
        if not seen_batch and not a.startswith("-") and "=" not in a:
            out.append(f"batch={a}")
            seen_batch = True
        else:
            out.append(a)
    return out


def main() -> None:
    """Console script `fridge-export`: check everything, then run the Hydra app."""
    sys.argv[1:] = cli_args(sys.argv[1:])
    raw = compose_from_cli(PROG, "export", sys.argv[1:])
    if raw is not None:
        check(raw)
    hydra_main()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="export")
def hydra_main(cfg: DictConfig) -> None:
    """Export the batch."""
    plain = resolve_or_fail(PROG, cfg)
    ecfg, plan = check(plain)
    try:
        summary = export(ecfg, plan)
    except OutputError as err:
        fail(PROG, str(err), EXIT_FAILED)
    splits = summary["splits"]
    log.info("%s: %s dataset with %d classes; train %d images / %d objects, val %d / %d; "
             "labels dropped: %s", ecfg.out, ecfg.format, len(plan.names),
             splits["train"]["images"], splits["train"]["objects"], splits["val"]["images"],
             splits["val"]["objects"], plan.dropped)  # fmt: skip


if __name__ == "__main__":
    main()
