"""Mesh construction for the procedural food: `MeshBuilder` and the geometry helpers.

`MeshBuilder` accumulates closed shells (rings of vertices with fan caps), their UVs and material
slots, and `MeshBuilder.finish` turns them into one Blender mesh object fitted to the item's
``size``. The helpers make the rings and profiles the builders feed it: lathe profiles, prisms,
tubes, boxes (`box_shell`), ellipsoid rows (`sphere_profile`), and for the grocery groups the
pieces placed in their own box (`place`, `moved`), open boxes, cushions, pillows and tubes.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable

import numpy as np

from ..blender import bmesh, bpy
from ..placement import euler_matrix
from .profiles import SUPERELLIPSE, pillow_profiles

TAU = 2 * math.pi
Array = np.ndarray
UVFn = Callable[[Array], Array]


# --------------------------------------------------------------------------------------------
# Mesh construction


class MeshBuilder:
    """Accumulates closed shells (rings of vertices, fan caps) with UVs and material slots."""

    def __init__(self, name: str) -> None:
        """Start an empty bmesh for the object `name`."""
        self.name = name
        self.bm = bmesh.new()
        self.uv = self.bm.loops.layers.uv.new("UVMap")
        self.materials: list[bpy.types.Material] = []
        self.keys: dict[str, int] = {}
        self.sharp_angle = math.radians(40)
        self.prefix = ""  # prepended to slot keys: pieces of a group get their own materials

    def slot(self, key: str, make: Callable[[str], bpy.types.Material]) -> int:
        """Material slot index for `key`, creating the material with `make(name)` once."""
        key = self.prefix + key
        if key not in self.keys:
            self.keys[key] = len(self.materials)
            self.materials.append(make(f"{self.name}.{key}"))
        return self.keys[key]

    def face(self, verts: list, uvs: list, mat: int, smooth: bool) -> None:
        """Add one face with per-corner UVs."""
        f = self.bm.faces.new(verts)
        f.material_index = mat
        f.smooth = smooth
        for loop, uv in zip(f.loops, uvs, strict=True):
            loop[self.uv].uv = uv

    def grid(
        self,
        pts: Array,
        mats: int | list[int],
        uvs: Array | None = None,
        caps: tuple[Array | None, Array | None] = (None, None),
        cap_mats: tuple[int, int] | None = None,
        cap_uv: UVFn | None = None,
        smooth: bool = True,
    ) -> None:
        """Closed tube from rings `pts` (R, S, 3); optional fan caps to the given centre points.

        `mats` is one slot or one per band between consecutive rings; `uvs` is (R, S+1, 2), the
        extra column closing the seam.
        """
        n_rings, n_seg = pts.shape[:2]
        if uvs is None:
            uvs = np.zeros((n_rings, n_seg + 1, 2))
        band_mats = [mats] * (n_rings - 1) if isinstance(mats, int) else list(mats)
        verts = [[self.bm.verts.new(p) for p in ring] for ring in np.asarray(pts).tolist()]
        uvl = np.asarray(uvs, dtype=np.float64).tolist()  # plain floats: no numpy per corner
        for i in range(n_rings - 1):
            for j in range(n_seg):
                k = (j + 1) % n_seg
                quad = [verts[i][j], verts[i][k], verts[i + 1][k], verts[i + 1][j]]
                quv = [uvl[i][j], uvl[i][j + 1], uvl[i + 1][j + 1], uvl[i + 1][j]]
                self.face(quad, quv, band_mats[i], smooth)
        cm = cap_mats or (band_mats[0], band_mats[-1])
        uv_of = cap_uv or (lambda p: np.zeros((len(p), 2)))
        for end, centre, ring, mat in ((0, caps[0], 0, cm[0]), (1, caps[1], -1, cm[1])):
            if centre is None:
                continue
            c = self.bm.verts.new(tuple(centre))
            cuv = uv_of(np.asarray([centre]))[0]
            ruv = uv_of(pts[ring])
            for j in range(n_seg):
                k = (j + 1) % n_seg
                tri = (
                    [c, verts[ring][k], verts[ring][j]]
                    if end == 0
                    else [c, verts[ring][j], verts[ring][k]]
                )
                tuv = [cuv, ruv[k], ruv[j]] if end == 0 else [cuv, ruv[j], ruv[k]]
                self.face(tri, [tuple(u) for u in tuv], mat, smooth)

    def finish(self, size: list[float], collection: bpy.types.Collection) -> bpy.types.Object:
        """Fit the vertices to the size box, write the mesh and link a new object."""
        bmesh.ops.recalc_face_normals(self.bm, faces=list(self.bm.faces))
        co = np.array([v.co[:] for v in self.bm.verts])
        lo, hi = co.min(axis=0), co.max(axis=0)
        target = np.asarray(size, float)
        scale = target / np.maximum(hi - lo, 1e-9)
        shift = np.array([-target[0] / 2, -target[1] / 2, 0.0]) - lo * scale
        for v, c in zip(self.bm.verts, co * scale + shift, strict=True):
            v.co = c
        mesh = bpy.data.meshes.new(self.name)
        self.bm.to_mesh(mesh)
        self.bm.free()
        mesh.set_sharp_from_angle(angle=self.sharp_angle)
        for mat in self.materials:
            mesh.materials.append(mat)
        ob = bpy.data.objects.new(self.name, mesh)
        collection.objects.link(ob)
        return ob


def angles(n_seg: int) -> Array:
    """Ring angles starting at +Y (the seam) and running counter-clockwise, so u=0.5 is -Y."""
    return math.pi / 2 + TAU * np.arange(n_seg) / n_seg


def lathe(
    profile: Array, n_seg: int, modulate: Callable[[Array, Array], Array] | None = None
) -> Array:
    """Rings (R, S, 3) revolving `profile` rows (r, z) about +Z; `modulate(theta, profile)` scales r."""
    th = angles(n_seg)
    r = profile[:, :1] * (modulate(th, profile) if modulate else np.ones((1, n_seg)))
    z = np.broadcast_to(profile[:, 1:2], r.shape)
    return np.stack([r * np.cos(th), r * np.sin(th), z], axis=-1)


def wrap_uvs(profile: Array, n_seg: int, z_lo: float, z_hi: float) -> Array:
    """Cylindrical UVs: u around (0.5 at -Y), v from z_lo..z_hi mapped to 0..1."""
    u = np.arange(n_seg + 1) / n_seg
    v = (profile[:, 1] - z_lo) / max(z_hi - z_lo, 1e-9)
    return np.stack(np.broadcast_arrays(u[None, :], v[:, None]), axis=-1)


def band_mats(profile: Array, z_lo: float, z_hi: float, inside: int, outside: int) -> list[int]:
    """Material per band between profile rows: `inside` where the band's mid-z is in [z_lo, z_hi]."""
    mid = (profile[:-1, 1] + profile[1:, 1]) / 2
    return [inside if z_lo <= m <= z_hi else outside for m in mid]


