"""Build the procedural fridge interior (cabinet, shelves, crisper drawers, open door) in Blender.

The geometry (every box, the objects they belong to, the door's hinge) comes from `geometry`;
this module meshes those boxes and gives each object its material.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import materials
from .blender import Matrix, Vector, bmesh, bpy
from .description import FridgeSpec
from .geometry import DOOR, KITCHEN_FLOOR, Box, Part, door_hinge, fridge_geometry


@dataclass(frozen=True)
class Collections:
    """Where fridge parts go: see-through parts are left out of the instance-id render layer."""

    opaque: bpy.types.Collection
    clear: bpy.types.Collection


def box_matrix(box: Box) -> Matrix:
    """The matrix that maps the unit cube centred at the origin onto `box`."""
    return Matrix.Translation(Vector(box.centre)) @ Matrix.Diagonal((*box.size, 1.0))


def add_box(bm: bmesh.types.BMesh, box: Box, matrix: Matrix | None = None) -> None:
    """Append a box (optionally transformed, e.g. from door space) to a bmesh."""
    m = box_matrix(box)
    if matrix is not None:
        m = matrix @ m
    bmesh.ops.create_cube(bm, size=1.0, matrix=m)


def mesh_object(
    name: str,
    bm: bmesh.types.BMesh,
    mats: list[bpy.types.Material],
    collection: bpy.types.Collection,
) -> bpy.types.Object:
    """Turn a bmesh into an object with the given material slots."""
    me = bpy.data.meshes.new(name)
    bm.to_mesh(me)
    bm.free()
    for m in mats:
        me.materials.append(m)
    ob = bpy.data.objects.new(name, me)
    collection.objects.link(ob)
    return ob


def door_matrix(f: FridgeSpec) -> Matrix:
    """Door space -> fridge frame (see `geometry.Hinge`); the door must exist."""
    hinge = door_hinge(f)
    return Matrix.Translation(Vector(hinge.point)) @ Matrix.Rotation(
        math.radians(hinge.angle_deg), 4, "Z"
    )


def part_material(part: Part, f: FridgeSpec) -> bpy.types.Material:
    """The material of one fridge object, by its `Part.material` key."""
    k, walls = part.index, f.walls
    steel = walls.kind == "steel"
    if part.material == "wall":
        return materials.wall_material(walls)
    if part.material == "shelf_glass":
        return materials.glass_pane(f"shelf{k}_glass")
    if part.material == "shelf_plastic":
        color = walls.color if walls.kind == "plastic" else [0.8, 0.8, 0.8]
        return materials.principled(f"shelf{k}_plastic", color, 0.35)
    if part.material == "shelf_trim":
        return materials.principled(f"shelf{k}_trim", f.shelves[k].trim_color, 0.3)
    if part.material == "drawer_solid":
        return materials.principled(f"drawer{k}_solid", f.drawers[k].tint, 0.35)
    if part.material == "drawer_clear":
        return materials.clear_plastic(f.drawers[k].tint, f"drawer{k}_clear")
    if part.material == "door_outer":
        return materials.principled(
            "door_outer", walls.color if steel else [0.9, 0.9, 0.9], 0.3, float(steel)
        )
    if part.material == "door_liner":
        return materials.principled("door_liner", walls.color, walls.roughness)
    if part.material == "door_bin_clear":
        return materials.clear_plastic([0.85, 0.9, 0.95], "door_bin_clear")
    raise ValueError(f"unknown fridge material key {part.material!r} ({part.name})")


def build_fridge(f: FridgeSpec, colls: Collections) -> list[bpy.types.Object]:
    """Every part of the fridge (all keep pass_index 0: background in the instance mask)."""
    geo = fridge_geometry(f)
    door = door_matrix(f) if f.door is not None else None
    obs = []
    for part in geo.parts:
        bm = bmesh.new()
        for box in geo.part_boxes(part.name):
            add_box(bm, box, door if part.frame == DOOR else None)
        coll = colls.clear if part.clear else colls.opaque
        obs.append(mesh_object(part.name, bm, [part_material(part, f)], coll))
    return obs


def build_kitchen_floor(coll: bpy.types.Collection) -> bpy.types.Object:
    """A floor plane under the fridge so the front view has a ground."""
    bm = bmesh.new()
    add_box(bm, KITCHEN_FLOOR)
    return mesh_object(
        "kitchen_floor", bm, [materials.principled("kitchen_floor", [0.35, 0.3, 0.26], 0.5)], coll
    )
