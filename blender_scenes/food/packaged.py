"""Builders of the packaged items among the original fifteen classes.

Cartons, cans, glass and water bottles, jars, yogurt cups and butter packs: ``builder(b, p)``
adds the item's shells to the `MeshBuilder` ``b`` from its params ``p`` (`params`).
"""

from __future__ import annotations

import math

import numpy as np

from ..blender import bpy
from .mesh import (
    TAU,
    Array,
    MeshBuilder,
    band_mats,
    box_shell,
    insert_rows,
    labelled_lathe,
    lathe,
    perimeter_u,
    prism,
    rect_ring,
    wrap_uvs,
)
from .shading import glass, mix_rgb, principled, printed, set_inputs, shade, skin


def carton(b: MeshBuilder, p: dict) -> None:
    """Milk/juice carton: printed box with a gable roof and fin, or a flat brick with a screw cap."""
    sx, sy, _ = p["size"]
    top, lab = p["top"], p["label"]
    body = top["body_height"]
    fill = float(lab.get("fill", 1.0))
    perim = 2 * (sx + sy)
    size = (512, int(np.clip(512 * body / perim / fill, 128, 1024)))
    printed_mat = b.slot("print", lambda n: printed(n, lab, size, p["roughness"], Coat_Weight=0.25))
    plain = b.slot("carton", lambda n: principled(n, p["carton_color"], p["roughness"]))
    ring = rect_ring(sx, sy)
    u = perimeter_u(ring)
    if top["type"] == "gable":
        gh, fin = top["gable_height"], top["fin"]
        ridge = rect_ring(sx, 0.003)
        pts = np.array([prism(ring, [0.0, body])[0], prism(ring, [body])[0],
                        prism(ridge, [body + gh])[0], prism(ridge, [body + gh + fin])[0]])  # fmt: skip
        v = np.array([0.0, fill, 1.0, 1.0])
        uvs = np.stack(np.broadcast_arrays(u[None, :], v[:, None]), axis=-1)
        b.grid(
            pts,
            [printed_mat, printed_mat, plain],
            uvs,
            caps=((0, 0, 0), (0, 0, body + gh + fin)),
            cap_mats=(plain, plain),
        )
    else:
        pts = prism(ring, [0.0, body])
        uvs = np.stack(np.broadcast_arrays(u[None, :], np.array([0.0, fill])[:, None]), axis=-1)
        b.grid(pts, printed_mat, uvs, caps=((0, 0, 0), (0, 0, body)), cap_mats=(plain, plain))
        cap = b.slot("cap", lambda n: principled(n, top["cap_color"], 0.4))
        r, h, off = top["cap_diameter"] / 2, top["cap_height"], top["cap_offset"]
        prof = np.array([(r, body - 0.001), (r, body + h - 0.002), (r * 0.9, body + h)])
        pts = lathe(prof, 16) + np.array([off, -sy * 0.15, 0.0])
        b.grid(pts, cap, caps=((off, -sy * 0.15, body - 0.001), (off, -sy * 0.15, body + h)))


def can(b: MeshBuilder, p: dict) -> None:
    """Drinks can: printed body, necked top with a lid, domed bottom rim."""
    d, _, h = p["size"]
    r = d / 2
    metal = b.slot("metal", lambda n: principled(n, p["metal_color"], p["metal_roughness"],
                                                  Metallic=1.0, Anisotropic=0.5))  # fmt: skip
    lo, hi = 0.011, h - 0.014
    size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 96, 512)))
    body = b.slot("print", lambda n: printed(n, p["label"], size, 0.25,
                                             Metallic=p["print_metallic"], Coat_Weight=0.4))  # fmt: skip
    prof = np.array([(r * 0.8, 0.0), (r * 0.9, 0.002), (r * 0.985, 0.006), (r, lo),
                     (r, (lo + hi) / 2), (r, hi), (r * 0.93, h - 0.008), (r * 0.86, h - 0.003),
                     (r * 0.87, h), (r * 0.84, h - 0.001), (r * 0.82, h - 0.003)])  # fmt: skip
    caps = ((0, 0, 0.004), (0, 0, h - 0.003))
    labelled_lathe(b, prof, 32, lo, hi, body, metal, caps, cap_mats=(metal, metal))


