"""Distribution metrics between image sets: SWD on Laplacian-pyramid patches, FID and KID.

All functions take float image tensors (N, 3, H, W) in [-1, 1] (see `gan.data.pil_to_tensor`)
or folders; nothing is downloaded. FID/KID need a local Inception-v3 state dict (torchvision
layout) passed explicitly.

Realism statistics that a blurred smear cannot win (weight-free, seeded):

- `detail_statistic` / `detail_ratio`: mean gradient magnitude of the luminance per image at a
  given scale; the ratio of set A's mean to the real set B's mean is << 1 for a blur.
- `native_crops` / `swd_native`: SWD of random fixed-size crops taken at full resolution
  (no resizing), so a loss of fine detail is not hidden by downscaling whole images.

Paired measures of one image against another (HxWx3 arrays on [0, 255]): `psnr`, `ssim`
(Wang et al. 2004, gaussian window, on luminance; matches scikit-image's
`structural_similarity(gaussian_weights=True, use_sample_covariance=False)`), and
`label_fidelity` (edge agreement inside the dilated instance masks).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan.data import DataError, list_images, load_folder_tensor, load_rgb, pil_to_tensor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SWDSettings:
    """Sliced Wasserstein distance settings (Karras et al. 2018 defaults)."""

    patches_per_image: int = 128
    patch_size: int = 7
    projections: int = 128
    repeats: int = 4
    min_size: int = 16
    # "joint": both sets share one per-channel normalization, so colour casts and contrast
    # changes between the sets count (what a domain gap is made of). "each": Karras et al.'s
    # per-set normalization, blind to global colour and contrast shifts.
    normalize: str = "joint"


@dataclass(frozen=True)
class SWDResult:
    """SWD x1e3 per pyramid level (finest first) and their mean."""

    levels: tuple[float, ...]
    mean: float


def _binomial_kernel(channels: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """5x5 binomial blur kernel, one per channel (depthwise)."""
    k1 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=device, dtype=dtype)
    k2 = torch.outer(k1, k1) / 256.0
    return k2.expand(channels, 1, 5, 5).contiguous()


def _blur(x: torch.Tensor) -> torch.Tensor:
    """Depthwise binomial blur with reflect padding (replicate for tiny images)."""
    mode = "reflect" if min(x.shape[-2:]) > 2 else "replicate"
    k = _binomial_kernel(x.shape[1], x.device, x.dtype)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode=mode), k, groups=x.shape[1])


def pyramid_down(x: torch.Tensor) -> torch.Tensor:
    """Blur and halve resolution."""
    return _blur(x)[..., ::2, ::2]


def pyramid_up(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Double resolution by zero insertion and blur (x4 gain), cropped to `size`."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, h * 2, w * 2)
    up[..., ::2, ::2] = x
    return (_blur(up) * 4.0)[..., : size[0], : size[1]]


def laplacian_pyramid(x: torch.Tensor, min_size: int = 16) -> list[torch.Tensor]:
    """Band-pass levels (finest first) down to `min_size` px, then the low-pass residual."""
    levels = []
    cur = x.float()
    while min(cur.shape[-2:]) > max(1, min_size):  # a 1 px level cannot shrink any further
        down = pyramid_down(cur)
        levels.append(cur - pyramid_up(down, cur.shape[-2:]))
        cur = down
    levels.append(cur)
    return levels


def extract_patches(
    level: torch.Tensor, count: int, size: int, gen: torch.Generator
) -> torch.Tensor:
    """`count` random size x size patches per image as flat descriptors (N*count, C*size*size)."""
    n, c, h, w = level.shape
    size = min(size, h, w)
    ys = torch.randint(0, h - size + 1, (n, count, 1, 1), generator=gen)
    xs = torch.randint(0, w - size + 1, (n, count, 1, 1), generator=gen)
    off = torch.arange(size)
    rows = (ys + off.view(1, 1, size, 1)).to(level.device)
    cols = (xs + off.view(1, 1, 1, size)).to(level.device)
    idx = torch.arange(n, device=level.device).view(n, 1, 1, 1)
    patches = level[idx, :, rows, cols]  # (n, count, size, size, c)
    return patches.permute(0, 1, 4, 2, 3).reshape(n * count, c * size * size)


def normalize_descriptors(
    desc: torch.Tensor, channels: int = 3, stats_from: torch.Tensor | None = None
) -> torch.Tensor:
    """Zero mean, unit std per colour channel, with statistics of `stats_from` (default: desc)."""
    m = desc.shape[0]
    d = desc.view(m, channels, -1)
    ref = d if stats_from is None else stats_from.view(stats_from.shape[0], channels, -1)
    mean = ref.mean(dim=(0, 2), keepdim=True)
    std = ref.std(dim=(0, 2), keepdim=True).clamp_min(1e-8)
    return ((d - mean) / std).view(m, -1)


def sliced_wasserstein(
    a: torch.Tensor, b: torch.Tensor, projections: int, repeats: int, gen: torch.Generator
) -> float:
    """Mean 1-D Wasserstein distance of two descriptor sets over random unit directions."""
    m = min(a.shape[0], b.shape[0])
    if a.shape[0] != m:
        a = a[torch.randperm(a.shape[0], generator=gen)[:m].to(a.device)]
    if b.shape[0] != m:
        b = b[torch.randperm(b.shape[0], generator=gen)[:m].to(b.device)]
    total = 0.0
    for _ in range(repeats):
        dirs = torch.randn(a.shape[1], projections, generator=gen).to(a.device)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        pa = torch.sort(a @ dirs, dim=0).values
        pb = torch.sort(b @ dirs, dim=0).values
        total += (pa - pb).abs().mean().item()
    return total / repeats


@torch.no_grad()
def swd(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    settings: SWDSettings | None = None,
    seed: int = 0,
) -> SWDResult:
    """SWD x1e3 between two image sets (N, 3, H, W) in [-1, 1] of equal spatial size."""
    s = settings or SWDSettings()
    if s.normalize not in ("joint", "each"):
        raise ValueError(f"swd: normalize must be joint or each, got {s.normalize!r}")
    if images_a.shape[1:] != images_b.shape[1:]:
        raise ValueError(
            f"swd: image shapes differ: {tuple(images_a.shape[1:])} vs {tuple(images_b.shape[1:])}"
        )
    gen = torch.Generator().manual_seed(seed)
    pyr_a = laplacian_pyramid(images_a, s.min_size)
    pyr_b = laplacian_pyramid(images_b, s.min_size)
    levels = []
    for la, lb in zip(pyr_a, pyr_b, strict=True):
        da = extract_patches(la, s.patches_per_image, s.patch_size, gen)
        db = extract_patches(lb, s.patches_per_image, s.patch_size, gen)
        both = torch.cat([da, db]) if s.normalize == "joint" else None
        da = normalize_descriptors(da, la.shape[1], both)
        db = normalize_descriptors(db, lb.shape[1], both)
        levels.append(sliced_wasserstein(da, db, s.projections, s.repeats, gen) * 1e3)
    return SWDResult(tuple(levels), sum(levels) / len(levels))


def swd_folders(
    dir_a: str | Path,
    dir_b: str | Path,
    image_size: int = 256,
    limit: int | None = None,
    settings: SWDSettings | None = None,
    seed: int = 0,
) -> SWDResult:
    """SWD between two image folders (or render batches), center-cropped to `image_size`."""
    a = load_folder_tensor(dir_a, image_size, limit)
    b = load_folder_tensor(dir_b, image_size, limit)
    return swd(a, b, settings, seed)


LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def luminance(images: torch.Tensor) -> torch.Tensor:
    """Luminance (N, 1, H, W) on [0, 1] of images (N, 3, H, W) in [-1, 1]."""
    w = torch.tensor(LUMA_WEIGHTS, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return ((images.float() + 1.0) * 0.5 * w).sum(dim=1, keepdim=True)


@torch.no_grad()
def detail_statistic(images: torch.Tensor, scale: int = 1) -> torch.Tensor:
    """Per-image detail (N,): mean Sobel gradient magnitude of the luminance on [0, 1].

    `scale` > 1 first averages `scale` x `scale` pixel blocks, measuring detail at a coarser
    scale. Higher is sharper (or noisier); a blur lowers it.
    """
    if scale < 1:
        raise ValueError(f"detail_statistic: scale must be >= 1, got {scale}")
    y = luminance(images)
    if scale > 1:
        y = F.avg_pool2d(y, scale)
    if min(y.shape[-2:]) < 3:
        raise ValueError(f"detail_statistic: images too small for scale {scale}")
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    k = torch.stack([kx, kx.T]).unsqueeze(1).to(y)
    g = F.conv2d(y, k)  # valid region: no padding artefacts
    return g.square().sum(dim=1).sqrt().mean(dim=(1, 2))


@dataclass(frozen=True)
class DetailResult:
    """Mean detail statistic of two sets and their ratio a / b (b: the real reference)."""

    a: float
    b: float
    ratio: float


def detail_ratio(images_a: torch.Tensor, images_b: torch.Tensor, scale: int = 1) -> DetailResult:
    """Detail of set A over detail of the reference set B: ~1 alike, << 1 A is blurrier."""
    a = float(detail_statistic(images_a, scale).mean())
    b = float(detail_statistic(images_b, scale).mean())
    return DetailResult(a, b, a / b if b > 0 else float("inf"))


def image_short_sides(files: Sequence[Path]) -> list[int]:
    """Shorter side (px) of each image file, read from the headers only."""
    from gan.data import image_size

    return [min(image_size(path)) for path in files]


def common_short_side(files_a: Sequence[Path], files_b: Sequence[Path]) -> int:
    """The smaller of the two sets' median shorter sides: a pixel scale both sets reach."""
    medians = [int(np.median(image_short_sides(f))) for f in (files_a, files_b)]
    return min(medians)


