"""Place food items on support surfaces (shelves, drawers, door bins) without interpenetration.

Pure Python: works on footprints from the item parameters, never on Blender objects. Packing
items in rows from the back to the front with disjoint footprint boxes guarantees that their
meshes (which lie inside those boxes) cannot overlap, and rows in front hide the rows behind,
as in a real fridge. Items may also be posed (lying, tilted): their rotated bounding box is then
the footprint. `layout_occlusion` estimates how much the items of a layout hide each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .geometry import Surface

MIN_GAP = 0.003  # round items are not perfectly round (lobes): never closer than this at the start


@dataclass(frozen=True)
class Item:
    """An item to place: its footprint size and orientation on the surface."""

    size: tuple[float, float, float]
    footprint: str  # "circle" | "box"
    yaw_deg: float


@dataclass(frozen=True)
class Placed:
    """Where an item ended up, in surface-local coordinates."""

    item_index: int
    x: float
    y: float
    half_extent: tuple[float, float]


def half_extents(item: Item) -> tuple[float, float]:
    """Half sizes of the item's footprint bounding box in the surface frame."""
    sx, sy, _ = item.size
    if item.footprint == "circle":
        r = max(sx, sy) / 2
        return r, r
    c, s = abs(math.cos(math.radians(item.yaw_deg))), abs(math.sin(math.radians(item.yaw_deg)))
    return (c * sx + s * sy) / 2, (s * sx + c * sy) / 2


def pack_rows(
    surface: Surface, items: list[Item], rng: np.random.Generator, gap_scale: float = 1.0
) -> list[Placed]:
    """Pack items in rows from the back edge forwards; items that do not fit are left out.

    `gap_scale` scales the random gaps between items and rows (0: MIN_GAP apart, 1: the default).
    """
    x0, x1 = surface.x_range
    y_front, y_back = surface.y_range
    placed: list[Placed] = []
    row: list[Placed] = []
    row_back = y_back
    row_depth = 0.0
    cursor = x0 + float(rng.uniform(0.0, 0.02))

    def close_row() -> None:
        if row:
            shift = float(rng.uniform(0.0, max(0.0, x1 - cursor)))
            placed.extend(Placed(p.item_index, p.x + shift, p.y, p.half_extent) for p in row)
            row.clear()

    for i, item in enumerate(items):
        hx, hy = half_extents(item)
        if 2 * hx > x1 - x0 or 2 * hy > y_back - y_front:
            continue
        if cursor + 2 * hx > x1:
            close_row()
            row_back -= row_depth + max(float(rng.uniform(0.004, 0.02)) * gap_scale, MIN_GAP)
            row_depth = 0.0
            cursor = x0 + float(rng.uniform(0.0, 0.03))
        jitter = float(rng.uniform(0.0, 0.015))
        if row_back - jitter - 2 * hy < y_front:
            jitter = 0.0
            if row_back - 2 * hy < y_front:
                continue  # too deep for what is left of this surface; a slimmer item may fit
        x = cursor + hx
        y = row_back - jitter - hy
        row.append(Placed(i, x, y, (hx, hy)))
        row_depth = max(row_depth, jitter + 2 * hy)
        gap = float(rng.choice([rng.uniform(0.003, 0.012), rng.uniform(0.012, 0.06)], p=[0.7, 0.3]))
        cursor = x + hx + max(gap * gap_scale, MIN_GAP)
    close_row()
    return placed


def to_world(surface: Surface, x: float, y: float) -> tuple[float, float, float]:
    """Surface-local point on the surface -> world coordinates."""
    a = math.radians(surface.yaw_deg)
    ox, oy, oz = surface.origin
    return (ox + x * math.cos(a) - y * math.sin(a), oy + x * math.sin(a) + y * math.cos(a), oz)


def boxes_disjoint(a: Placed, b: Placed, gap: float = 0.0) -> bool:
    """True when the two footprint boxes (same surface) are separated by at least `gap`."""
    return (
        abs(a.x - b.x) >= a.half_extent[0] + b.half_extent[0] + gap
        or abs(a.y - b.y) >= a.half_extent[1] + b.half_extent[1] + gap
    )


def euler_matrix(deg: tuple[float, float, float] | list[float]) -> np.ndarray:
    """3x3 rotation of an XYZ Euler triple in degrees (Blender's default order: Rz @ Ry @ Rx)."""
    ax, ay, az = (math.radians(float(v)) for v in deg)
    cx, sx, cy, sy, cz, sz = (
        math.cos(ax),
        math.sin(ax),
        math.cos(ay),
        math.sin(ay),
        math.cos(az),
        math.sin(az),
    )
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def matrix_euler(m: np.ndarray) -> tuple[float, float, float]:
    """XYZ Euler angles in degrees of a rotation matrix (inverse of `euler_matrix`)."""
    sy = -float(m[2, 0])
    ay = math.asin(max(-1.0, min(1.0, sy)))
    if abs(sy) < 0.999999:
        ax = math.atan2(float(m[2, 1]), float(m[2, 2]))
        az = math.atan2(float(m[1, 0]), float(m[0, 0]))
    else:  # gimbal lock: put everything into x
        ax = math.atan2(-float(m[1, 2]), float(m[1, 1]))
        az = 0.0
    return math.degrees(ax), math.degrees(ay), math.degrees(az)