def labelled_lathe(
    b: MeshBuilder,
    prof: Array,
    n_seg: int,
    lo: float,
    hi: float,
    label: int,
    body: int,
    caps: tuple,
    **grid_kw,
) -> None:
    """A body of revolution (profile `prof` turned in `n_seg` steps) wearing material `label`
    between heights lo and hi, with UVs wrapped round it there, and `body` elsewhere;
    `grid_kw` (cap_mats, cap_uv) go to `MeshBuilder.grid`."""
    b.grid(
        lathe(prof, n_seg),
        band_mats(prof, lo, hi, label, body),
        wrap_uvs(prof, n_seg, lo, hi),
        caps=caps,
        **grid_kw,
    )


def rect_ring(sx: float, sy: float, chamfer: float = 0.0) -> Array:
    """Rectangle (optionally chamfered) outline from the front-left corner, counter-clockwise."""
    x, y, c = sx / 2, sy / 2, chamfer
    if c <= 0:
        return np.array([(-x, -y), (x, -y), (x, y), (-x, y)], float)
    return np.array([(-x + c, -y), (x - c, -y), (x, -y + c), (x, y - c), (x - c, y),
                     (-x + c, y), (-x, y - c), (-x, -y + c)], float)  # fmt: skip


def perimeter_u(ring: Array) -> Array:
    """Normalised arc length along a closed 2D outline, with the closing value 1 appended."""
    seg = np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1)
    return np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()