def native_crops(
    files: Sequence[Path],
    crop_size: int,
    crops_per_image: int = 4,
    seed: int = 0,
    max_short_side: int | None = None,
) -> torch.Tensor:
    """`crops_per_image` random crop_size x crop_size crops per image at full resolution.

    Nothing is resized, so the crops keep the images' own pixel-level detail; except that with
    `max_short_side`, images whose shorter side is longer are first downscaled (antialiased)
    to it, to put sets of different resolution on one pixel scale. Positions follow `seed`.
    DataError if an image is smaller than the crop.
    """
    from PIL import Image

    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x6E61])
    out = []
    for path in files:
        img = load_rgb(path)
        if max_short_side and min(img.size) > max_short_side:
            f = max_short_side / min(img.size)
            size = (
                max(round(img.width * f), max_short_side),
                max(round(img.height * f), max_short_side),
            )
            img = img.resize(size, Image.BICUBIC)
        x = pil_to_tensor(img)
        h, w = x.shape[-2:]
        if min(h, w) < crop_size:
            raise DataError(f"{path}: {w}x{h} is smaller than the {crop_size} px crop")
        for _ in range(crops_per_image):
            top = int(rng.integers(0, h - crop_size + 1))
            left = int(rng.integers(0, w - crop_size + 1))
            out.append(x[:, top : top + crop_size, left : left + crop_size])
    return torch.stack(out)