def bottle_profile(r: float, h: float, shoulder: float, neck: float, style: str) -> Array:
    """(r, z) outline of a bottle: base, body, curved shoulder, neck and lip."""
    base = [(r * 0.82, 0.0), (r * 0.96, 0.003), (r, 0.012)]
    body = [(r, z * h) for z in np.linspace(0.012 / h + 0.02, shoulder, 4)]
    z_neck = {"wine": 0.74, "beer": 0.74, "beer_long": 0.7, "soda": 0.68, "water": 0.86}[style]
    t = np.linspace(0, 1, 7)[1:]
    blend = 0.5 + 0.5 * np.cos(np.pi * t)
    sh = [(neck * r + (1 - neck) * r * bl, h * (shoulder + (z_neck - shoulder) * tt))
          for tt, bl in zip(t, blend, strict=True)]  # fmt: skip
    taper = 0.85 if style.startswith("beer") or style == "soda" else 1.0
    neck_pts = [(neck * r * (1 + (taper - 1) * k), h * (z_neck + (0.955 - z_neck) * k))
                for k in (0.5, 1.0)]  # fmt: skip
    lip = [(neck * r * taper * 1.12, 0.965 * h), (neck * r * taper * 1.12, 0.99 * h),
           (neck * r * taper * 0.95, h)]  # fmt: skip
    return np.array(base + body + sh + neck_pts + lip)


def liquid_profile(outer: Array, fill_z: float, wall: float) -> Array | None:
    """Inner (r, z) outline of a liquid column filling `outer` up to fill_z, `wall` inside it."""
    if fill_z <= wall * 2:
        return None
    zs = outer[:, 1]
    keep = (zs > wall) & (zs < fill_z)
    rs = np.interp(np.concatenate([[wall], zs[keep], [fill_z]]), zs, outer[:, 0]) - wall
    prof = np.column_stack([np.maximum(rs, wall), np.concatenate([[wall], zs[keep], [fill_z]])])
    return prof


def add_liquid(
    b: MeshBuilder, outer: Array, fill_z: float, wall: float, mat: int, n_seg: int
) -> None:
    """A closed liquid column inside a lathe outline."""
    prof = liquid_profile(outer, fill_z, wall)
    if prof is not None:
        b.grid(lathe(prof, n_seg), mat, caps=((0, 0, prof[0, 1]), (0, 0, prof[-1, 1])))


def glass_bottle(b: MeshBuilder, p: dict) -> None:
    """Wine/beer/soda bottle: glass shell, liquid, paper band label and a cap or foil capsule."""
    d, _, h = p["size"]
    r, n_seg = d / 2, 24
    glass_mat = b.slot("glass", lambda n: glass(n, p["glass_color"], 1.5, 0.02))
    prof = bottle_profile(r, h, p["shoulder"], p["neck_ratio"], p["style"])
    lo, hi = (f * p["shoulder"] * h for f in p["band"])
    prof = insert_rows(prof, [lo, hi])
    size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
    paper = b.slot("label", lambda n: printed(n, p["label"], size, 0.55))
    caps = ((0, 0, 0.004), (0, 0, h))
    labelled_lathe(b, prof, n_seg, lo, hi, paper, glass_mat, caps, cap_mats=(glass_mat, glass_mat))
    liquid = b.slot("liquid", lambda n: glass(n, p["liquid_color"], 1.33, 0.0))
    add_liquid(b, prof, p["fill"] * h * 0.72, 0.0025, liquid, n_seg)
    cap = b.slot("cap", lambda n: principled(n, p["cap_color"], 0.3, Metallic=0.8))
    rn = p["neck_ratio"] * r * (1.0 if p["style"] == "wine" else 0.85)
    z0 = h * (0.85 if p["cap"] == "capsule" else 0.96)
    cprof = np.array(
        [(rn * 1.06, z0), (rn * 1.16, h - 0.004), (rn * 1.16, h - 0.001), (rn * 1.1, h)]
    )
    b.grid(lathe(cprof, 16), cap, caps=((0, 0, z0), (0, 0, h)))


