"""`fridge-eval`: compare two image folders (renders, translations, photos) with one report.

Measurements (`evaluate(cfg) -> dict`, no files written; the CLI adds `report.json`):

- SWD x1e3 (`gan.metrics.swd`) between the two sets, resized and center-cropped to `image_size`.
  Patches are drawn at random for each set, so identical sets score a sampling floor above 0
  (lower with more images or `swd_patches_per_image`); compare SWDs taken with equal settings.
- FID and KID (`gan.metrics.fid_kid`) only when `inception_weights` names a local Inception-v3
  state dict; otherwise they are skipped with a log line and reported as null.
- PSNR (dB, 8-bit RGB, MSE over all channels; inf for identical images) and SSIM (luminance
  Y = 0.299 R + 0.587 G + 0.114 B on [0, 255], gaussian window 11 / sigma 1.5, K1 0.01,
  K2 0.03, valid region, mean of the SSIM map) per image pair, when the folders are paired:
  files with the same name in both. `paired=auto` uses the overlap, `paired=true` demands the
  same names in both folders, `paired=false` skips pairwise metrics.
- Label fidelity, when `a_dir` is a render batch (has `masks/`) and pairs exist: do the paired
  `b_dir` images keep the objects where the labels say they are? Per image, Sobel gradient
  magnitudes of the luminance of both images are compared by Pearson correlation over the
  pixels inside any instance mask (mask id > 0) dilated by `edge_dilation` px to include the
  object borders. 1.0: same edges in the labelled regions; ~0: unrelated. Images whose region is
  empty or edge-free are left out (null). Reported per image and as the mean.
- Content score (`gan.content`), when `a_dir` is a render batch with masks and class labels and
  pairs exist: a small segmenter trained on the clean render batch `content.train_dir` (cached)
  segments the paired `b_dir` images and the `a_dir` renders; `content_miou` (b) and
  `content_miou_a` are the mean IoU over the foreground classes against a_dir's labels.
- Realism statistics (`realism.*`, weight-free): detail (mean luminance gradient magnitude,
  `gan.metrics.detail_statistic`) of both sets and `detail_ratio` = a / b on the `image_size`
  images and on full-resolution crops (`detail_ratio_native`): a blur scores << 1; and
  `swd_native`, the SWD of random `realism.crop_size` px crops taken without resizing.
- Usefulness (`usefulness.*`, when `usefulness.real_dir` names a real YOLO split): for a_dir
  and/or b_dir when they are labelled batches, a crop classifier trained on their object
  crops is tested on the real crops (`gan.usefulness`); accuracy, balanced accuracy and
  macro-F1 as mean and spread over `usefulness.seeds`, per-class accuracy, chance level.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from PIL import Image
from tqdm import tqdm

from fridge_batch import layout
from gan import cli
from gan import io as gio
from gan.cli import CONFIG_DIR, compose_from_cli
from gan.config import (
    ConfigError,
    EvalContentConfig,
    default_config,
    from_mapping,
    require_choice,
    require_positive,
)
from gan.content import (
    content_score_folders,
    content_unavailable,
    load_or_train_segmenter,
    settings_from_config,
)
from gan.data import (
    IMAGE_ERRORS,
    DataError,
    check_headers,
    image_error,
    list_images,
    load_folder_tensor,
    load_rgb,
    resolve_image_dir,
)
from gan.devices import select_device
from gan.metrics import (
    DetailResult,
    SWDSettings,
    common_short_side,
    detail_ratio,
    fid_kid,
    image_short_sides,
    label_fidelity,
    load_inception,
    native_crops,
    psnr,
    ssim,
    swd,
)
from gan.usefulness import (
    UsefulnessConfig,
    check_real_dir,
    check_synthetic_dir,
    is_labelled_batch,
    usefulness_score,
)

log = logging.getLogger(__name__)

PROG = "fridge-eval"
REPORT_NAME = "report.json"
MASK_SUFFIXES = (".png", ".tif", ".tiff", ".exr")


@dataclass
class RealismConfig:
    """`realism.*`: native-scale SWD crops and the detail statistic's scale."""

    crop_size: int  # px of the full-resolution crops (native SWD, native detail)
    crops_per_image: int
    detail_scale: int  # detail measured after averaging scale x scale pixel blocks
    match_scale: bool  # native crops: first downscale the larger set to a common size

    def validate(self) -> None:
        """Check value ranges."""
        require_positive("realism.crop_size", self.crop_size)
        require_positive("realism.crops_per_image", self.crops_per_image)
        require_positive("realism.detail_scale", self.detail_scale)
        if self.crop_size < 16:
            raise ConfigError(f"realism.crop_size: must be >= 16, got {self.crop_size}")


