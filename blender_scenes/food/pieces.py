"""Piece builders of the grocery groups (see `grocery_params` for the ``pieces`` dicts).

``piece(b, q, p)`` makes one piece (a potato, a steak, a berry...) around the origin from its
piece dict ``q`` and the item params ``p``; `mesh.place` fits it to the piece's own box and moves
it to its ``at``/``rot``. `PIECES` maps each ``kind`` to its builder; `pieces` builds them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..blender import bpy
from .fresh import apple, banana, egg, lemon, tomato
from .mesh import (
    TAU,
    Array,
    MeshBuilder,
    PieceFn,
    axis_body,
    blob,
    box_shell,
    heightfield,
    lathe,
    moved,
    place,
    prism,
    rounded_rect,
    sphere_profile,
    tube,
)
from .shading import (
    bump,
    mix_rgb,
    mottled,
    new_material,
    noise,
    overlay,
    principled,
    ramp,
    set_inputs,
    shade,
    skin,
    speckled,
    streaked,
)


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
    """A tapered, slightly bent root, lumpy by `lumps` (the depth of its swellings)."""
    rng = np.random.default_rng(q["seed"])
    s = np.linspace(0, np.pi, 16)[1:-1]
    xs = -np.cos(s) * 0.5
    rs = 0.5 * np.sin(s) ** 0.9 * (1 - q["taper"] * np.cos(s))
    rs *= 1 + q.get("lumps", 0.06) * np.sin(s * rng.integers(2, 5) + rng.uniform(0, TAU))
    pts = axis_body(xs, rs, 14, 1.0)
    pts[..., 1] += q["bend"] * (1 - (2 * pts[..., 0]) ** 2)
    c = _variant(p, "colors", q)
    mat = b.slot("skin", lambda n: speckled(n, [(0.3, shade(c, 0.75)), (0.7, c)], shade(c, 0.5), 120.0,
                                            p["dirt"], 0.65))  # fmt: skip
    b.grid(pts, mat, caps=((xs[0] - 0.02, 0, 0.5), (xs[-1] + 0.02, 0, 0.5)))


def onion_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A round bulb with a thin dry neck and a root tuft, papery streaked skin."""
    prof, s = sphere_profile(12, 0.5, 0.85)
    neck = q["neck"]
    top = [(0.5 * 0.14 * (1 - t) + 0.015, 0.84 + t * neck) for t in (0.3, 0.65, 1.0)]
    prof = np.vstack([prof[prof[:, 1] < 0.8], top])
    c = _variant(p, "colors", q)
    mat = b.slot("skin", lambda n: streaked(n, c, shade(c, 0.6), (40.0, 40.0, 1.5), 0.55, 1.0,
                                            Coat_Weight=0.2 * p["streaks"]))  # fmt: skip
    b.grid(lathe(prof, 18), mat, caps=((0, 0, -0.01), (0, 0, 0.85 + neck)))