def prism(ring: Array, zs: list[float], insets: list[float] | None = None) -> Array:
    """Rings (len(zs), S, 3) of a 2D outline at heights zs, each shrunk towards the centre by insets."""
    insets = insets or [0.0] * len(zs)
    out = []
    for z, d in zip(zs, insets, strict=True):
        scale = 1 - d / max(np.abs(ring).max(), 1e-9)
        out.append(np.column_stack([ring * scale, np.full(len(ring), z)]))
    return np.array(out)


def tube_points(centres: Array, radius: Array, a: Array, b: Array, phis: Array) -> Array:
    """Rings around a centreline: centre + radius * (cos(phi) a + sin(phi) b)."""
    c, s = np.cos(phis)[None, :, None], np.sin(phis)[None, :, None]
    return centres[:, None, :] + radius[..., None] * (c * a[:, None, :] + s * b[:, None, :])


def axis_body(xs: Array, rs: Array, n_seg: int, height: float) -> Array:
    """A body of revolution lying along X (rings in YZ) with its axis at z = height / 2."""
    centres = np.column_stack([xs, np.zeros_like(xs), np.full_like(xs, height / 2)])
    ones = np.ones_like(xs)
    a = np.column_stack([0 * ones, -ones, 0 * ones])
    b = np.column_stack([0 * ones, 0 * ones, ones])
    radius = np.broadcast_to(rs[:, None], (len(xs), n_seg))
    return tube_points(centres, radius, a, b, TAU * np.arange(n_seg) / n_seg)


def stable_rng(params: dict) -> np.random.Generator:
    """A generator seeded from the params themselves (for shape noise not stored in them)."""
    return np.random.default_rng(zlib.crc32(json.dumps(params, sort_keys=True).encode()))


def smoothstep(x: Array) -> Array:
    """Hermite smoothstep clipped to 0..1."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def insert_rows(prof: Array, zs: list[float]) -> Array:
    """Add interpolated profile rows at heights `zs` (assumes z increasing where inserted)."""
    rows = [tuple(r) for r in prof]
    for z in zs:
        if prof[0, 1] < z < prof[-1, 1] and min(abs(rz[1] - z) for rz in rows) > 1e-4:
            rows.append((float(np.interp(z, prof[:, 1], prof[:, 0])), float(z)))
    rows.sort(key=lambda rz: rz[1])
    return np.array(rows)


def box_shell(
    b: MeshBuilder,
    sx: float,
    sy: float,
    sz: float,
    bevel: float,
    side: int,
    top: int,
    bottom: int,
    v_range: tuple[float, float] = (0.0, 1.0),
    top_uv: UVFn | None = None,
) -> None:
    """A box with chamfered vertical edges and bevelled top/bottom, UV-wrapped side strip."""
    ring = rect_ring(sx, sy, bevel)
    pts = prism(ring, [0.0, bevel, sz - bevel, sz], [bevel, 0.0, 0.0, bevel])
    u = perimeter_u(ring)
    v0, v1 = v_range
    v = np.array([v0, v0 + (v1 - v0) * bevel / sz, v1 - (v1 - v0) * bevel / sz, v1])
    uvs = np.stack(np.broadcast_arrays(u[None, :], v[:, None]), axis=-1)
    b.grid(pts, side, uvs, caps=((0, 0, 0), (0, 0, sz)), cap_mats=(bottom, top), cap_uv=top_uv)


def sphere_profile(n_rows: int, radius: float, height: float) -> tuple[Array, Array]:
    """(r, z) rows of an ellipsoid from the bottom pole to the top pole (poles excluded), and s."""
    s = np.linspace(0, np.pi, n_rows + 2)[1:-1]
    return np.column_stack([radius * np.sin(s), height / 2 * (1 - np.cos(s))]), s


# --------------------------------------------------------------------------------------------
# Grocery geometry: pieces placed in their own box, open boxes, cushions, pillows, tubes

PieceFn = Callable[[MeshBuilder, dict, dict], None]  # piece builder: (b, piece, item params)


def transform_new(
    b: MeshBuilder, n0: int, rot: Array, offset: Array, fit: list[float] | None = None
) -> None:
    """Move the vertices added since index n0: fit them to box `fit` (centred), turn, shift."""  # fmt: skip
    b.bm.verts.ensure_lookup_table()
    verts = [b.bm.verts[i] for i in range(n0, len(b.bm.verts))]
    if not verts:
        return
    co = np.array([v.co[:] for v in verts])
    if fit is not None:
        lo, hi = co.min(axis=0), co.max(axis=0)
        co = (co - (lo + hi) / 2) * (np.asarray(fit, float) / np.maximum(hi - lo, 1e-9))
    co = co @ rot.T + offset
    for v, c in zip(verts, co, strict=True):
        v.co = c


def place(b: MeshBuilder, build: PieceFn, q: dict, p: dict) -> None:
    """Build piece q with its own material variant, fitted to q's box, turned and moved."""
    n0 = len(b.bm.verts)
    prefix = b.prefix
    b.prefix = f"{prefix}m{q.get('mat', 0)}."
    build(b, q, p)
    b.prefix = prefix
    transform_new(b, n0, euler_matrix(q["rot"]), np.asarray(q["at"], float), q["size"])