@dataclass
class EvalConfig:
    """`fridge-eval` options: types and checks; the values are in configs/eval.yaml."""

    a_dir: str
    b_dir: str
    out_dir: str | None
    paired: bool | str
    image_size: int
    limit: int | None
    swd_patches_per_image: int
    inception_weights: str | None
    kid_subset_size: int
    edge_dilation: int
    device: str
    seed: int
    content: EvalContentConfig
    realism: RealismConfig
    usefulness: UsefulnessConfig

    def validate(self) -> None:
        """Check choices and ranges."""
        require_positive("image_size", self.image_size)
        self.realism.validate()
        if 3 * self.realism.detail_scale > self.image_size:
            raise ConfigError(
                f"realism.detail_scale: {self.realism.detail_scale} leaves fewer than 3 px of "
                f"the {self.image_size} px images"
            )
        self.usefulness.validate()
        if not isinstance(self.paired, bool) and self.paired != "auto":
            raise ConfigError(f"paired: must be auto, true or false, got {self.paired!r}")
        require_positive("image_size", self.image_size)
        require_positive("limit", self.limit)
        require_positive("swd_patches_per_image", self.swd_patches_per_image)
        require_positive("kid_subset_size", self.kid_subset_size)
        require_positive("edge_dilation", self.edge_dilation, allow_zero=True)
        require_choice("device", self.device, ("auto", "cpu", "cuda"))
        self.content.validate("content")


@dataclass(frozen=True)
class Inputs:
    """Checked inputs: image files of both folders and the names present in both."""

    a_files: list[Path]
    b_files: list[Path]
    pairs: list[str]
    mask_dir: Path | None


def parse_eval_config(cfg: EvalConfig | dict[str, Any]) -> EvalConfig:
    """An EvalConfig from a config dict (or as is), validated. Keys the dict leaves out come
    from the packaged eval.yaml; a_dir and b_dir have no value there."""
    if not isinstance(cfg, EvalConfig):
        raw = {k: v for k, v in cfg.items() if k != "hydra"}
        cfg = from_mapping(EvalConfig, raw, "", default_config("eval"))
    cfg.validate()
    return cfg


def _list(key: str, path: str) -> list[Path]:
    """Image files of a folder or batch; DataError names the config key and folder."""
    try:
        return list_images(path)
    except DataError as exc:
        raise DataError(f"{key}: {exc}") from exc


def check_inputs(cfg: EvalConfig) -> Inputs:
    """List both folders and pair them by file name; DataError on missing/empty/mismatch."""
    a_files, b_files = _list("a_dir", cfg.a_dir), _list("b_dir", cfg.b_dir)
    a_names, b_names = {f.name for f in a_files}, {f.name for f in b_files}
    pairs = sorted(a_names & b_names) if cfg.paired is not False else []
    if cfg.paired is True:
        for names, other, key in ((a_names, b_names, "b_dir"), (b_names, a_names, "a_dir")):
            missing = sorted(names - other)
            if missing:
                folder = resolve_image_dir(cfg.b_dir if key == "b_dir" else cfg.a_dir)
                raise DataError(
                    f"paired: {folder / missing[0]} is missing "
                    f"({len(missing)} file(s) in one folder only)"
                )
    check_headers(a_files)
    check_headers(b_files)
    mask_dir = Path(cfg.a_dir).expanduser() / layout.MASKS
    return Inputs(a_files, b_files, pairs, mask_dir if mask_dir.is_dir() else None)


