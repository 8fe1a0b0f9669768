"""Builders of the fresh food among the original fifteen classes.

Apples, oranges, lemons, eggs, tomatoes, bananas, cheese blocks and segments of waxed wheels,
with their materials:
``builder(b, p)`` adds the item's shells to the `MeshBuilder` ``b`` from its params ``p``.
"""

from __future__ import annotations

import numpy as np

from ..blender import bpy
from .mesh import (
    TAU,
    Array,
    MeshBuilder,
    axis_body,
    box_shell,
    lathe,
    moved,
    printed_slab,
    prism,
    smoothstep,
    sphere_profile,
    stable_rng,
    tube_points,
)
from .shading import (
    bump,
    mix,
    mix_rgb,
    new_material,
    noise,
    overlay,
    principled,
    printed,
    ramp,
    set_inputs,
    shade,
    skin,
)


def stem(
    b: MeshBuilder, base: Array, top: Array, r0: float, r1: float, mat: int, n_seg: int = 6
) -> None:
    """A thin tapered stalk from `base` to `top`."""
    t = np.linspace(0, 1, 4)
    centres = base[None, :] + t[:, None] * (top - base)[None, :]
    axis = (top - base) / np.linalg.norm(top - base)
    a = np.cross(axis, [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    bb = np.cross(axis, a)
    rad = np.broadcast_to((r0 + (r1 - r0) * t)[:, None], (4, n_seg))
    pts = tube_points(
        centres, rad, np.tile(a, (4, 1)), np.tile(bb, (4, 1)), TAU * np.arange(n_seg) / n_seg
    )
    b.grid(pts, mat, caps=(base, top))


def apple(b: MeshBuilder, p: dict) -> None:
    """Apple: lopsided, slightly lobed, wider at the top, dimples at both poles and a stem."""
    d, _, _ = p["size"]
    r, h = d / 2, p["body_height"]
    prof, s = sphere_profile(14, r, h)
    zn = prof[:, 1] / h
    prof[:, 0] *= 1 + p["taper"] * (zn - 0.5)
    prof[:, 1] -= (
        p["dimple"] * h * np.exp(-((prof[:, 0] / (0.45 * r)) ** 2)) * smoothstep((zn - 0.5) * 3)
    )
    prof[:, 1] += (
        0.5
        * p["dimple"]
        * h
        * np.exp(-((prof[:, 0] / (0.35 * r)) ** 2))
        * smoothstep((0.5 - zn) * 3)
    )

    def shape(th: Array, pr: Array) -> Array:
        """Lopsided and five-lobed radius factor."""
        w = np.sin(s)[:, None]
        zz = pr[:, 1:2] / h
        return 1 + w * (
            p["lopsided"] * np.cos(th - p["lopsided_angle"]) * zz + p["lobes"] * np.cos(5 * th) * zz
        )

    top_z = h * (1 - p["dimple"])
    bot_z = 0.5 * p["dimple"] * h
    peel = b.slot("skin", lambda n: apple_material(n, p))
    b.grid(lathe(prof, 24, shape), peel, caps=((0, 0, bot_z), (0, 0, top_z)))
    if p["stem_length"] > 0:
        brown = b.slot("stem", lambda n: principled(n, [0.25, 0.15, 0.06], 0.7))
        z_top = h + 0.6 * p["stem_length"]
        top = np.array([p["stem_tilt"] * p["stem_length"] * 0.5, 0.0, z_top])
        stem(b, np.array([0.0, 0.0, top_z - 0.002]), top, 0.0016, 0.0012, brown)


def apple_material(name: str, p: dict) -> bpy.types.Material:
    """Apple skin: base colour with a noisy blush and optional vertical streaks."""
    base, blush = p["color"], p["blush_color"]
    k = p["blush"]
    mat, bsdf, nt, cr = skin(name, [(0.5 - k * 0.4, blush), (0.5 + (1 - k) * 0.3, base)], 12.0, p["roughness"],
                         pores=900.0, pore_strength=0.05)  # fmt: skip
    if p["streaks"]:
        streak = noise(nt, 1.0, detail=4.0, stretch=(90.0, 90.0, 8.0))
        stops = [(0.45, [0, 0, 0]), (0.6, [0.6, 0.6, 0.6])]
        overlay(nt, bsdf, cr, streak, stops, shade(blush, 0.8))
    return mat


def orange(b: MeshBuilder, p: dict) -> None:
    """Orange or mandarin: oblate, gently lumpy sphere with a navel and a stem button."""
    d, _, h = p["size"]
    r = d / 2
    prof, s = sphere_profile(12, r, h)
    rng = stable_rng(p)
    phase = rng.uniform(0, TAU, 3)
    zn = prof[:, 1:2] / h

    def lumps(th: Array, pr: Array) -> Array:
        """Low-frequency bumps so no two oranges are perfect spheroids."""
        return 1 + p["lumpy"] * (np.cos(3 * th + phase[0]) * np.sin(5 * zn + phase[1])
                                 + np.cos(2 * th + phase[2]) * 0.5)  # fmt: skip

    col = p["color"]
    green = [0.35, 0.5, 0.08]
    stops = [(0.2, shade(col, 0.9)), (0.55, col), (0.8, mix(col, green, p["green_patch"]))]
    peel = b.slot("peel", lambda n: skin(n, stops, 10.0, p["roughness"], p["pore_scale"], 0.35)[0])
    b.grid(lathe(prof, 24, lumps), peel, caps=((0, 0, 0), (0, 0, h - 0.001)))
    button = b.slot("button", lambda n: principled(n, [0.3, 0.35, 0.1], 0.6))
    stem(
        b, np.array([0.0, 0.0, h - 0.0025]), np.array([0.0, 0.0, h - 0.0005]), 0.0025, 0.002, button
    )


def lemon(b: MeshBuilder, p: dict) -> None:
    """Lemon or lime lying along X: prolate body with a pointed nipple at each end."""
    length, d, _ = p["size"]
    s = np.pi * (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, 18)[1:-1]))  # denser at the ends
    near_pole = np.exp(-((np.sin(s) / 0.32) ** 2))
    xs = -np.cos(s) * length / 2 * (1 + 1.6 * p["tip"] * near_pole)
    rs = d / 2 * np.sin(s) ** 0.8 * (1 + p["asymmetry"] * np.cos(s)) * (1 - 0.45 * near_pole)
    pts = axis_body(xs, rs, 20, d)
    stops = [(0.3, shade(p["color"], 0.88)), (0.7, p["color"])]
    peel = b.slot("peel", lambda n: skin(n, stops, 12.0, p["roughness"], p["pore_scale"], 0.4)[0])
    ends = xs[[0, -1]] + np.array([-0.0015, 0.0015])
    b.grid(pts, peel, caps=((ends[0], 0, d / 2), (ends[1], 0, d / 2)))


