"""Build the grocery classes (see `grocery_params`) in Blender with bmesh.

Same conventions as `food.py`: one mesh object per item, origin at the bottom centre, front -Y,
vertices fitted to ``params["size"]``. Groups are built piece by piece: each piece builder
makes its part around the origin, `place` fits it to the piece's own box and moves it to its
``at``/``rot``; containers, film, stickers and bags are added around the pieces. Pieces share a
few material variants (``mat``) through `MeshBuilder.prefix`.

Clear plastic (film, punnets, bags) uses a cheap transparent + glossy mix: no refraction noise
at low sample counts, and the instance-id pass sees through it to the food inside (Cycles
ignores surfaces below the pass alpha threshold), as a person labelling the photo would.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import food
from .blender import bpy
from .food import (
    TAU,
    Array,
    MeshBuilder,
    add_liquid,
    axis_body,
    bump,
    lathe,
    mix_rgb,
    new_material,
    noise,
    perimeter_u,
    principled,
    printed,
    prism,
    ramp,
    set_inputs,
    shade,
    skin,
    smoothstep,
    sphere_profile,
    tube_points,
    wrap_uvs,
)
from .grocery_params import TUB_TAPER
from .placement import euler_matrix

PieceFn = Callable[[MeshBuilder, dict, dict], None]

# --------------------------------------------------------------------------------------------
# Geometry helpers


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
    """Closed outline of a rectangle with rounded corners, counter-clockwise from -Y."""
    r = max(1e-4, min(r, sx / 2 - 1e-4, sy / 2 - 1e-4))
    cx, cy = sx / 2 - r, sy / 2 - r
    pts = []
    for k, (ox, oy) in enumerate(((cx, -cy), (cx, cy), (-cx, cy), (-cx, -cy))):
        a0 = -math.pi / 2 + k * math.pi / 2
        for t in np.linspace(0, math.pi / 2, seg + 1):
            pts.append((ox + r * math.cos(a0 + t), oy + r * math.sin(a0 + t)))
    return np.array(pts)


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
    """A sealed bag lying along X: puffed in the middle, flat at both seals, bottom on z = 0.

    With `header` (x0, x1 as fractions of the length) and `mat` a pair [film, print], the rings
    inside the header span get the printed material and UVs covering the label image.
    """  # fmt: skip
    xs = np.linspace(-length / 2, length / 2, n_x)
    t = np.abs(xs) / (length / 2)
    body = np.clip((1 - t) / max(seal / (length / 2), 1e-3), 0, 1)
    hprof = flat_ends + (1 - flat_ends) * np.sqrt(np.sin(np.clip(body, 0, 1) * math.pi / 2))
    wprof = 1 - 0.06 * t**2
    phis = TAU * np.arange(n_seg) / n_seg
    c, s = np.cos(phis), np.sin(phis)
    e = 2 / 3  # superellipse: flat top and bottom, rounded sides
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


# --------------------------------------------------------------------------------------------
# Materials


def film(
    name: str, tint: list[float], roughness: float = 0.08, transparency: float = 0.9
) -> bpy.types.Material:
    """Clear plastic film or thin clear plastic: transparent with a glossy, Fresnel-weighted layer."""
    mat = bpy.data.materials.new(name)
    nt = mat.node_tree
    nodes, links = nt.nodes, nt.links
    nodes.remove(nodes["Principled BSDF"])
    out = nodes["Material Output"]
    clear = nodes.new("ShaderNodeBsdfTransparent")
    clear.inputs["Color"].default_value = food.linear(tint)
    gloss = nodes.new("ShaderNodeBsdfGlossy")
    gloss.inputs["Roughness"].default_value = roughness
    fresnel = nodes.new("ShaderNodeLayerWeight")
    fresnel.inputs["Blend"].default_value = 0.3
    wrinkle = noise(nt, 40.0, detail=2.0)
    nt.links.new(wrinkle.outputs["Fac"], fresnel.inputs["Blend"])
    fac = nodes.new("ShaderNodeMath")
    fac.operation = "MULTIPLY_ADD"
    fac.inputs[1].default_value = 1.0 - transparency
    fac.inputs[2].default_value = 1.0 - transparency
    links.new(fresnel.outputs["Facing"], fac.inputs[0])
    mix = nodes.new("ShaderNodeMixShader")
    links.new(fac.outputs[0], mix.inputs["Factor"])
    links.new(clear.outputs[0], mix.inputs[1])
    links.new(gloss.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (*tint[:3], 1.0 - transparency)
    return mat


def net_material(name: str, color: list[float], scale: float) -> bpy.types.Material:
    """A plastic net: strands along Voronoi cell edges, see-through between them."""
    mat = bpy.data.materials.new(name)
    nt = mat.node_tree
    nodes, links = nt.nodes, nt.links
    bsdf = nodes["Principled BSDF"]
    set_inputs(bsdf, Base_Color=color, Roughness=0.5)
    coord = nodes.new("ShaderNodeTexCoord")
    vor = nodes.new("ShaderNodeTexVoronoi")
    vor.feature = "DISTANCE_TO_EDGE"
    vor.inputs["Scale"].default_value = scale
    links.new(coord.outputs["Object"], vor.inputs["Vector"])
    strand = ramp(nt, [(0.0, [1, 1, 1]), (0.06, [0, 0, 0])], constant=True)
    links.new(vor.outputs["Distance"], strand.inputs["Fac"])
    clear = nodes.new("ShaderNodeBsdfTransparent")
    mix = nodes.new("ShaderNodeMixShader")
    links.new(strand.outputs["Color"], mix.inputs["Factor"])
    links.new(clear.outputs[0], mix.inputs[1])
    links.new(bsdf.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], nodes["Material Output"].inputs["Surface"])
    mat.diffuse_color = (*color[:3], 0.5)
    return mat


def plastic(
    name: str, color: list[float], clear: bool, roughness: float = 0.3
) -> bpy.types.Material:
    """A tray or tub: clear plastic (film-like) or an opaque coloured one."""
    if clear:
        return film(name, color, 0.1, transparency=0.95)
    return principled(name, color, roughness)


def mottled(
    name: str,
    colors: list[tuple[float, list[float]]],
    scale: float,
    roughness: float,
    bump_scale: float = 0.0,
    strength: float = 0.2,
    **extra,
) -> bpy.types.Material:
    """Noise-varied colour with an optional fine bump (meat, bread, pulp, potato skin)."""  # fmt: skip
    mat, bsdf, nt, _ = skin(name, colors, scale, roughness, bump_scale, strength)
    set_inputs(bsdf, **extra)
    return mat


def speckled(
    name: str,
    base: list[tuple[float, list[float]]],
    speck: list[float],
    scale: float,
    amount: float,
    roughness: float,
    **extra,
) -> bpy.types.Material:
    """Mottled colour with small specks of another colour (seeds, fat, dirt, eyes)."""  # fmt: skip
    mat, bsdf, nt, cr = skin(name, base, scale * 0.2, roughness)
    sp = noise(nt, scale, detail=1.0)
    fac = ramp(
        nt, [(0.0, [0, 0, 0]), (0.72 - 0.15 * amount, [0, 0, 0]), (0.76 - 0.15 * amount, [1, 1, 1])]
    )
    nt.links.new(sp.outputs["Fac"], fac.inputs["Fac"])
    nt.links.new(
        mix_rgb(nt, fac.outputs["Color"], cr.outputs["Color"], speck), bsdf.inputs["Base Color"]
    )
    set_inputs(bsdf, **extra)
    return mat


def streaked(
    name: str,
    base: list[float],
    dark: list[float],
    stretch: tuple[float, float, float],
    roughness: float,
    scale: float = 1.0,
    **extra,
) -> bpy.types.Material:
    """Colour streaked along one axis (onion skin, carrot rings, marbling)."""  # fmt: skip
    mat, bsdf, nt = new_material(name)
    tex = noise(nt, scale, detail=4.0, stretch=stretch)
    cr = ramp(nt, [(0.35, dark), (0.65, base)])
    nt.links.new(tex.outputs["Fac"], cr.inputs["Fac"])
    nt.links.new(cr.outputs["Color"], bsdf.inputs["Base Color"])
    set_inputs(bsdf, Roughness=roughness, **extra)
    mat.diffuse_color = (*base[:3], 1.0)
    return mat


def label_size(w: float, h: float, base: int = 512) -> tuple[int, int]:
    """Pixel size of a label image for a w x h surface (bounded)."""
    return base, int(np.clip(base * h / max(w, 1e-6), 64, 1024))


# --------------------------------------------------------------------------------------------
# Piece builders (b, piece, item params): geometry around the origin, fitted by `place`


def _variant(p: dict, key: str, q: dict) -> list[float]:
    """The piece's colour from a list of variants in the item params."""
    cols = p[key]
    return cols[q.get("mat", 0) % len(cols)]


