"""`style=photo`: what a cheap fridge camera does to a scene, applied to the clean render.

The scene description is the same in both styles; the camera's flaws are drawn from their own
random stream of (seed, index), so `style=clean` and `style=photo` of one batch form a paired
ground truth for evaluating translation. Steps, in the order a camera applies them:
scene-linear white-balance cast and exposure error, vignetting, condensation haze (soft bright
blobs that wash out contrast), then after the display transform: barrel lens distortion (the
instance mask, depth, normals and amodal masks are warped the same way with nearest-neighbour
lookups, so labels stay exact), defocus, sensor noise and JPEG.
Pure numpy and Pillow.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

STYLES = ("clean", "photo")


@dataclass(frozen=True)
class PhotoStyle:
    """Camera flaws of one shot."""

    wb_gains: tuple[float, float, float]  # multiplies linear RGB (warm or green casts)
    exposure_ev: float
    vignette: float  # darkening at the corners, 0..1
    distortion_k1: float  # barrel distortion coefficient (normalized radius)
    defocus_px: float  # gaussian blur radius at 256 px width
    noise: float  # sensor noise standard deviation (0..1 scale) at mid grey
    jpeg_quality: int
    haze: list[tuple[float, float, float, float]] = field(default_factory=list)  # x, y, r, strength

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for meta files."""
        return {"name": "photo", **asdict(self)}


def sample_photo_style(seed: int, index: int) -> PhotoStyle:
    """Camera flaws for image `index`, from a stream separate from the scene's."""
    rng = np.random.default_rng([int(seed), int(index), 0x50484F54])
    cast = rng.choice(["warm", "green", "cool", "neutral"], p=[0.4, 0.3, 0.1, 0.2])
    gains = {
        "warm": (1.18, 1.0, 0.78),
        "green": (0.9, 1.08, 0.82),
        "cool": (0.9, 1.0, 1.12),
        "neutral": (1.0, 1.0, 1.0),
    }[str(cast)]
    gains = tuple(round(float(g * rng.uniform(0.95, 1.05)), 4) for g in gains)
    haze = [
        (
            round(float(rng.uniform(0, 1)), 4),
            round(float(rng.uniform(0, 1)), 4),
            round(float(rng.uniform(0.08, 0.3)), 4),
            round(float(rng.uniform(0.15, 0.45)), 4),
        )
        for _ in range(int(rng.integers(0, 4)))
    ]
    return PhotoStyle(
        wb_gains=gains,
        exposure_ev=round(float(rng.normal(0.0, 0.45)), 4),
        vignette=round(float(rng.uniform(0.2, 0.6)), 4),
        distortion_k1=round(float(rng.uniform(0.0, 0.12)), 4),
        defocus_px=round(float(rng.uniform(0.0, 1.2)), 4),
        noise=round(float(rng.uniform(0.006, 0.03)), 4),
        jpeg_quality=int(rng.integers(35, 80)),
        haze=haze,
    )


