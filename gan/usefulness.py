"""Usefulness of a labelled synthetic batch: train on synthetic crops, test on real crops.

A small CNN classifies object crops. It is trained only on crops cut from a synthetic batch
(a `fridge-render` batch or a `fridge-translate` output: boxes and classes from `meta/*.json`,
else `annotations.json`) and tested on crops of a real YOLO-labelled split (`images/`,
`labels/`, class names in `data.yaml` of the split folder or its parent). A class map (synthetic
name -> real name) decides which classes take part; real boxes of other classes are ignored.

The recipe (`UsefulnessSettings`: crop size and context margin, object filters, network, steps,
augmentation) is fixed and seeded, and identical for every synthetic input, so that scores of a
render batch and of its translation can be compared: a translation that keeps objects
recognisable and looking like the real ones scores higher; a blurred smear does not.

Public entry points:

- `crop_classifier_score(synthetic_dir, real_dir, class_map, settings, seed) -> dict`: one seed.
- `usefulness_score(synthetic_dir, real_dir, class_map, settings, seeds) -> dict`: several
  seeds, mean and spread of every number (small real test sets are noisy).
- `load_crops(source, class_map, settings, classes=None) -> CropSet`: crops of a synthetic batch
  or of a YOLO split (a YOLO source, e.g. a real train split, is read by real class names).
- `box_shapes(sources, class_map, settings, classes=None) -> {class: BoxShape}`: median box
  aspect and size per class, to compare how renders and photos frame each class.
- `score_seeds(train, test, settings, seeds, jobs=1) -> [dict]`: one `score_crops` run per
  seed on crops in memory, `jobs` classifiers trained at once in separate processes;
  `aggregate_runs(runs)` and `spread(values)` give their mean and spread.
- `train_classifier`, `predict`, `classification_scores`: the pieces, for crops in memory.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import nn
from tqdm import tqdm

from fridge_batch import layout
from gan.config import ConfigError, require_positive
from gan.data import IMAGE_SUFFIXES, DataError, load_rgb
from gan.schedules import WarmupCosine

log = logging.getLogger(__name__)

# Synthetic (render) class name -> real (aicook) class name.
DEFAULT_CLASS_MAP: dict[str, str] = {
    "apple": "apple",
    "banana": "banana",
    "butter_pack": "butter",
    "cheese_block": "cheese",
    "egg": "eggs",
    "milk_carton": "milk",
    "tomato": "tomato",
    "lemon": "lime",
}

Box = tuple[float, float, float, float]  # x0, y0, width, height in pixels
CROP_SHAPES = ("square", "warp")


@dataclass(frozen=True)
class UsefulnessSettings:
    """The fixed crop-classifier recipe (keep it equal across inputs that are compared)."""

    crop_size: int = 64  # crops are resized to crop_size x crop_size
    margin: float = 0.15  # context on each side, a fraction of the box's longer side (warp: each)
    # square: a square around the box's longer side (the object keeps its aspect, a flat one is
    # a thin band among its neighbours) | warp: the box plus `margin` of each side stretched to
    # the square, as a detector's RoI pooling sees it (the object fills the crop)
    crop: str = "square"
    min_visible_pixels: int = 100  # synthetic objects: fewer visible pixels are left out
    max_occlusion: float = 0.5  # synthetic objects: more occluded ones are left out
    max_truncation: float = 0.5  # synthetic objects: more cut by the frame are left out
    min_box_size: float = 4.0  # px; shorter box sides (both domains) are left out
    steps: int = 400
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    width: int = 16  # channels of the first conv stage (doubled per stage)
    flip: bool = True  # horizontal flips
    scale_jitter: float = 0.15  # zoom factor in [1 - s, 1 + s]
    translate_jitter: float = 0.08  # shift up to this fraction of the crop size
    colour_jitter: float = 0.15  # brightness, contrast and saturation factors in [1 - c, 1 + c]
    # Domain randomisation (0 = off, the translation-comparison recipe): renders differ from
    # photos in white balance, sharpness, noise and clutter, which a classifier should not use.
    channel_jitter: float = 0.0  # per-channel gains in [1 - g, 1 + g] (white balance, tints)
    blur: float = 0.0  # probability of a Gaussian blur of sigma 0.5-1.5 px (at crop_size)
    noise: float = 0.0  # std of added Gaussian pixel noise, on [0, 1] intensities
    erase: float = 0.0  # probability of blanking a random rectangle (a stand-in occluder)
    # Each crop scaled to zero mean and unit spread per channel before the first layer: the
    # classifier cannot use a crop's brightness or colour cast, only its pattern and contrasts.
    standardise: bool = False
    # Classifiers trained per seed (seeds seed * ensemble + 0..ensemble-1), their softmax averaged:
    # one small classifier trained on renders swings by several points between seeds.
    ensemble: int = 1

    def validate(self, prefix: str = "usefulness") -> None:
        """Check ranges; ConfigError names the key under `prefix`."""
        for key in ("crop_size", "steps", "batch_size", "width", "lr", "ensemble"):
            require_positive(f"{prefix}.{key}", getattr(self, key))
        for key in ("margin", "min_visible_pixels", "min_box_size", "weight_decay"):
            require_positive(f"{prefix}.{key}", getattr(self, key), allow_zero=True)
        for key in (
            "max_occlusion", "max_truncation", "scale_jitter", "colour_jitter", "channel_jitter",
            "blur", "noise", "erase",
        ):  # fmt: skip
            value = getattr(self, key)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{prefix}.{key}: must be within [0, 1], got {value!r}")
        if not 0.0 <= self.translate_jitter <= 0.5:
            raise ConfigError(f"{prefix}.translate_jitter: must be within [0, 0.5]")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"{prefix}.label_smoothing: must be within [0, 1)")
        if self.crop not in CROP_SHAPES:
            raise ConfigError(
                f"{prefix}.crop: expected one of {', '.join(CROP_SHAPES)}, got {self.crop!r}"
            )
        if not isinstance(self.standardise, bool):
            raise ConfigError(
                f"{prefix}.standardise: expected true or false, got {self.standardise!r}"
            )


@dataclass
class CropSet:
    """Object crops (N, 3, S, S) uint8 with labels indexing `classes` (real class names)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str = ""
    skipped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.numel())

    def counts(self) -> dict[str, int]:
        """Crops per class, in class order."""
        hist = torch.bincount(self.labels, minlength=len(self.classes)).tolist()
        return dict(zip(self.classes, hist, strict=True))

    def subset(self, classes: Sequence[str]) -> CropSet:
        """Only crops of `classes`, relabelled to index `classes`."""
        remap = torch.full((len(self.classes),), -1, dtype=torch.long)
        for new, name in enumerate(classes):
            if name in self.classes:
                remap[self.classes.index(name)] = new
        new_labels = remap[self.labels] if len(self) else self.labels
        keep = new_labels >= 0
        return CropSet(
            self.images[keep], new_labels[keep], tuple(classes), self.source, dict(self.skipped)
        )


