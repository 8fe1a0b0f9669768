"""Content score: does a translated image still show the labelled objects where they were?

The FCN-score idea of the pix2pix/CycleGAN papers with our exact labels: a small segmentation
network is trained once on CLEAN renders and their per-pixel class maps (from the instance masks
and meta labels), under strong photometric augmentation (colour casts, hue shift, gamma,
contrast, haze, vignetting, blur, noise, JPEG) so that it learns object shape and layout rather
than the render style. It then segments translated images; the mean IoU against the render's
labels says how much content survived. A blurred, smeared or rearranged image loses score, and
a style change that keeps the objects does not.

- `SegmenterSettings`, `Segmenter`: the network (a U-Net of ~0.3 M parameters, any input size).
- `train_segmenter(train_dir, settings, device)`; `load_or_train_segmenter(..., cache_dir)`
  caches it as `<cache_dir>/segmenter-<hash>.pt`, the hash taken over the training batch's file
  names, sizes and mtimes and the settings.
- `content_score(images, semantic_maps, segmenter) -> {"miou", "miou_with_background",
  "per_class_iou", "pixel_acc", ...}`; `content_score_folder(image_dir, label_dir, segmenter)`.
- `content_unavailable(batch_dir) -> str | None`: why a folder cannot be scored.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from tqdm import tqdm

from fridge_batch import layout
from gan import checkpoint as ckpt
from gan.config import ContentConfig
from gan.data import (
    IGNORE_INDEX,
    DataError,
    list_images,
    load_rgb,
    pil_to_tensor,
    render_labels,
    resolve_image_dir,
    resolve_mask_dir,
    semantic_maps,
)
from gan.schedules import WarmupCosine

log = logging.getLogger(__name__)

CACHE_VERSION = 1
SIZE_MULTIPLE = 8  # three stride-2 stages


@dataclass(frozen=True)
class SegmenterSettings:
    """How the segmenter is trained (all of it goes into the cache key).

    Crops are `crop_size` px (or the whole image when smaller), taken at native scale times a
    random factor in [scale_min, scale_max], flipped at random.
    """

    steps: int = 500
    batch_size: int = 8
    crop_size: int = 160
    max_images: int = 256
    lr: float = 3e-3
    width: int = 16
    scale_min: float = 0.75
    scale_max: float = 1.25
    seed: int = 0


# ----------------------------------------------------------------------------- network
def _cbr(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class Segmenter(nn.Module):
    """A small U-Net: images (N, 3, H, W) in [-1, 1], any H and W, to class logits (N, K, H, W).

    Inputs are replicate-padded to a multiple of 8 and the logits cropped back. `classes` are
    the names of class indices 1..K-1 (0 is background).
    """

    def __init__(self, classes: Sequence[str], width: int = 16) -> None:
        super().__init__()
        self.classes = tuple(classes)
        w = width
        self.enc0 = nn.Sequential(_cbr(3, w), _cbr(w, w))
        self.enc1 = nn.Sequential(_cbr(w, 2 * w, 2), _cbr(2 * w, 2 * w))
        self.enc2 = nn.Sequential(_cbr(2 * w, 4 * w, 2), _cbr(4 * w, 4 * w))
        self.enc3 = nn.Sequential(_cbr(4 * w, 6 * w, 2), _cbr(6 * w, 6 * w))
        self.dec2 = _cbr(10 * w, 4 * w)
        self.dec1 = _cbr(6 * w, 2 * w)
        self.dec0 = _cbr(3 * w, w)
        self.head = nn.Conv2d(w, len(self.classes) + 1, 1)

    @property
    def num_classes(self) -> int:
        """Number of output classes including background."""
        return len(self.classes) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits at the input's size."""
        h, w = x.shape[-2:]
        ph, pw = -h % SIZE_MULTIPLE, -w % SIZE_MULTIPLE
        if ph or pw:
            mode = "replicate" if min(h, w) > 1 else "constant"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        x0 = self.enc0(x)
        x1 = self.enc1(x0)
        x2 = self.enc2(x1)
        x3 = self.enc3(x2)
        y = self.dec2(torch.cat([_up(x3, x2), x2], 1))
        y = self.dec1(torch.cat([_up(y, x1), x1], 1))
        y = self.dec0(torch.cat([_up(y, x0), x0], 1))
        return self.head(y)[..., :h, :w]


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Bilinear upsampling of `x` to the spatial size of `like`."""
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


# ----------------------------------------------------------------------------- augmentation
def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable gaussian blur of (C, H, W) with reflect padding."""
    radius = min(max(1, math.ceil(2.5 * sigma)), x.shape[-1] - 1, x.shape[-2] - 1)
    if radius < 1:
        return x
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    c = x.shape[0]
    y = F.pad(x[None], (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    y = F.conv2d(y, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return y[0]


def _hue_rotate(x: torch.Tensor, angle: float) -> torch.Tensor:
    """Rotate the chroma of (3, H, W) RGB in YIQ space by `angle` radians."""
    to_yiq = x.new_tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    c, s = math.cos(angle), math.sin(angle)
    rot = x.new_tensor([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum("ij,jhw->ihw", m, x)


def _jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG round trip of (3, H, W) in [0, 1] at `quality`."""
    arr = (x.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as img:
        out = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(out).permute(2, 0, 1).to(x.device)


def photometric_augment(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Strong render-style-destroying augmentation of one (3, H, W) image in [0, 1].

    Colour cast, exposure, contrast, saturation, hue shift (up to +-25 degrees: colour still
    tells an orange from a lemon), gamma, haze, vignetting, blur (sigma <= 1.5 px), noise and
    JPEG (quality 10-70). Geometry is untouched.
    """
    u = rng.uniform
    x = x * torch.from_numpy(np.exp(rng.normal(0.0, 0.12, 3))).float().view(3, 1, 1)
    x = x * math.exp(u(-0.6, 0.5))
    mean = x.mean()
    x = (x - mean) * u(0.5, 1.5) + mean
    gray = (x * x.new_tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0, keepdim=True)
    x = gray + (x - gray) * u(0.2, 1.6)
    if rng.random() < 0.7:
        x = _hue_rotate(x, math.radians(u(-25, 25)))
    x = x.clamp(0, 1) ** math.exp(u(-0.4, 0.4))
    if rng.random() < 0.4:
        haze = x.new_tensor(rng.uniform(0.6, 1.0, 3)).view(3, 1, 1)
        x = x + (haze - x) * u(0.0, 0.35)
    if rng.random() < 0.5:
        h, w = x.shape[-2:]
        yy = torch.linspace(-1, 1, h, device=x.device).view(h, 1)
        xx = torch.linspace(-1, 1, w, device=x.device).view(1, w)
        x = x * (1 - u(0.0, 0.5) * (xx**2 + yy**2) / 2)
    if rng.random() < 0.5:
        x = _gaussian_blur(x, u(0.3, 1.5))
    if rng.random() < 0.7:
        x = x + torch.randn(x.shape, generator=_torch_gen(rng)).to(x.device) * u(0.0, 0.06)
    x = x.clamp(0, 1)
    if rng.random() < 0.5:
        x = _jpeg(x, int(rng.integers(10, 71)))
    return x


def _torch_gen(rng: np.random.Generator) -> torch.Generator:
    """A torch generator seeded from a numpy generator (keeps one seeded stream)."""
    return torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))


# ----------------------------------------------------------------------------- data
@dataclass
class _TrainData:
    """Clean render images (uint8 (3, H, W)) and class maps (uint8 (H, W)) in memory."""

    classes: tuple[str, ...]
    images: list[torch.Tensor]
    labels: list[torch.Tensor]


def content_unavailable(batch_dir: str | Path) -> str | None:
    """Why `batch_dir` cannot be scored or trained on (no masks/, no class labels), or None."""
    root = Path(batch_dir).expanduser()
    if resolve_mask_dir(root) is None:
        return f"{root} is not a render batch with images/ and masks/"
    if render_labels(root) is None:
        return f"{root} has no class labels (meta/*.json or annotations.json)"
    return None


def _load_training_data(train_dir: Path, settings: SegmenterSettings) -> _TrainData:
    """The first `max_images` images of a render batch with their class maps."""
    files = list_images(train_dir)[: settings.max_images]
    try:
        classes, maps = semantic_maps(train_dir, names=[f.name for f in files])
    except DataError as exc:
        raise DataError(f"content segmenter: {exc}") from exc
    images, labels = [], []
    for f in files:
        arr = np.asarray(load_rgb(f), dtype=np.uint8)
        lab = maps[f.name]
        if lab.shape != arr.shape[:2]:
            raise DataError(f"{f}: mask size {lab.shape[::-1]} differs from the image")
        images.append(torch.from_numpy(arr.copy()).permute(2, 0, 1))
        labels.append(torch.from_numpy(lab))
    return _TrainData(classes, images, labels)


def _class_weights(data: _TrainData) -> torch.Tensor:
    """Inverse square-root frequency weights (mean 1 over labelled pixels), capped at 20."""
    k = len(data.classes) + 1
    counts = torch.zeros(k, dtype=torch.float64)
    for lab in data.labels:
        valid = lab[lab != IGNORE_INDEX].long()
        counts += torch.bincount(valid.flatten(), minlength=k)[:k].double()
    freq = counts / counts.sum().clamp_min(1)
    w = torch.where(freq > 0, freq.clamp_min(1e-6).rsqrt(), torch.zeros_like(freq))
    w = w / (w * freq).sum().clamp_min(1e-12)
    return w.clamp(max=20.0).float()


def _sample_batch(
    data: _TrainData, settings: SegmenterSettings, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of augmented crops in [-1, 1] and their class maps."""
    smallest = min(min(im.shape[-2:]) for im in data.images)
    size = min(settings.crop_size, smallest)
    xs, ys = [], []
    for _ in range(settings.batch_size):
        i = int(rng.integers(0, len(data.images)))
        img, lab = data.images[i], data.labels[i]
        h, w = img.shape[-2:]
        side = min(h, w, max(8, round(size / rng.uniform(settings.scale_min, settings.scale_max))))
        top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        x = img[:, top : top + side, left : left + side].float().div(255.0)[None]
        y = lab[top : top + side, left : left + side][None, None].float()
        if side != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
            y = F.interpolate(y, size=(size, size), mode="nearest")
        x, y = x[0], y[0, 0].long()
        if rng.random() < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        xs.append(photometric_augment(x, rng) * 2 - 1)
        ys.append(y)
    return torch.stack(xs), torch.stack(ys)


# ----------------------------------------------------------------------------- training
def train_segmenter(
    train_dir: str | Path, settings: SegmenterSettings, device: str | torch.device = "cpu"
) -> Segmenter:
    """Train a segmenter on a clean render batch (seeded; tqdm progress; returns eval mode)."""
    train_dir = Path(train_dir).expanduser()
    data = _load_training_data(train_dir, settings)
    device = torch.device(device)
    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG streams untouched
        torch.random.default_generator.manual_seed(settings.seed)
        net = Segmenter(data.classes, settings.width).to(device)
    rng = np.random.default_rng([settings.seed, 0x5E6])
    weights = _class_weights(data).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, WarmupCosine(settings.steps))
    log.info(
        "content segmenter: training %d steps on %d images of %s (%d classes, %d parameters)",
        settings.steps,
        len(data.images),
        train_dir,
        len(data.classes),
        sum(p.numel() for p in net.parameters()),
    )
    start = time.monotonic()
    net.train()
    loss_avg = None
    bar = tqdm(range(settings.steps), desc="content segmenter", leave=False, dynamic_ncols=True)
    for _ in bar:
        x, y = _sample_batch(data, settings, rng)
        logits = net(x.to(device))
        loss = F.cross_entropy(logits, y.to(device), weight=weights, ignore_index=IGNORE_INDEX)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            raise RuntimeError(f"content segmenter: loss became {value}")
        loss_avg = value if loss_avg is None else 0.9 * loss_avg + 0.1 * value
        bar.set_postfix(loss=f"{loss_avg:.3f}")
    bar.close()
    net.eval()
    log.info(
        "content segmenter: trained in %.0f s (final loss %.3f)",
        time.monotonic() - start,
        loss_avg or float("nan"),
    )
    return net


def _fingerprint(batch_dir: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of a batch's images, masks, meta and COCO file."""
    entries = []
    image_dir = resolve_image_dir(batch_dir)
    folders = [image_dir] + [batch_dir / s for s in (layout.MASKS, layout.META)]
    for folder in folders:
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if p.is_file():
                    st = p.stat()
                    entries.append((str(p.relative_to(batch_dir)), st.st_size, st.st_mtime_ns))
    coco = batch_dir / layout.ANNOTATIONS
    if coco.is_file():
        st = coco.stat()
        entries.append((coco.name, st.st_size, st.st_mtime_ns))
    return entries


def segmenter_key(train_dir: str | Path, settings: SegmenterSettings) -> str:
    """Hash of the training batch's files (names, sizes, mtimes) and the settings."""
    root = Path(train_dir).expanduser()
    blob = json.dumps(
        {"version": CACHE_VERSION, "settings": asdict(settings), "files": _fingerprint(root)},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def segmenter_path(
    train_dir: str | Path, settings: SegmenterSettings, cache_dir: str | Path
) -> Path:
    """Where `load_or_train_segmenter` caches this segmenter."""
    return Path(cache_dir).expanduser() / f"segmenter-{segmenter_key(train_dir, settings)}.pt"


def save_segmenter(net: Segmenter, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a segmenter atomically (state dict, classes, width and `extra`)."""
    width = net.enc0[0][0].out_channels
    payload = {
        "format": CACHE_VERSION,
        "classes": list(net.classes),
        "width": width,
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        **(extra or {}),
    }
    return ckpt.save_atomic(payload, path)


def load_segmenter(path: str | Path, device: str | torch.device = "cpu") -> Segmenter:
    """A segmenter written by `save_segmenter`, in eval mode on `device`."""
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CACHE_VERSION:
        raise DataError(f"{path}: not a content segmenter file")
    net = Segmenter(payload["classes"], payload["width"])
    net.load_state_dict(payload["state_dict"])
    return net.to(device).eval()


def load_or_train_segmenter(
    train_dir: str | Path,
    settings: SegmenterSettings,
    cache_dir: str | Path,
    device: str | torch.device = "cpu",
) -> tuple[Segmenter, Path]:
    """The cached segmenter for this training batch and settings, training it if absent."""
    path = segmenter_path(train_dir, settings, cache_dir)
    if path.is_file():
        try:
            net = load_segmenter(path, device)
            log.info("content segmenter: loaded %s", path)
            return net, path
        except Exception as exc:  # noqa: BLE001 - a broken cache file is retrained
            log.warning("content segmenter: cannot load %s (%s); retraining", path, exc)
    net = train_segmenter(train_dir, settings, device)
    save_segmenter(net, path, {"train_dir": str(train_dir), "settings": asdict(settings)})
    log.info("content segmenter: cached as %s", path)
    return net, path


# ----------------------------------------------------------------------------- scoring
@torch.no_grad()
def predict(
    segmenter: Segmenter, images: torch.Tensor | Sequence[torch.Tensor], batch_size: int = 8
) -> list[torch.Tensor]:
    """Class index maps (H, W) int64 on the CPU for images in [-1, 1] ((N, 3, H, W) or a list
    of (3, H, W) of any sizes)."""
    segmenter.eval()
    device = next(segmenter.parameters()).device
    items = list(images)
    out: list[torch.Tensor] = []
    i = 0
    while i < len(items):
        shape = items[i].shape
        j = i
        while j < len(items) and j - i < batch_size and items[j].shape == shape:
            j += 1
        x = torch.stack(items[i:j]).to(device=device, dtype=torch.float32)
        out.extend(segmenter(x).argmax(1).cpu())
        i = j
    return out


def confusion(
    preds: Sequence[torch.Tensor], labels: Sequence[torch.Tensor], num_classes: int
) -> torch.Tensor:
    """(K, K) pixel counts [label, prediction] over pixels whose label is not IGNORE_INDEX."""
    k = num_classes
    mat = torch.zeros(k * k, dtype=torch.int64)
    for p, y in zip(preds, labels, strict=True):
        y = torch.as_tensor(y).long().cpu()
        if p.shape != y.shape:
            raise DataError(f"prediction {tuple(p.shape)} and label {tuple(y.shape)} differ")
        valid = (y != IGNORE_INDEX) & (y < k)
        mat += torch.bincount(y[valid] * k + p[valid], minlength=k * k)
    return mat.view(k, k)


def scores_from_confusion(mat: torch.Tensor, classes: Sequence[str]) -> dict[str, Any]:
    """mIoU (foreground classes), mIoU with background, per-class IoU and pixel accuracy.

    A class counts when it appears in the labels or the predictions (IoU 0 for a class only
    predicted). `miou` is None when no foreground class appears at all.
    """
    mat = mat.double()
    tp = mat.diag()
    union = mat.sum(0) + mat.sum(1) - tp
    names = ("background", *classes)
    per_class = {names[c]: float(tp[c] / union[c]) for c in range(len(names)) if union[c] > 0}
    fg = [v for n, v in per_class.items() if n != "background"]
    total = float(mat.sum())
    return {
        "miou": sum(fg) / len(fg) if fg else None,
        "miou_with_background": sum(per_class.values()) / len(per_class) if per_class else None,
        "per_class_iou": per_class,
        "pixel_acc": float(tp.sum()) / total if total else None,
        "pixels": int(total),
    }


def content_score(
    images: torch.Tensor | Sequence[torch.Tensor],
    semantic_maps: torch.Tensor | Sequence[torch.Tensor | np.ndarray],
    segmenter: Segmenter,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Segment `images` ([-1, 1]) and compare with their class maps (0 background, k + 1 =
    `segmenter.classes[k]`, IGNORE_INDEX left out), pooled over all pixels of all images.

    Returns `miou` (mean IoU over the foreground classes that appear in labels or
    predictions: the headline), `miou_with_background`, `per_class_iou` (name -> IoU),
    `pixel_acc` (over labelled pixels, background included) and `pixels`.
    """
    preds = predict(segmenter, images, batch_size)
    labels = [torch.as_tensor(m) for m in semantic_maps]
    return scores_from_confusion(confusion(preds, labels, segmenter.num_classes), segmenter.classes)


def content_score_folder(
    image_dir: str | Path,
    label_dir: str | Path,
    segmenter: Segmenter,
    names: Sequence[str] | None = None,
    batch_size: int = 8,
    maps: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """`content_score` of full-size images in `image_dir` (a folder or batch) labelled by the
    render batch `label_dir` (its masks and meta; same file names), streamed in batches.

    `names` default: every image of `label_dir`. Class names are matched to the segmenter's by
    name. `maps`: class maps from `semantic_maps(label_dir, segmenter.classes, names)` when
    already loaded (scoring several folders against one batch reads its labels once).
    """
    image_root = resolve_image_dir(image_dir)
    if names is None:
        names = [f.name for f in list_images(label_dir)]
    names = list(names)
    if maps is None:
        _, maps = semantic_maps(label_dir, classes=segmenter.classes, names=names)
    mat = torch.zeros(segmenter.num_classes, segmenter.num_classes, dtype=torch.int64)
    for start in range(0, len(names), batch_size):
        images, labels = [], []
        for name in names[start : start + batch_size]:
            path = image_root / name
            if not path.is_file():
                raise DataError(f"{path}: missing (no translation of {name})")
            x = pil_to_tensor(load_rgb(path))
            if tuple(x.shape[-2:]) != maps[name].shape:
                raise DataError(
                    f"{path}: size {x.shape[-1]}x{x.shape[-2]} differs from its mask "
                    f"({maps[name].shape[1]}x{maps[name].shape[0]})"
                )
            images.append(x)
            labels.append(torch.from_numpy(maps[name].astype(np.int64)))
        mat += confusion(predict(segmenter, images, batch_size), labels, segmenter.num_classes)
    return scores_from_confusion(mat, segmenter.classes)


def content_score_folders(
    image_dirs: Sequence[str | Path],
    label_dir: str | Path,
    segmenter: Segmenter,
    names: Sequence[str] | None = None,
    batch_size: int = 8,
) -> list[dict[str, Any]]:
    """`content_score_folder` of several folders against one render batch (labels read once)."""
    if names is None:
        names = [f.name for f in list_images(label_dir)]
    _, maps = semantic_maps(label_dir, classes=segmenter.classes, names=list(names))
    return [
        content_score_folder(d, label_dir, segmenter, names, batch_size, maps) for d in image_dirs
    ]


# ----------------------------------------------------------------------------- integration
def settings_from_config(cfg: ContentConfig) -> SegmenterSettings:
    """Segmenter settings of a `metrics.content` / `content` config block."""
    return SegmenterSettings(
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        crop_size=cfg.crop_size,
        max_images=cfg.max_images,
        seed=cfg.seed,
    )


class ContentProbe:
    """A segmenter and the class maps of a fixed batch of renders: `score(images)` is the
    content score of (translations of) exactly those renders."""

    def __init__(self, segmenter: Segmenter, labels: torch.Tensor) -> None:
        self.segmenter, self.labels = segmenter, labels

    def score(self, images: torch.Tensor) -> dict[str, Any]:
        """`content_score` of images aligned with the probe's labels."""
        return content_score(images, self.labels, self.segmenter)

    @classmethod
    def from_masks(
        cls,
        segmenter: Segmenter,
        batch_dir: str | Path,
        stems: Sequence[str],
        masks: torch.Tensor,
    ) -> ContentProbe:
        """Probe for instance masks (N, H, W) of the images `stems` of render batch
        `batch_dir`, already cropped like the images they label."""
        labels = render_labels(batch_dir, segmenter.classes)
        if labels is None:
            raise DataError(f"{batch_dir}: no class labels (meta/*.json or annotations.json)")
        maps = [labels.semantic(s, m) for s, m in zip(stems, masks, strict=True)]
        return cls(segmenter, torch.stack(maps))
