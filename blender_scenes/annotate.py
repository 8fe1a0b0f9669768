"""Labels from a rendered instance mask: boxes, visible pixels, occlusion, COCO records."""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from .description import ObjectAnnotation, ObjectSpec
from .food.classes import ALL_CLASSES
from .food.params import FOOD_CLASSES


def rle_encode(binary: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of a bool mask, JSON-ready (counts as str)."""
    rle = mask_utils.encode(np.asfortranarray(binary.astype(np.uint8)))
    return {"size": [int(x) for x in rle["size"]], "counts": rle["counts"].decode("ascii")}


def bbox_of(binary: np.ndarray) -> list[int]:
    """COCO [x, y, w, h] box of the true pixels of a bool mask ([0, 0, 0, 0] when empty)."""
    rows = np.flatnonzero(binary.any(axis=1))
    if not len(rows):
        return [0, 0, 0, 0]
    cols = np.flatnonzero(binary.any(axis=0))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def annotate_object(
    ids: np.ndarray, spec: ObjectSpec, silhouette: tuple[int, int]
) -> ObjectAnnotation:
    """Labels of one object from the id mask and its unoccluded silhouette size."""
    binary = ids == spec.instance_id
    visible = int(np.count_nonzero(binary))
    in_frame, projected = silhouette
    in_frame = max(in_frame, visible)  # border pixels may differ by sampling jitter
    projected = max(projected, in_frame)
    occlusion = 1.0 - visible / in_frame if in_frame else 1.0
    truncation = 1.0 - in_frame / projected if projected else 1.0
    if visible:
        bbox = bbox_of(binary)
        seg = rle_encode(binary)
    else:
        bbox, seg = [0, 0, 0, 0], None
    return ObjectAnnotation(
        instance_id=spec.instance_id,
        cls=spec.cls,
        bbox=bbox,
        visible_pixels=visible,
        unoccluded_pixels=int(in_frame),
        projected_pixels=int(projected),
        occlusion=round(float(occlusion), 5),
        truncation=round(float(truncation), 5),
        segmentation=seg,
    )


def annotate(
    ids: np.ndarray, objects: list[ObjectSpec], silhouettes: dict[int, tuple[int, int]]
) -> list[ObjectAnnotation]:
    """Labels of every object of a scene."""
    return [annotate_object(ids, o, silhouettes.get(o.instance_id, (0, 0))) for o in objects]


def coco_categories(extra: set[str] | None = None) -> list[dict[str, Any]]:
    """Procedural classes first (ids stable across batches), then catalog classes sorted.

    The original fifteen classes always; every grocery class (in table order, so with fixed ids)
    once the batch uses any of them.
    """
    extra = extra or set()
    procedural = ALL_CLASSES if extra & set(ALL_CLASSES[len(FOOD_CLASSES) :]) else FOOD_CLASSES
    names = list(procedural) + sorted(extra - set(procedural))
    return [{"id": k + 1, "name": c, "supercategory": "food"} for k, c in enumerate(names)]


IMAGE_EXTRAS = ("depth_file", "normals_file")  # optional files of an image, relative to the batch
ANNOTATION_EXTRAS = ("amodal_bbox", "amodal_segmentation")  # with outputs.amodal=true


def coco_from_meta(
    metas: list[dict[str, Any]],
    info: dict[str, Any] | None = None,
    licenses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A COCO dataset dict from per-image meta records (sorted by image index).

    Images carry, besides the COCO fields, the mask file, depth and normals files when
    rendered, and the `camera` (K, cam2world in OpenCV axes, cam2world_blender); annotations
    carry occlusion, truncation, visibility and, with amodal masks, `amodal_bbox` and
    `amodal_segmentation`. `info` and `licenses` (see card.py) fill the COCO header; every
    image gets licence id 1, the batch's own licence.
    """
    categories = coco_categories({a["cls"] for m in metas for a in m["annotations"]})
    cat_id = {c["name"]: c["id"] for c in categories}
    images, anns = [], []
    for meta in sorted(metas, key=lambda m: m["image"]["index"]):
        im = meta["image"]
        image_id = im["index"] + 1
        record = {
            "id": image_id,
            "file_name": im["file_name"],
            "width": im["width"],
            "height": im["height"],
            "mask_file": im["mask_file"],
            "license": 1,
        }
        record.update({k: im[k] for k in IMAGE_EXTRAS if k in im})
        if "camera" in meta:
            record["camera"] = meta["camera"]
        images.append(record)
        for a in meta["annotations"]:
            if a["visible_pixels"] <= 0:
                continue
            ann = {
                "id": len(anns) + 1,
                "image_id": image_id,
                "category_id": cat_id[a["cls"]],
                "bbox": a["bbox"],
                "area": a["visible_pixels"],
                "segmentation": a["segmentation"],
                "iscrowd": 0,
                "instance_id": a["instance_id"],
                "visibility": round(1.0 - a["occlusion"], 5),
                "occlusion": a["occlusion"],
                "truncation": a["truncation"],
            }
            ann.update({k: a[k] for k in ANNOTATION_EXTRAS if k in a})
            anns.append(ann)
    return {
        "info": info
        or {"description": "Synthetic fridge scenes (fridge-render)", "version": "1.0"},
        "licenses": licenses or [{"id": 1, "name": "unspecified", "url": ""}],
        "categories": categories,
        "images": images,
        "annotations": anns,
    }