def moved(b: MeshBuilder, build: Callable[[], None], offset, rot=(0.0, 0.0, 0.0)) -> None:
    """Run `build` (which adds geometry around the origin) and turn/shift what it added."""
    n0 = len(b.bm.verts)
    build()
    transform_new(b, n0, euler_matrix(rot), np.asarray(offset, float))


def rounded_rect(sx: float, sy: float, r: float, seg: int = 3) -> Array:
    """Closed outline of a rectangle with rounded corners, counter-clockwise from the left end
    of its front (-Y) edge, like `rect_ring`: a label wrapped on it by `perimeter_u` starts with
    the front panel."""
    r = max(1e-4, min(r, sx / 2 - 1e-4, sy / 2 - 1e-4))
    cx, cy = sx / 2 - r, sy / 2 - r
    pts = []
    for k, (ox, oy) in enumerate(((cx, -cy), (cx, cy), (-cx, cy), (-cx, -cy))):
        a0 = -math.pi / 2 + k * math.pi / 2
        for t in np.linspace(0, math.pi / 2, seg + 1):
            pts.append((ox + r * math.cos(a0 + t), oy + r * math.sin(a0 + t)))
    return np.roll(np.array(pts), 1, axis=0)  # the last corner ends where the front edge starts


def ring_uvs(ring: Array, vs: list[float]) -> Array:
    """UVs (R, S+1, 2) of stacked copies of a 2D outline: u along the outline, v per row."""
    u = perimeter_u(ring)
    return np.stack(np.broadcast_arrays(u[None, :], np.asarray(vs)[:, None]), axis=-1)


def open_box(
    b: MeshBuilder,
    sx: float,
    sy: float,
    h: float,
    wall: float,
    mat: int,
    radius: float = 0.01,
    taper: float = 0.0,
    floor: float = 0.002,
    flange: float = 0.0,
) -> None:
    """A tub or tray: tapered walls, a flat floor, optionally a flange round the rim."""  # fmt: skip
    t = taper * h
    outer = rounded_rect(sx - 2 * flange, sy - 2 * flange, radius)
    rings = [prism(rounded_rect(sx - 2 * flange - 2 * t, sy - 2 * flange - 2 * t, max(radius - t, 0.002)), [0.0])[0],
             prism(outer, [h - 0.0015])[0]]  # fmt: skip
    if flange > 0:
        rim = rounded_rect(sx, sy, radius + flange)
        rings += [prism(rim, [h - 0.0015])[0], prism(rim, [h])[0]]
    inner = rounded_rect(
        sx - 2 * flange - 2 * wall, sy - 2 * flange - 2 * wall, max(radius - wall, 0.002)
    )
    inner_lo = rounded_rect(sx - 2 * flange - 2 * wall - 2 * t, sy - 2 * flange - 2 * wall - 2 * t,
                            max(radius - wall - t, 0.002))  # fmt: skip
    rings += [prism(inner, [h])[0], prism(inner_lo, [floor])[0]]
    b.grid(np.array(rings), mat, caps=((0, 0, 0), (0, 0, floor)), smooth=False)