# ---------------------------------------------------------------------------------------------
# Class map and folder checks


def resolve_class_map(class_map: Mapping[str, str] | None, key: str) -> dict[str, str]:
    """The class map as a plain dict (default: DEFAULT_CLASS_MAP); ConfigError naming `key`."""
    if class_map is None:
        return dict(DEFAULT_CLASS_MAP)
    if not isinstance(class_map, Mapping) or not class_map:
        raise ConfigError(f"{key}: expected a non-empty mapping synthetic_name: real_name")
    out = {}
    for src, dst in class_map.items():
        if not isinstance(src, str) or not isinstance(dst, str) or not src or not dst:
            raise ConfigError(f"{key}.{src}: expected a class name, got {dst!r}")
        out[src] = dst
    if len(set(out.values())) < 2:
        raise ConfigError(f"{key}: needs at least 2 distinct real classes")
    return out


def real_classes(class_map: Mapping[str, str]) -> tuple[str, ...]:
    """Real class names of a class map, in first-appearance order."""
    return tuple(dict.fromkeys(class_map.values()))


def is_yolo_split(path: str | Path) -> bool:
    """True when `path` looks like a YOLO split: `images/` and `labels/` folders."""
    root = Path(path).expanduser()
    return (root / "images").is_dir() and (root / "labels").is_dir()


def is_labelled_batch(path: str | Path) -> bool:
    """True when `path` is a labelled synthetic batch (`meta/*.json` or `annotations.json`)."""
    return layout.has_labels(Path(path).expanduser())


def read_yolo_names(split_dir: str | Path) -> list[str]:
    """Class names from `data.yaml` in the split folder or its parent; DataError if absent."""
    import yaml

    root = Path(split_dir).expanduser()
    for candidate in (root / "data.yaml", root.parent / "data.yaml"):
        if candidate.is_file():
            try:
                data = yaml.safe_load(candidate.read_text())
            except yaml.YAMLError as exc:
                raise DataError(f"{candidate}: cannot parse ({str(exc).splitlines()[0]})") from exc
            names = data.get("names") if isinstance(data, dict) else None
            if isinstance(names, dict):
                names = [names[k] for k in sorted(names)]
            if not isinstance(names, list) or not names:
                raise DataError(f"{candidate}: no `names` list")
            return [str(n) for n in names]
    raise DataError(f"{root}: no data.yaml (class names) in the folder or its parent")


