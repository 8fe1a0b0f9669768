"""Build procedural food meshes and materials in Blender from `food_params` dicts.

Every item is one mesh object with its origin at the bottom centre, +Z up, its front/label facing
-Y and its vertices normalised to exactly fill ``params["size"]``. Only ``bpy.data`` and ``bmesh``
are used (no operators), and every data block (mesh, materials, images) is created through
``bpy.data`` so callers can remove them between scenes.
"""

from __future__ import annotations

import json
import logging
import math
import zlib
from collections.abc import Callable

import numpy as np

from .blender import bmesh, bpy
from .food_classes import ALL_CLASSES, CLASS_TABLE
from .labels import draw_label

log = logging.getLogger(__name__)

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
        verts = [[self.bm.verts.new(tuple(p)) for p in ring] for ring in pts]
        for i in range(n_rings - 1):
            for j in range(n_seg):
                k = (j + 1) % n_seg
                quad = [verts[i][j], verts[i][k], verts[i + 1][k], verts[i + 1][j]]
                quv = [uvs[i, j], uvs[i, j + 1], uvs[i + 1, j + 1], uvs[i + 1, j]]
                self.face(quad, [tuple(u) for u in quv], band_mats[i], smooth)
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


# --------------------------------------------------------------------------------------------
# Materials


def new_material(name: str) -> tuple[bpy.types.Material, bpy.types.Node, bpy.types.NodeTree]:
    """A new material with its default Principled BSDF."""
    mat = bpy.data.materials.new(name)
    nt = mat.node_tree
    bsdf = nt.nodes.get("Principled BSDF") or nt.nodes.new("ShaderNodeBsdfPrincipled")
    return mat, bsdf, nt


def linear(color: list[float]) -> tuple[float, float, float, float]:
    """An sRGB colour from the params as a scene-linear RGBA tuple for shader sockets."""
    c = np.clip(np.asarray(color[:3], float), 0.0, 1.0)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return (*(float(x) for x in lin), 1.0)


def set_inputs(node: bpy.types.Node, **values) -> None:
    """Set node inputs by name, underscores for spaces (Base_Color=...); colours are sRGB."""
    for key, val in values.items():
        sock = node.inputs[key.replace("_", " ")]
        sock.default_value = linear(val) if isinstance(val, list | tuple) else val


def principled(name: str, color: list[float], roughness: float, **extra) -> bpy.types.Material:
    """A plain Principled material (viewport colour set too)."""
    mat, bsdf, _ = new_material(name)
    set_inputs(bsdf, Base_Color=color, Roughness=roughness, **extra)
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def glass(
    name: str, color: list[float], ior: float = 1.5, roughness: float = 0.02
) -> bpy.types.Material:
    """Clear or tinted glass / PET: full transmission, low roughness."""
    mat = principled(name, color, roughness, Transmission_Weight=1.0, IOR=ior)
    mat.diffuse_color = (*color[:3], 0.3)
    return mat


def label_image(name: str, label: dict, width: int, height: int) -> bpy.types.Image:
    """Draw the label with Pillow and store it as a packed Blender image."""
    pil = draw_label(label, width, height)
    px = np.asarray(pil, dtype=np.float32)[::-1] / 255.0
    rgba = np.concatenate([px, np.ones((*px.shape[:2], 1), np.float32)], axis=-1)
    img = bpy.data.images.new(name, width, height, alpha=False)
    img.pixels.foreach_set(rgba.ravel())
    img.pack()
    return img


def printed(
    name: str, label: dict, size: tuple[int, int], roughness: float, **extra
) -> bpy.types.Material:
    """A printed surface: label texture (UV) into Base Color."""
    mat, bsdf, nt = new_material(name)
    tex = nt.nodes.new("ShaderNodeTexImage")
    tex.image = label_image(f"{name}.img", label, *size)
    nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    set_inputs(bsdf, Roughness=roughness, **extra)
    mat.diffuse_color = (*label["palette"][0], 1.0)
    return mat


def ramp(nt: bpy.types.NodeTree, stops: list[tuple[float, list[float]]], constant: bool = False):
    """A colour ramp node with the given (position, rgb) stops."""
    node = nt.nodes.new("ShaderNodeValToRGB")
    cr = node.color_ramp
    cr.interpolation = "CONSTANT" if constant else "LINEAR"
    while len(cr.elements) < len(stops):
        cr.elements.new(0.5)
    for el, (pos, col) in zip(cr.elements, stops, strict=True):
        el.position = pos
        el.color = linear(col)
    return node