def box_corners(size: tuple[float, float, float] | list[float]) -> np.ndarray:
    """(8, 3) corners of an item's box in its own frame (origin at the bottom centre)."""
    sx, sy, sz = size
    return np.array(
        [[x, y, z] for x in (-sx / 2, sx / 2) for y in (-sy / 2, sy / 2) for z in (0.0, sz)]
    )


def posed_box(
    size: tuple[float, float, float] | list[float], rot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounds (lo, hi) of the item's box turned by `rot`, relative to its origin."""
    pts = box_corners(size) @ rot.T
    return pts.min(axis=0), pts.max(axis=0)


def posed_item(
    size: tuple[float, float, float] | list[float], rot: np.ndarray
) -> tuple[Item, np.ndarray]:
    """A box Item covering the posed item, and the origin's offset from its bottom centre."""
    lo, hi = posed_box(size, rot)
    ext = hi - lo
    offset = -np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return Item((float(ext[0]), float(ext[1]), float(ext[2])), "box", 0.0), offset


def camera_frame(location: list[float], target: list[float]) -> np.ndarray:
    """Rows: right, up, forward unit vectors of a camera looking from location at target."""
    f = np.asarray(target, float) - np.asarray(location, float)
    f /= np.linalg.norm(f)
    right = np.cross(f, [0.0, 0.0, 1.0])
    right = (
        right / max(np.linalg.norm(right), 1e-9)
        if np.linalg.norm(right) > 1e-6
        else np.array([1.0, 0, 0])
    )
    return np.stack([right, np.cross(right, f), f])


def layout_occlusion(
    boxes: list[np.ndarray],
    location: list[float],
    target: list[float],
    fov_deg: float,
    aspect: float,
    width: int = 64,
) -> float:
    """Mean occlusion of item boxes ((8, 3) world corners each) seen by a pinhole camera.

    Cheap and approximate: each box is drawn as the convex hull of its projected corners, in
    painter's order (far to near by the nearest corner), on a small canvas; an item's occlusion
    is the share of its in-frame hull covered by nearer items. Items out of view do not count.
    """
    from .raster import rasterize

    height = max(8, int(round(width / aspect)))
    frame = camera_frame(location, target)
    t = math.tan(math.radians(fov_deg) / 2)
    hulls, depths = [], []
    for corners in boxes:
        rel = (np.asarray(corners, float) - np.asarray(location, float)) @ frame.T
        if (rel[:, 2] <= 0.01).any():
            hulls.append(None)
            depths.append(0.0)
            continue
        u = (rel[:, 0] / rel[:, 2] / t + 1) * 0.5 * width
        v = (1 - (rel[:, 1] / rel[:, 2] / (t / aspect) + 1) * 0.5) * height
        hulls.append(convex_hull(np.stack([u, v], axis=1)))
        depths.append(float(rel[:, 2].min()))
    ids = np.zeros((height, width), dtype=np.int32)
    masks: dict[int, np.ndarray] = {}
    for k in sorted((k for k, h in enumerate(hulls) if h is not None), key=lambda k: -depths[k]):
        hull = hulls[k]
        tris = np.stack([np.repeat(hull[:1], len(hull) - 2, axis=0), hull[1:-1], hull[2:]], axis=1)
        mask = rasterize(tris, width, height)
        if mask.any():
            masks[k + 1] = mask
            ids[mask] = k + 1
    if not masks:
        return 0.0
    occ = [1.0 - float((ids[m] == k).sum()) / float(m.sum()) for k, m in masks.items()]
    return float(np.mean(occ))


def convex_hull(pts: np.ndarray) -> np.ndarray:
    """Convex hull (counter-clockwise, (K, 2)) of 2D points by the monotone chain."""
    p = sorted({(float(x), float(y)) for x, y in pts})
    if len(p) < 3:
        return np.array(p + p[:1] * (3 - len(p)))

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for q in seq:
            while (
                len(out) >= 2
                and (
                    (out[-1][0] - out[-2][0]) * (q[1] - out[-2][1])
                    - (out[-1][1] - out[-2][1]) * (q[0] - out[-2][0])
                )
                <= 0
            ):
                out.pop()
            out.append(q)
        return out

    lower, upper = half(p), half(p[::-1])
    return np.array(lower[:-1] + upper[:-1])