def cushion(b: MeshBuilder, ring: Array, z0: float, z1: float, mat: int, dome: float = 0.5) -> None:
    """A closed film cushion over an outline: flat at z0, rising to z1 (rounder with `dome`)."""
    h = max(z1 - z0, 0.0008)
    span = float(np.abs(ring).max())
    rows, zs = [], []
    for k, t in enumerate(np.linspace(0, 1, 5)):
        inset = dome * min(h * 1.2, span * 0.4) * (1 - math.cos(t * math.pi / 2)) ** 2 if k else 0.0
        rows.append(ring * (1 - inset / span))
        zs.append(z0 + h * math.sin(t * math.pi / 2) if k else z0)
    pts = np.array(
        [np.column_stack([r, np.full(len(r), z)]) for r, z in zip(rows, zs, strict=True)]
    )
    b.grid(pts, mat, caps=((0, 0, z0), (0, 0, z0 + h)))


def pillow(
    b: MeshBuilder,
    length: float,
    width: float,
    height: float,
    mat: int | list[int],
    seal: float = 0.01,
    n_x: int = 14,
    n_seg: int = 16,
    header: tuple[float, float] | None = None,
    flat_ends: float = 0.12,
) -> None:
    """A sealed bag lying along X: puffed in the middle, flat at both seals, bottom on z = 0
    (its shape: `profiles.pillow_profiles`; `profiles.pillow_top` is its film's height).

    With `header` (x0, x1 as fractions of the length) and `mat` a pair [film, print], the rings
    inside the header span get the printed material and UVs covering the label image.
    """  # fmt: skip
    xs = np.linspace(-length / 2, length / 2, n_x)
    hprof, wprof = pillow_profiles(np.abs(xs) / (length / 2), length, seal, flat_ends)
    phis = TAU * np.arange(n_seg) / n_seg
    c, s = np.cos(phis), np.sin(phis)
    e = SUPERELLIPSE
    sup_c = np.sign(c) * np.abs(c) ** e
    sup_s = np.sign(s) * np.abs(s) ** e
    pts = np.stack([
        np.broadcast_to(xs[:, None], (n_x, n_seg)),
        (width / 2 * wprof)[:, None] * sup_c[None, :],
        (height / 2 * hprof)[:, None] * (1 + sup_s[None, :]),
    ], axis=-1)  # fmt: skip
    if header is None or isinstance(mat, int):
        b.grid(pts, mat if isinstance(mat, int) else mat[0],
               caps=((xs[0], 0, height / 2 * hprof[0]), (xs[-1], 0, height / 2 * hprof[-1])))  # fmt: skip
        return
    film, paper = mat
    fx = (xs + length / 2) / length
    x0, x1 = header
    mid = (fx[:-1] + fx[1:]) / 2
    mats = [paper if x0 <= m <= x1 else film for m in mid]
    u = np.arange(n_seg + 1) / n_seg
    v = np.clip((fx - x0) / max(x1 - x0, 1e-6), 0, 1)
    uvs = np.stack(np.broadcast_arrays(u[None, :], v[:, None]), axis=-1)
    b.grid(
        pts,
        mats,
        uvs,
        caps=((xs[0], 0, height / 2 * hprof[0]), (xs[-1], 0, height / 2 * hprof[-1])),
    )