def egg(b: MeshBuilder, p: dict) -> None:
    """Egg lying along X: one blunt and one more pointed end."""
    length, d, _ = p["size"]
    s = np.linspace(0, np.pi, 16)[1:-1]
    xs = -np.cos(s) * length / 2
    rs = d / 2 * np.sin(s) * (1 - p["pointiness"] * np.cos(s) * -1) / (1 + p["pointiness"] * 0.5)
    pts = axis_body(xs, rs, 20, d)
    shell = b.slot("shell", lambda n: egg_material(n, p))
    b.grid(pts, shell, caps=((-length / 2, 0, d / 2), (length / 2, 0, d / 2)))


def egg_material(name: str, p: dict) -> bpy.types.Material:
    """Matte eggshell with faint speckles."""
    c = p["shell_color"]
    mat, bsdf, nt, cr = skin(
        name, [(0.3, shade(c, 0.95)), (0.7, shade(c, 1.03))], 20.0, 0.65, 1500.0, 0.08
    )
    if p["speckles"] > 0.05:
        sp = noise(nt, 600.0, detail=1.0)
        stops = [(0.0, [0, 0, 0]), (0.72 - 0.08 * p["speckles"], [0, 0, 0]), (0.8, [1, 1, 1])]
        overlay(nt, bsdf, cr, sp, stops, shade(c, 0.6))
    return mat


def tomato(b: MeshBuilder, p: dict) -> None:
    """Tomato: oblate, lobed, glossy, with a green star-shaped calyx and a short stalk."""
    d, _, _ = p["size"]
    r, h = d / 2, p["body_height"]
    prof, s = sphere_profile(12, r, h)
    zn = prof[:, 1] / h
    prof[:, 1] -= 0.08 * h * np.exp(-((prof[:, 0] / (0.4 * r)) ** 2)) * (zn > 0.5)

    def lobes(th: Array, pr: Array) -> Array:
        """Radial lobes strongest at the equator."""
        return 1 + p["lobe_depth"] * np.cos(p["lobes"] * th)[None, :] * np.sin(s)[:, None] ** 2

    top_z = h * 0.92
    flesh = b.slot("skin", lambda n: skin(n, [(0.35, p["shoulder_color"]), (0.6, p["color"])], 8.0,
                                          p["roughness"], 2000.0, 0.03)[0])  # fmt: skip
    b.grid(lathe(prof, 24, lobes), flesh, caps=((0, 0, 0), (0, 0, top_z)))
    green = b.slot("calyx", lambda n: principled(n, [0.12, 0.35, 0.06], 0.55))
    calyx(b, prof, p, green)
    stem(
        b,
        np.array([0.0, 0.0, top_z]),
        np.array([0.001, 0.0, h + p["calyx_radius"] * 0.15]),
        0.0015,
        0.0012,
        green,
    )