def swd_native(
    dir_a: str | Path,
    dir_b: str | Path,
    crop_size: int = 128,
    crops_per_image: int = 4,
    limit: int | None = None,
    settings: SWDSettings | None = None,
    seed: int = 0,
    match_scale: bool = True,
) -> SWDResult:
    """SWD between random full-resolution crops of two folders (no resizing).

    `match_scale`: first downscale the higher-resolution set to `common_short_side`.
    """
    files_a = list_images(dir_a)[:limit] if limit else list_images(dir_a)
    files_b = list_images(dir_b)[:limit] if limit else list_images(dir_b)
    short = common_short_side(files_a, files_b) if match_scale else None
    a = native_crops(files_a, crop_size, crops_per_image, seed, short)
    b = native_crops(files_b, crop_size, crops_per_image, seed + 1, short)
    return swd(a, b, settings, seed)


class InceptionFeatures(nn.Module):
    """Inception-v3 pool features (2048-d) from a local torchvision-layout state dict."""

    def __init__(self, weights_path: str | Path) -> None:
        super().__init__()
        from torchvision.models import inception_v3

        net = inception_v3(
            weights=None, aux_logits=False, init_weights=False, transform_input=False
        )
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        state = {k: v for k, v in state.items() if not k.startswith("AuxLogits")}
        net.load_state_dict(state)
        net.fc = nn.Identity()
        self.net = net.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
        """Features (N, 2048) in float64 for images in [-1, 1]."""
        device = next(self.net.parameters()).device
        out = []
        for chunk in images.split(batch_size):
            x = F.interpolate(
                chunk.float().to(device), size=(299, 299), mode="bilinear", align_corners=False
            )
            out.append(self.net(x).double().cpu())
        return torch.cat(out)