def lime_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A lime: the lemon builder with the group's green."""
    lemon(
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
    if q.get("crown"):  # the cut stalk base: a dark green-brown disc on the thick end
        crown = b.slot("crown", lambda n: principled(n, [0.16, 0.13, 0.04], 0.7))
        tube(b, np.array([[-0.515, 0, 0.5], [-0.505, 0, 0.5], [-0.495, 0, 0.5]]),
             np.array([0.1, 0.17, 0.19]), crown, 10)  # fmt: skip
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
    stops = [(0.0, [0, 0, 0]), (0.69 - 0.06 * amount, [0, 0, 0]), (0.72 - 0.06 * amount, [1, 1, 1])]
    overlay(nt, bsdf, cr, veins, stops, fat)
    set_inputs(bsdf, Coat_Weight=0.3, Coat_Roughness=0.2)
    return mat


def chunk_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A cube of diced meat."""
    mat = b.slot(
        "lean", lambda n: marbled(n, p["meat"]["lean"], p["meat"]["fat"], q.get("marbling", 0.4))
    )
    box_shell(b, 1.0, 1.0, 1.0, 0.18, mat, mat, mat)


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
    """A shrimp curled in a C, segmented, thinning to a small tail fan; `lean` pieces (small
    ones heaped by the hundred) get fewer rings and sides."""
    lean = bool(q.get("lean"))
    n = 5 if lean else 10
    arc = q["curl"] * math.pi
    t = np.linspace(0, 1, n)
    ang = -arc / 2 + t * arc
    centres = np.column_stack([0.5 * np.sin(ang), 0.5 * (1 - np.cos(ang)), np.full(n, 0.5)])
    radius = 0.22 * np.sin(np.clip(t * 0.85 + 0.15, 0, 1) * math.pi * 0.62) + 0.03
    mat = shrimp_shell(b, p)
    tube(b, centres, radius, mat, 5 if lean else 8, uv_along=True)
    if lean:  # a tail fan of a few millimetres: not worth its faces
        return
    fan = centres[-1] + np.array([0.08, -0.05, 0.0])
    moved(b, lambda: box_shell(b, 0.16, 0.1, 0.04, 0.005, mat, mat, mat), fan - [0, 0, 0.02],
          (0, 0, math.degrees(ang[-1])))  # fmt: skip


def shrimp_heap_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """The inside of a tub heaped with small shrimp: a lumpy block in their colours, so that
    the gaps between the outer ones show more shrimp, not the fridge behind the tub."""
    ph = np.random.default_rng(q["seed"]).uniform(0, TAU, 2)
    mat = shrimp_shell(b, p)

    def height(u: Array, v: Array) -> Array:
        """Lumps of shrimp across the top."""
        return 1 - 0.12 * (1 + np.sin(9 * u + ph[0]) * np.cos(7 * v + ph[1]))

    heightfield(b, 1.0, 1.0, 1.0, height, mat, 10)


def shrimp_shell(b: MeshBuilder, p: dict) -> int:
    """The slot of the pack's shrimp shell material, shared by its shrimp and its heap."""
    return b.slot("shell", lambda n: shrimp_material(n, p["meat"]["shell"], p["meat"]["band"]))


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


def leaf_piece(b: MeshBuilder, q: dict, p: dict) -> None:
    """A spinach leaf along X: a thin blade, broadest towards its stalk (at -X), cupped across
    (``cup``), rippled along its edges (``wave``, ``phase``) and curled along (``curl``), with a
    pale midrib and a short stalk."""
    n, s = 7, 8
    t = np.linspace(0, 1, n)
    half = 0.5 * np.sin(np.clip(t, 0.04, 0.96) * math.pi) ** 0.7 * (1.1 - 0.3 * t)
    phis = TAU * np.arange(s + 1) / s
    c, sn = np.cos(phis), np.sin(phis)
    ripple = q["wave"] * np.sin(t * 5 * math.pi + q["phase"])
    z = (0.03 * sn[None, :] + q["cup"] * c[None, :] ** 2 + ripple[:, None] * np.abs(c)[None, :]
         + q["curl"] * (t[:, None] - 0.5) ** 2)  # fmt: skip
    pts = np.stack(
        [np.broadcast_to((t - 0.5)[:, None], z.shape), half[:, None] * c[None, :], z], -1
    )
    uvs = np.stack(np.broadcast_arrays(t[:, None], (c[None, :] + 1) / 2), axis=-1)
    col = _variant(p, "colors", q)
    mat = b.slot("leaf", lambda name: leaf_blade(name, col))
    base, tip = pts[0, :s].mean(axis=0), pts[-1, :s].mean(axis=0)
    b.grid(pts[:, :s], mat, uvs, caps=(base, tip))
    stalk = b.slot("stalk", lambda name: principled(name, shade(col, 1.35), 0.55))
    tube(b, np.array([base + (0.02, 0, 0), base - (0.12, 0, 0.01), base - (0.25, 0, 0.03)]),
         np.array([0.035, 0.028, 0.022]), stalk, 4)  # fmt: skip


def leaf_blade(name: str, color: list[float]) -> bpy.types.Material:
    """A dark, slightly glossy leaf blade, mottled, its pale midrib along the UV's u."""
    mat, bsdf, nt, cr = skin(name, [(0.25, shade(color, 0.7)), (0.75, color)], 40.0, 0.5)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["UV"], sep.inputs["Vector"])
    off = nt.nodes.new("ShaderNodeMath")
    off.operation = "SUBTRACT"
    nt.links.new(sep.outputs["Y"], off.inputs[0])
    off.inputs[1].default_value = 0.5
    dist = nt.nodes.new("ShaderNodeMath")
    dist.operation = "ABSOLUTE"
    nt.links.new(off.outputs["Value"], dist.inputs[0])
    rib = ramp(nt, [(0.0, [1, 1, 1]), (0.03, [1, 1, 1]), (0.06, [0, 0, 0])])
    nt.links.new(dist.outputs["Value"], rib.inputs["Fac"])
    nt.links.new(mix_rgb(nt, rib.outputs["Color"], cr.outputs["Color"], shade(color, 1.7)),
                 bsdf.inputs["Base Color"])  # fmt: skip
    set_inputs(bsdf, Specular_IOR_Level=0.35)
    return mat


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
    "fold": fold_piece, "shrimp": shrimp_piece, "shrimp_heap": shrimp_heap_piece, "cob": cob_piece, "bean": bean_piece,
    "leaf": leaf_piece, "roll": roll_piece, "cheese_slice": cheese_slice_piece,
    "apple": _food_piece(apple), "tomato": _food_piece(tomato),
    "egg": _food_piece(egg), "banana": _food_piece(banana),
}  # fmt: skip


def pieces(b: MeshBuilder, p: dict) -> None:
    """Every piece of a group."""
    for q in p["pieces"]:
        place(b, PIECES[q["kind"]], q, p)