def potato_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A lumpy tuber with dark eyes and some soil."""
    c = _variant(p, "colors", q)
    mat = b.slot("skin", lambda n: speckled(n, [(0.3, shade(c, 0.8)), (0.7, c)], shade(c, 0.45), 180.0,
                                            p["eyes"], 0.7, Coat_Weight=0.0))  # fmt: skip
    blob(b, mat, q["seed"], q["bumps"])


def sweet_potato_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A long, tapered, slightly bent root."""
    rng = np.random.default_rng(q["seed"])
    s = np.linspace(0, np.pi, 16)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.9 * (1 - q["taper"] * np.cos(s))
    rs *= 1 + 0.06 * np.sin(s * rng.integers(2, 5) + rng.uniform(0, TAU))
    pts = axis_body(xs, rs, 14, 1.0)
    pts[..., 1] += q["bend"] * (1 - (2 * pts[..., 0]) ** 2)
    c = _variant(p, "colors", q)
    mat = b.slot("skin", lambda n: speckled(n, [(0.3, shade(c, 0.75)), (0.7, c)], shade(c, 0.5), 120.0,
                                            p["dirt"], 0.65))  # fmt: skip
    b.grid(pts, mat, caps=((xs[0] - 0.02, 0, 0.5), (xs[-1] + 0.02, 0, 0.5)))


def onion_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A bulb with a pointed neck and a root tuft, papery streaked skin."""
    prof, s = sphere_profile(12, 0.5, 0.85)
    neck = q["neck"]
    top = [(0.5 * 0.25 * (1 - t) + 0.02, 0.85 + t * neck) for t in (0.35, 0.7, 1.0)]
    prof = np.vstack([prof[prof[:, 1] < 0.8], top])
    c = _variant(p, "colors", q)
    mat = b.slot("skin", lambda n: streaked(n, c, shade(c, 0.6), (40.0, 40.0, 1.5), 0.55, 1.0,
                                            Coat_Weight=0.2 * p["streaks"]))  # fmt: skip
    b.grid(lathe(prof, 18), mat, caps=((0, 0, -0.01), (0, 0, 0.85 + neck)))


def lime_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A lime: the lemon builder with the group's green."""
    food.lemon(
        b,
        {
            **q,
            "color": _variant(p, "colors", q),
            "pore_scale": p["pore_scale"],
            "roughness": p["roughness"],
        },
    )


def carrot_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A tapering root along X (thick end at -X) with fine rings, green stalks on some."""
    n = 16
    t = np.linspace(0, 1, n)
    xs = -0.5 + t
    rs = 0.5 * np.maximum(0.04, (1 - t) ** 0.8) * np.minimum(1, 0.6 + 6 * t)
    rs *= 1 + 0.03 * np.sin(t * 60 * p["ridges"])
    pts = axis_body(xs, rs, 12, 1.0)
    pts[..., 1] += q["bend"] * (2 * pts[..., 0]) ** 2
    c = _variant(p, "colors", q)
    mat = b.slot("root", lambda n: streaked(n, c, shade(c, 0.75), (2.0, 60.0, 60.0), 0.5))
    b.grid(pts, mat, caps=((xs[0] - 0.01, 0, 0.5), (xs[-1] + 0.01, 0, 0.5)))
    if q.get("top"):
        green = b.slot("stalk", lambda n: principled(n, [0.2, 0.45, 0.1], 0.6))
        for k in range(3):
            a = (k - 1) * 0.35
            end = np.array([-0.5 - 0.22 * math.cos(a), 0.22 * math.sin(a), 0.55])
            tube(b, np.array([[-0.48, 0, 0.5], (np.array([-0.48, 0, 0.5]) + end) / 2, end]),
                 np.array([0.05, 0.04, 0.03]), green, 6)  # fmt: skip


def mushroom_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A domed cap with pale gills underneath on a short stem."""
    stem_r, stem_h = 0.5 * q["stem"], 1.0 - q["cap"]
    z0 = stem_h
    dome = [
        (0.5 * math.cos(a), z0 + (1.0 - z0) * math.sin(a))
        for a in np.linspace(0.05, math.pi / 2 - 0.08, 7)
    ]
    prof = np.array(
        [
            (stem_r * 0.9, 0.0),
            (stem_r, 0.3 * stem_h),
            (stem_r * 0.95, stem_h),
            (0.48, z0 + 0.02),
            *dome,
        ]
    )
    c = _variant(p, "colors", q)
    cap = b.slot(
        "cap", lambda n: mottled(n, [(0.3, shade(c, 0.92)), (0.7, c)], 8.0, 0.55, 300.0, 0.05)
    )
    gills = b.slot("gills", lambda n: principled(n, p["gills"], 0.8))
    mats = [gills, gills, gills] + [cap] * (len(prof) - 4)
    b.grid(lathe(prof, 16), mats, caps=((0, 0, 0.0), (0, 0, 1.0)))


def berry_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A blueberry: a small sphere with a dusty bloom."""
    c = _variant(p, "colors", q)
    bloom = p["bloom"]
    mat = b.slot("skin", lambda n: mottled(n, [(0.3, c), (0.8, mix_col(c, [0.55, 0.6, 0.75], 0.35 * bloom))],
                                           60.0, 0.4 + 0.4 * bloom))  # fmt: skip
    prof, _ = sphere_profile(6, 0.5, 1.0)
    prof[-1, 1] -= 0.08
    b.grid(lathe(prof, 10), mat, caps=((0, 0, 0), (0, 0, 0.9)))


def mix_col(a: list[float], c: list[float], t: float) -> list[float]:
    """Blend two colours."""
    return [x + (y - x) * t for x, y in zip(a[:3], c[:3], strict=True)]


def strawberry_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A strawberry standing tip down: broad shoulders, seeds, a green calyx on top."""
    zs = np.linspace(0, 1, 10)
    rs = 0.5 * np.sin(np.clip(zs, 0, 1) * math.pi * 0.55) ** 0.8 * (1 - 0.4 * zs**6)
    prof = np.column_stack([np.maximum(rs, 0.02), zs * 0.92])[1:]
    c = _variant(p, "colors", q)
    red = b.slot("flesh", lambda n: speckled(n, [(0.3, shade(c, 0.85)), (0.7, c)], [0.95, 0.85, 0.35], 90.0, 0.5,
                                             0.25, Coat_Weight=0.4))  # fmt: skip
    b.grid(lathe(prof, 14), red, caps=((0, 0, 0.0), (0, 0, 0.93)))
    green = b.slot("calyx", lambda n: principled(n, [0.2, 0.45, 0.12], 0.6))
    n = 6
    th = np.pi / 2 + np.arange(2 * n) * np.pi / n
    rad = np.where(np.arange(2 * n) % 2 == 0, 0.42 * q["calyx"], 0.1)
    ring = np.column_stack([rad * np.cos(th), rad * np.sin(th), np.full(2 * n, 0.92)])
    b.grid(np.array([ring, ring + [0, 0, 0.03]]), green, caps=((0, 0, 0.9), (0, 0, 1.0)))


def steak_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A steak: an irregular rounded slab, fat along part of its rim, marbled top."""
    rng = np.random.default_rng(q["seed"])
    n = 20
    a = TAU * np.arange(n) / n
    r = 1 + 0.08 * np.cos(2 * a + rng.uniform(0, TAU)) + 0.05 * np.cos(3 * a + rng.uniform(0, TAU))
    ring = np.column_stack([0.5 * r * np.cos(a) * 1.05, 0.5 * r * np.sin(a)])
    ring = np.sign(ring) * np.abs(ring) ** 0.85 * 0.5**0.15
    pts = prism(ring, [0.0, 0.15, 0.85, 1.0], [0.04, 0.0, 0.0, 0.06])
    lean, fat = p["meat"]["lean"], p["meat"]["fat"]
    top = b.slot("lean", lambda n: marbled(n, lean, fat, q.get("marbling", 0.5)))
    rim = b.slot("rim", lambda n: marbled(n, mix_col(lean, fat, q.get("fat_rim", 0.3)), fat, 0.3))
    b.grid(pts, [rim, rim, rim], caps=((0, 0, 0), (0, 0, 1.0)), cap_mats=(top, top))


def marbled(name: str, lean: list[float], fat: list[float], amount: float) -> bpy.types.Material:
    """Raw meat: mottled lean with thin fat veins, moist (a little coat)."""
    mat, bsdf, nt, cr = skin(name, [(0.3, shade(lean, 0.75)), (0.7, lean)], 25.0, 0.4, 400.0, 0.08)
    veins = noise(nt, 6.0, detail=6.0, stretch=(3.0, 1.0, 1.0))
    fac = ramp(
        nt, [(0.0, [0, 0, 0]), (0.69 - 0.06 * amount, [0, 0, 0]), (0.72 - 0.06 * amount, [1, 1, 1])]
    )
    nt.links.new(veins.outputs["Fac"], fac.inputs["Fac"])
    nt.links.new(
        mix_rgb(nt, fac.outputs["Color"], cr.outputs["Color"], fat), bsdf.inputs["Base Color"]
    )
    set_inputs(bsdf, Coat_Weight=0.3, Coat_Roughness=0.2)
    return mat


def chunk_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A cube of diced meat."""
    mat = b.slot(
        "lean", lambda n: marbled(n, p["meat"]["lean"], p["meat"]["fat"], q.get("marbling", 0.4))
    )
    food.box_shell(b, 1.0, 1.0, 1.0, 0.18, mat, mat, mat)