def check_real_dir(
    real_dir: str | Path, class_map: Mapping[str, str], key: str, map_key: str = "class_map"
) -> list[str]:
    """Validate a real YOLO split against the class map; returns its class names.

    Folder errors name `key`, class-map errors `map_key.<synthetic name>`.
    """
    root = Path(real_dir).expanduser()
    if not root.is_dir():
        raise DataError(f"{key}: {root} does not exist")
    if not is_yolo_split(root):
        raise DataError(f"{key}: {root} is not a YOLO split (needs images/ and labels/)")
    try:
        names = read_yolo_names(root)
    except DataError as exc:
        raise DataError(f"{key}: {exc}") from exc
    for src, dst in class_map.items():
        if dst not in names:
            raise ConfigError(
                f"{map_key}.{src}: real class {dst!r} is not in data.yaml names "
                f"({', '.join(names)})"
            )
    return names


def batch_class_names(batch_dir: str | Path) -> set[str] | None:
    """All category names of a batch's annotations.json, or None without one."""
    path = Path(batch_dir).expanduser() / layout.ANNOTATIONS
    if not path.is_file():
        return None
    try:
        coco = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc
    return {str(c["name"]) for c in coco.get("categories", [])}


def check_synthetic_dir(
    batch_dir: str | Path, class_map: Mapping[str, str], key: str, map_key: str = "class_map"
) -> None:
    """Validate a synthetic batch: labelled, and every class-map key one of its classes.

    Class names are checked against `annotations.json` categories when present (a render batch
    lists every class it can hold there, present or not).
    """
    root = Path(batch_dir).expanduser()
    if not root.is_dir():
        raise DataError(f"{key}: {root} does not exist")
    if not is_labelled_batch(root):
        raise DataError(f"{key}: {root} has no labels (meta/*.json or annotations.json)")
    names = batch_class_names(root)
    if names is None:
        return
    for src in class_map:
        if src not in names:
            raise ConfigError(
                f"{map_key}.{src}: not a class of {root} (known: {', '.join(sorted(names))})"
            )


# ---------------------------------------------------------------------------------------------
# Boxes


def yolo_to_box(cx: float, cy: float, w: float, h: float, width: int, height: int) -> Box:
    """Normalized YOLO centre box to a pixel box (x0, y0, w, h)."""
    bw, bh = w * width, h * height
    return (cx * width - bw / 2, cy * height - bh / 2, bw, bh)


