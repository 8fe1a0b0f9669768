"""Materials of the fridge itself: plastic, steel, glass panes and clear plastic.

See-through parts (glass shelves, drawer fronts) are mostly a Transparent BSDF with a weak
glossy layer (Cycles picks between the two per sample, so a strong glossy share is noisy); they, are also left out of the instance-id render layer, so the mask shows the food behind them as a
person sees it through the glass.
"""

from __future__ import annotations

from collections.abc import Callable

from .blender import bpy
from .description import SurfaceMaterial


def principled(
    name: str, color: list[float], roughness: float, metallic: float = 0.0
) -> bpy.types.Material:
    """A Principled BSDF material with base colour, roughness and metalness."""
    mat = bpy.data.materials.new(name)
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*color[:3], 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def wall_material(spec: SurfaceMaterial, name: str = "fridge_walls") -> bpy.types.Material:
    """Interior liner: plastic with gently varying gloss, or brushed steel.

    No bump map: a fine bump randomizes reflection normals per sample and turns glossy walls
    into salt-and-pepper noise that the denoiser then smears.
    """
    metallic = 1.0 if spec.kind == "steel" else 0.0
    mat = principled(name, spec.color, spec.roughness, metallic)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    noise = nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 6.0
    noise.inputs["Detail"].default_value = 2.0
    rough = nodes.new("ShaderNodeMapRange")
    rough.inputs["To Min"].default_value = spec.roughness * 0.8
    rough.inputs["To Max"].default_value = min(1.0, spec.roughness * 1.3)
    links.new(noise.outputs["Fac"], rough.inputs["Value"])
    links.new(rough.outputs["Result"], bsdf.inputs["Roughness"])
    return mat


def see_through(
    name: str,
    tint: list[float],
    transparency: float,
    roughness: float,
    *,
    clear_color: tuple[float, float, float, float] | None = None,
    tint_reflections: bool = True,
    blend: float = 0.25,
    blend_from: Callable[[bpy.types.NodeTree], bpy.types.NodeSocket] | None = None,
    weight: str = "Fresnel",
) -> bpy.types.Material:
    """Thin glass, clear plastic or film: a tinted Transparent BSDF mixed with a glossy layer.

    The glossy share is `1 - transparency`, raised towards grazing angles by a Layer Weight node
    (its `blend`, or the socket `blend_from(node_tree)` makes, e.g. a noise for film wrinkles;
    `weight`: the output used, ``Fresnel`` or ``Facing``). `clear_color` is the transparent
    part's RGBA (default: `tint` as given); `tint_reflections` tints the glossy layer too.
    """
    mat = bpy.data.materials.new(name)
    nt = mat.node_tree
    nodes, links = nt.nodes, nt.links
    nodes.remove(nodes["Principled BSDF"])
    out = nodes["Material Output"]
    clear = nodes.new("ShaderNodeBsdfTransparent")
    clear.inputs["Color"].default_value = clear_color or (*tint[:3], 1.0)
    gloss = nodes.new("ShaderNodeBsdfGlossy")
    gloss.inputs["Roughness"].default_value = roughness
    if tint_reflections:
        gloss.inputs["Color"].default_value = (*tint[:3], 1.0)
    fresnel = nodes.new("ShaderNodeLayerWeight")
    fresnel.inputs["Blend"].default_value = blend
    if blend_from is not None:
        links.new(blend_from(nt), fresnel.inputs["Blend"])
    mix_fac = nodes.new("ShaderNodeMath")
    mix_fac.operation = "MULTIPLY_ADD"
    mix_fac.inputs[1].default_value = 1.0 - transparency
    mix_fac.inputs[2].default_value = 1.0 - transparency
    links.new(fresnel.outputs[weight], mix_fac.inputs[0])
    mix = nodes.new("ShaderNodeMixShader")
    links.new(mix_fac.outputs[0], mix.inputs["Factor"])
    links.new(clear.outputs[0], mix.inputs[1])
    links.new(gloss.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (*tint[:3], 1.0 - transparency)
    return mat


def glass_pane(name: str = "glass_shelf") -> bpy.types.Material:
    """Shelf glass: mostly clear, faint green tint, sharp reflections at grazing angles."""
    return see_through(name, [0.88, 0.96, 0.92], transparency=0.96, roughness=0.05)


def clear_plastic(tint: list[float], name: str = "clear_plastic") -> bpy.types.Material:
    """Crisper-drawer and door-bin plastic: see-through with soft reflections."""
    return see_through(name, tint, transparency=0.9, roughness=0.3)