def noise(nt: bpy.types.NodeTree, scale: float, detail: float = 2.0, stretch: tuple | None = None):
    """A Noise texture on object coordinates (optionally stretched per axis)."""
    coord = nt.nodes.new("ShaderNodeTexCoord")
    node = nt.nodes.new("ShaderNodeTexNoise")
    set_inputs(node, Scale=scale, Detail=detail)
    if stretch:
        mapping = nt.nodes.new("ShaderNodeMapping")
        mapping.inputs["Scale"].default_value = stretch
        nt.links.new(coord.outputs["Object"], mapping.inputs["Vector"])
        nt.links.new(mapping.outputs["Vector"], node.inputs["Vector"])
    else:
        nt.links.new(coord.outputs["Object"], node.inputs["Vector"])
    return node


def mix_rgb(nt: bpy.types.NodeTree, fac, a, b, blend: str = "MIX"):
    """A colour Mix node fed by sockets (or constants) fac, a, b; returns its colour output."""
    node = nt.nodes.new("ShaderNodeMix")
    node.data_type = "RGBA"
    node.blend_type = blend
    for idx, val in ((0, fac), (6, a), (7, b)):
        if isinstance(val, bpy.types.NodeSocket):
            nt.links.new(val, node.inputs[idx])
        elif isinstance(val, list | tuple):
            node.inputs[idx].default_value = linear(val)
        else:
            node.inputs[idx].default_value = val
    return node.outputs[2]


def bump(
    nt: bpy.types.NodeTree, bsdf: bpy.types.Node, height, strength: float, distance: float
) -> None:
    """Feed a height socket into the BSDF normal through a Bump node."""
    node = nt.nodes.new("ShaderNodeBump")
    set_inputs(node, Strength=strength, Distance=distance)
    nt.links.new(height, node.inputs["Height"])
    nt.links.new(node.outputs["Normal"], bsdf.inputs["Normal"])