def box_to_yolo(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    """Pixel box (x0, y0, w, h) to normalized YOLO (cx, cy, w, h)."""
    x0, y0, w, h = box
    return ((x0 + w / 2) / width, (y0 + h / 2) / height, w / width, h / height)


def parse_yolo_line(line: str, width: int, height: int, where: str) -> tuple[int, Box] | None:
    """(class id, pixel box) of one label line; polygons become their bounding box.

    Blank lines give None; malformed lines raise DataError naming `where` (file:line).
    """
    parts = line.split()
    if not parts:
        return None
    try:
        cls = int(float(parts[0]))
        vals = [float(v) for v in parts[1:]]
    except ValueError as exc:
        raise DataError(f"{where}: not a YOLO label line: {line.strip()!r}") from exc
    if len(vals) == 4:
        return cls, yolo_to_box(*vals, width, height)
    if len(vals) >= 6 and len(vals) % 2 == 0:  # segmentation polygon x1 y1 x2 y2 ...
        xs, ys = vals[0::2], vals[1::2]
        x0, x1, y0, y1 = min(xs) * width, max(xs) * width, min(ys) * height, max(ys) * height
        return cls, (x0, y0, x1 - x0, y1 - y0)
    raise DataError(f"{where}: expected 'class cx cy w h', got {line.strip()!r}")


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file without decoding it."""
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from exc


def yolo_objects(split_dir: str | Path) -> list[tuple[Path, list[tuple[str, Box]]]]:
    """(image path, [(class name, pixel box)]) per image of a YOLO split, sorted by name.

    Images without a label file have no objects; class ids outside data.yaml are an error.
    """
    root = Path(split_dir).expanduser()
    names = read_yolo_names(root)
    out = []
    images = sorted(p for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for image in images:
        label = root / "labels" / f"{image.stem}.txt"
        objects: list[tuple[str, Box]] = []
        if label.is_file():
            width, height = _image_size(image)
            for n, line in enumerate(label.read_text().splitlines(), start=1):
                parsed = parse_yolo_line(line, width, height, f"{label}:{n}")
                if parsed is None:
                    continue
                cls, box = parsed
                if not 0 <= cls < len(names):
                    raise DataError(f"{label}:{n}: class id {cls} not in data.yaml names")
                objects.append((names[cls], box))
        out.append((image, objects))
    return out


def _batch_image(root: Path, file_name: str) -> Path:
    """The image file of a batch record: `images/<basename>` (translations keep the names)."""
    path = root / layout.IMAGES / Path(file_name).name
    if not path.is_file():
        raise DataError(f"{root}: image {file_name!r} has no file in images/")
    return path


def _keep_synthetic(ann: Mapping[str, Any], s: UsefulnessSettings) -> str | None:
    """None when a synthetic object passes the filters, else the reason it is left out."""
    if float(ann.get("visible_pixels", 0)) < max(s.min_visible_pixels, 1):
        return "too few visible pixels"
    if float(ann.get("occlusion", 0.0)) > s.max_occlusion:
        return "occluded"
    if float(ann.get("truncation", 0.0)) > s.max_truncation:
        return "truncated"
    return None


def synthetic_objects(
    batch_dir: str | Path, s: UsefulnessSettings
) -> tuple[list[tuple[Path, list[tuple[str, Box]]]], dict[str, int]]:
    """(image, [(synthetic class, box)]) per image of a labelled batch, plus filter counts.

    Reads `meta/*.json` (class, bbox, visible pixels, occlusion, truncation per object), else
    the COCO `annotations.json` (`area` as visible pixels).
    """
    root = Path(batch_dir).expanduser()
    skipped: dict[str, int] = {}
    records: list[tuple[str, list[dict[str, Any]]]] = []
    metas = layout.meta_paths(root)
    if metas:
        for path in metas:
            try:
                meta = json.loads(path.read_text())
                records.append((meta["image"]["file_name"], meta.get("annotations", [])))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path}: not a batch meta record ({exc})") from exc
    else:
        path = root / layout.ANNOTATIONS
        try:
            coco = json.loads(path.read_text())
            cats = {c["id"]: c["name"] for c in coco["categories"]}
            per_image: dict[int, list[dict[str, Any]]] = {im["id"]: [] for im in coco["images"]}
            for a in coco["annotations"]:
                per_image[a["image_id"]].append(
                    {**a, "cls": cats[a["category_id"]], "visible_pixels": a.get("area", 0)}
                )
            records = [(im["file_name"], per_image[im["id"]]) for im in coco["images"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a COCO annotation file ({exc})") from exc
    out = []
    for file_name, anns in records:
        objects = []
        for a in anns:
            reason = _keep_synthetic(a, s)
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            objects.append((str(a["cls"]), tuple(float(v) for v in a["bbox"])))
        out.append((_batch_image(root, file_name), objects))
    return out, skipped


# ---------------------------------------------------------------------------------------------
# Crops


def crop_object(
    img: Image.Image, box: Box, size: int, margin: float, shape: str = "square"
) -> np.ndarray:
    """A crop around a box, resized to size x size; parts outside the image are black.

    `square`: the box's longer side plus `margin` of it on each side, so the object keeps its
    aspect ratio. `warp`: each side of the box plus `margin` of that side, stretched to the
    square (the object fills the crop whatever its aspect).
    """
    x0, y0, w, h = box
    if shape == "warp":
        cw, ch = w * (1.0 + 2.0 * margin), h * (1.0 + 2.0 * margin)
    else:
        cw = ch = max(w, h) * (1.0 + 2.0 * margin)
    cx, cy = x0 + w / 2, y0 + h / 2
    left, top = round(cx - cw / 2), round(cy - ch / 2)
    crop = img.crop((left, top, left + max(round(cw), 1), top + max(round(ch), 1)))
    return np.asarray(crop.resize((size, size), Image.BILINEAR), dtype=np.uint8)


def _mapped_objects(
    source: str | Path,
    class_map: Mapping[str, str] | None,
    s: UsefulnessSettings,
    classes: Sequence[str] | None,
) -> tuple[Path, tuple[str, ...], list[tuple[Path, list[tuple[str, Box]]]], dict[str, int]]:
    """(folder, real classes, [(image, [(real class, box)])], left-out counts) of a synthetic
    batch or a YOLO split: the objects `load_crops` crops.

    A synthetic batch's classes go through `class_map`; a YOLO split is read by real names (its
    boxes of classes outside `classes` are ignored). `classes` defaults to the map's real
    classes. Synthetic objects are filtered by visibility/occlusion/truncation, and boxes with a
    side below `min_box_size` are left out in both domains.
    """
    cmap = resolve_class_map(class_map, "class_map")
    classes = tuple(classes) if classes is not None else real_classes(cmap)
    root = Path(source).expanduser()
    if is_yolo_split(root):
        real_of = {name: name for name in classes}
        objects, skipped = yolo_objects(root), {}
    elif is_labelled_batch(root):
        real_of = {src: dst for src, dst in cmap.items() if dst in classes}
        objects, skipped = synthetic_objects(root, s)
    else:
        raise DataError(f"{root}: neither a labelled batch nor a YOLO split")
    out = []
    for path, objs in objects:
        kept = []
        for cls, box in objs:
            if cls not in real_of:
                continue
            if min(box[2], box[3]) < s.min_box_size:
                skipped["box too small"] = skipped.get("box too small", 0) + 1
                continue
            kept.append((real_of[cls], box))
        if kept:
            out.append((path, kept))
    return root, classes, out, skipped


def load_crops(
    source: str | Path,
    class_map: Mapping[str, str] | None = None,
    settings: UsefulnessSettings | None = None,
    classes: Sequence[str] | None = None,
) -> CropSet:
    """Object crops of a labelled synthetic batch or a YOLO split, labelled by real class.

    A synthetic batch's classes go through `class_map`; a YOLO split is read by real names (its
    boxes of classes outside the map are ignored). `classes` fixes the label order (default:
    the map's real classes). Synthetic objects are filtered by visibility/occlusion/truncation.
    """
    s = settings or UsefulnessSettings()
    root, classes, objects, skipped = _mapped_objects(source, class_map, s, classes)
    crops, labels = [], []
    for path, objs in tqdm(
        objects, desc=f"crops {root.name}", unit="img", dynamic_ncols=True, leave=False
    ):
        img = load_rgb(path)
        for cls, box in objs:
            crops.append(crop_object(img, box, s.crop_size, s.margin, s.crop))
            labels.append(classes.index(cls))
    if crops:
        images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()
    else:
        images = torch.zeros((0, 3, s.crop_size, s.crop_size), dtype=torch.uint8)
    result = CropSet(images, torch.tensor(labels, dtype=torch.long), classes, str(root), skipped)
    log.info("%s: %d crops %s (left out: %s)", root, len(result), result.counts(), skipped or 0)
    return result


@dataclass(frozen=True)
class BoxShape:
    """How one class's boxes are framed: the medians over its boxes."""

    count: int
    aspect: float  # box width / height
    size: float  # the box's longer side over the image's longer side


def box_shapes(
    sources: str | Path | Sequence[str | Path],
    class_map: Mapping[str, str] | None = None,
    settings: UsefulnessSettings | None = None,
    classes: Sequence[str] | None = None,
) -> dict[str, BoxShape]:
    """Per real class, the shape of the boxes `load_crops` would crop from one folder or from
    several pooled (classes without boxes are absent).

    Compare a render batch with photos: crops are squares around a box's longer side, so a
    class that the renders show much wider than the photos do (packs lying flat, items in a
    row, trays seen edge-on or half hidden) is a thin band among its neighbours in the render
    crops but fills the photo crops. Only image headers are read.
    """
    s = settings or UsefulnessSettings()
    if isinstance(sources, (str, Path)):
        sources = [sources]
    objects = [o for src in sources for o in _mapped_objects(src, class_map, s, classes)[2]]
    per_class: dict[str, list[tuple[float, float]]] = {}
    for path, objs in objects:
        longer = max(_image_size(path))
        for cls, (_, _, w, h) in objs:
            per_class.setdefault(cls, []).append((w / h, max(w, h) / longer))
    out = {}
    for cls, values in per_class.items():
        arr = np.asarray(values)
        out[cls] = BoxShape(len(arr), float(np.median(arr[:, 0])), float(np.median(arr[:, 1])))
    return out


# ---------------------------------------------------------------------------------------------
# Classifier


class CropStandardise(nn.Module):
    """Per crop and channel: subtract the mean, divide by the standard deviation plus `eps`.

    `eps` keeps flat crops (a blank shelf) from being blown up into noise; on the network's
    input scale ((x - 0.5) / 0.25) the default 0.2 is 0.05 on [0, 1] intensities.
    """

    def __init__(self, eps: float = 0.2) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(2, 3), keepdim=True)
        return (x - mean) / (x.std(dim=(2, 3), keepdim=True) + self.eps)