def to_array(img: Image.Image) -> np.ndarray:
    """RGB PIL image to an HxWx3 float64 array on [0, 255]."""
    return np.asarray(img, dtype=np.float64)


def find_mask(mask_dir: Path, name: str) -> Path | None:
    """The instance mask of image `name` (same stem, any mask suffix) or None."""
    for suffix in (Path(name).suffix, *MASK_SUFFIXES):
        path = mask_dir / f"{Path(name).stem}{suffix}"
        if path.is_file():
            return path
    return None


def load_mask(path: Path) -> np.ndarray:
    """Instance id mask (H, W) as an integer array; DataError if unreadable."""
    try:
        with Image.open(path) as img:
            return np.asarray(img).astype(np.int64)
    except IMAGE_ERRORS as exc:
        raise image_error(path, exc, "mask") from exc


def mask_for_image(mask_path: Path | None, image: np.ndarray) -> np.ndarray | None:
    """The (H, W) instance mask of an image (None: no mask, or a size mismatch, logged)."""
    if mask_path is None:
        return None
    mask = load_mask(mask_path)
    if mask.ndim == 3:
        mask = mask.max(axis=2)
    if mask.shape != image.shape[:2]:
        log.warning("label fidelity: %s size %s differs from its image", mask_path, mask.shape)
        return None
    return mask


