"""Builders of the grocery classes that are not plain piece groups (see `grocery_params`).

Eggs (loose or in cartons), milk bottles, cream, cheese packs, tubs, goat cheese, spinach, green
beans, corn, bread, pantry goods (bags, sugar cubes, storage jars) and chocolate. Same conventions
as every builder: one mesh object per item, origin at the bottom centre, front -Y, vertices
fitted to ``params["size"]``. Groups are built piece by piece (`pieces`); containers, film,
stickers and bags are added around them (`packs`). Pieces share a few material variants
(``mat``) through `MeshBuilder.prefix`.
"""

from __future__ import annotations

import math

import numpy as np

from ..blender import bpy
from ..placement import euler_matrix
from .fresh import cheese_block, cheese_segment
from .mesh import (
    TAU,
    Array,
    MeshBuilder,
    axis_body,
    band_mats,
    box_shell,
    insert_rows,
    labelled_lathe,
    lathe,
    moved,
    open_box,
    pillow,
    printed_slab,
    prism,
    ring_uvs,
    rounded_rect,
    transform_new,
    tube,
    wrap_uvs,
)
from .packaged import add_liquid, butter_pack, carton, yogurt_cup
from .packs import group_bounds, produce, tray_pack
from .pieces import crust_material, kernel_material, pieces
from .shading import (
    bump,
    film,
    label_size,
    mix_rgb,
    mottled,
    new_material,
    noise,
    plastic,
    principled,
    printed,
    ramp,
    set_inputs,
    shade,
)


