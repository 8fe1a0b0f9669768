"""Polygons from exact instance masks, and back (pure numpy).

Outlines follow pixel edges: pixel (column c, row r) is the square [c, c + 1] x [r, r + 1], so a
polygon's vertices lie on pixel corners and the polygon covers exactly the mask's pixel centres
(holes filled). Pixels that touch only at a corner belong to one outline (8-connectivity).
Divided by the image size, these coordinates are the frame of YOLO boxes: (0, 0) is the image's
top-left corner and (1, 1) its bottom-right corner.
"""

from __future__ import annotations

import numpy as np

# Boundary edges of a pixel whose neighbour on that side is outside the mask, as
# (corner offset of the start, corner offset of the end) in (x, y); walking them keeps the
# mask on the same side, so outer outlines have negative and holes positive `signed_area`.
_EDGES = {
    "up": ((1, 0), (0, 0)),
    "left": ((0, 0), (0, 1)),
    "down": ((0, 1), (1, 1)),
    "right": ((1, 1), (1, 0)),
}


def signed_area(poly: np.ndarray) -> float:
    """Shoelace area of a closed polygon (N, 2): negative for outer outlines, positive for holes."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _boundary_edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end corners (E, 2) of every boundary edge of a bool mask."""
    m = np.pad(np.asarray(mask, dtype=bool), 1)
    inside = m[1:-1, 1:-1]
    neighbours = {
        "up": m[:-2, 1:-1],
        "left": m[1:-1, :-2],
        "down": m[2:, 1:-1],
        "right": m[1:-1, 2:],
    }
    starts, ends = [], []
    for side, (a, b) in _EDGES.items():
        r, c = np.nonzero(inside & ~neighbours[side])
        starts.append(np.stack([c + a[0], r + a[1]], axis=1))
        ends.append(np.stack([c + b[0], r + b[1]], axis=1))
    return np.concatenate(starts), np.concatenate(ends)


def _drop_collinear(loop: np.ndarray) -> np.ndarray:
    """Remove vertices in the middle of straight runs (the polygon stays the same)."""
    prev, nxt = np.roll(loop, 1, axis=0), np.roll(loop, -1, axis=0)
    d1, d2 = loop - prev, nxt - loop
    turn = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    keep = (turn != 0) | (np.einsum("ij,ij->i", d1, d2) < 0)
    return loop[keep]


def outlines(mask: np.ndarray) -> list[np.ndarray]:
    """Every closed outline of a bool mask as (N, 2) float arrays of corner points (x, y).

    Outer outlines (one per 8-connected component) have negative `signed_area`, outlines of
    holes positive. Vertices are the corners where the outline turns.
    """
    starts, ends = _boundary_edges(mask)
    if not len(starts):
        return []
    width = int(np.asarray(mask).shape[1]) + 2
    key = lambda p: int(p[1]) * width + int(p[0])  # noqa: E731 - corner -> int
    outgoing: dict[int, list[int]] = {}
    for i, s in enumerate(starts):
        outgoing.setdefault(key(s), []).append(i)
    used = np.zeros(len(starts), dtype=bool)
    loops = []
    for first in range(len(starts)):
        if used[first]:
            continue
        loop, edge = [], first
        while not used[edge]:
            used[edge] = True
            loop.append(starts[edge])
            choices = [e for e in outgoing[key(ends[edge])] if not used[e]]
            if not choices:
                break
            if len(choices) > 1:  # two outlines touch at this corner: turn so they join
                d_in = ends[edge] - starts[edge]
                turn = [d_in[0] * (ends[e] - starts[e])[1] - d_in[1] * (ends[e] - starts[e])[0]
                        for e in choices]  # fmt: skip
                choices = [choices[int(np.argmax(turn))]]
            edge = choices[0]
        loops.append(_drop_collinear(np.asarray(loop, dtype=np.float64)))
    return loops


def _simplify(points: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker on an open polyline (keeps both ends)."""
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        seg = b - a
        rel = points[i + 1 : j] - a
        norm = np.hypot(*seg)
        if norm < 1e-12:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tol:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return points[keep]


def simplify(loop: np.ndarray, tol: float) -> np.ndarray:
    """A closed outline with fewer vertices, within `tol` pixels of the original (0: unchanged)."""
    if tol <= 0 or len(loop) <= 4:
        return loop
    far = int(np.argmax(np.hypot(*(loop - loop[0]).T)))  # split at the point farthest from 0
    a = _simplify(np.concatenate([loop[: far + 1]]), tol)
    b = _simplify(np.concatenate([loop[far:], loop[:1]]), tol)
    out = np.concatenate([a, b[1:-1]])
    return out if len(out) >= 3 else loop


def join_outlines(loops: list[np.ndarray]) -> np.ndarray:
    """One polygon through several outlines, joined by zero-width bridges between nearest corners.

    Each bridge is walked there and back, so the polygon covers exactly the union of the
    outlines (even-odd or non-zero filling alike).
    """
    loops = sorted(loops, key=lambda p: (p[:, 1].min(), p[:, 0].min()))
    poly = loops[0]
    for other in loops[1:]:
        d = ((poly[:, None, :] - other[None, :, :]) ** 2).sum(-1)
        a, b = np.unravel_index(int(np.argmin(d)), d.shape)
        poly = np.concatenate([np.roll(poly, -a, axis=0), poly[a:a + 1],
                               np.roll(other, -b, axis=0), other[b:b + 1]])  # fmt: skip
    return poly


def mask_polygon(mask: np.ndarray, mode: str = "largest", tol: float = 0.0) -> np.ndarray | None:
    """The polygon of an instance mask: its largest outer outline, or all joined (`mode="all"`).

    Holes are filled (YOLO-seg polygons have none). None when the mask is empty.
    """
    outer = [p for p in outlines(mask) if signed_area(p) < 0]
    if not outer:
        return None
    if mode == "largest":
        return simplify(max(outer, key=lambda p: -signed_area(p)), tol)
    return join_outlines([simplify(p, tol) for p in drop_nested(outer)])


def drop_nested(loops: list[np.ndarray]) -> list[np.ndarray]:
    """Outer outlines that do not lie inside another one (an island in a hole is filled anyway)."""
    if len(loops) < 2:
        return loops
    pts = np.concatenate(loops)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    w, h = (np.ceil(pts.max(axis=0)).astype(int) - (x0, y0)).tolist()
    filled = [polygon_to_mask(p - (x0, y0), w, h) for p in loops]
    keep = []
    for i, f in enumerate(filled):
        inside_other = any(j != i and (f <= g).all() and g.sum() > f.sum()
                           for j, g in enumerate(filled))  # fmt: skip
        if not inside_other:
            keep.append(loops[i])
    return keep


def polygon_to_mask(poly: np.ndarray, width: int, height: int) -> np.ndarray:
    """Rasterise a polygon (N, 2) in corner coordinates: pixels whose centre is inside (even-odd)."""
    poly = np.asarray(poly, dtype=np.float64)
    ys = np.arange(height) + 0.5
    xs = np.arange(width) + 0.5
    inside = np.zeros((height, width), dtype=bool)
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for k in range(len(poly)):
        if y0[k] == y1[k]:
            continue
        lo, hi = min(y0[k], y1[k]), max(y0[k], y1[k])
        rows = (ys >= lo) & (ys < hi)
        if not rows.any():
            continue
        xc = x0[k] + (ys[rows] - y0[k]) * (x1[k] - x0[k]) / (y1[k] - y0[k])
        inside[rows] ^= xs[None, :] > xc[:, None]
    return inside