def _mean(values: list[float | None]) -> float | None:
    """Mean of the non-null values (inf if any is inf), or None when there are none."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def paired_means(per_image: dict[str, dict[str, float | None]]) -> dict[str, float | None]:
    """Mean PSNR, SSIM and label fidelity over the pairs of `paired_metrics`."""
    return {
        k: _mean([v[k] for v in per_image.values()]) for k in ("psnr", "ssim", "label_fidelity")
    }


def paired_metrics(cfg: EvalConfig, inputs: Inputs) -> dict[str, dict[str, float | None]]:
    """PSNR, SSIM and label fidelity per paired file name."""
    a_dir, b_dir = resolve_image_dir(cfg.a_dir), resolve_image_dir(cfg.b_dir)
    out: dict[str, dict[str, float | None]] = {}
    for name in tqdm(inputs.pairs, desc="pairs", unit="img", dynamic_ncols=True, leave=False):
        a, b = to_array(load_rgb(a_dir / name)), to_array(load_rgb(b_dir / name))
        if a.shape != b.shape:
            raise DataError(
                f"{b_dir / name}: size {b.shape[1]}x{b.shape[0]} differs from "
                f"{a_dir / name} ({a.shape[1]}x{a.shape[0]})"
            )
        mask = find_mask(inputs.mask_dir, name) if inputs.mask_dir else None
        out[name] = {
            "psnr": psnr(a, b),
            "ssim": ssim(a, b),
            "label_fidelity": label_fidelity(a, b, mask_for_image(mask, a), cfg.edge_dilation),
        }
    return out


def distribution_metrics(cfg: EvalConfig) -> tuple[dict[str, Any], list[str]]:
    """SWD always, FID/KID when Inception weights load; plus notes on what was skipped."""
    a = load_folder_tensor(cfg.a_dir, cfg.image_size, cfg.limit)
    b = load_folder_tensor(cfg.b_dir, cfg.image_size, cfg.limit)
    result = swd(a, b, SWDSettings(patches_per_image=cfg.swd_patches_per_image), cfg.seed)
    metrics: dict[str, Any] = {
        "swd": result.mean,
        "swd_levels": list(result.levels),
        "fid": None,
        "kid": None,
    }
    notes = []
    if not cfg.inception_weights:
        notes.append("FID/KID skipped: pass inception_weights=PATH (local Inception-v3 weights)")
        log.info(notes[-1])
        return metrics, notes
    device = select_device(cfg.device)
    inception = load_inception(cfg.inception_weights, device)
    if inception is None:
        notes.append(f"FID/KID skipped: cannot use inception_weights={cfg.inception_weights}")
        return metrics, notes
    try:
        metrics.update(fid_kid(a, b, inception, cfg.kid_subset_size, cfg.seed))
    except ValueError as exc:
        notes.append(f"FID/KID skipped: {exc}")
        log.warning(notes[-1])
    return metrics, notes


# --- realism statistics (realism.*) ---------------------------------------------------------


def _detail(a: torch.Tensor, b: torch.Tensor, scale: int) -> DetailResult:
    """detail_ratio, with too-small images reported as a DataError naming the key."""
    try:
        return detail_ratio(a, b, scale)
    except ValueError as exc:
        raise DataError(f"realism.detail_scale: {exc}") from exc


def realism_metrics(cfg: EvalConfig, inputs: Inputs) -> tuple[dict[str, Any], list[str]]:
    """Detail of both sets and their ratio (resized and native), SWD of native-scale crops."""
    r, notes = cfg.realism, []
    limit = cfg.limit or None
    files_a, files_b = inputs.a_files[:limit], inputs.b_files[:limit]
    a = load_folder_tensor(cfg.a_dir, cfg.image_size, cfg.limit)
    b = load_folder_tensor(cfg.b_dir, cfg.image_size, cfg.limit)
    resized = _detail(a, b, r.detail_scale)
    del a, b
    short = common_short_side(files_a, files_b) if r.match_scale else None
    sides = image_short_sides(files_a) + image_short_sides(files_b)
    crop = min(r.crop_size, *(min(v, short or v) for v in sides))
    if crop < r.crop_size:
        notes.append(f"native crops are {crop} px: an image is smaller than realism.crop_size")
        log.info(notes[-1])
    crops_a = native_crops(files_a, crop, r.crops_per_image, cfg.seed, short)
    crops_b = native_crops(files_b, crop, r.crops_per_image, cfg.seed + 1, short)
    native = _detail(crops_a, crops_b, r.detail_scale)
    # the same patch budget per image as the whole-image SWD, spread over its crops
    per_crop = -(-cfg.swd_patches_per_image // r.crops_per_image)
    result = swd(crops_a, crops_b, SWDSettings(patches_per_image=per_crop), cfg.seed)
    return {
        "detail_a": resized.a,
        "detail_b": resized.b,
        "detail_ratio": resized.ratio,
        "detail_native_a": native.a,
        "detail_native_b": native.b,
        "detail_ratio_native": native.ratio,
        "swd_native": result.mean,
        "swd_native_levels": list(result.levels),
        "swd_native_crop_size": crop,
        "swd_native_short_side": short,
    }, notes


# --- usefulness: train on synthetic crops, test on real crops (usefulness.*) -----------------


def usefulness_plan(cfg: EvalConfig) -> tuple[list[tuple[str, str]], list[str]]:
    """Folders to score as (a|b, path), checked up front, plus notes on what is skipped.

    Empty when `usefulness.real_dir` is unset. Errors name the key: a missing or unusable
    real split, a class-map name unknown to the real split or to a batch, or no labelled input.
    """
    u = cfg.usefulness
    if not u.real_dir:
        return [], ["usefulness skipped: set usefulness.real_dir=PATH (a real YOLO split)"]
    check_real_dir(u.real_dir, u.class_map, "usefulness.real_dir", "usefulness.class_map")
    plan, notes = [], []
    for role in dict.fromkeys(u.inputs):
        key, path = f"{role}_dir", cfg.a_dir if role == "a" else cfg.b_dir
        if is_labelled_batch(path):
            check_synthetic_dir(path, u.class_map, key, "usefulness.class_map")
            plan.append((role, path))
        else:
            notes.append(f"usefulness of {key} skipped: not a labelled batch")
    if not plan:
        raise ConfigError(
            f"usefulness.real_dir: set, but no labelled batch among usefulness.inputs "
            f"({', '.join(f'{r}_dir' for r in u.inputs)})"
        )
    return plan, notes


def usefulness_section(cfg: EvalConfig, plan: list[tuple[str, str]]) -> dict[str, Any] | None:
    """Crop-classifier scores per planned folder ({"a": ..., "b": ...}), None when unplanned."""
    if not plan:
        return None
    u = cfg.usefulness
    out: dict[str, Any] = {"real_dir": str(u.real_dir), "class_map": dict(u.class_map)}
    for role, path in plan:
        out[role] = usefulness_score(path, u.real_dir, u.class_map, u.settings(), u.seeds)
    return out


def measure_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Table rows: realism statistics and usefulness (balanced accuracy mean +- std)."""
    m = report["metrics"]
    rows = [
        ("SWD native x1e3", _fmt(m.get("swd_native"))),
        ("detail ratio a/b", _fmt(m.get("detail_ratio"))),
        ("detail ratio native", _fmt(m.get("detail_ratio_native"))),
    ]
    section = report.get("usefulness") or {}
    for role in ("a", "b"):
        if role in section:
            acc, f1 = section[role]["balanced_accuracy"], section[role]["macro_f1"]
            rows.append(
                (
                    f"usefulness {role} bal. acc",
                    f"{_fmt(acc['mean'])} +- {_fmt(acc['std'])} "
                    f"(macro-F1 {_fmt(f1['mean'])}, chance {_fmt(section[role]['chance'])})",
                )
            )
    return rows