def eggs(b: MeshBuilder, p: dict) -> None:
    """Loose eggs, an egg carton (open with its eggs and the lid up, or closed), or eggs in a
    lidless holder."""
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
    elif kind == "holder":  # opaque white plastic
        mat = b.slot("carton", lambda n: plastic(n, c["color"], False, 0.35))
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
    if p["style"] == "holder":
        return
    lab = p["label"]
    top_mat = b.slot("lid_print", lambda n: printed(n, lab, label_size(sx, sy + lid_h), 0.6))
    tf = float(lab["top_fraction"])

    def lid() -> None:
        """The lid as a box open below, built upright at the origin (hinge on its back bottom edge)."""

        def top_uv(pts: Array) -> Array:
            return np.column_stack([0.5 + pts[:, 0] / sx, (1 - tf) + tf * (0.5 + pts[:, 1] / sy)])

        box_shell(
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
    prof = insert_rows(prof, [lo, hi])
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
        b.grid(lathe(prof, n_seg), band_mats(prof, lo, hi, paper, shell), wrap_uvs(prof, n_seg, lo, hi),
               caps=((0, 0, 0.003), (0, 0, 0.96 * h)))  # fmt: skip
        add_liquid(b, prof, p["fill"] * 0.88 * h, 0.003, milk, n_seg)
    else:
        body = b.slot(
            "body", lambda n: principled(n, p["body_color"], 0.45 if style == "jug" else 0.3)
        )
        b.grid(lathe(prof, n_seg, squarish), band_mats(prof, lo, hi, paper, body), wrap_uvs(prof, n_seg, lo, hi),
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
        yogurt_cup(b, p)
    else:
        carton(b, p)


def cheese_pack(b: MeshBuilder, p: dict) -> None:
    """A bare segment of a waxed wheel, cheese in film or paper, or a flat pack of slices."""
    if p["style"] == "slices":
        tray_pack(b, p)
        return
    if p["style"] == "waxed":
        cheese_segment(b, p)
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
        cheese_block(b, inner)
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
        box_shell(b, sx, sy, sz, 0.003, mat, mat, mat)
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
            yogurt_cup(b, {**p, "cup_color": p["tub_color"], "rim": 0.003})
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
        box_shell(b, sx, sy, sz, min(sy, sz) * 0.3, wrap, wrap, wrap)
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
    """A bag of leaves: loose leaves (pieces) around a core of pressed ones inside a clear
    pillow bag with a printed header."""
    sx, sy, sz = p["size"]
    pieces(b, p)
    leaves = b.slot("leaves", lambda n: leaf_material(n, shade(p["leaf"], 0.45), p["leaf_scale"]))
    f = p["fill"]
    pillow(b, sx * 0.55, sy * 0.45, sz * f * 0.45, leaves, 0.04, flat_ends=0.3)
    # clearer than other bags: dark leaves behind a hazier film read as a grey bag
    film_mat = b.slot("film", lambda n: film(n, p["film"]["tint"], p["film"]["roughness"], 0.94))
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
            "film", lambda n: film(n, bag["film"]["tint"], bag["film"]["roughness"], 0.92)
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
    top_mat = metal
    if style == "open_tin":
        top_mat = b.slot("kernels", lambda n: kernel_material(n, p["kernel"]))
    labelled_lathe(b, prof, 32, lo, hi, paper, metal, ((0, 0, 0.002), (0, 0, h - 0.004)),
                   cap_mats=(metal, top_mat), cap_uv=lambda q: q[:, :2] * 40)  # fmt: skip


def bread(b: MeshBuilder, p: dict) -> None:
    """A sliced loaf in a clear bag tied at one end, a crusty loaf, rolls or a stack of slices."""
    style = p["style"]
    if style == "rolls":
        produce(b, p)
        return
    if style == "stack":
        bread_stack(b, p)
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
        lambda: box_shell(b, 0.006, 0.025, 0.02, 0.001, clip, clip, clip),
        (x0 + tail * 0.5, 0, cz - 0.01),
    )


def bread_stack(b: MeshBuilder, p: dict) -> None:
    """Square slices of a sandwich loaf lying one on another, each a little shifted and turned
    (crust round the edge, crumb on both faces), tightly wrapped in cling film."""
    cols = p["colors"]
    crust = b.slot("crust", lambda n: mottled(n, [(0.3, shade(cols["crust"], 0.8)), (0.7, cols["crust"])],
                                              15.0, 0.7))  # fmt: skip
    crumb = b.slot("crumb", lambda n: mottled(n, [(0.4, shade(cols["crumb"], 0.9)), (0.6, cols["crumb"])],
                                              80.0, 0.85))  # fmt: skip
    sx, sy = p["slice_size"]
    t = p["slice"]
    ring = rounded_rect(sx, sy, 0.012)
    for k, (dx, dy, turn) in enumerate(p["slices"]):
        z0, z1 = k * t, (k + 0.97) * t
        pts = prism(ring, [z0, z0 + 0.0015, z1 - 0.0015, z1], [0.002, 0.0, 0.0, 0.002])
        moved(b, lambda pts=pts, z0=z0, z1=z1: b.grid(pts, crust, caps=((0, 0, z0), (0, 0, z1)),
              cap_mats=(crumb, crumb)), (dx, dy, 0.0), (0.0, 0.0, math.radians(turn)))  # fmt: skip
    wrap = b.slot("film", lambda n: film(n, p["wrap_tint"], 0.06, 0.92))
    w, d, h = p["size"]
    outline = rounded_rect(w, d, 0.012)
    b.grid(prism(outline, [0.0, 0.002, h - 0.003, h], [0.003, 0.0, 0.0, 0.004]), wrap,
           caps=((0, 0, 0), (0, 0, h)), smooth=False)  # fmt: skip


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
        box_shell(b, sx, sy, sz, p["bevel"], mat, plain, plain)
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
    fold_mat = plain
    if p.get("top_color") is not None:  # the folded top printed solid in the brand colour
        fold_mat = b.slot("top", lambda n: principled(n, p["top_color"], 0.55))
    top_mat = fold_mat
    if p["open"]:
        top_mat = b.slot(
            "powder",
            lambda n: mottled(n, [(0.3, [0.93, 0.92, 0.9]), (0.7, [0.98, 0.98, 0.97])], 80.0, 0.9),
        )
    b.grid(pts, [plain, printed_mat, printed_mat, fold_mat, fold_mat], uvs, caps=((0, 0, 0), (0, 0, zs[-1])),
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
    prof = insert_rows(prof, [lo, hi])
    glass_mat = b.slot("glass", lambda n: film(n, [0.94, 0.97, 0.96], 0.03, 0.88))
    paper = glass_mat
    if p["has_label"]:
        paper = b.slot("label", lambda n: printed(n, p["label"], label_size(TAU * r, hi - lo), 0.6))
    labelled_lathe(b, prof, n_seg, lo, hi, paper, glass_mat, ((0, 0, 0.003), (0, 0, body_top)))
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
    butter_pack(b, p)