def joint_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A roasting joint: a rounded log of meat with a fat cap, sometimes tied with string."""
    s = np.linspace(0, np.pi, 14)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.5
    pts = axis_body(xs, rs, 16, 1.0)
    mat = b.slot("lean", lambda n: marbled(n, p["meat"]["lean"], p["meat"]["fat"], 0.5))
    b.grid(pts, mat, caps=((-0.5, 0, 0.5), (0.5, 0, 0.5)))
    if q.get("string"):
        twine = b.slot("string", lambda n: principled(n, [0.92, 0.9, 0.85], 0.8))
        for x in np.linspace(-0.3, 0.3, 4):
            r = 0.5 * np.sin(np.arccos(np.clip(-2 * x, -1, 1))) ** 0.5 + 0.01
            a = TAU * np.arange(13) / 12
            tube(
                b,
                np.column_stack([np.full(13, x), r * np.cos(a), 0.5 + r * np.sin(a)])[:-1],
                np.full(12, 0.012),
                twine,
                4,
            )


def mince_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """Minced meat pressed flat: a lumpy slab, strands pressed into its top when fresh."""
    rng = np.random.default_rng(q["seed"])
    ph = rng.uniform(0, TAU, 4)
    lumps = q["lumps"]

    def height(u: Array, v: Array) -> Array:
        """Gentle lumps across the top."""
        return 1 - lumps * 0.5 * (1 + np.sin(5 * u + ph[0]) * np.cos(4 * v + ph[1])) * 0.5

    lean, fat = p["meat"]["lean"], p["meat"]["fat"]
    mat = b.slot(
        "mince",
        lambda n: mince_material(n, lean, fat, p.get("fat_specks", 0.3), q.get("strands", False)),
    )
    heightfield(b, 1.0, 1.0, 1.0, height, mat, 14)


def mince_material(
    name: str, lean: list[float], fat: list[float], specks: float, strands: bool
) -> bpy.types.Material:
    """Mince: fine red/pink grain with fat specks; extruded strands as a wavy bump."""
    mat = speckled(
        name, [(0.3, shade(lean, 0.7)), (0.7, lean)], fat, 160.0, specks, 0.45, Coat_Weight=0.25
    )
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    grain = noise(
        nt,
        300.0 if not strands else 1.0,
        detail=3.0,
        stretch=None if not strands else (250.0, 40.0, 40.0),
    )
    bump(nt, bsdf, grain.outputs["Fac"], 0.6, 0.003)
    return mat


def chicken_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A whole chicken: a rounded body, two drumsticks at the front, wings folded at the sides."""
    skin_c = p["meat"]["skin"]
    mat = b.slot("skin", lambda n: mottled(n, [(0.3, shade(skin_c, 0.9)), (0.7, skin_c)], 10.0, 0.35, 900.0, 0.15,
                                           Coat_Weight=0.3))  # fmt: skip
    s = np.linspace(0, np.pi, 14)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.7 * (1 + 0.15 * np.cos(s))
    pts = axis_body(xs, rs, 18, 1.0)
    pts[..., 2] = np.maximum(pts[..., 2], 0.08)  # sits flat
    b.grid(pts, mat, caps=((-0.5, 0, 0.5), (0.5, 0, 0.5)))
    legs = q["legs"]
    for side in (-1, 1):
        centres = np.array(
            [[0.2, side * 0.22, 0.45], [0.42, side * 0.28, 0.55], [0.62, side * 0.2, 0.62]]
        )
        tube(b, centres, np.array([0.16, 0.14, 0.05]) * (0.8 + legs), mat, 10)
        wing = np.array(
            [[-0.1, side * 0.42, 0.5], [0.05, side * 0.47, 0.42], [0.2, side * 0.45, 0.35]]
        )
        tube(b, wing, np.array([0.06, 0.09, 0.05]), mat, 8)


def breast_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A chicken breast fillet: a flattened teardrop."""
    s = np.linspace(0, np.pi, 14)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.75 * (1 - q["point"] * 0.6 * np.cos(s))
    pts = axis_body(xs, rs, 14, 1.0)
    pts[..., 2] = np.maximum(pts[..., 2], 0.12)
    lean = p["meat"]["lean"]
    mat = b.slot("flesh", lambda n: streaked(n, lean, shade(lean, 0.85), (1.0, 8.0, 8.0), 0.3, 2.0,
                                             Coat_Weight=0.5, Coat_Roughness=0.15))  # fmt: skip
    b.grid(pts, mat, caps=((xs[0] - 0.01, 0, 0.5), (xs[-1] + 0.01, 0, 0.5)))


def slice_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A thin slice of ham (round or rectangular) with a paler rim."""
    ring = (np.column_stack([0.5 * np.cos(a := TAU * np.arange(20) / 20), 0.5 * np.sin(a)]) if q.get("round")
            else rounded_rect(1.0, 1.0, 0.12))  # fmt: skip
    lean, fat = p["meat"]["lean"], p["meat"]["fat"]
    face = b.slot(
        "ham",
        lambda n: mottled(n, [(0.3, shade(lean, 0.92)), (0.7, lean)], 12.0, 0.35, Coat_Weight=0.3),
    )
    rim = b.slot("rim", lambda n: principled(n, fat, 0.4))
    b.grid(prism(ring, [0.0, 1.0]), rim, caps=((0, 0, 0), (0, 0, 1.0)), cap_mats=(face, face))


def fold_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A slice folded over (a flat arch lying along Y)."""
    a = np.linspace(0, math.pi, 9)
    outer = np.column_stack([0.5 * np.cos(a), np.sin(a)])
    inner = np.column_stack([0.42 * np.cos(a[::-1]), 0.82 * np.sin(a[::-1])])
    outline = np.vstack([outer, inner])
    lean, fat = p["meat"]["lean"], p["meat"]["fat"]
    face = b.slot(
        "ham",
        lambda n: mottled(n, [(0.3, shade(lean, 0.92)), (0.7, lean)], 12.0, 0.35, Coat_Weight=0.3),
    )
    rim = b.slot("rim", lambda n: principled(n, fat, 0.4))
    rings = np.array([np.column_stack([outline[:, 0], np.full(len(outline), y), outline[:, 1]])
                      for y in (-0.5, 0.5)])  # fmt: skip
    c = outline.mean(axis=0)
    b.grid(rings, face, caps=((c[0], -0.5, c[1]), (c[0], 0.5, c[1])), cap_mats=(rim, rim))


def shrimp_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A shrimp curled in a C, segmented, thinning to a small tail fan."""
    n = 10
    arc = q["curl"] * math.pi
    t = np.linspace(0, 1, n)
    ang = -arc / 2 + t * arc
    centres = np.column_stack([0.5 * np.sin(ang), 0.5 * (1 - np.cos(ang)), np.full(n, 0.5)])
    radius = 0.22 * np.sin(np.clip(t * 0.85 + 0.15, 0, 1) * math.pi * 0.62) + 0.03
    mat = b.slot("shell", lambda n: shrimp_material(n, p["meat"]["shell"], p["meat"]["band"]))
    tube(b, centres, radius, mat, 8, uv_along=True)
    fan = centres[-1] + np.array([0.08, -0.05, 0.0])
    moved(b, lambda: food.box_shell(b, 0.16, 0.1, 0.04, 0.005, mat, mat, mat), fan - [0, 0, 0.02],
          (0, 0, math.degrees(ang[-1])))  # fmt: skip


def shrimp_material(name: str, shell: list[float], band: list[float]) -> bpy.types.Material:
    """Shrimp shell: bands along the body (UV u), glossy."""
    mat, bsdf, nt = new_material(name)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    wave = nt.nodes.new("ShaderNodeTexWave")
    wave.inputs["Scale"].default_value = 3.0
    nt.links.new(coord.outputs["UV"], wave.inputs["Vector"])
    cr = ramp(nt, [(0.3, shell), (0.8, band)])
    nt.links.new(wave.outputs["Fac"], cr.inputs["Fac"])
    nt.links.new(cr.outputs["Color"], bsdf.inputs["Base Color"])
    set_inputs(bsdf, Roughness=0.3, Coat_Weight=0.4)
    mat.diffuse_color = (*shell[:3], 1.0)
    return mat