def skin(
    name: str,
    colors: list[tuple[float, list[float]]],
    scale: float,
    roughness: float,
    pores: float = 0.0,
    pore_strength: float = 0.2,
) -> tuple:
    """Fruit skin: noise-varied colour, optional pore bump; returns material, BSDF, tree, ramp."""
    mat, bsdf, nt = new_material(name)
    tex = noise(nt, scale, detail=3.0)
    cr = ramp(nt, colors)
    nt.links.new(tex.outputs["Fac"], cr.inputs["Fac"])
    nt.links.new(cr.outputs["Color"], bsdf.inputs["Base Color"])
    set_inputs(bsdf, Roughness=roughness)
    if pores > 0:
        fine = noise(nt, pores, detail=1.0)
        bump(nt, bsdf, fine.outputs["Fac"], pore_strength, 0.0005)
    mat.diffuse_color = (*colors[len(colors) // 2][1][:3], 1.0)
    return mat, bsdf, nt, cr


def shade(color: list[float], k: float) -> list[float]:
    """`color` scaled by k (clipped)."""
    return [min(1.0, max(0.0, c * k)) for c in color[:3]]


# --------------------------------------------------------------------------------------------
# Packaged items


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
    mats = band_mats(prof, lo, hi, body, metal)
    b.grid(
        lathe(prof, 32),
        mats,
        wrap_uvs(prof, 32, lo, hi),
        caps=((0, 0, 0.004), (0, 0, h - 0.003)),
        cap_mats=(metal, metal),
    )


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
    mats = band_mats(prof, lo, hi, paper, glass_mat)
    b.grid(
        lathe(prof, n_seg),
        mats,
        wrap_uvs(prof, n_seg, lo, hi),
        caps=((0, 0, 0.004), (0, 0, h)),
        cap_mats=(glass_mat, glass_mat),
    )
    liquid = b.slot("liquid", lambda n: glass(n, p["liquid_color"], 1.33, 0.0))
    add_liquid(b, prof, p["fill"] * h * 0.72, 0.0025, liquid, n_seg)
    cap = b.slot("cap", lambda n: principled(n, p["cap_color"], 0.3, Metallic=0.8))
    rn = p["neck_ratio"] * r * (1.0 if p["style"] == "wine" else 0.85)
    z0 = h * (0.85 if p["cap"] == "capsule" else 0.96)
    cprof = np.array(
        [(rn * 1.06, z0), (rn * 1.16, h - 0.004), (rn * 1.16, h - 0.001), (rn * 1.1, h)]
    )
    b.grid(lathe(cprof, 16), cap, caps=((0, 0, z0), (0, 0, h)))


def insert_rows(prof: Array, zs: list[float]) -> Array:
    """Add interpolated profile rows at heights `zs` (assumes z increasing where inserted)."""
    rows = [tuple(r) for r in prof]
    for z in zs:
        if prof[0, 1] < z < prof[-1, 1] and min(abs(rz[1] - z) for rz in rows) > 1e-4:
            rows.append((float(np.interp(z, prof[:, 1], prof[:, 0])), float(z)))
    rows.sort(key=lambda rz: rz[1])
    return np.array(rows)


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
    mats = band_mats(prof, lo, hi, glass_mat, glass_mat)
    if p["has_label"]:
        size = (512, int(np.clip(512 * (hi - lo) / (TAU * r), 64, 512)))
        paper = b.slot("label", lambda n: printed(n, p["label"], size, 0.6))
        mats = band_mats(prof, lo, hi, paper, glass_mat)
    b.grid(
        lathe(prof, n_seg),
        mats,
        wrap_uvs(prof, n_seg, lo, hi),
        caps=((0, 0, 0.003), (0, 0, h - lid_h * 0.5)),
        cap_mats=(glass_mat, glass_mat),
    )
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


# --------------------------------------------------------------------------------------------
# Fresh food


def sphere_profile(n_rows: int, radius: float, height: float) -> tuple[Array, Array]:
    """(r, z) rows of an ellipsoid from the bottom pole to the top pole (poles excluded), and s."""
    s = np.linspace(0, np.pi, n_rows + 2)[1:-1]
    return np.column_stack([radius * np.sin(s), height / 2 * (1 - np.cos(s))]), s


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
        fac = ramp(nt, [(0.45, [0, 0, 0]), (0.6, [0.6, 0.6, 0.6])])
        nt.links.new(streak.outputs["Fac"], fac.inputs["Fac"])
        col = mix_rgb(nt, fac.outputs["Color"], cr.outputs["Color"], shade(blush, 0.8))
        nt.links.new(col, bsdf.inputs["Base Color"])
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


def mix(a: list[float], b: list[float], t: float) -> list[float]:
    """Linear blend of two colours."""
    return [x + (y - x) * t for x, y in zip(a[:3], b[:3], strict=True)]


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
        fac = ramp(
            nt, [(0.0, [0, 0, 0]), (0.72 - 0.08 * p["speckles"], [0, 0, 0]), (0.8, [1, 1, 1])]
        )
        nt.links.new(sp.outputs["Fac"], fac.inputs["Fac"])
        col = mix_rgb(nt, fac.outputs["Color"], cr.outputs["Color"], shade(c, 0.6))
        nt.links.new(col, bsdf.inputs["Base Color"])
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


# --------------------------------------------------------------------------------------------


BUILDERS: dict[str, Callable[[MeshBuilder, dict], None]] = {
    "milk_carton": carton,
    "juice_carton": carton,
    "water_bottle": water_bottle,
    "glass_bottle": glass_bottle,
    "can": can,
    "jar": jar,
    "egg": egg,
    "apple": apple,
    "orange": orange,
    "lemon": lemon,
    "tomato": tomato,
    "banana": banana,
    "cheese_block": cheese_block,
    "yogurt_cup": yogurt_cup,
    "butter_pack": butter_pack,
}

ROUND_FRUIT = frozenset(c for c, t in CLASS_TABLE.items() if t.rolls)  # shaded smooth up to 75 degrees


def grocery_builders() -> dict[str, Callable[[MeshBuilder, dict], None]]:
    """Builders of the grocery classes (grocery.py builds on this module, hence the late import)."""
    from .grocery import BUILDERS as GROCERY

    return GROCERY


def build_food(
    cls: str, params: dict, name: str, collection: bpy.types.Collection
) -> bpy.types.Object:
    """Build one food item as a single mesh object linked into `collection`."""
    builder = BUILDERS.get(cls) or grocery_builders().get(cls)
    if builder is None:
        raise ValueError(f"unknown food class {cls!r}; known classes: {', '.join(ALL_CLASSES)}")
    b = MeshBuilder(name)
    if cls in ROUND_FRUIT:
        b.sharp_angle = math.radians(75)
    builder(b, params)
    ob = b.finish(params["size"], collection)
    ob["food_class"] = cls
    log.debug("built %s (%s): %d faces", name, cls, len(ob.data.polygons))
    return ob