def build_classifier(num_classes: int, width: int = 16, standardise: bool = False) -> nn.Module:
    """Four conv-BN-ReLU stages (width, 2w, 4w, 8w) with max pooling, global average, linear;
    with `standardise`, a CropStandardise in front."""
    layers: list[nn.Module] = [CropStandardise()] if standardise else []
    cin = 3
    for stage in range(4):
        cout = width * 2**stage
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        layers.append(nn.MaxPool2d(2) if stage < 3 else nn.AdaptiveAvgPool2d(1))
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin, num_classes))


def _to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 crops to float network input, roughly zero-mean unit-scale."""
    return images.float().div_(255.0).sub_(0.5).div_(0.25)


def augment(x: torch.Tensor, s: UsefulnessSettings, gen: torch.Generator) -> torch.Tensor:
    """Random flips, zoom/shift and colour jitter of float crops (B, 3, S, S) on [0, 1]."""
    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(b, generator=gen)

    if s.flip:
        flip = torch.rand(b, generator=gen) < 0.5
        x = torch.where(flip.view(b, 1, 1, 1), x.flip(-1), x)
    if s.scale_jitter > 0 or s.translate_jitter > 0:
        zoom = uniform(1 - s.scale_jitter, 1 + s.scale_jitter)
        tx = uniform(-s.translate_jitter, s.translate_jitter) * 2
        ty = uniform(-s.translate_jitter, s.translate_jitter) * 2
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = 1.0 / zoom
        theta[:, 0, 2], theta[:, 1, 2] = tx, ty
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if s.colour_jitter > 0:
        c = s.colour_jitter
        x = x * uniform(1 - c, 1 + c).view(b, 1, 1, 1)
        gray = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        mean = gray.mean(dim=(2, 3), keepdim=True)
        x = (x - mean) * uniform(1 - c, 1 + c).view(b, 1, 1, 1) + mean
        gray = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        x = (x - gray) * uniform(1 - c, 1 + c).view(b, 1, 1, 1) + gray
    if s.channel_jitter > 0:
        g = s.channel_jitter
        x = x * (1 - g + 2 * g * torch.rand(b, 3, 1, 1, generator=gen))
    if s.blur > 0:
        x = _random_blur(x, s.blur, gen)
    if s.noise > 0:
        x = x + s.noise * torch.randn(x.shape, generator=gen)
    if s.erase > 0:
        x = _random_erase(x, s.erase, gen)
    return x.clamp(0.0, 1.0)


def _random_blur(x: torch.Tensor, prob: float, gen: torch.Generator) -> torch.Tensor:
    """Blur each image with probability `prob` by a separable Gaussian of sigma 0.5-1.5 px."""
    b, c = x.shape[:2]
    pick = torch.rand(b, generator=gen) < prob
    sigma = 0.5 + torch.rand(b, generator=gen)
    taps = torch.arange(-3, 4, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (taps.view(1, -1) / sigma.view(-1, 1)) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)  # (B, 7)
    flat = x.reshape(1, b * c, *x.shape[2:])
    k = kernel.repeat_interleave(c, 0)
    flat = F.conv2d(
        F.pad(flat, (3, 3, 0, 0), mode="replicate"), k.view(b * c, 1, 1, 7), groups=b * c
    )
    flat = F.conv2d(
        F.pad(flat, (0, 0, 3, 3), mode="replicate"), k.view(b * c, 1, 7, 1), groups=b * c
    )
    return torch.where(pick.view(b, 1, 1, 1), flat.view_as(x), x)


def _random_erase(x: torch.Tensor, prob: float, gen: torch.Generator) -> torch.Tensor:
    """With probability `prob`, fill a rectangle of 10-30 % of the side lengths by a flat grey."""
    b, _, h, w = x.shape
    pick = torch.rand(b, generator=gen) < prob
    eh = (h * (0.1 + 0.2 * torch.rand(b, generator=gen))).long()
    ew = (w * (0.1 + 0.2 * torch.rand(b, generator=gen))).long()
    y0 = (torch.rand(b, generator=gen) * (h - eh)).long()
    x0 = (torch.rand(b, generator=gen) * (w - ew)).long()
    fill = torch.rand(b, generator=gen)
    ys, xs = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    inside = (ys >= y0.view(b, 1, 1)) & (ys < (y0 + eh).view(b, 1, 1))
    inside = inside & (xs >= x0.view(b, 1, 1)) & (xs < (x0 + ew).view(b, 1, 1))
    inside = inside & pick.view(b, 1, 1)
    return torch.where(inside.unsqueeze(1), fill.view(b, 1, 1, 1), x)


def balanced_indices(labels: torch.Tensor, count: int, gen: torch.Generator) -> torch.Tensor:
    """`count` indices drawn with every present class equally likely, then uniform within it."""
    present = torch.unique(labels)
    order = torch.argsort(labels, stable=True)
    sizes = torch.bincount(labels)[present]
    starts = torch.cumsum(sizes, 0) - sizes
    pick = torch.randint(0, present.numel(), (count,), generator=gen)
    within = (torch.rand(count, generator=gen) * sizes[pick]).long().clamp_max(sizes[pick] - 1)
    return order[starts[pick] + within]


def train_classifier(
    train: CropSet, settings: UsefulnessSettings | None = None, seed: int = 0, progress: bool = True
) -> nn.Module:
    """Train the crop classifier on `train` (balanced sampling, augmentation) on the CPU.

    Everything random (initial weights, batches, augmentation) follows `seed`; the global torch
    RNG state is left as it was.
    """
    s = settings or UsefulnessSettings()
    if len(train) == 0:
        raise DataError(f"{train.source}: no training crops of the mapped classes")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        model = build_classifier(len(train.classes), s.width, s.standardise)
        opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, WarmupCosine(s.steps))
        model.train()
        steps = tqdm(
            range(s.steps), desc=f"classifier seed {seed}", unit="step", dynamic_ncols=True,
            disable=not progress, leave=False,
        )  # fmt: skip
        for _ in steps:
            idx = balanced_indices(train.labels, s.batch_size, gen)
            x = augment(train.images[idx].float() / 255.0, s, gen)
            logits = model((x - 0.5) / 0.25)
            loss = F.cross_entropy(logits, train.labels[idx], label_smoothing=s.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def predict(
    model: nn.Module | Sequence[nn.Module], crops: CropSet, batch_size: int = 256
) -> torch.Tensor:
    """Predicted class index per crop (no augmentation); several models vote with their mean
    softmax."""
    models = [model] if isinstance(model, nn.Module) else list(model)
    for m in models:
        m.eval()
    out = [
        torch.stack([m(_to_input(chunk)).softmax(1) for m in models]).mean(0).argmax(1)
        for chunk in crops.images.split(batch_size)
    ]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def classification_scores(
    pred: torch.Tensor, target: torch.Tensor, classes: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro-F1, per-class accuracy, confusion, chance (1/K).

    Per-class numbers and the macro averages cover the classes present in `target`.
    """
    k = len(classes)
    conf = torch.bincount(target * k + pred, minlength=k * k).view(k, k)
    support, predicted, hits = conf.sum(1), conf.sum(0), conf.diagonal()
    present = [i for i in range(k) if support[i] > 0]
    per_class, f1s = {}, []
    for i in present:
        recall = float(hits[i] / support[i])
        precision = float(hits[i] / predicted[i]) if predicted[i] > 0 else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if hits[i] > 0 else 0.0)
        per_class[classes[i]] = recall
    n = int(support.sum())
    return {
        "accuracy": float(hits.sum() / n) if n else None,
        "balanced_accuracy": sum(per_class.values()) / len(present) if present else None,
        "macro_f1": sum(f1s) / len(f1s) if f1s else None,
        "per_class_accuracy": per_class,
        "chance": 1.0 / len(present) if present else None,
        "confusion": conf.tolist(),
    }