def cob_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A corn cob along X: rows of kernels (brick texture on its UVs), a pale husk on some."""
    s = np.linspace(0, np.pi, 16)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.35 * (1 - 0.15 * (np.cos(s) + 1) / 2)
    pts = axis_body(xs, rs, 16, 1.0)
    u = xs + 0.5
    uvs = np.stack(
        np.broadcast_arrays(u[:, None] * 6.0, np.arange(17)[None, :] / 16 * 3.0), axis=-1
    )
    mat = b.slot("kernels", lambda n: kernel_material(n, p["kernel"]))
    b.grid(pts, mat, uvs, caps=((-0.5, 0, 0.5), (0.5, 0, 0.5)))
    if q.get("husk"):
        husk = b.slot(
            "husk",
            lambda n: streaked(n, [0.55, 0.7, 0.3], [0.4, 0.55, 0.2], (1.0, 30.0, 30.0), 0.6),
        )
        leaf = axis_body(xs, rs * 1.04, 16, 1.0)
        leaf = leaf[:, :9]  # half a sleeve under the cob
        b.grid(np.concatenate([leaf, leaf[:, ::-1] * [1, 0.98, 0.98] + [0, 0, 0.01]], axis=1), husk)


def kernel_material(name: str, color: list[float]) -> bpy.types.Material:
    """Corn kernels: a brick pattern of glossy yellow cells with darker seams."""
    mat, bsdf, nt = new_material(name)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    brick = nt.nodes.new("ShaderNodeTexBrick")
    set_inputs(brick, Color1=color, Color2=shade(color, 0.9), Mortar=shade(color, 0.55), Scale=12.0,
               Mortar_Size=0.06, Bias=0.0)  # fmt: skip
    brick.inputs["Brick Width"].default_value = 0.5
    brick.inputs["Row Height"].default_value = 0.25
    nt.links.new(coord.outputs["UV"], brick.inputs["Vector"])
    nt.links.new(brick.outputs["Color"], bsdf.inputs["Base Color"])
    inv = nt.nodes.new("ShaderNodeInvert")
    nt.links.new(brick.outputs["Fac"], inv.inputs["Color"])
    bump(nt, bsdf, inv.outputs["Color"], 0.5, 0.002)
    set_inputs(bsdf, Roughness=0.3, Coat_Weight=0.3)
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def bean_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A green bean: a thin tube along X, bent, with pointed ends."""
    t = np.linspace(0, 1, 9)
    centres = np.column_stack([t - 0.5, q["bend"] * 0.5 * np.sin(t * math.pi), np.full(9, 0.5)])
    radius = 0.5 * np.sin(np.clip(t, 0.02, 0.98) * math.pi) ** 0.3
    c = _variant(p, "colors", q)
    mat = b.slot(
        "bean", lambda n: mottled(n, [(0.3, shade(c, 0.85)), (0.7, c)], 20.0, 0.4, Coat_Weight=0.2)
    )
    tube(b, centres, radius, mat, 6)


def roll_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A bread roll: a domed bun."""
    prof, s = sphere_profile(9, 0.5, 1.0)
    prof[:, 1] = np.where(
        prof[:, 1] < 0.3, prof[:, 1] * 0.6 + 0.12 * (prof[:, 1] / 0.3), prof[:, 1]
    )
    mat = b.slot("crust", lambda n: crust_material(n, p["colors"], 0.3 if q.get("score") else 0.0))
    b.grid(lathe(prof, 16), mat, caps=((0, 0, 0), (0, 0, 1.0)))


def crust_material(name: str, colors: dict, flour: float = 0.0) -> bpy.types.Material:
    """Bread crust: browner on top (object Z), mottled, dusted with flour on some."""
    crust, crumb = colors["crust"], colors["crumb"]
    mat, bsdf, nt, cr = skin(name, [(0.3, shade(crust, 0.8)), (0.7, crust)], 15.0, 0.7, 600.0, 0.15)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["Generated"], sep.inputs["Vector"])
    side = ramp(nt, [(0.15, [1, 1, 1]), (0.45, [0, 0, 0])])
    nt.links.new(sep.outputs["Z"], side.inputs["Fac"])
    col = mix_rgb(nt, side.outputs["Color"], cr.outputs["Color"], mix_col(crust, crumb, 0.5))
    if flour > 0:
        dust = noise(nt, 30.0, detail=3.0)
        fac = ramp(nt, [(0.66 - 0.12 * flour, [0, 0, 0]), (0.74, [1, 1, 1])])
        nt.links.new(dust.outputs["Fac"], fac.inputs["Fac"])
        col = mix_rgb(nt, fac.outputs["Color"], col, [0.93, 0.9, 0.85])
    nt.links.new(col, bsdf.inputs["Base Color"])
    return mat


def cheese_slice_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A square cheese slice."""
    c = p["color"]
    mat = b.slot("slice", lambda n: mottled(n, [(0.3, shade(c, 0.96)), (0.7, c)], 20.0, 0.4))
    b.grid(prism(rounded_rect(1.0, 1.0, 0.04), [0.0, 1.0]), mat, caps=((0, 0, 0), (0, 0, 1.0)))


def _food_piece(fn: Callable[[MeshBuilder, dict], None]) -> PieceFn:
    """A piece made by one of the original builders from its own params (apple, tomato...)."""
    return lambda b, q, p: fn(b, q)


PIECES: dict[str, PieceFn] = {
    "potato": potato_piece, "sweet_potato": sweet_potato_piece, "onion": onion_piece,
    "lime": lime_piece, "carrot": carrot_piece, "mushroom": mushroom_piece, "berry": berry_piece,
    "strawberry": strawberry_piece, "steak": steak_piece, "chunk": chunk_piece, "joint": joint_piece,
    "mince": mince_piece, "chicken": chicken_piece, "breast": breast_piece, "slice": slice_piece,
    "fold": fold_piece, "shrimp": shrimp_piece, "cob": cob_piece, "bean": bean_piece,
    "roll": roll_piece, "cheese_slice": cheese_slice_piece,
    "apple": _food_piece(food.apple), "tomato": _food_piece(food.tomato),
    "egg": _food_piece(food.egg), "banana": _food_piece(food.banana),
}  # fmt: skip


def pieces(b: MeshBuilder, p: dict) -> None:
    """Every piece of a group."""
    for q in p["pieces"]:
        place(b, PIECES[q["kind"]], q, p)


# --------------------------------------------------------------------------------------------
# Containers, film, stickers


def container(b: MeshBuilder, p: dict) -> None:
    """The tub, punnet or net around a produce group (nothing for loose groups), lids, sticker."""
    c = p["container"]
    kind = c["kind"]
    if kind == "loose":
        return
    if kind == "net":
        lo, hi = group_bounds(b)
        mat = b.slot("net", lambda n: net_material(n, c["color"], c["mesh"]))
        pad = 0.004
        ring = rounded_rect(
            hi[0] - lo[0] + 2 * pad,
            hi[1] - lo[1] + 2 * pad,
            0.25 * min(hi[0] - lo[0], hi[1] - lo[1]),
        )
        cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
        moved(b, lambda: cushion(b, ring, 0.0, hi[2] - lo[2] + pad, mat, dome=0.9), (cx, cy, lo[2]))
        return
    iw, idp = c["inner"]
    wall, h = c["wall"], c["height"]
    if c.get("clear", False):
        mat = b.slot("tub", lambda n: plastic(n, c["color"], True))
    elif c.get("material") == "card":
        mat = b.slot(
            "tub",
            lambda n: mottled(n, [(0.3, shade(c["color"], 0.9)), (0.7, c["color"])], 40.0, 0.85),
        )
    else:
        mat = b.slot("tub", lambda n: plastic(n, c["color"], False))
    open_box(
        b, iw + 2 * wall, idp + 2 * wall, h, wall, mat, radius=0.008, taper=TUB_TAPER, flange=0.003
    )
    if "filler" in p:  # the hidden bulk of the berries under the top layer
        cols = p["colors"]
        fill = b.slot(
            "filler", lambda n: mottled(n, [(0.3, shade(cols[0], 0.6)), (0.7, cols[0])], 120.0, 0.6)
        )
        slope = 2 * TUB_TAPER * h
        moved(b, lambda: heightfield(b, iw - slope - 0.004, idp - slope - 0.004, p["filler"],
                                     lambda u, v: 1 - 0.1 * (u * v) ** 2, fill, 6), (0, 0, 0.002))  # fmt: skip
    lid = c.get("lid", "none")
    if lid != "none" and "lid_z" in c:
        lid_mat = b.slot("lid", lambda n: film(n, [0.96, 0.97, 0.98], 0.06 if lid == "film" else 0.12,
                                               0.92 if lid == "film" else 0.85))  # fmt: skip
        ring = rounded_rect(
            iw + 2 * wall + (0.004 if lid == "clip" else 0.0),
            idp + 2 * wall + (0.004 if lid == "clip" else 0.0),
            0.01,
        )
        cushion(
            b,
            ring,
            h - (0.004 if lid == "clip" else 0.0005),
            c["lid_z"],
            lid_mat,
            dome=0.15 if lid == "clip" else 0.6,
        )
        if "sticker" in p:
            st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
            w, d = iw * 0.5, idp * 0.45
            moved(b, lambda: printed_slab(b, w, d, 0.0008, st), (iw * 0.1, -idp * 0.15, c["lid_z"]))