def radius_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel-centre coordinates normalized to [-1, 1] on the long side, and their radius."""
    s = max(h, w) / 2
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = (x + 0.5 - w / 2) / s, (y + 0.5 - h / 2) / s
    return xn, yn, np.sqrt(xn**2 + yn**2)


def white_balanced(linear: np.ndarray, gains: list[float]) -> np.ndarray:
    """The scene-linear RGB times per-channel gains (the scene's `world.white_balance`)."""
    return linear[..., :3].astype(np.float32) * np.asarray(gains, np.float32)


def camera_linear(linear: np.ndarray, style: PhotoStyle) -> np.ndarray:
    """White balance, vignetting and condensation haze on the scene-linear image."""
    h, w = linear.shape[:2]
    out = linear[..., :3].astype(np.float32) * np.asarray(style.wb_gains, np.float32)
    xn, yn, r = radius_grid(h, w)
    out *= (1.0 - style.vignette * np.clip(r / np.sqrt(2), 0, 1) ** 2)[..., None]
    if style.haze:
        level = float(np.percentile(out, 75))
        for cx, cy, rad, strength in style.haze:
            d2 = ((xn - (2 * cx - 1)) ** 2 + (yn - (2 * cy - 1)) ** 2) / (2 * rad) ** 2
            a = (strength * np.exp(-d2))[..., None]
            out = out * (1 - a) + a * level
    return out


def distortion_maps(h: int, w: int, k1: float) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel coordinates (x, y) for each output pixel under barrel distortion."""
    xn, yn, r = radius_grid(h, w)
    s = max(h, w) / 2
    corner = np.hypot(w, h) / 2 / s
    f = (1.0 + k1 * r**2) / (1.0 + k1 * corner**2)  # corners map to corners: frame stays filled
    return xn * f * s + w / 2 - 0.5, yn * f * s + h / 2 - 0.5


def nearest_source(h: int, w: int, k1: float) -> tuple[np.ndarray, np.ndarray]:
    """For each output pixel, the (row, column) of the source pixel nearest to its source point."""
    sx, sy = distortion_maps(h, w, k1)
    xn = np.clip(np.rint(sx).astype(int), 0, w - 1)
    yn = np.clip(np.rint(sy).astype(int), 0, h - 1)
    return yn, xn


def warp_nearest(arr: np.ndarray, k1: float) -> np.ndarray:
    """Barrel distortion with nearest-neighbour lookup, for labels and geometry (no blending).

    Instance ids, depth, normals and amodal masks all go through this, so every pixel of the
    warped image keeps the values of exactly one source pixel: the one the RGB warp samples
    around. A pixel's depth stays the depth of the surface it shows.
    """
    if k1 == 0:
        return arr
    yn, xn = nearest_source(arr.shape[0], arr.shape[1], k1)
    return arr[yn, xn]


def warp(rgb: np.ndarray, ids: np.ndarray, k1: float) -> tuple[np.ndarray, np.ndarray]:
    """Apply barrel distortion: bilinear for colour, nearest for instance ids."""
    if k1 == 0:
        return rgb, ids
    h, w = ids.shape
    sx, sy = distortion_maps(h, w, k1)
    x0 = np.clip(np.floor(sx).astype(int), 0, w - 1)
    y0 = np.clip(np.floor(sy).astype(int), 0, h - 1)
    x1, y1 = np.clip(x0 + 1, 0, w - 1), np.clip(y0 + 1, 0, h - 1)
    fx, fy = np.clip(sx - x0, 0, 1)[..., None], np.clip(sy - y0, 0, 1)[..., None]
    src = rgb.astype(np.float32)
    out = (src[y0, x0] * (1 - fx) + src[y0, x1] * fx) * (1 - fy) + (
        src[y1, x0] * (1 - fx) + src[y1, x1] * fx
    ) * fy
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), warp_nearest(ids, k1)


def distort_points(uv: np.ndarray, width: int, height: int, k1: float) -> np.ndarray:
    """Where undistorted pixel coordinates (..., 2) land in the `style=photo` image.

    Pixel coordinates are OpenCV's (pixel centres at integers), as produced by the camera's K.
    The warp samples output point p at source c + (p - c) f(|p - c| / s) with
    f(r) = (1 + k1 r^2) / (1 + k1 C^2) (`distortion_maps`); this inverts that radially with a
    few Newton steps on r f(r) = r_source.
    """
    uv = np.asarray(uv, dtype=np.float64)
    if k1 == 0:
        return uv.copy()
    s = max(width, height) / 2
    c = np.array([width / 2 - 0.5, height / 2 - 0.5])
    corner2 = (np.hypot(width, height) / 2 / s) ** 2
    d = (uv - c) / s
    r_src = np.linalg.norm(d, axis=-1)
    r = r_src * (1.0 + k1 * corner2)  # the exact answer at the centre; Newton from there
    for _ in range(20):
        g = r * (1.0 + k1 * r**2) / (1.0 + k1 * corner2) - r_src
        r = r - g / ((1.0 + 3.0 * k1 * r**2) / (1.0 + k1 * corner2))
    scale = np.where(r_src > 1e-12, r / np.maximum(r_src, 1e-12), 1.0 + k1 * corner2)
    return c + d * scale[..., None] * s


def camera_sensor(
    rgb: np.ndarray, ids: np.ndarray, style: PhotoStyle, seed: int, index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lens distortion, defocus, sensor noise and JPEG on the display image (8-bit RGB).

    Only the distortion moves pixels; ground truth other than the ids (depth, normals, amodal
    masks) takes the same `warp_nearest(arr, style.distortion_k1)` and nothing else.
    """
    rgb, ids = warp(rgb, ids, style.distortion_k1)
    img = Image.fromarray(rgb)
    radius = style.defocus_px * rgb.shape[1] / 256
    if radius > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(radius))
    x = np.asarray(img, dtype=np.float32) / 255.0
    rng = np.random.default_rng([int(seed), int(index), 0x4E4F4953])
    sigma = style.noise * np.sqrt(np.clip(x, 0.02, 1.0) / 0.5)  # shot noise grows with signal
    x = x + rng.normal(0.0, 1.0, x.shape).astype(np.float32) * sigma
    img = Image.fromarray(np.clip(np.rint(x * 255), 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=style.jpeg_quality)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB")), ids