def calyx(b: MeshBuilder, prof: Array, p: dict, mat: int) -> None:
    """Star of pointed sepals draped over the tomato's top, as a thin closed slab."""
    n, rc = p["lobes"], p["calyx_radius"]
    th = np.pi / 2 + np.arange(2 * n) * np.pi / n
    rad = np.where(np.arange(2 * n) % 2 == 0, rc, rc * 0.25)
    upper = prof[prof[:, 1] > prof[:, 1].max() * 0.5]
    order = np.argsort(upper[:, 0])
    z = np.interp(rad, upper[order, 0], upper[order, 1]) + 0.0012
    ring = np.column_stack([rad * np.cos(th), rad * np.sin(th), z])
    pts = np.array([ring, ring + [0, 0, 0.0012]])
    top = float(np.interp(0, upper[order, 0], upper[order, 1]))
    b.grid(pts, mat, caps=((0, 0, top), (0, 0, top + 0.0025)))


def banana(b: MeshBuilder, p: dict) -> None:
    """Single banana lying on its side, curved in the XY plane, ridged, tapering to dark tips."""
    length, bend, thick = p["length"], p["bend"], p["thickness"]
    radius = length / bend
    t = np.linspace(0, 1, 26)
    ang = (t - 0.5) * bend
    r_max = thick / 2
    centres = np.column_stack(
        [radius * np.sin(ang), radius * (1 - np.cos(ang)), np.full_like(t, r_max)]
    )
    normal = np.column_stack([-np.sin(ang), np.cos(ang), np.zeros_like(t)])
    up = np.tile([0.0, 0.0, 1.0], (len(t), 1))
    body_t = np.clip((t - 0.1) / 0.87, 0, 1)
    rr = r_max * np.maximum(0.2, np.sin(np.pi * body_t) ** 0.45)
    phis = TAU * np.arange(12) / 12
    ridges = 1 + 0.07 * np.cos(5 * phis)
    pts = tube_points(centres, rr[:, None] * ridges[None, :], normal, up, phis)
    uvs = np.stack(np.broadcast_arrays(t[:, None], np.arange(13)[None, :] / 12), axis=-1)
    peel = b.slot("peel", lambda n: banana_material(n, p))
    b.grid(
        pts,
        peel,
        uvs,
        caps=(centres[0] - [0.002, 0, 0], centres[-1] + [0.001, 0, 0]),
        cap_uv=lambda q: np.column_stack([np.where(q[:, 0] < 0, 0.0, 1.0), np.zeros(len(q))]),
    )


def banana_material(name: str, p: dict) -> bpy.types.Material:
    """Banana peel: colour along the length (UV u) with dark tips, brown sugar spots when ripe."""
    col = p["color"]
    mat, bsdf, nt = new_material(name)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["UV"], sep.inputs["Vector"])
    stalk = [0.35, 0.4, 0.12] if p["ripeness"] != "spotty" else [0.3, 0.25, 0.1]
    along = ramp(nt, [(0.0, stalk), (0.09, shade(col, 0.85)), (0.2, col), (0.9, col),
                      (0.975, [0.12, 0.09, 0.05]), (1.0, [0.08, 0.06, 0.04])])  # fmt: skip
    nt.links.new(sep.outputs["X"], along.inputs["Fac"])
    sp = noise(nt, 250.0, detail=2.0)
    spot = ramp(
        nt,
        [
            (0.0, [0, 0, 0]),
            (0.75 - 0.25 * p["spots"], [0, 0, 0]),
            (0.8 - 0.2 * p["spots"], [1, 1, 1]),
        ],
    )
    nt.links.new(sp.outputs["Fac"], spot.inputs["Fac"])
    col_out = mix_rgb(nt, spot.outputs["Color"], along.outputs["Color"], [0.25, 0.15, 0.05])
    nt.links.new(col_out, bsdf.inputs["Base Color"])
    set_inputs(bsdf, Roughness=p["roughness"])
    mat.diffuse_color = (*col, 1.0)
    return mat