def group_bounds(b: MeshBuilder) -> tuple[Array, Array]:
    """Bounding box of everything built so far."""
    co = np.array([v.co[:] for v in b.bm.verts])
    return co.min(axis=0), co.max(axis=0)


def bag_around(b: MeshBuilder, p: dict, bag: dict) -> None:
    """A clear bag around what is built so far, with a printed header at its right seal."""
    lo, hi = group_bounds(b)
    pad, seal = bag["pad"], bag["seal"]
    length = hi[0] - lo[0] + 2 * pad + 2 * seal
    width, height = hi[1] - lo[1] + 2 * pad, hi[2] - lo[2] + pad
    film_mat = b.slot("bag", lambda n: film(n, bag["tint"], 0.1, 0.9))
    head = bag.get("header", 0.2)
    paper = b.slot(
        "header", lambda n: printed(n, bag["label"], label_size(1.0, 0.6), 0.4, Coat_Weight=0.4)
    )
    centre = ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2])
    moved(b, lambda: pillow(b, length, width, height, [film_mat, paper], seal / length * 2, 14, 16,
                            (1 - head, 1.0), flat_ends=0.35), centre)  # fmt: skip


def produce(b: MeshBuilder, p: dict) -> None:
    """A produce group: pieces, then its container or bag and any extras."""
    pieces(b, p)
    if "vine" in p:
        vine(b, p)
    if "crown" in p:
        crown = p["crown"]
        stalk = b.slot("crown", lambda n: principled(n, crown["color"], 0.7))
        r = crown["radius"]
        tube(b, np.array([crown["from"], crown["to"]]), np.array([r, r * 1.2]), stalk, 8)
    container(b, p)
    if "bag" in p:
        bag_around(b, p, p["bag"])


def vine(b: MeshBuilder, p: dict) -> None:
    """The green truss of vine tomatoes: a stalk above the fruit and a short stem down to each."""
    v = p["vine"]
    mat = b.slot("vine", lambda n: principled(n, v["color"], 0.6))
    tops = sorted(
        ([q["at"][0], q["at"][1], q["at"][2] + q["size"][2] / 2] for q in p["pieces"]),
        key=lambda t: t[0],
    )
    lift, r = v["lift"], v["radius"]
    spine = np.array([[t[0], t[1] * 0.5, t[2] + lift] for t in tops])
    if len(spine) >= 2:
        tube(b, spine, np.full(len(spine), r), mat, 6)
    for t, s in zip(tops, spine, strict=True):
        tube(b, np.array([s, [t[0], t[1], t[2] - 0.002]]), np.array([r * 0.8, r * 0.7]), mat, 5)


def tray_pack(b: MeshBuilder, p: dict) -> None:
    """Meat, fish or cobs in a tray (or bag) under clear film, with a price sticker."""
    tray = p.get("tray")
    pieces(b, p)
    sx, sy, _ = p["size"]
    fl = p["film"]
    film_mat = b.slot("film", lambda n: film(n, fl["tint"], fl["roughness"], 0.92))
    if tray is not None:
        tx, ty, depth = tray["size"]
        clear = tray["material"] == "clear"
        mat = b.slot("tray", lambda n: plastic(n, tray["color"], clear, 0.35))
        open_box(
            b,
            tx,
            ty,
            depth,
            tray["wall"],
            mat,
            radius=0.012,
            taper=tray["slope"],
            flange=tray["rim"],
        )
        ring = rounded_rect(tx - 2 * tray["rim"], ty - 2 * tray["rim"], 0.012)
        cushion(b, ring, depth - 0.0005, fl["top"], film_mat, dome=0.8)
        top = fl["top"]
    elif p.get("style") in ("pack", "slices"):  # a flat sealed pack with a printed card at one end
        card = b.slot("card", lambda n: printed(n, p["label"], label_size(sx, sy * 1.2), 0.5))
        cw = sx * p["card"]
        moved(b, lambda: printed_slab(b, cw, sy, 0.0015, card), (-sx / 2 + cw / 2, 0, 0.0))
        moved(b, lambda: food.box_shell(b, sx, sy, fl["top"], min(0.003, fl["top"] * 0.3), film_mat, film_mat, film_mat),
              (0, 0, 0))  # fmt: skip
        top = fl["top"]
    else:  # a bag hugging the contents
        lo, hi = group_bounds(b)
        moved(b, lambda: pillow(b, hi[0] - lo[0] + 0.012, hi[1] - lo[1] + 0.012, hi[2] - lo[2] + 0.006, film_mat,
                                0.02, flat_ends=0.2), ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0.0))  # fmt: skip
        top = hi[2] + 0.003
    if "sticker" in p:
        st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
        x, y, w, d = p["sticker_box"]
        moved(b, lambda: printed_slab(b, w, d, 0.0008, st), (x, y, top))


# --------------------------------------------------------------------------------------------
# Class builders


def eggs(b: MeshBuilder, p: dict) -> None:
    """Loose eggs, or an egg carton (open with its eggs and the lid up, or closed)."""
    if p["style"] == "loose":
        produce(b, p)
        return
    c = p["carton"]
    rows, cols, pitch = c["rows"], c["cols"], c["pitch"]
    sx, sy = cols * pitch + 0.01, rows * pitch + 0.01
    base_h, lid_h = c["base_height"], c["lid_height"]
    kind = c["material"]
    if kind == "plastic":
        mat = b.slot("carton", lambda n: plastic(n, c["color"], True))
    else:
        mat = b.slot("carton", lambda n: mottled(n, [(0.3, shade(c["color"], 0.9)), (0.7, c["color"])], 50.0,
                                                 0.9 if kind == "pulp" else 0.5, 250.0, 0.3))  # fmt: skip
    open_box(b, sx, sy, base_h, 0.002, mat, radius=0.008, taper=0.05, floor=0.004)
    for j in range(rows + 1):  # the cones between the cups
        for i in range(cols + 1):
            if 0 < i < cols and 0 < j < rows:
                x, y = -sx / 2 + 0.005 + i * pitch, -sy / 2 + 0.005 + j * pitch
                prof = np.array(
                    [(pitch * 0.22, 0.0), (pitch * 0.12, base_h * 0.9), (0.002, base_h * 1.05)]
                )
                moved(
                    b,
                    lambda prof=prof: b.grid(
                        lathe(prof, 8), mat, caps=((0, 0, 0), (0, 0, base_h * 1.05))
                    ),
                    (x, y, 0.002),
                )
    pieces(b, p)
    lab = p["label"]
    top_mat = b.slot("lid_print", lambda n: printed(n, lab, label_size(sx, sy + lid_h), 0.6))
    tf = float(lab["top_fraction"])

    def lid() -> None:
        """The lid as a box open below, built upright at the origin (hinge on its back bottom edge)."""

        def top_uv(pts: Array) -> Array:
            return np.column_stack([0.5 + pts[:, 0] / sx, (1 - tf) + tf * (0.5 + pts[:, 1] / sy)])

        food.box_shell(
            b,
            sx,
            sy,
            lid_h,
            0.006,
            mat,
            top_mat if kind != "plastic" else mat,
            mat,
            (0.0, 1 - tf),
            top_uv,
        )

    if p["style"] == "closed":
        moved(b, lid, (0, 0, base_h))
        if kind == "plastic":  # a paper band around a clear carton
            moved(
                b,
                lambda: printed_slab(b, sx * 0.5, sy + 0.002, 0.001, top_mat),
                (0, 0, base_h + lid_h),
            )
        return
    # open: the lid turned about the base's back top edge by lid_open degrees
    n0 = len(b.bm.verts)
    lid()
    a = math.radians(c["lid_open"])
    turn = euler_matrix((-math.degrees(a), 0, 0))
    hinge = np.array([0.0, sy / 2, base_h])
    transform_new(b, n0, turn, hinge - turn @ np.array([0.0, sy / 2, 0.0]))