def evaluate(cfg: EvalConfig | dict[str, Any]) -> dict[str, Any]:
    """All measurements between `a_dir` and `b_dir` as a dict (writes nothing)."""
    cfg = parse_eval_config(cfg)
    inputs = check_inputs(cfg)
    plan, plan_notes = usefulness_plan(cfg)
    metrics, notes = distribution_metrics(cfg)
    if not inputs.pairs:
        notes.append("PSNR/SSIM/label fidelity skipped: no file names in common")
        log.info(notes[-1])
    elif len(inputs.pairs) < max(len(inputs.a_files), len(inputs.b_files)):
        log.info("pairwise metrics on %d common file names", len(inputs.pairs))
    per_image = paired_metrics(cfg, inputs)
    metrics.update(paired_means(per_image))
    if inputs.pairs and inputs.mask_dir is None:
        notes.append("label fidelity skipped: a_dir has no masks/")
    content, content_notes = content_metrics(cfg, inputs)
    notes += content_notes
    metrics["content_miou"] = content["b"]["miou"] if content else None
    metrics["content_miou_a"] = content["a"]["miou"] if content else None
    realism, realism_notes = realism_metrics(cfg, inputs)
    metrics.update(realism)
    notes += realism_notes + plan_notes
    usefulness = usefulness_section(cfg, plan)
    return {
        "a_dir": str(cfg.a_dir),
        "b_dir": str(cfg.b_dir),
        "counts": {
            "a": len(inputs.a_files),
            "b": len(inputs.b_files),
            "paired": len(inputs.pairs),
        },
        "metrics": metrics,
        "usefulness": usefulness,
        "per_image": per_image,
        "content": content,
        "notes": notes,
        "settings": {k: v for k, v in asdict(cfg).items() if k not in ("a_dir", "b_dir")},
    }


# ---------------------------------------------------------------- content score (segmenter mIoU)
def content_metrics(cfg: EvalConfig, inputs: Inputs) -> tuple[dict[str, Any] | None, list[str]]:
    """Content score of the paired b_dir images and of the a_dir renders, or None (+ notes).

    The segmenter is trained (or loaded from `content.cache_dir`) on `content.train_dir`;
    without one it is trained on a_dir itself, which is logged and noted in the report
    (`trained_on_a_dir`): the renders' own score is then optimistic.
    """
    c = cfg.content
    if c.enabled is False:
        return None, []
    reason = content_unavailable(cfg.a_dir)
    if reason is None and not inputs.pairs:
        reason = "b_dir has no file names in common with a_dir"
    if reason is not None:
        if c.enabled is True:
            raise ConfigError(f"content.enabled: true, but {reason}")
        log.info("content score skipped: %s", reason)
        return None, [f"content score skipped: {reason}"]
    train_dir = c.train_dir or cfg.a_dir
    if c.train_dir:
        bad = content_unavailable(train_dir)
        if bad:
            raise DataError(f"content.train_dir: {bad}")
    notes = []
    same = Path(train_dir).expanduser().resolve() == Path(cfg.a_dir).expanduser().resolve()
    if same:
        notes.append(
            "content segmenter trained on a_dir, the evaluated renders themselves (optimistic); "
            "pass content.train_dir=<another clean render batch>"
        )
        log.warning(notes[-1])
    device = select_device(cfg.device)
    segmenter, path = load_or_train_segmenter(
        train_dir, settings_from_config(c), c.cache_dir, device
    )
    b, a = content_score_folders([cfg.b_dir, cfg.a_dir], cfg.a_dir, segmenter, inputs.pairs)
    return {
        "b": b,
        "a": a,
        "images": len(inputs.pairs),
        "train_dir": str(train_dir),
        "trained_on_a_dir": same,
        "segmenter": str(path),
        "classes": list(segmenter.classes),
    }, notes