def heightfield(
    b: MeshBuilder,
    sx: float,
    sy: float,
    h: float,
    fn: Callable[[Array, Array], Array],
    mat: int,
    n: int = 16,
) -> None:
    """A closed slab: flat bottom, top at h * fn(u, v) (u, v in -1..1; fn <= 1), rounded rim."""  # fmt: skip
    us = np.linspace(-1, 1, n + 1)
    uu, vv = np.meshgrid(us, us, indexing="ij")
    edge = np.maximum(np.abs(uu), np.abs(vv))
    zz = h * np.clip(fn(uu, vv), 0.05, 1.0) * (0.35 + 0.65 * smoothstep((1 - edge) * 4))
    bm = b.bm
    top = [
        [bm.verts.new((sx / 2 * uu[i, j], sy / 2 * vv[i, j], zz[i, j])) for j in range(n + 1)]
        for i in range(n + 1)
    ]
    for i in range(n):
        for j in range(n):
            uv = [((uu[i, j] + 1) / 2, (vv[i, j] + 1) / 2)] * 4
            b.face([top[i][j], top[i + 1][j], top[i + 1][j + 1], top[i][j + 1]], uv, mat, True)
    boundary = ([top[i][0] for i in range(n)] + [top[n][j] for j in range(n)]
                + [top[i][n] for i in range(n, 0, -1)] + [top[0][j] for j in range(n, 0, -1)])  # fmt: skip
    low = [bm.verts.new((v.co.x, v.co.y, 0.0)) for v in boundary]
    m = len(boundary)
    for k in range(m):
        k2 = (k + 1) % m
        b.face([boundary[k], low[k], low[k2], boundary[k2]], [(0, 0)] * 4, mat, False)
    b.face(low[::-1], [(0, 0)] * m, mat, False)


def tube(
    b: MeshBuilder, centres: Array, radius: Array, mat: int, n_seg: int = 8, uv_along: bool = False
) -> None:
    """A closed tube along a polyline with per-point radius (parallel-transported frame)."""  # fmt: skip
    centres = np.asarray(centres, float)
    tang = np.gradient(centres, axis=0)
    tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-12)
    ref = np.array([0.0, 0.0, 1.0]) if abs(tang[0, 2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    a_list, b_list = [], []
    a = np.cross(tang[0], ref)
    a /= np.linalg.norm(a)
    for t in tang:
        a = a - np.dot(a, t) * t
        a /= max(np.linalg.norm(a), 1e-12)
        a_list.append(a)
        b_list.append(np.cross(t, a))
    rad = np.broadcast_to(np.asarray(radius, float)[:, None], (len(centres), n_seg))
    pts = tube_points(
        centres, rad, np.array(a_list), np.array(b_list), TAU * np.arange(n_seg) / n_seg
    )
    uvs = None
    if uv_along:
        along = np.linspace(0, 1, len(centres))
        uvs = np.stack(
            np.broadcast_arrays(along[:, None], np.arange(n_seg + 1)[None, :] / n_seg), axis=-1
        )
    b.grid(pts, mat, uvs, caps=(centres[0] - tang[0] * 1e-4, centres[-1] + tang[-1] * 1e-4))


def blob(
    b: MeshBuilder,
    mat: int,
    seed: int,
    bumps: float,
    rows: int = 10,
    n_seg: int = 16,
    lobes: int = 3,
) -> None:
    """A unit-ish lumpy ellipsoid (potatoes, rolls): a sphere with low-frequency bumps."""  # fmt: skip
    rng = np.random.default_rng(seed)
    prof, s = sphere_profile(rows, 0.5, 1.0)
    ph = rng.uniform(0, TAU, 4)
    fr = rng.integers(2, 2 + lobes, 2)

    def lumps(th: Array, pr: Array) -> Array:
        """Bumps that vary around and along the body."""
        z = pr[:, 1:2]
        return 1 + bumps * (np.cos(fr[0] * th + ph[0]) * np.sin(3 * z + ph[1])
                            + 0.6 * np.cos(fr[1] * th + ph[2]) * np.cos(5 * z + ph[3]))  # fmt: skip

    b.grid(lathe(prof, n_seg, lumps), mat, caps=((0, 0, 0), (0, 0, 1.0)))


def printed_slab(
    b: MeshBuilder, w: float, d: float, t: float, mat: int, side: int | None = None
) -> None:
    """A thin box at the origin (bottom at z=0) whose top face shows a whole label image."""
    ring = np.array([(-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2)])
    pts = prism(ring, [0.0, t])
    b.grid(pts, side if side is not None else mat, ring_uvs(ring, [0.0, 0.02]),
           caps=((0, 0, 0), (0, 0, t)), cap_mats=(side if side is not None else mat, mat),
           cap_uv=lambda q: np.column_stack([0.5 + q[:, 0] / w, 0.5 + q[:, 1] / d]), smooth=False)  # fmt: skip