def milk_bottle(b: MeshBuilder, p: dict) -> None:
    """A milk jug (squarish, with a handle), an opaque PET bottle or a glass bottle of milk."""
    d, _, h = p["size"]
    r, n_seg = d / 2, 28
    style = p["style"]
    sh, neck = p["shoulder"], p["neck_ratio"]
    zs = [0.0, 0.004, 0.02 * h / 0.2, sh * h * 0.5, sh * h]
    base = [(r * 0.9, zs[0]), (r * 0.98, zs[1]), (r, zs[2]), (r, zs[3]), (r, zs[4])]
    t = np.linspace(0, 1, 6)[1:]
    z_neck = 0.9 * h
    shoulder = [
        (
            neck * r + (1 - neck) * r * (0.5 + 0.5 * math.cos(math.pi * k)),
            sh * h + (z_neck - sh * h) * k,
        )
        for k in t
    ]
    lip = [(neck * r, 0.93 * h), (neck * r * 1.05, 0.95 * h), (neck * r * 0.95, h * 0.96)]
    prof = np.array(base + shoulder + lip)
    lo, hi = (f * sh * h for f in p["band"])
    prof = food.insert_rows(prof, [lo, hi])
    sq = p["squareness"]

    def squarish(th: Array, pr: Array) -> Array:
        """Round at the neck, a rounded square below the shoulder."""
        w = np.clip((z_neck - pr[:, 1:2]) / max(z_neck - sh * h, 1e-6), 0, 1)
        sup = (np.abs(np.cos(th)) ** sq + np.abs(np.sin(th)) ** sq) ** (-1 / sq)
        return 1 + w * (sup[None, :] / sup.max() * 1.0 - 1) * (sq > 2.01)

    size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
    paper = b.slot("label", lambda n: printed(n, p["label"], size, 0.45, Coat_Weight=0.3))
    if style == "glass":
        # thin glass (no refraction); milk without subsurface scattering, which tints it red
        shell = b.slot("glass", lambda n: film(n, [0.95, 0.97, 0.96], 0.02, 0.85))
        milk = b.slot("milk", lambda n: principled(n, [0.96, 0.96, 0.94], 0.3))
        b.grid(lathe(prof, n_seg), food.band_mats(prof, lo, hi, paper, shell), wrap_uvs(prof, n_seg, lo, hi),
               caps=((0, 0, 0.003), (0, 0, 0.96 * h)))  # fmt: skip
        add_liquid(b, prof, p["fill"] * 0.88 * h, 0.003, milk, n_seg)
    else:
        body = b.slot(
            "body", lambda n: principled(n, p["body_color"], 0.45 if style == "jug" else 0.3)
        )
        b.grid(lathe(prof, n_seg, squarish), food.band_mats(prof, lo, hi, paper, body), wrap_uvs(prof, n_seg, lo, hi),
               caps=((0, 0, 0.003), (0, 0, 0.96 * h)))  # fmt: skip
    cap = b.slot("cap", lambda n: principled(n, p["cap_color"], 0.4))
    rc = neck * r * 1.12
    b.grid(
        lathe(np.array([(rc, 0.93 * h), (rc, h - 0.002), (rc * 0.95, h)]), 16),
        cap,
        caps=((0, 0, 0.93 * h), (0, 0, h)),
    )
    if p["handle"]:  # a loop on the back right corner, from the shoulder down the body
        body_mat = b.keys.get(b.prefix + "body", 0)
        a = math.radians(45)
        out = np.array([math.cos(a), math.sin(a), 0.0])
        z1, z0 = sh * h + (z_neck - sh * h) * 0.4, sh * h * 0.45
        centres = [np.array([0, 0, z]) + out * rr for z, rr in
                   ((z1, r * 0.75), (z1 - 0.01, r * 1.12), ((z0 + z1) / 2, r * 1.22), (z0 + 0.01, r * 1.12), (z0, r * 0.9))]  # fmt: skip
        tube(b, np.array(centres), np.full(5, 0.008), body_mat, 8)


def heavy_cream(b: MeshBuilder, p: dict) -> None:
    """A cream carton (the carton builder) or a cream pot (the yogurt builder)."""
    if p["style"] == "pot":
        food.yogurt_cup(b, p)
    else:
        food.carton(b, p)


def cheese_pack(b: MeshBuilder, p: dict) -> None:
    """Cheese in film or paper, or a flat pack of slices."""
    if p["style"] == "slices":
        tray_pack(b, p)
        return
    sx, sy, sz = p["size"]
    pad = p["pad"]
    inner = {**p, "size": [sx - 2 * pad, sy - 2 * pad, sz - pad], "bevel": 0.002, "roughness": 0.45,
             "wrapped": False}  # fmt: skip
    if p["style"] == "paper":
        mat = b.slot("paper", lambda n: mottled(n, [(0.3, shade(p["paper_color"], 0.92)), (0.7, p["paper_color"])],
                                                30.0, 0.6, 200.0, 0.2, Coat_Weight=0.3))  # fmt: skip
        shape_shell(b, p["shape"], sx, sy, sz, mat)
    else:
        food.cheese_block(b, inner)
        wrap = b.slot("film", lambda n: film(n, p["film"]["tint"], p["film"]["roughness"], 0.9))
        shape_shell(b, p["shape"], sx, sy, sz, wrap)
    st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
    x, y, w, d = p["sticker_box"]
    if p["shape"] == "wedge":  # on the broad end of the top face
        x, w, d = sx * 0.18, w * 0.45, d * 0.6
    moved(b, lambda: printed_slab(b, w, d, 0.0008, st), (x, y, sz - 0.0004))


def shape_shell(b: MeshBuilder, shape: str, sx: float, sy: float, sz: float, mat: int) -> None:
    """A block or wedge outline (as the cheese builder makes them) around the cheese."""
    if shape == "block":
        food.box_shell(b, sx, sy, sz, 0.003, mat, mat, mat)
        return
    arc = np.linspace(-0.5, 0.5, 6)
    back = np.column_stack([sx / 2 - 0.06 * sx * (2 * arc) ** 2, arc * sy])
    ring = np.vstack([[(-sx / 2, 0.0)], back])
    c = ring.mean(axis=0)
    b.grid(prism(ring, [0.0, sz]), mat, caps=((c[0], c[1], 0.0), (c[0], c[1], sz)), smooth=False)


def tub(b: MeshBuilder, p: dict) -> None:
    """A lidded plastic tub (butter spread, goat cheese): printed sleeve, printed lid top."""
    sx, sy, h = p["size"]
    lid_h = p["lid_height"]
    body_h = h - lid_h
    taper = p["taper"]
    radius = 0.3 * min(sx, sy) if not p.get("square", True) else 0.012
    body = b.slot("tub", lambda n: principled(n, p["tub_color"], 0.35))
    sleeve = body
    if p.get("printed_sides", True):
        sleeve = b.slot(
            "sleeve",
            lambda n: printed(
                n, p["label"], label_size(2 * (sx + sy), body_h), 0.35, Coat_Weight=0.3
            ),
        )
    lo_ring = rounded_rect(sx * taper, sy * taper, radius * taper)
    hi_ring = rounded_rect(sx, sy, radius)
    rings = np.array(
        [prism(lo_ring, [0.0])[0], prism(lo_ring * 1.0, [0.004])[0], prism(hi_ring, [body_h])[0]]
    )
    uvs = np.stack(
        [ring_uvs(lo_ring, [0.0])[0], ring_uvs(lo_ring, [0.03])[0], ring_uvs(hi_ring, [1.0])[0]]
    )
    b.grid(rings, [body, sleeve], uvs, caps=((0, 0, 0), (0, 0, body_h)), cap_mats=(body, body))
    lid_mat = b.slot("lid", lambda n: printed(n, p["lid_label"], (256, 256), 0.35))
    rim = b.slot("rim", lambda n: principled(n, p["tub_color"], 0.3))
    lid_ring = rounded_rect(sx, sy, radius) * 1.0
    w, d = sx, sy
    b.grid(prism(lid_ring, [body_h - 0.002, h]), rim, caps=((0, 0, body_h - 0.002), (0, 0, h)), cap_mats=(rim, lid_mat),
           cap_uv=lambda q: np.column_stack([0.5 + q[:, 0] / w, 0.5 + q[:, 1] / d]), smooth=False)  # fmt: skip


def goat_cheese(b: MeshBuilder, p: dict) -> None:
    """A goat cheese tub, or a log or small round with a white bloomy rind."""
    if p["style"] == "tub":
        if p["square"]:
            tub(b, p)
        else:
            food.yogurt_cup(b, {**p, "cup_color": p["tub_color"], "rim": 0.003})
        return
    sx, sy, sz = p["size"]
    rind = b.slot("rind", lambda n: rind_material(n, p["rind"], p["ash"]))
    if p["style"] == "log":
        s = np.linspace(0, np.pi, 12)[1:-1]
        xs = -np.cos(s) * sx / 2
        rs = sy / 2 * np.minimum(1, np.sin(s) * 5) ** 0.5
        b.grid(axis_body(xs, rs, 18, sz), rind, caps=((-sx / 2, 0, sz / 2), (sx / 2, 0, sz / 2)))
    else:
        prof = np.array(
            [(sx / 2 * 0.92, 0.0), (sx / 2, sz * 0.1), (sx / 2, sz * 0.9), (sx / 2 * 0.92, sz)]
        )
        b.grid(lathe(prof, 20), rind, caps=((0, 0, 0), (0, 0, sz)))
    if p["wrap"] == "film":
        wrap = b.slot("film", lambda n: film(n, p["film"]["tint"], p["film"]["roughness"], 0.9))
        food.box_shell(b, sx, sy, sz, min(sy, sz) * 0.3, wrap, wrap, wrap)
    elif p["wrap"] == "band":
        paper = b.slot("band", lambda n: printed(n, p["label"], (512, 128), 0.5))
        if p["style"] == "log":
            s = np.linspace(-0.25, 0.25, 2)
            ring = lambda x: axis_body(np.array([x]), np.array([sy / 2 * 1.02]), 18, sz)[0]  # noqa: E731
            pts = np.array([ring(x * sx) for x in s])
            uvs = np.stack(
                np.broadcast_arrays(np.array([0.0, 1.0])[:, None], np.arange(19)[None, :] / 18),
                axis=-1,
            )
            b.grid(pts, paper, uvs, caps=((s[0] * sx, 0, sz / 2), (s[1] * sx, 0, sz / 2)))
        else:
            prof = np.array([(sx / 2 * 1.01, sz * 0.3), (sx / 2 * 1.01, sz * 0.7)])
            b.grid(
                lathe(prof, 20),
                paper,
                wrap_uvs(prof, 20, sz * 0.3, sz * 0.7),
                caps=((0, 0, sz * 0.3), (0, 0, sz * 0.7)),
            )