def content_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Summary-table rows of the content score (b, then a)."""
    m = report["metrics"]
    return [
        ("content mIoU (b)", _fmt(m.get("content_miou"))),
        ("content mIoU (a)", _fmt(m.get("content_miou_a"))),
    ]


def _fmt(value: Any) -> str:
    """A table cell: 4 significant decimals, '-' for null."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.4f}"
    return str(value)


def format_table(report: dict[str, Any]) -> str:
    """Summary table (metric, value) followed by the per-image table."""
    m, c = report["metrics"], report["counts"]
    rows = [
        ("images a / b / paired", f"{c['a']} / {c['b']} / {c['paired']}"),
        ("SWD x1e3", _fmt(m["swd"])),
        ("FID", _fmt(m["fid"])),
        ("KID", _fmt(m["kid"])),
        ("PSNR dB", _fmt(m["psnr"])),
        ("SSIM", _fmt(m["ssim"])),
        ("label fidelity", _fmt(m["label_fidelity"])),
        *measure_rows(report),
    ]
    rows += content_rows(report)
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    if report["per_image"]:
        name_w = max(len(n) for n in report["per_image"])
        lines += ["", f"{'image':<{name_w}}  {'PSNR':>8}  {'SSIM':>7}  {'labels':>7}"]
        for name, v in report["per_image"].items():
            lines.append(
                f"{name:<{name_w}}  {_fmt(v['psnr']):>8}  {_fmt(v['ssim']):>7}  "
                f"{_fmt(v['label_fidelity']):>7}"
            )
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by the strings 'inf' / '-inf' / 'nan' (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_report(report: dict[str, Any], out_dir: str | Path) -> Path:
    """Write `report.json` into `out_dir` atomically (temp file + rename, umask permissions);
    a failed write is a one-line `gan.io.OutputError` (e.g. "disk full: ...")."""
    text = json.dumps(_json_safe(report), indent=1, allow_nan=False)
    return gio.write_text(Path(out_dir).expanduser() / REPORT_NAME, text)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="eval")
def hydra_main(cfg: DictConfig) -> None:
    """Hydra task for `fridge-eval`."""
    from hydra.core.hydra_config import HydraConfig

    raw = cli.resolve_or_fail(PROG, cfg)
    with cli.one_line_errors(PROG, (ConfigError, DataError)):
        config = parse_eval_config(raw)
        out_dir = config.out_dir or HydraConfig.get().runtime.output_dir
        gio.check_output_dir("out_dir", out_dir)  # before any measurement
        report = evaluate(config)
        path = write_report(report, out_dir)
    print(format_table(report))
    log.info("report written to %s", path)


def prevalidate(args: list[str]) -> None:
    """Compose and check the command line before any measurement: values, both folders and
    their image headers, the usefulness inputs and that `out_dir` can be written."""
    raw = compose_from_cli(PROG, "eval", args)
    if raw is None:
        return
    with cli.one_line_errors(PROG, (ConfigError, DataError)):
        config = parse_eval_config(raw)
        if config.out_dir is not None:
            gio.check_output_dir("out_dir", config.out_dir)
        check_inputs(config)
        usefulness_plan(config)


def main() -> None:
    """Console script `fridge-eval`."""
    prevalidate(sys.argv[1:])
    hydra_main()


if __name__ == "__main__":
    main()