def water_bottle(b: MeshBuilder, p: dict) -> None:
    """PET water bottle: clear ribbed shell, water, band label and a coloured screw cap."""
    d, _, h = p["size"]
    r, n_seg = d / 2, 24
    pet = b.slot("pet", lambda n: glass(n, p["tint"], 1.45, 0.05))
    prof = bottle_profile(r, h, p["shoulder"], p["neck_ratio"], "water")
    lo, hi = (f * h for f in p["band"])
    zs = list(np.linspace(0.05 * h, p["shoulder"] * h, 10))
    prof = insert_rows(prof, zs + [lo, hi])
    zc = prof[:, 1] / h
    in_zone = (
        (zc > 0.06) & (zc < p["shoulder"] - 0.02) & ((zc < p["band"][0]) | (zc > p["band"][1]))
    )
    groove = in_zone & (np.arange(len(zc)) % 2 == 0) & (p["ribs"] > 0)
    waist = 1 - p["waist"] * np.exp(-(((zc - 0.45) / 0.12) ** 2))
    prof[:, 0] *= np.where(groove, 0.965, 1.0) * waist
    size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
    paper = b.slot("label", lambda n: printed(n, p["label"], size, 0.35, Coat_Weight=0.5))
    b.grid(
        lathe(prof, n_seg),
        band_mats(prof, lo, hi, paper, pet),
        wrap_uvs(prof, n_seg, lo, hi),
        caps=((0, 0, 0.006), (0, 0, 0.93 * h)),
        cap_mats=(pet, pet),
    )
    water = b.slot("water", lambda n: glass(n, [0.97, 0.99, 1.0], 1.33, 0.0))
    add_liquid(b, prof, p["fill"] * 0.86 * h, 0.0015, water, n_seg)
    cap = b.slot("cap", lambda n: principled(n, p["cap_color"], 0.45))
    rc = p["neck_ratio"] * r * 1.15
    cprof = np.array([(rc, 0.93 * h), (rc, h - 0.002), (rc * 0.95, h)])
    b.grid(lathe(cprof, 16), cap, caps=((0, 0, 0.93 * h), (0, 0, h)))


def jar(b: MeshBuilder, p: dict) -> None:
    """Glass jar: straight body, rounded shoulder, coloured contents, metal lid, band label."""
    d, _, h = p["size"]
    r, n_seg, lid_h = d / 2, 24, p["lid_height"]
    rl = r * p["lid_ratio"]
    z_sh = h - lid_h - p["shoulder"] * h
    t = np.linspace(0, 1, 5)[1:]
    shoulder = [(rl * 0.98 + (r - rl * 0.98) * math.cos(tt * math.pi / 2), z_sh + (h - lid_h - z_sh) * math.sin(tt * math.pi / 2))
                for tt in t]  # fmt: skip
    prof = np.array([(r * 0.85, 0.0), (r * 0.97, 0.002), (r, 0.008), (r, z_sh * 0.5), (r, z_sh),
                     *shoulder, (rl * 0.96, h - lid_h * 0.5), (rl * 0.9, h - lid_h * 0.5)])  # fmt: skip
    lo, hi = (f * z_sh for f in p["band"])
    prof = insert_rows(prof, [lo, hi])
    glass_mat = b.slot("glass", lambda n: glass(n, [0.95, 0.97, 0.96], 1.5, 0.03))
    paper = glass_mat
    if p["has_label"]:
        size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
        paper = b.slot("label", lambda n: printed(n, p["label"], size, 0.6))
    caps = ((0, 0, 0.003), (0, 0, h - lid_h * 0.5))
    labelled_lathe(b, prof, n_seg, lo, hi, paper, glass_mat, caps, cap_mats=(glass_mat, glass_mat))
    food = b.slot("contents", lambda n: contents_material(n, p))
    add_liquid(b, prof, max(p["fill"] * z_sh, 0.01), 0.002, food, n_seg)
    lid = b.slot("lid", lambda n: lid_material(n, p))
    lprof = np.array([(rl, h - lid_h), (rl, h - 0.002), (rl * 0.97, h), (rl * 0.9, h)])
    b.grid(lathe(lprof, n_seg), lid, caps=((0, 0, h - lid_h), (0, 0, h)))


