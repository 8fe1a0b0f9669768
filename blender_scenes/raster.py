"""Exact pixel-centre rasterization of 2D triangles with numpy (no Blender needed)."""

from __future__ import annotations

import numpy as np

CHUNK = 2_000_000  # candidate pixels per vectorized step


def triangle_pixel_candidates(tris: np.ndarray, x_lo: int, x_hi: int, y_lo: int, y_hi: int):
    """Per-triangle pixel index ranges [lo, hi] of pixel centres inside its bounding box."""
    xs, ys = tris[:, :, 0], tris[:, :, 1]
    i0 = np.clip(np.ceil(xs.min(1) - 0.5), x_lo, x_hi).astype(np.int64)
    i1 = np.clip(np.floor(xs.max(1) - 0.5), x_lo - 1, x_hi).astype(np.int64)
    j0 = np.clip(np.ceil(ys.min(1) - 0.5), y_lo, y_hi).astype(np.int64)
    j1 = np.clip(np.floor(ys.max(1) - 0.5), y_lo - 1, y_hi).astype(np.int64)
    return i0, i1, j0, j1


def rasterize(tris: np.ndarray, width: int, height: int, pad: int = 0) -> np.ndarray:
    """Union coverage of triangles (T, 3, 2) in pixel coords, on a canvas padded by `pad`.

    A pixel is covered when its centre (i + 0.5, j + 0.5) lies inside or on a triangle; both
    windings count. Returns a bool array of shape (height + 2 pad, width + 2 pad).
    """
    canvas = np.zeros((height + 2 * pad, width + 2 * pad), dtype=bool)
    if len(tris) == 0:
        return canvas
    tris = np.asarray(tris, dtype=np.float64)
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    keep = np.isfinite(area) & (np.abs(area) > 1e-12)
    tris = tris[keep]
    if len(tris) == 0:
        return canvas
    i0, i1, j0, j1 = triangle_pixel_candidates(tris, -pad, width + pad - 1, -pad, height + pad - 1)
    nx = np.maximum(i1 - i0 + 1, 0)
    ny = np.maximum(j1 - j0 + 1, 0)
    n = nx * ny
    order = np.flatnonzero(n)
    start = 0
    while start < len(order):
        stop = start
        total = 0
        while stop < len(order) and (total == 0 or total + n[order[stop]] <= CHUNK):
            total += n[order[stop]]
            stop += 1
        sel = order[start:stop]
        start = stop
        _fill(canvas, tris[sel], i0[sel], j0[sel], nx[sel], n[sel], pad)
    return canvas


def _fill(
    canvas: np.ndarray,
    tris: np.ndarray,
    i0: np.ndarray,
    j0: np.ndarray,
    nx: np.ndarray,
    n: np.ndarray,
    pad: int,
) -> None:
    """Test every candidate pixel centre against its triangle and mark the inside ones."""
    tri_idx = np.repeat(np.arange(len(tris)), n)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    px = i0[tri_idx] + offsets % nx[tri_idx]
    py = j0[tri_idx] + offsets // nx[tri_idx]
    cx, cy = px + 0.5, py + 0.5
    t = tris[tri_idx]
    inside_pos = np.ones(len(cx), dtype=bool)
    inside_neg = np.ones(len(cx), dtype=bool)
    for k in range(3):
        p, q = t[:, k], t[:, (k + 1) % 3]
        e = (q[:, 0] - p[:, 0]) * (cy - p[:, 1]) - (q[:, 1] - p[:, 1]) * (cx - p[:, 0])
        inside_pos &= e >= 0
        inside_neg &= e <= 0
    hit = inside_pos | inside_neg
    canvas[py[hit] + pad, px[hit] + pad] = True