def load_inception(
    weights_path: str | Path | None, device: torch.device | str = "cpu"
) -> InceptionFeatures | None:
    """Inception feature extractor, or None (with a logged reason) when no usable weights file."""
    if not weights_path:
        log.info(
            "FID/KID disabled: set metrics.inception_weights=PATH to a local Inception-v3 state dict"
        )
        return None
    path = Path(weights_path).expanduser()
    if not path.is_file():
        log.warning("FID/KID disabled: metrics.inception_weights file %s does not exist", path)
        return None
    try:
        return InceptionFeatures(path).to(device)
    except (RuntimeError, KeyError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.warning("FID/KID disabled: cannot load Inception weights %s (%s)", path, first)
        return None


def frechet_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> float:
    """FID between two feature sets (N, D): |mu_a - mu_b|^2 + Tr(Ca + Cb - 2 sqrt(Ca Cb))."""
    a, b = feat_a.double(), feat_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    eig = torch.linalg.eigvals(cov_a @ cov_b)
    tr_sqrt = eig.real.clamp_min(0).sqrt().sum()
    return float((mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * tr_sqrt)


def kernel_inception_distance(
    feat_a: torch.Tensor,
    feat_b: torch.Tensor,
    subset_size: int = 100,
    subsets: int = 10,
    seed: int = 0,
) -> float:
    """KID: unbiased MMD^2 with cubic polynomial kernel, averaged over random subsets."""
    a, b = feat_a.double(), feat_b.double()
    m = min(subset_size, a.shape[0], b.shape[0])
    if m < 2:
        raise ValueError("kid: need at least 2 images per set")
    gen = torch.Generator().manual_seed(seed)
    d = a.shape[1]
    total = 0.0
    for _ in range(subsets):
        x = a[torch.randperm(a.shape[0], generator=gen)[:m]]
        y = b[torch.randperm(b.shape[0], generator=gen)[:m]]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        off = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        total += float(off - 2 * kxy.mean())
    return total / subsets


def fid_kid(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    inception: InceptionFeatures,
    subset_size: int = 100,
    seed: int = 0,
) -> dict[str, float]:
    """FID and KID between two image sets in [-1, 1] using a loaded Inception."""
    fa, fb = inception(images_a), inception(images_b)
    return {
        "fid": frechet_distance(fa, fb),
        "kid": kernel_inception_distance(fa, fb, subset_size, seed=seed),
    }


# --- paired measures: one image against its counterpart -------------------------------------


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two 8-bit RGB arrays (inf when identical)."""
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def luma_array(rgb: np.ndarray) -> torch.Tensor:
    """HxWx3 RGB array on [0, 255] to a (1, 1, H, W) float64 luminance tensor."""
    y = rgb @ np.asarray(LUMA_WEIGHTS)
    return torch.from_numpy(np.ascontiguousarray(y)).view(1, 1, *y.shape)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 2-D gaussian window (1, 1, size, size) in float64."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return torch.outer(g, g).view(1, 1, size, size)


def ssim(a: np.ndarray, b: np.ndarray, size: int = 11, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004) of two RGB arrays on [0, 255], on luminance."""
    x, y = luma_array(a), luma_array(b)
    size = min(size, *x.shape[-2:])
    size -= 1 - size % 2
    w = gaussian_window(size, sigma)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = F.conv2d(x, w), F.conv2d(y, w)
    sxx = F.conv2d(x * x, w) - mu_x**2
    syy = F.conv2d(y * y, w) - mu_y**2
    sxy = F.conv2d(x * y, w) - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * sxy + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2)
    return float((num / den).mean())


def sobel_magnitude(y: torch.Tensor) -> torch.Tensor:
    """Sobel gradient magnitude of a (1, 1, H, W) image, replicate-padded, same size."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=y.dtype)
    k = torch.stack([kx, kx.T]).unsqueeze(1)
    g = F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), k)
    return g.square().sum(dim=1).sqrt()[0]


def dilate(mask: np.ndarray, pixels: int) -> torch.Tensor:
    """Boolean (H, W) mask grown by `pixels` px (square structuring element)."""
    m = torch.from_numpy(mask.astype(np.float32)).view(1, 1, *mask.shape)
    if pixels > 0:
        m = F.max_pool2d(m, 2 * pixels + 1, stride=1, padding=pixels)
    return m[0, 0] > 0


def edge_agreement(a: np.ndarray, b: np.ndarray, region: torch.Tensor) -> float | None:
    """Pearson correlation of Sobel magnitudes of two RGB arrays inside `region` (or None)."""
    if int(region.sum()) < 2:
        return None
    ea = sobel_magnitude(luma_array(a))[region]
    eb = sobel_magnitude(luma_array(b))[region]
    ea, eb = ea - ea.mean(), eb - eb.mean()
    denom = float(ea.norm() * eb.norm())
    if denom < 1e-12:
        return None
    # clamped: rounding puts the correlation of identical edges at 1 + 2e-16 on some images
    return min(1.0, max(-1.0, float((ea * eb).sum()) / denom))


def label_fidelity(
    a: np.ndarray, b: np.ndarray, mask: np.ndarray | None, dilation: int
) -> float | None:
    """Edge agreement of a render and its translation inside the instance mask `mask`
    (H, W; > 0 on objects) grown by `dilation` px; None without a mask."""
    if mask is None:
        return None
    return edge_agreement(a, b, dilate(mask > 0, dilation))