def contents_material(name: str, p: dict) -> bpy.types.Material:
    """Jar contents: jam/sauce/honey colour, glossy, chunky variation for pickles and jams."""
    color = p["contents_color"]
    stops = (
        [(0.3, shade(color, 0.6)), (0.7, color)]
        if p["chunky"]
        else [(0.4, shade(color, 0.9)), (0.6, color)]
    )
    mat, bsdf, _, _ = skin(name, stops, 150.0 if p["chunky"] else 40.0, 0.2)
    if p["contents"] == "HONEY":
        set_inputs(bsdf, Transmission_Weight=0.7, IOR=1.5)
    return mat


def lid_material(name: str, p: dict) -> bpy.types.Material:
    """Metal or painted screw lid; gingham or dotted cloth-like print on some."""
    mat = principled(name, p["lid_color"], 0.3, Metallic=0.7)
    if p["lid_pattern"] != "plain":
        nt = mat.node_tree
        bsdf = nt.nodes["Principled BSDF"]
        coord = nt.nodes.new("ShaderNodeTexCoord")
        tex = nt.nodes.new(
            "ShaderNodeTexChecker" if p["lid_pattern"] == "gingham" else "ShaderNodeTexVoronoi"
        )
        tex.inputs["Scale"].default_value = 150.0 if p["lid_pattern"] == "gingham" else 120.0
        nt.links.new(coord.outputs["Object"], tex.inputs["Vector"])
        fac = tex.outputs["Fac"] if p["lid_pattern"] == "gingham" else tex.outputs["Distance"]
        col = mix_rgb(nt, fac, p["lid_color"], [0.95, 0.95, 0.92])
        nt.links.new(col, bsdf.inputs["Base Color"])
        set_inputs(bsdf, Metallic=0.0, Roughness=0.6)
    return mat


def yogurt_cup(b: MeshBuilder, p: dict) -> None:
    """Tapered cup with a printed wrap, a rolled rim and a printed foil lid on top."""
    d, _, h = p["size"]
    r, n_seg, rim = d / 2, 32, p["rim"]
    rb = r * p["taper"]
    lo, hi = 0.004, h - rim * 2
    prof = np.array([(rb - 0.002, 0.0), (rb - 0.0005, 0.001), (rb, lo), (rb + (r - rim - rb) * 0.5, (lo + hi) / 2),
                     (r - rim, hi), (r, h - rim * 1.2), (r, h - 0.0005), (r - 0.0008, h)])  # fmt: skip
    size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
    cup = b.slot("cup", lambda n: principled(n, p["cup_color"], 0.35))
    wrap = b.slot("print", lambda n: printed(n, p["label"], size, 0.35, Coat_Weight=0.3))
    foil = p["lid_label"].get("foil", False)
    lid = b.slot("lid", lambda n: printed(n, p["lid_label"], (256, 256), 0.3 if foil else 0.45,
                                          Metallic=0.7 if foil else 0.0))  # fmt: skip
    rr = r - 0.0008

    def lid_uv(pts: Array) -> Array:
        """Planar UVs of the lid: image top towards +Y."""
        return np.column_stack([0.5 + pts[:, 0] / (2 * rr), 0.5 + pts[:, 1] / (2 * rr)])

    b.grid(
        lathe(prof, n_seg),
        band_mats(prof, lo, hi, wrap, cup),
        wrap_uvs(prof, n_seg, lo, hi),
        caps=((0, 0, 0.001), (0, 0, h)),
        cap_mats=(cup, lid),
        cap_uv=lid_uv,
    )


def butter_pack(b: MeshBuilder, p: dict) -> None:
    """Wrapped butter block: printed top face and side strip, foil or paper."""
    sx, sy, sz = p["size"]
    lab = p["label"]
    tf = float(lab["top_fraction"])
    size = (512, int(np.clip(512 * (sy + sz) / sx, 128, 1024)))
    foil = p["foil"]
    wrap = b.slot("wrap", lambda n: printed(n, lab, size, 0.35 if foil else 0.6,
                                            Metallic=0.6 if foil else 0.0))  # fmt: skip

    def top_uv(pts: Array) -> Array:
        """Top face UVs in the upper part of the image."""
        return np.column_stack([0.5 + pts[:, 0] / sx, (1 - tf) + tf * (0.5 + pts[:, 1] / sy)])

    box_shell(b, sx, sy, sz, p["bevel"], wrap, wrap, wrap, (0.0, 1 - tf), top_uv)