def rind_material(name: str, color: list[float], ash: bool) -> bpy.types.Material:
    """A bloomy white rind (grey-dusted with ash on some)."""
    dark = [0.35, 0.36, 0.36] if ash else shade(color, 0.88)
    return mottled(name, [(0.35, dark), (0.6, color)], 60.0 if not ash else 20.0, 0.85, 400.0, 0.3)


def spinach(b: MeshBuilder, p: dict) -> None:
    """A bag of leaves: a leafy body inside a clear pillow bag with a printed header."""
    sx, sy, sz = p["size"]
    leaf = p["leaf"]
    leaves = b.slot("leaves", lambda n: leaf_material(n, leaf, p["leaf_scale"]))
    f = p["fill"]
    pillow(b, sx * 0.86, sy * 0.94, sz * f, leaves, 0.04, flat_ends=0.3)
    film_mat = b.slot("film", lambda n: film(n, p["film"]["tint"], p["film"]["roughness"], 0.88))
    paper = b.slot(
        "header", lambda n: printed(n, p["label"], label_size(1.0, 0.6), 0.4, Coat_Weight=0.4)
    )
    pillow(
        b,
        sx,
        sy,
        sz,
        [film_mat, paper],
        p["seal"] / sx * 2,
        16,
        18,
        (1 - p["header"], 1.0),
        flat_ends=0.12,
    )


def leaf_material(name: str, color: list[float], scale: float) -> bpy.types.Material:
    """Leaves pressed together: Voronoi cells of varied greens with darker veins and gloss."""
    mat, bsdf, nt = new_material(name)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    vor = nt.nodes.new("ShaderNodeTexVoronoi")
    vor.inputs["Scale"].default_value = scale
    nt.links.new(coord.outputs["Object"], vor.inputs["Vector"])
    cr = ramp(nt, [(0.0, shade(color, 0.6)), (0.5, color), (1.0, shade(color, 1.5))])
    nt.links.new(vor.outputs["Color"], cr.inputs["Fac"])
    edge = nt.nodes.new("ShaderNodeTexVoronoi")
    edge.feature = "DISTANCE_TO_EDGE"
    edge.inputs["Scale"].default_value = scale
    nt.links.new(coord.outputs["Object"], edge.inputs["Vector"])
    vein = ramp(nt, [(0.0, [1, 1, 1]), (0.05, [0, 0, 0])])
    nt.links.new(edge.outputs["Distance"], vein.inputs["Fac"])
    nt.links.new(
        mix_rgb(nt, vein.outputs["Color"], cr.outputs["Color"], shade(color, 0.4)),
        bsdf.inputs["Base Color"],
    )
    bump(nt, bsdf, edge.outputs["Distance"], 0.4, 0.002)
    set_inputs(bsdf, Roughness=0.35, Coat_Weight=0.2)
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def green_beans(b: MeshBuilder, p: dict) -> None:
    """Green beans in a bundle, or in a clear bag with a printed header."""
    pieces(b, p)
    if "bag" in p:
        bag = p["bag"]
        lo, hi = group_bounds(b)
        film_mat = b.slot(
            "film", lambda n: film(n, bag["film"]["tint"], bag["film"]["roughness"], 0.88)
        )
        paper = b.slot(
            "header", lambda n: printed(n, bag["label"], label_size(1.0, 0.6), 0.4, Coat_Weight=0.4)
        )
        sx, sy, sz = p["size"]
        moved(b, lambda: pillow(b, sx, sy, sz, [film_mat, paper], bag["seal"] / sx * 2, 14, 16, (1 - bag["header"], 1.0),
                                flat_ends=0.2), ((lo[0] + hi[0]) / 2 + 0.012, (lo[1] + hi[1]) / 2, 0.0))  # fmt: skip


def corn(b: MeshBuilder, p: dict) -> None:
    """A tin of sweet corn (closed, or opened showing the kernels) or cobs."""
    style = p["style"]
    if style == "cobs":
        produce(b, p)
        return
    if style == "tray":
        tray_pack(b, p)
        return
    d, _, h = p["size"]
    r = d / 2
    metal = b.slot("metal", lambda n: principled(n, p["metal_color"], 0.25, Metallic=1.0))
    lo, hi = 0.008, h - 0.008
    rows = [(r * 0.94, 0.0), (r, 0.003), (r, lo)]
    ribs = p["ribs"]
    for k in range(1, ribs * 2 + 1):
        z = lo + (hi - lo) * k / (ribs * 2 + 1)
        rows.append((r * (0.985 if k % 2 else 1.0), z))
    rows += [
        (r, hi),
        (r * 1.01, h - 0.003),
        (r * 1.01, h),
        (r * 0.94, h - 0.001),
        (r * 0.93, h - 0.004),
    ]
    prof = np.array(rows)
    paper = b.slot(
        "label",
        lambda n: printed(n, p["label"], label_size(TAU * r, hi - lo), 0.4, Coat_Weight=0.2),
    )
    mats = food.band_mats(prof, lo, hi, paper, metal)
    top_mat = metal
    if style == "open_tin":
        top_mat = b.slot("kernels", lambda n: kernel_material(n, p["kernel"]))
    b.grid(lathe(prof, 32), mats, wrap_uvs(prof, 32, lo, hi), caps=((0, 0, 0.002), (0, 0, h - 0.004)),
           cap_mats=(metal, top_mat), cap_uv=lambda q: q[:, :2] * 40)  # fmt: skip


def bread(b: MeshBuilder, p: dict) -> None:
    """A sliced loaf in a clear bag tied at one end, a crusty loaf, or rolls."""
    style = p["style"]
    if style == "rolls":
        produce(b, p)
        return
    cols = p["colors"]
    if style == "crusty":
        sx, sy, sz = p["size"]
        s = np.linspace(0, np.pi, 14)[1:-1]
        xs = -np.cos(s) * sx / 2
        rs = sy / 2 * np.sin(s) ** 0.45
        pts = axis_body(xs, rs, 18, sy)
        pts[..., 2] = np.maximum(pts[..., 2], sy * 0.12)
        crust = b.slot("crust", lambda n: crust_material(n, cols, p["flour"]))
        b.grid(pts, crust, caps=((-sx / 2, 0, sy / 2), (sx / 2, 0, sy / 2)))
        return
    length, w, h = p["loaf"]
    tail = p["tail"]
    dome = p["dome"]
    sides = b.slot("crumb", lambda n: sliced_material(n, cols, p["slice"], p["seeds"]))
    rings = []
    for z, inset in ((0.0, 0.006), (0.005, 0.0), (h * 0.7, 0.0), (h * (0.85 + 0.05 * (1 - dome)), 0.005 + 0.1 * w * dome),
                     (h, 0.01 + 0.25 * w * dome)):  # fmt: skip
        outline = rounded_rect(length - 2 * min(inset, 0.01), w - 2 * inset, 0.012)
        rings.append(np.column_stack([outline, np.full(len(outline), z)]))
    b.grid(np.array(rings), sides, caps=((0, 0, 0), (0, 0, h)))
    bag = b.slot("bag", lambda n: film(n, p["bag_tint"], 0.08, 0.9))
    paper = b.slot("band", lambda n: printed(n, p["label"], (512, 256), 0.4, Coat_Weight=0.3))
    pad = 0.005
    ring = rounded_rect(length + 2 * pad, w + 2 * pad, 0.015)
    pts = prism(ring, [0.0, h * 0.05, h * 0.35, h + pad], [0.0, 0.0, 0.0, 0.02])
    mats = [bag, paper, bag]
    uvs = ring_uvs(ring, [0.0, 0.0, 1.0, 1.0])
    moved(
        b,
        lambda: b.grid(pts, mats, uvs, caps=((0, 0, 0), (0, 0, h + pad)), smooth=False),
        (0, 0, 0),
    )
    # the gathered end and the clip
    x0 = length / 2 + pad
    cz = h * 0.5
    tube(b, np.array([[x0 - 0.002, 0, cz], [x0 + tail * 0.5, 0, cz], [x0 + tail, 0, cz]]), np.array([w * 0.35, 0.006, w * 0.2]),
         bag, 10)  # fmt: skip
    clip = b.slot("clip", lambda n: principled(n, p["clip"], 0.4))
    moved(
        b,
        lambda: food.box_shell(b, 0.006, 0.025, 0.02, 0.001, clip, clip, clip),
        (x0 + tail * 0.5, 0, cz - 0.01),
    )