def cheese_block(b: MeshBuilder, p: dict) -> None:
    """Cheese block (bevelled box) or wedge (triangular prism), optional rind on the back."""
    sx, sy, sz = p["size"]
    body = b.slot("cheese", lambda n: cheese_material(n, p))
    rind = body
    if p["rind_color"] is not None:
        rind = b.slot("rind", lambda n: principled(n, p["rind_color"], 0.45))
    if p["shape"] == "block":
        box_shell(b, sx, sy, sz, p["bevel"], body, body, body)
        return
    arc = np.linspace(-0.5, 0.5, 6)
    back = np.column_stack([sx / 2 - 0.06 * sx * (2 * arc) ** 2, arc * sy])
    ring = np.vstack([[(-sx / 2, 0.0)], back])
    c = ring.mean(axis=0)
    b.grid(prism(ring, [0.0, sz]), body, caps=((c[0], c[1], 0.0), (c[0], c[1], sz)))
    for f in b.bm.faces:
        if len(f.verts) == 4 and all(v.co.x > sx / 2 - 0.065 * sx for v in f.verts):
            f.material_index = rind


def cheese_segment(b: MeshBuilder, p: dict) -> None:
    """A segment cut from a waxed wheel: rind on its two sector faces and its arc, paste on the
    two cut faces; lying on a sector face (``flat``) or standing on a cut face."""
    r, a, h = p["radius"], p["angle"], p["thickness"]
    paste = b.slot("cheese", lambda n: cheese_material(n, {**p, "holes": False, "wrapped": False}))
    rind = b.slot("rind", lambda n: principled(n, p["rind_color"], p["rind_roughness"]))
    flat = p["pose"] == "flat"
    phi = (-a / 2 if flat else 0.0) + a * np.linspace(0.0, 1.0, 9)
    ring = np.vstack([[(0.0, 0.0)], np.column_stack([r * np.cos(phi), r * np.sin(phi)])])
    c = ring.mean(axis=0)
    pts, caps = prism(ring, [0.0, h]), ((c[0], c[1], 0.0), (c[0], c[1], h))
    if not flat:  # the sector upright: its plane is XZ, the wheel's thickness along Y
        pts, caps = pts[..., [0, 2, 1]], tuple((x, z, y) for x, y, z in caps)
    first = len(b.bm.faces)
    b.grid(pts, rind, caps=caps)
    b.bm.faces.ensure_lookup_table()
    for f in b.bm.faces[first:]:  # the quads reaching the wheel's axis are the cut faces
        if len(f.verts) == 4 and any(
            v.co.x**2 + (v.co.y if flat else v.co.z) ** 2 < 1e-12 for v in f.verts
        ):
            f.material_index = paste
    if p["sticker"] is None:
        return
    st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
    mid = 0.0 if flat else a / 2
    w = min(0.3, 0.72 * np.sin(a / 2)) * r  # at most 0.6 of the sector's chord at 0.6 r
    u, v = 0.6 * r * np.cos(mid), 0.6 * r * np.sin(mid)
    # on the top sector face, or on the upright one turned to -Y
    offset, rot = (
        ((u, v, h - 0.0004), (0.0, 0.0, 0.0)) if flat else ((u, 0.0004, v), (np.pi / 2, 0.0, 0.0))
    )
    moved(b, lambda: printed_slab(b, w * 1.3, w, 0.0008, st), offset, rot)


def cheese_material(name: str, p: dict) -> bpy.types.Material:
    """Cheese paste: mottled colour, Voronoi holes for Swiss types, glossy film when wrapped."""
    c = p["color"]
    mat, bsdf, nt, cr = skin(name, [(0.3, shade(c, 0.95)), (0.7, shade(c, 1.04))], 30.0, p["roughness"],
                         800.0, 0.05)  # fmt: skip
    if p["holes"]:
        coord = nt.nodes.new("ShaderNodeTexCoord")
        vor = nt.nodes.new("ShaderNodeTexVoronoi")
        vor.inputs["Scale"].default_value = 55.0
        vor.inputs["Randomness"].default_value = 1.0
        nt.links.new(coord.outputs["Object"], vor.inputs["Vector"])
        hole = ramp(nt, [(0.0, [1, 1, 1]), (0.22, [0, 0, 0])], constant=True)
        nt.links.new(vor.outputs["Distance"], hole.inputs["Fac"])
        col = mix_rgb(nt, hole.outputs["Color"], cr.outputs["Color"], shade(c, 0.72))
        nt.links.new(col, bsdf.inputs["Base Color"])
        inv = nt.nodes.new("ShaderNodeInvert")
        nt.links.new(hole.outputs["Color"], inv.inputs["Color"])
        bump(nt, bsdf, inv.outputs["Color"], 0.6, 0.002)
    if p["wrapped"]:
        set_inputs(bsdf, Coat_Weight=1.0, Coat_Roughness=0.08)
    return mat
