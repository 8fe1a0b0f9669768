"""The demo's measurements: realism, content kept and usefulness, one row per image folder.

Each row is measured through `fridge-eval`'s own functions (`gan.evaluate`, `gan.content`,
`gan.usefulness`), so the demo's numbers are those a user gets from `fridge-eval`:

- realism: SWD to the target domain on whole images (`swd`) and on native-scale crops
  (`swd_native`), and the detail ratio to the target (`detail_ratio`, native crops);
- content: mIoU of a segmenter trained on the clean *source* renders (cached), on the held-out
  images against the held-out render labels (`content_miou`);
- usefulness: a crop classifier trained on the labelled source batch (untranslated, or
  translated by a model) and tested on labelled target images: a real YOLO split
  (`measure.usefulness.real_dir`) or the photo-style target batch's own labels
  (`useful_acc`, `useful_f1`, `useful_chance`);
- paired: PSNR/SSIM to the photo-style ground truth, label fidelity to the render, spread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gan.config import ConfigError
from gan.content import SegmenterSettings, content_score_folders, load_or_train_segmenter
from gan.data import DataError, batch_classes, list_images, load_folder_tensor
from gan.devices import select_device
from gan.evaluate import (
    check_inputs,
    paired_means,
    paired_metrics,
    parse_eval_config,
    realism_metrics,
)
from gan.metrics import SWDSettings, swd
from gan.usefulness import (
    DEFAULT_CLASS_MAP,
    UsefulnessSettings,
    is_yolo_split,
    resolve_class_map,
    usefulness_score,
)
from pipeline.report import Method

log = logging.getLogger(__name__)


@dataclass
class Context:
    """Folders of one demo run that the measurements need."""

    cfg: dict
    source: Path
    target: Path
    heldout: Path
    truth: Path | None
    translated_sources: dict[str, Path] = field(default_factory=dict)
    cache_dir: Path = Path("outputs/demo/cache")


def usefulness_test_dir(cfg: dict) -> tuple[Path | None, dict[str, str] | None]:
    """Where crop classifiers are tested and the class map, or (None, None) when off/unlabelled.

    A real YOLO split when `measure.usefulness.real_dir` is set (class map: the key or the
    aicook default), else the photo-style target batch's labels (identity map), else nothing.
    """
    u = cfg["measure"]["usefulness"]
    if not u["enabled"]:
        return None, None
    if u["real_dir"]:
        return Path(u["real_dir"]), resolve_class_map(
            u["class_map"] or DEFAULT_CLASS_MAP, "measure.usefulness.class_map"
        )
    if cfg["demo"]["target_dir"]:
        return None, None  # unlabelled photos: nothing to test on
    return Path("<target batch>"), None


def check_settings(cfg: dict) -> None:
    """One-line ConfigError for measure keys before any work."""
    m = cfg["measure"]
    for key in ("swd_patches_per_image", "crop_size"):
        if not isinstance(m[key], int) or m[key] <= 0:
            raise ConfigError(f"measure.{key}: must be a positive integer, got {m[key]!r}")
    u = m["usefulness"]
    numbers = (
        ("content.steps", m["content"]["steps"]),
        ("usefulness.steps", u["steps"]),
        ("usefulness.min_visible_pixels", u["min_visible_pixels"]),
    )
    for key, value in numbers:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"measure.{key}: must be a positive integer, got {value!r}")
    if not isinstance(u["seeds"], int) or u["seeds"] <= 0:
        raise ConfigError(
            f"measure.usefulness.seeds: must be a positive integer, got {u['seeds']!r}"
        )
    if u["real_dir"] and not is_yolo_split(Path(u["real_dir"]).expanduser()):
        raise ConfigError(
            f"measure.usefulness.real_dir: {u['real_dir']} is not a YOLO split "
            "(images/, labels/ and data.yaml here or one level up)"
        )
    usefulness_test_dir(cfg)


def wants_source_translation(cfg: dict) -> bool:
    """True when usefulness is measured: then each model also translates the source batch."""
    return usefulness_test_dir(cfg)[0] is not None


def realism(images: Path, target: Path, cfg: dict, size: int) -> dict[str, float]:
    """Whole-image SWD, native-crop SWD and detail ratio of `images` against the target."""
    m = cfg["measure"]
    ecfg = parse_eval_config(
        {
            "a_dir": str(images),
            "b_dir": str(target),
            "paired": False,
            "image_size": size,
            "swd_patches_per_image": m["swd_patches_per_image"],
            "realism": {"crop_size": m["crop_size"]},
            "content": {"enabled": False},
        }
    )
    r, _ = realism_metrics(ecfg, check_inputs(ecfg))
    return {"swd_native": r["swd_native"], "detail_ratio": r["detail_ratio_native"]}


def paired(method: Path, other: Path, cfg: dict) -> dict[str, float | None]:
    """Mean PSNR, SSIM and label fidelity of `method` against the same names in `other`."""
    ecfg = parse_eval_config(
        {
            "a_dir": str(method),
            "b_dir": str(other),
            "paired": True,
            "edge_dilation": cfg["measure"]["edge_dilation"],
            "content": {"enabled": False},
        }
    )
    return paired_means(paired_metrics(ecfg, check_inputs(ecfg)))


def spread(x: torch.Tensor) -> float:
    """Mean over pixels of the standard deviation across images (0-255): output diversity."""
    return float(x.add(1).mul(127.5).std(dim=0).mean()) if len(x) > 1 else 0.0


def usefulness_rows(methods: list[Method], ctx: Context) -> dict[str, dict[str, float]]:
    """Crop accuracy / macro-F1 (mean over seeds) per method that has a labelled source batch."""
    test, cmap = usefulness_test_dir(ctx.cfg)
    if test is None:
        return {}
    if cmap is None:  # the photo-style target batch: same class names
        test = ctx.target
        cmap = {c: c for c in batch_classes(ctx.target) or ()}
    u = ctx.cfg["measure"]["usefulness"]
    seeds = tuple(range(u["seeds"]))
    batches = {"render": ctx.source, **ctx.translated_sources}
    out = {}
    for m in methods:
        if m.key not in batches:
            continue
        try:
            settings = UsefulnessSettings(
                steps=u["steps"], min_visible_pixels=u["min_visible_pixels"]
            )
            r = usefulness_score(batches[m.key], test, cmap, settings, seeds)
        except DataError as exc:
            log.warning("usefulness of %s skipped: %s", m.key, exc)
            continue
        out[m.key] = {
            "useful_acc": r["accuracy"]["mean"],
            "useful_acc_std": r["accuracy"]["std"],
            "useful_f1": r["macro_f1"]["mean"],
            "useful_balanced_acc": r["balanced_accuracy"]["mean"],
            "useful_chance": r["chance"],
        }
    return out


def content_rows(methods: list[Method], ctx: Context) -> dict[str, float]:
    """Content mIoU of every method's held-out images against the held-out render labels."""
    c = ctx.cfg["measure"]["content"]
    if not c["enabled"]:
        return {}
    settings = SegmenterSettings(steps=c["steps"])
    device = select_device(ctx.cfg["demo"]["device"], "demo.device")
    segmenter, path = load_or_train_segmenter(ctx.source, settings, ctx.cache_dir, device)
    names = [p.name for p in list_images(ctx.heldout)]
    scores = content_score_folders([m.images for m in methods], ctx.heldout, segmenter, names)
    log.info("content score with segmenter %s", path)
    return {m.key: s["miou"] for m, s in zip(methods, scores, strict=True)}


def measure_all(methods: list[Method], ctx: Context) -> dict[str, dict[str, float | None]]:
    """Every measurement for every method (see the module docstring)."""
    cfg = ctx.cfg
    size = min(cfg["render"]["resolution"])
    target_images = load_folder_tensor(ctx.target, size)
    settings = SWDSettings(patches_per_image=cfg["measure"]["swd_patches_per_image"])
    content = content_rows(methods, ctx)
    useful = usefulness_rows(methods, ctx)
    rows: dict[str, dict[str, float | None]] = {}
    for m in methods:
        x = load_folder_tensor(m.images, size)
        row: dict[str, float | None] = {"swd": swd(x, target_images, settings).mean}
        row.update(realism(m.images, ctx.target, cfg, size))
        row["content_miou"] = content.get(m.key)
        row["psnr"] = row["ssim"] = None
        if ctx.truth is not None and m.key != "truth":
            means = paired(m.images, ctx.truth, cfg)
            row["psnr"], row["ssim"] = means["psnr"], means["ssim"]
        row["label_fidelity"] = paired(m.images, ctx.heldout, cfg)["label_fidelity"]
        row["spread"] = spread(x)
        row.update(useful.get(m.key, {}))
        rows[m.key] = row
    return rows