# ---------------------------------------------------------------------------------------------
# Scores


def prepare_crops(
    synthetic_dir: str | Path,
    real_dir: str | Path,
    class_map: Mapping[str, str] | None,
    settings: UsefulnessSettings,
) -> tuple[CropSet, CropSet]:
    """(train, test) crops: classes are the map's real classes with at least one real crop."""
    cmap = resolve_class_map(class_map, "class_map")
    test = load_crops(real_dir, cmap, settings)
    classes = [c for c, n in test.counts().items() if n > 0]
    if len(classes) < 2:
        raise DataError(f"{real_dir}: fewer than 2 mapped classes have real boxes ({classes})")
    test = test.subset(classes)
    train = load_crops(synthetic_dir, cmap, settings).subset(classes)
    return train, test


def score_crops(
    train: CropSet,
    test: CropSet,
    settings: UsefulnessSettings | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train on `train`, score on `test` (same classes): classification_scores plus counts.

    With `settings.ensemble` = k > 1, k classifiers (seeds seed * k + 0..k-1) vote."""
    if train.classes != test.classes:
        raise ValueError("score_crops: train and test crops must share their classes")
    k = (settings or UsefulnessSettings()).ensemble
    models = [train_classifier(train, settings, seed * k + j, progress) for j in range(k)]
    scores = classification_scores(predict(models, test), test.labels, test.classes)
    train_counts = train.counts()
    return {
        **scores,
        "seed": seed,
        "classes": list(test.classes),
        "counts": {"train": train_counts, "test": test.counts()},
        "missing_train_classes": [c for c, n in train_counts.items() if n == 0],
    }


def score_seeds(
    train: CropSet,
    test: CropSet,
    settings: UsefulnessSettings | None = None,
    seeds: Sequence[int] = (0,),
    jobs: int = 1,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """`score_crops` for each seed, in seed order.

    `jobs` > 1 trains that many classifiers at once, each in its own process with an equal share
    of this process's torch threads (for machines with more cores than one classifier uses). A
    seed scores exactly as `score_crops` scores it with that share of threads; the thread count
    changes the scores a little, so compare runs made with the same one."""
    seeds = list(seeds)
    jobs = max(1, min(jobs, len(seeds)))
    if jobs == 1:
        return [score_crops(train, test, settings, seed, progress) for seed in seeds]
    threads = max(1, torch.get_num_threads() // jobs)
    init = (_plain(train), _plain(test), settings, threads)
    ctx = multiprocessing.get_context("spawn")  # fork would copy torch's thread pools
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_job_start, initargs=init) as pool:
        runs = pool.map(_job_score, seeds)
        return list(tqdm(runs, total=len(seeds), desc="classifier seeds", disable=not progress))


_JOB: dict[str, Any] = {}  # a `score_seeds` worker's crops and settings


def _plain(crops: CropSet) -> tuple:
    """A crop set as numpy arrays and names: pickled by value, no shared memory needed."""
    return crops.images.numpy(), crops.labels.numpy(), crops.classes, crops.source


def _job_start(
    train: tuple, test: tuple, settings: UsefulnessSettings | None, threads: int
) -> None:
    """`score_seeds` worker: keep the crops and settings, use `threads` torch threads."""
    torch.set_num_threads(threads)
    for key, (images, labels, classes, source) in (("train", train), ("test", test)):
        _JOB[key] = CropSet(torch.from_numpy(images), torch.from_numpy(labels), classes, source)
    _JOB["settings"] = settings


def _job_score(seed: int) -> dict[str, Any]:
    """`score_seeds` worker: one seed's scores."""
    return score_crops(_JOB["train"], _JOB["test"], _JOB["settings"], seed, progress=False)


def crop_classifier_score(
    synthetic_dir: str | Path,
    real_dir: str | Path,
    class_map: Mapping[str, str] | None = None,
    settings: UsefulnessSettings | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Train on crops of `synthetic_dir`, test on crops of the YOLO split `real_dir` (one seed)."""
    s = settings or UsefulnessSettings()
    train, test = prepare_crops(synthetic_dir, real_dir, class_map, s)
    return score_crops(train, test, s, seed)


def spread(values: list[float | None]) -> dict[str, Any]:
    """Mean, sample std, min and max of the non-null values."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"mean": None, "std": None, "min": None, "max": None, "values": values}
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(vals), "max": max(vals), "values": values}


def aggregate_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and spread over seeds of the scores of `score_crops` runs."""
    first = runs[0]
    out: dict[str, Any] = {
        "classes": first["classes"],
        "chance": first["chance"],
        "counts": first["counts"],
        "missing_train_classes": first["missing_train_classes"],
        "seeds": [r["seed"] for r in runs],
    }
    for key in ("accuracy", "balanced_accuracy", "macro_f1"):
        out[key] = spread([r[key] for r in runs])
    out["per_class_accuracy"] = {
        c: spread([r["per_class_accuracy"].get(c) for r in runs])["mean"]
        for c in first["per_class_accuracy"]
    }
    out["runs"] = [
        {k: r[k] for k in ("seed", "accuracy", "balanced_accuracy", "macro_f1", "confusion")}
        for r in runs
    ]
    return out


def usefulness_score(
    synthetic_dir: str | Path,
    real_dir: str | Path,
    class_map: Mapping[str, str] | None = None,
    settings: UsefulnessSettings | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    progress: bool = True,
) -> dict[str, Any]:
    """`crop_classifier_score` for several seeds (crops cut once): mean, std, min, max each."""
    s = settings or UsefulnessSettings()
    if not seeds:
        raise ValueError("usefulness_score: needs at least one seed")
    train, test = prepare_crops(synthetic_dir, real_dir, class_map, s)
    runs = score_seeds(train, test, s, seeds, progress=progress)
    result = aggregate_runs(runs)
    result.update(
        synthetic_dir=str(synthetic_dir),
        real_dir=str(real_dir),
        skipped={"train": train.skipped, "test": test.skipped},
    )
    acc = result["balanced_accuracy"]
    log.info(
        "usefulness %s: balanced accuracy %.3f +- %.3f (chance %.3f, %d train / %d test crops)",
        synthetic_dir, acc["mean"], acc["std"], result["chance"], len(train), len(test),
    )  # fmt: skip
    return result


# ---------------------------------------------------------------------------------------------
# `fridge-eval` config section


@dataclass
class UsefulnessConfig:
    """`usefulness.*` of `fridge-eval`: which folders to score, against which real split.

    `real_dir` null skips the measure. `inputs` lists which of a_dir / b_dir to score (those
    that are labelled batches); `class_map` null means DEFAULT_CLASS_MAP. The remaining keys
    are the recipe (`UsefulnessSettings`); keep them equal across runs that are compared.
    Types and checks only: the values are under `usefulness:` in configs/eval.yaml.
    """

    real_dir: str | None
    inputs: list[str]
    class_map: dict[str, str] | None
    seeds: list[int]
    steps: int
    batch_size: int
    crop_size: int
    margin: float
    min_visible_pixels: int
    max_occlusion: float
    max_truncation: float

    def settings(self) -> UsefulnessSettings:
        """The recipe these keys describe (other recipe values at their defaults)."""
        keys = (
            "steps", "batch_size", "crop_size", "margin", "min_visible_pixels", "max_occlusion",
            "max_truncation",
        )  # fmt: skip
        return UsefulnessSettings(**{k: getattr(self, k) for k in keys})

    def validate(self, prefix: str = "usefulness") -> None:
        """Check values (not folders); ConfigError names the key."""
        if not isinstance(self.inputs, list) or not self.inputs:
            raise ConfigError(f"{prefix}.inputs: expected a non-empty list of a / b")
        for item in self.inputs:
            if item not in ("a", "b"):
                raise ConfigError(f"{prefix}.inputs: entries must be a or b, got {item!r}")
        if not isinstance(self.seeds, list) or not self.seeds:
            raise ConfigError(f"{prefix}.seeds: expected a non-empty list of integers")
        for seed in self.seeds:
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise ConfigError(f"{prefix}.seeds: expected integers, got {seed!r}")
        self.class_map = resolve_class_map(self.class_map, f"{prefix}.class_map")
        self.settings().validate(prefix)