def sliced_material(name: str, cols: dict, pitch: float, seeds: bool) -> bpy.types.Material:
    """A sliced loaf seen through its bag: crust on top, slice edges as lines along X."""
    mat = crust_material(name, cols)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    coord = nt.nodes.new("ShaderNodeTexCoord")
    wave = nt.nodes.new("ShaderNodeTexWave")
    wave.wave_type = "BANDS"
    wave.bands_direction = "X"
    wave.inputs["Scale"].default_value = 1.0 / pitch / 2
    nt.links.new(coord.outputs["Object"], wave.inputs["Vector"])
    lines = ramp(nt, [(0.0, [0.6, 0.6, 0.6]), (0.15, [1, 1, 1])])
    nt.links.new(wave.outputs["Fac"], lines.inputs["Fac"])
    base = bsdf.inputs["Base Color"].links[0].from_socket
    col = mix_rgb(nt, 1.0, base, lines.outputs["Color"], blend="MULTIPLY")
    if seeds:
        dots = noise(nt, 250.0, detail=1.0)
        fac = ramp(nt, [(0.68, [0, 0, 0]), (0.72, [1, 1, 1])])
        nt.links.new(dots.outputs["Fac"], fac.inputs["Fac"])
        col = mix_rgb(nt, fac.outputs["Color"], col, [0.35, 0.25, 0.12])
    nt.links.new(col, bsdf.inputs["Base Color"])
    return mat


def pantry(b: MeshBuilder, p: dict) -> None:
    """Flour or sugar: a storage jar (the jar builder), a paper bag, or a box of cubes."""
    style = p["style"]
    if style == "jar":
        storage_jar(b, p)
        return
    sx, sy, sz = p["size"]
    if style == "cubes":
        mat = b.slot("box", lambda n: printed(n, p["label"], label_size(2 * (sx + sy), sz), 0.45))
        plain = b.slot("plain", lambda n: principled(n, p["label"]["palette"][0], 0.5))
        food.box_shell(b, sx, sy, sz, p["bevel"], mat, plain, plain)
        return
    sx, sy, sz = p["base"]
    fold = p["fold"]
    body_h = sz * (1 - fold)
    bulge = p["bulge"]
    paper_col = p["paper"]
    printed_mat = b.slot(
        "print", lambda n: printed(n, p["label"], label_size(2 * (sx + sy), sz), 0.7)
    )
    plain = b.slot(
        "paper",
        lambda n: mottled(
            n, [(0.3, shade(paper_col, 0.93)), (0.7, paper_col)], 30.0, 0.8, 300.0, 0.15
        ),
    )
    ring = rounded_rect(sx, sy, 0.006, 2)
    zs = [0.0, 0.004, body_h * 0.5, body_h, sz * (1 - fold * 0.4), sz]
    if p["open"]:  # rolled down and open: the powder shows at the top
        zs = [0.0, 0.004, body_h * 0.5, body_h, body_h + 0.002, body_h + 0.003]
    grow = [0.0, bulge * 0.3, bulge, bulge * 0.4, 0.0, 0.0]
    rows = [ring * (1 + g) for g in grow]
    if not p["open"]:  # the top is folded flat: its outline thins to a ridge
        rows[4] = np.column_stack([ring[:, 0] * 0.98, ring[:, 1] * 0.4])
        rows[5] = np.column_stack([ring[:, 0] * 0.96, ring[:, 1] * 0.08])
    pts = np.array(
        [np.column_stack([r, np.full(len(r), z)]) for r, z in zip(rows, zs, strict=True)]
    )
    fill = 1 - fold
    uvs = ring_uvs(ring, [0.0, 0.004 / sz, fill * 0.5, fill, 1.0, 1.0])
    top_mat = plain
    if p["open"]:
        top_mat = b.slot(
            "powder",
            lambda n: mottled(n, [(0.3, [0.93, 0.92, 0.9]), (0.7, [0.98, 0.98, 0.97])], 80.0, 0.9),
        )
    b.grid(pts, [plain, printed_mat, printed_mat, plain, plain], uvs, caps=((0, 0, 0), (0, 0, zs[-1])),
           cap_mats=(plain, top_mat), smooth=False)  # fmt: skip


def storage_jar(b: MeshBuilder, p: dict) -> None:
    """A glass storage jar: thin clear walls (no refraction), the powder inside, a clip-top
    glass lid with an orange seal and a wire clip, or a screw lid."""
    d, _, h = p["size"]
    r, n_seg = d / 2, 24
    lid_h = p["lid_height"]
    z_sh = h - lid_h - p["shoulder"] * h
    body_top = h - lid_h
    prof = np.array([(r * 0.9, 0.0), (r * 0.98, 0.003), (r, 0.01), (r, z_sh * 0.5), (r, z_sh),
                     (r * 0.97, (z_sh + body_top) / 2), (r * 0.9, body_top)])  # fmt: skip
    lo, hi = (f * z_sh for f in p["band"])
    prof = food.insert_rows(prof, [lo, hi])
    glass_mat = b.slot("glass", lambda n: film(n, [0.94, 0.97, 0.96], 0.03, 0.88))
    mats = food.band_mats(prof, lo, hi, glass_mat, glass_mat)
    if p["has_label"]:
        paper = b.slot("label", lambda n: printed(n, p["label"], label_size(TAU * r, hi - lo), 0.6))
        mats = food.band_mats(prof, lo, hi, paper, glass_mat)
    b.grid(
        lathe(prof, n_seg),
        mats,
        wrap_uvs(prof, n_seg, lo, hi),
        caps=((0, 0, 0.003), (0, 0, body_top)),
    )
    c = p["contents_color"]
    powder = b.slot(
        "powder", lambda n: mottled(n, [(0.3, shade(c, 0.93)), (0.7, c)], 200.0, 0.9, 800.0, 0.1)
    )
    fill_z = max(p["fill"] * z_sh, 0.015)
    inner = np.array([(r - 0.003, 0.004), (r - 0.003, fill_z), ((r - 0.003) * 0.6, fill_z + 0.004)])
    b.grid(lathe(inner, n_seg), powder, caps=((0, 0, 0.004), (0, 0, fill_z + 0.006)))
    if p["lid"] == "clip":
        lid_mat = glass_mat
        seal = b.slot("seal", lambda n: principled(n, p["seal_color"], 0.6))
        rs = r * 0.92
        a = TAU * np.arange(17) / 16
        ring = np.column_stack([rs * np.cos(a), rs * np.sin(a), np.full(17, body_top + 0.002)])[:-1]
        tube(b, np.vstack([ring, ring[:1]]), np.full(17, 0.0025), seal, 6)
        wire = b.slot("wire", lambda n: principled(n, [0.75, 0.75, 0.78], 0.3, Metallic=1.0))
        y = -r * 0.98
        tube(
            b,
            np.array([[0, y, z_sh * 0.95], [0, y - 0.004, body_top], [0, y * 0.6, h - 0.002]]),
            np.full(3, 0.0015),
            wire,
            5,
        )
    else:
        lid_mat = b.slot("lid", lambda n: principled(n, p["lid_color"], 0.35, Metallic=0.5))
    lprof = np.array([(r * 0.93, body_top), (r * 0.95, h - 0.003), (r * 0.9, h)])
    b.grid(lathe(lprof, n_seg), lid_mat, caps=((0, 0, body_top), (0, 0, h)))


def chocolate(b: MeshBuilder, p: dict) -> None:
    """A chocolate bar: the butter-pack builder with its printed wrapper."""
    food.butter_pack(b, p)


BUILDERS: dict[str, Callable[[MeshBuilder, dict], None]] = {
    "apple_group": produce, "banana_bunch": produce, "tomato_vine": produce, "lime": produce,
    "carrot": produce, "potato": produce, "sweet_potato": produce, "onion": produce,
    "mushrooms": produce, "corn": corn, "green_beans": green_beans, "spinach": spinach,
    "blueberries": produce, "strawberries": produce, "beef": tray_pack, "ground_beef": tray_pack,
    "chicken": tray_pack, "chicken_breast": tray_pack, "ham": tray_pack, "shrimp": tray_pack,
    "eggs": eggs, "milk_bottle": milk_bottle, "heavy_cream": heavy_cream, "cheese_pack": cheese_pack,
    "goat_cheese": goat_cheese, "butter_tub": tub, "bread": bread, "flour": pantry, "sugar": pantry,
    "chocolate": chocolate,
}  # fmt: skip
