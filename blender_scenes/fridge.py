"""Build the procedural fridge interior (cabinet, shelves, crisper drawers, open door) in Blender."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import materials
from .blender import Matrix, Vector, bmesh, bpy
from .description import FridgeSpec, ShelfSpec


@dataclass(frozen=True)
class Collections:
    """Where fridge parts go: see-through parts are left out of the instance-id render layer."""

    opaque: bpy.types.Collection
    clear: bpy.types.Collection


Box = tuple[tuple[float, float, float], tuple[float, float, float]]  # (min corner, max corner)


def add_box(bm: bmesh.types.BMesh, lo: tuple[float, float, float], hi: tuple[float, float, float],
            material_index: int = 0, matrix: Matrix | None = None) -> None:
    """Append an axis-aligned box (optionally transformed) to a bmesh."""
    centre = Vector([(a + b) / 2 for a, b in zip(lo, hi, strict=True)])
    size = [max(b - a, 1e-4) for a, b in zip(lo, hi, strict=True)]
    m = Matrix.Translation(centre) @ Matrix.Diagonal((*size, 1.0))
    if matrix is not None:
        m = matrix @ m
    geom = bmesh.ops.create_cube(bm, size=1.0, matrix=m)
    for v in geom["verts"]:
        for f in v.link_faces:
            f.material_index = material_index


def mesh_object(name: str, bm: bmesh.types.BMesh, mats: list[bpy.types.Material],
                collection: bpy.types.Collection) -> bpy.types.Object:
    """Turn a bmesh into an object with the given material slots."""
    me = bpy.data.meshes.new(name)
    bm.to_mesh(me)
    bm.free()
    for m in mats:
        me.materials.append(m)
    ob = bpy.data.objects.new(name, me)
    collection.objects.link(ob)
    return ob


def cabinet_boxes(f: FridgeSpec) -> list[Box]:
    """Floor, ceiling, side walls, back wall and the front frame around the opening."""
    w, d, h, t = f.width, f.depth, f.height, f.wall_thickness
    x = w / 2
    return [
        ((-x - t, -0.02, -t - 0.06), (x + t, d + t, 0.0)),  # floor (and base below)
        ((-x - t, -0.02, h), (x + t, d + t, h + t + 0.02)),  # ceiling
        ((-x - t, -0.02, 0.0), (-x, d, h)),  # left wall
        ((x, -0.02, 0.0), (x + t, d, h)),  # right wall
        ((-x, d, 0.0), (x, d + t, h)),  # back wall
    ]


def shelf_rails(f: FridgeSpec) -> list[Box]:
    """Small ledges on the side walls that the shelves rest on."""
    x = f.width / 2
    out = []
    for s in f.shelves:
        z = s.z - s.thickness
        out.append(((-x, f.depth - s.depth, z - 0.012), (-x + 0.008, f.depth - 0.01, z)))
        out.append(((x - 0.008, f.depth - s.depth, z - 0.012), (x, f.depth - 0.01, z)))
    return out


def build_cabinet(f: FridgeSpec, coll: bpy.types.Collection) -> bpy.types.Object:
    """The insulated box with its liner material."""
    bm = bmesh.new()
    for lo, hi in cabinet_boxes(f) + shelf_rails(f):
        add_box(bm, lo, hi)
    return mesh_object("fridge_cabinet", bm, [materials.wall_material(f.walls)], coll)


def build_shelf(k: int, s: ShelfSpec, f: FridgeSpec, colls: Collections) -> None:
    """A glass pane with a front trim strip, or a solid plastic shelf."""
    x = f.width / 2 - 0.002
    y0 = f.depth - s.depth
    pane = bmesh.new()
    add_box(pane, (-x, y0, s.z - s.thickness), (x, f.depth - 0.002, s.z))
    if s.glass:
        mesh_object(f"shelf.{k}.glass", pane, [materials.glass_pane(f"shelf{k}_glass")], colls.clear)
    else:
        color = f.walls.color if f.walls.kind == "plastic" else [0.8, 0.8, 0.8]
        mesh_object(f"shelf.{k}", pane, [materials.principled(f"shelf{k}_plastic", color, 0.35)],
                    colls.opaque)
    trim_h = 0.022 if s.glass else 0.026
    trim = bmesh.new()
    add_box(trim, (-x, y0 - 0.006, s.z - trim_h + 0.004), (x, y0 + 0.004, s.z + 0.004))
    mesh_object(f"shelf.{k}.trim", trim, [materials.principled(f"shelf{k}_trim", s.trim_color, 0.3)],
                colls.opaque)


def build_drawers(f: FridgeSpec, colls: Collections) -> None:
    """Open-top crisper drawers: opaque floor and lip, clear plastic sides and front."""
    t = 0.006
    for k, dr in enumerate(f.drawers):
        y0, y1 = f.depth - dr.depth, f.depth - 0.004
        solid, clear = bmesh.new(), bmesh.new()
        add_box(solid, (dr.x0, y0, 0.0), (dr.x1, y1, 0.012))  # floor
        add_box(solid, (dr.x0, y0 - 0.015, dr.height * 0.85), (dr.x1, y0 + t, dr.height * 0.92))  # lip
        add_box(clear, (dr.x0, y0, 0.0), (dr.x0 + t, y1, dr.height))
        add_box(clear, (dr.x1 - t, y0, 0.0), (dr.x1, y1, dr.height))
        add_box(clear, (dr.x0, y1 - t, 0.0), (dr.x1, y1, dr.height))
        add_box(clear, (dr.x0, y0, 0.0), (dr.x1, y0 + t, dr.height * 0.85))  # front
        mesh_object(f"drawer.{k}", solid, [materials.principled(f"drawer{k}_solid", dr.tint, 0.35)],
                    colls.opaque)
        mesh_object(f"drawer.{k}.clear", clear, [materials.clear_plastic(dr.tint, f"drawer{k}_clear")],
                    colls.clear)


def door_matrix(f: FridgeSpec) -> Matrix:
    """Local door frame: origin at the hinge, door along -x, inside facing +y, opened by angle."""
    hinge = Vector((f.width / 2 + f.wall_thickness, -0.005, 0.0))
    return Matrix.Translation(hinge) @ Matrix.Rotation(math.radians(f.door.angle_deg), 4, "Z")


def build_door(f: FridgeSpec, colls: Collections) -> None:
    """The open door with its bins; bins hold bottles and cartons (see sampling)."""
    if f.door is None:
        return
    door = f.door
    m = door_matrix(f)
    h = f.height
    panel, liner, clear = bmesh.new(), bmesh.new(), bmesh.new()
    add_box(panel, (-door.width, -door.thickness, -0.08), (0.0, 0.0, h + 0.06), 0, m)
    add_box(liner, (-door.width + 0.01, 0.0, -0.05), (-0.01, 0.015, h + 0.03), 0, m)
    for z in door.bin_z:
        add_box(liner, (-door.width + 0.03, 0.0, z), (-0.03, door.bin_depth, z + 0.006), 0, m)
        for x in (-door.width + 0.03, -0.036):
            add_box(liner, (x, 0.0, z), (x + 0.006, door.bin_depth, z + door.bin_height * 0.8), 0, m)
        add_box(clear, (-door.width + 0.03, door.bin_depth - 0.004, z),
                (-0.03, door.bin_depth + 0.002, z + door.bin_height), 0, m)
    steel = f.walls.kind == "steel"
    outer = f.walls.color if steel else [0.9, 0.9, 0.9]
    mesh_object("door.panel", panel, [materials.principled("door_outer", outer, 0.3, float(steel))],
                colls.opaque)
    mesh_object("door.liner", liner, [materials.principled("door_liner", f.walls.color, f.walls.roughness)],
                colls.opaque)
    mesh_object("door.bins", clear, [materials.clear_plastic([0.85, 0.9, 0.95], "door_bin_clear")],
                colls.clear)


def build_fridge(f: FridgeSpec, colls: Collections) -> None:
    """Every part of the fridge; all keep pass_index 0 (background in the instance mask)."""
    build_cabinet(f, colls.opaque)
    for k, s in enumerate(f.shelves):
        build_shelf(k, s, f, colls)
    build_drawers(f, colls)
    build_door(f, colls)


def build_kitchen_floor(coll: bpy.types.Collection) -> bpy.types.Object:
    """A floor plane under the fridge so the front view has a ground."""
    bm = bmesh.new()
    add_box(bm, (-3.0, -3.0, -0.12), (3.0, 3.0, -0.1))
    return mesh_object("kitchen_floor", bm, [materials.principled("kitchen_floor", [0.35, 0.3, 0.26], 0.5)], coll)
