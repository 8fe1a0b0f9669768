"""Shader node materials of the procedural food (Cycles, built through ``bpy.data``).

Basic building blocks (`new_material`, `principled`, `glass`, `printed` label images drawn by
`label_art`, node helpers `ramp`, `noise`, `mix_rgb`, `bump`, `skin`), colour helpers (`shade`,
`mix`) and the grocery materials: clear film, nets, plastics, mottled, speckled and streaked
surfaces.
"""

from __future__ import annotations

import numpy as np

from ..blender import bpy
from ..materials import see_through
from .label_art import draw_label

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
    """Draw the label with Pillow into an in-memory Blender image.

    Cycles reads the image's pixel buffer as it is; packing it (a PNG encode per label) is left
    to `worker.save_blend`, the only place that writes a .blend.
    """
    pil = draw_label(label, width, height)
    px = np.asarray(pil, dtype=np.float32)[::-1] / 255.0
    rgba = np.concatenate([px, np.ones((*px.shape[:2], 1), np.float32)], axis=-1)
    img = bpy.data.images.new(name, width, height, alpha=False)
    img.pixels.foreach_set(rgba.ravel())
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


def overlay(nt: bpy.types.NodeTree, bsdf, cr, mask, stops: list, color: list[float]) -> None:
    """Paint `color` over the colour ramp `cr` where the texture `mask` passes the ramp `stops`
    (streaks, speckles, fat veins), into the BSDF's base colour."""
    fac = ramp(nt, stops)
    nt.links.new(mask.outputs["Fac"], fac.inputs["Fac"])
    col = mix_rgb(nt, fac.outputs["Color"], cr.outputs["Color"], color)
    nt.links.new(col, bsdf.inputs["Base Color"])


def shade(color: list[float], k: float) -> list[float]:
    """`color` scaled by k (clipped)."""
    return [min(1.0, max(0.0, c * k)) for c in color[:3]]


def mix(a: list[float], b: list[float], t: float) -> list[float]:
    """Linear blend of two colours."""
    return [x + (y - x) * t for x, y in zip(a[:3], b[:3], strict=True)]


# --------------------------------------------------------------------------------------------
# Grocery materials: clear film, nets, plastics, mottled and streaked surfaces


def film(
    name: str, tint: list[float], roughness: float = 0.08, transparency: float = 0.9
) -> bpy.types.Material:
    """Clear plastic film or thin clear plastic: transparent with a glossy, Fresnel-weighted layer
    (white reflections, the weight wrinkled by a noise)."""
    return see_through(
        name,
        tint,
        transparency,
        roughness,
        clear_color=linear(tint),
        tint_reflections=False,
        blend=0.3,
        blend_from=lambda nt: noise(nt, 40.0, detail=2.0).outputs["Fac"],
        weight="Facing",
    )


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
    stops = [(0.0, [0, 0, 0]), (0.72 - 0.15 * amount, [0, 0, 0]), (0.76 - 0.15 * amount, [1, 1, 1])]
    overlay(nt, bsdf, cr, sp, stops, speck)
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
