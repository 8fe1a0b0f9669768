"""Place food items on support surfaces (shelves, drawers, door bins) without interpenetration.

Pure Python: works on footprints from the item parameters, never on Blender objects. Items
stand upright on a surface; packing them in rows from the back to the front with disjoint
footprint boxes guarantees that their meshes (which lie inside those boxes) cannot overlap,
and rows in front hide the rows behind, as in a real fridge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Surface:
    """A rectangle items can stand on, in its own frame (local +y points to the back)."""

    name: str
    origin: tuple[float, float, float]  # world position of the local frame's origin
    yaw_deg: float  # rotation of the local frame about world +Z
    x_range: tuple[float, float]
    y_range: tuple[float, float]  # front edge, back edge
    clearance: float  # free height above the surface
    kind: str  # "shelf" | "drawer" | "door"


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


def pack_rows(surface: Surface, items: list[Item], rng: np.random.Generator) -> list[Placed]:
    """Pack items in rows from the back edge forwards; items that do not fit are left out."""
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
            row_back -= row_depth + float(rng.uniform(0.004, 0.02))
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
        cursor = x + hx + gap
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
