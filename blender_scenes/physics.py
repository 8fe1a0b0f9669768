"""Settle sampled items with Blender's rigid-body simulation (placement=physics).

The fridge becomes passive box colliders (cabinet, shelves with their front trims, drawers, door
bins; boxes never let items tunnel the way thin triangles can), the food active convex hulls.
Three measures keep items in the fridge (see `benchmarks/physics_bench.py`):

- a 10 cm slab under each shelf and door bin bottom that only the items standing on it touch
  (collision collections): a light item pressed into a 6 mm glass shelf by a falling neighbour
  is pushed back up instead of through (`support_slabs`);
- items lying on their side are simulated with their centre of mass in the middle
  (`CENTRED_POSES`): with it at the mesh origin, their base, a lying bottle stood itself up and
  tipped over the shelf's front edge;
- the plane of the closed door in front of the opening stops the cabinet's items from falling
  out (`front_guard`); they may come to rest leaning against it.

The simulation steps frame by frame until nothing moves (or a frame cap), then every item gets
its final pose, rounded exactly as the description stores it, and the rigid-body world is
removed again. Items that left the fridge, fell below their shelf or still interpenetrate
another item are removed and logged. The description is updated in place (poses, renumbered
instance ids, `placement.settled`), so a scene rebuilt from meta/ never simulates again.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .blender import Matrix, Vector, bmesh, bpy
from .config import PlacementSettings
from .description import FridgeSpec, ObjectSpec, SceneDescription
from .food.classes import CLASS_TABLE
from .food.params import r5
from .fridge import box_matrix, door_matrix
from .geometry import DOOR, FRIDGE, Box, fridge_geometry, front_guard, support_slabs
from .scene import apply_pose, mesh_overlaps

log = logging.getLogger(__name__)

COLLIDERS = "physics_colliders"
# Friction and rolling per class from the class table (catalog-only classes: 0.6, not rolling).
FRICTION = {c: t.friction for c, t in CLASS_TABLE.items()}
ROCKING = frozenset(
    c for c, t in CLASS_TABLE.items() if t.rolls
)  # round produce: damp its spin too
DENSITY_KG_M3 = 600.0  # packed food, roughly; only mass ratios matter here
# Bullet puts an item's centre of mass at its origin, the base of a food mesh: right for upright
# items (they stand firm), wrong for lying ones (a bottle on its side weighs nothing at the neck
# end, stands itself up on its base and tips over the shelf's front edge). These poses get
# their origin moved to the middle of their bounds while they are simulated.
CENTRED_POSES = frozenset({"side"})


@dataclass
class SettleResult:
    """What one simulation did."""

    frames: int
    seconds: float
    removed: list[str] = field(default_factory=list)  # "cls (reason)"
    removed_specs: list[tuple[ObjectSpec, str]] = field(
        default_factory=list
    )  # (item as settled, reason)


LAYERS = 20  # Blender's rigid-body collision collections; 0 is the shared one
FRONT_LAYER = LAYERS - 1  # the opening guard and the items inside the cabinet (not the door's)


def box_object(
    name: str,
    box: Box,
    mesh: bpy.types.Mesh,
    coll: bpy.types.Collection,
    matrix: Matrix | None = None,
) -> bpy.types.Object:
    """A unit-cube object scaled and placed to cover `box`, optionally transformed (door space)."""
    ob = bpy.data.objects.new(name, mesh)
    m = box_matrix(box)
    ob.matrix_world = m if matrix is None else matrix @ m
    ob.hide_render = True
    coll.objects.link(ob)
    return ob


def build_colliders(f: FridgeSpec, coll: bpy.types.Collection) -> list[bpy.types.Object]:
    """Invisible box colliders: the colliding boxes of `geometry` (fridge frame, then door)."""
    me = bpy.data.meshes.new("collider_cube")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=1.0)
    bm.to_mesh(me)
    bm.free()
    colliders = fridge_geometry(f).colliders
    inside = [b for b in colliders if b.frame == FRIDGE]
    door = [b for b in colliders if b.frame == DOOR]
    obs = [box_object(f"collider.{k}", b, me, coll) for k, b in enumerate(inside)]
    if door:
        m = door_matrix(f)
        obs += [box_object(f"collider.door.{k}", b, me, coll, m) for k, b in enumerate(door)]
    return obs


def build_slabs(
    f: FridgeSpec, coll: bpy.types.Collection, mesh: bpy.types.Mesh
) -> dict[str, bpy.types.Object]:
    """Invisible slab colliders under the supports (`geometry.support_slabs`), by support name."""
    m = door_matrix(f) if f.door is not None else None
    return {
        name: box_object(f"collider.slab.{name}", box, mesh, coll, m if box.frame == DOOR else None)
        for name, box in support_slabs(f)
    }


def set_layers(ob: bpy.types.Object, *layers: int) -> None:
    """Put a rigid body into these collision collections only (bodies sharing one collide)."""
    ob.rigid_body.collision_collections = [k in layers for k in range(LAYERS)]


def centre_origins(
    lying: list[bpy.types.Object], items: list[bpy.types.Object]
) -> dict[str, tuple[Vector, np.ndarray]]:
    """Move the origin of each `lying` item's mesh to the centre of its bounds for the
    simulation (see CENTRED_POSES), compensating the pose of every item using that mesh, so
    nothing moves. Returns, per mesh, the offset and the exact vertex coordinates for
    `restore_origins`."""
    saved: dict[str, tuple[Vector, np.ndarray]] = {}
    for me in {ob.data.name: ob.data for ob in lying}.values():
        co = np.empty(len(me.vertices) * 3, dtype=np.float32)
        me.vertices.foreach_get("co", co)
        pts = co.reshape(-1, 3)
        c = Vector(((pts.min(axis=0) + pts.max(axis=0)) / 2).tolist())
        saved[me.name] = (c, co)
        me.transform(Matrix.Translation(-c))
        me.update()
    for ob in items:
        if ob.data.name in saved:
            ob.matrix_world = ob.matrix_world @ Matrix.Translation(saved[ob.data.name][0])
    return saved


def restore_origins(
    items: list[bpy.types.Object], saved: dict[str, tuple[Vector, np.ndarray]]
) -> None:
    """Undo `centre_origins` at the items' current poses: the exact original vertices, the
    origins back at the base."""
    for ob in items:
        if ob.data.name in saved:
            ob.matrix_world = ob.matrix_world @ Matrix.Translation(-saved[ob.data.name][0])
    for name, (_, co) in saved.items():
        me = bpy.data.meshes[name]
        me.vertices.foreach_set("co", co)
        me.update()


def set_passive(ob: bpy.types.Object) -> None:
    """A fixed box collider."""
    rb = ob.rigid_body
    rb.type = "PASSIVE"
    rb.collision_shape = "BOX"
    rb.use_margin = True
    rb.collision_margin = 0.0
    rb.friction = 0.6
    rb.restitution = 0.0


def set_active(ob: bpy.types.Object, spec: ObjectSpec) -> None:
    """A falling food item: convex hull, small margin, mass from its box, damped so it settles."""
    rb = ob.rigid_body
    rb.type = "ACTIVE"
    rb.collision_shape = "CONVEX_HULL"
    rb.use_margin = True
    rb.collision_margin = 0.0008
    sx, sy, sz = spec.params["size"]
    rb.mass = max(0.01, sx * sy * sz * DENSITY_KG_M3)
    rb.friction = FRICTION.get(spec.cls, 0.6)
    rb.restitution = 0.05
    rb.linear_damping = 0.2
    rb.angular_damping = (
        0.95 if spec.cls in ROCKING or spec.pose == "side" else 0.7
    )  # lying items roll too
    rb.use_deactivation = False


def start_world(scene: bpy.types.Scene, settings: PlacementSettings) -> bpy.types.Collection:
    """A fresh rigid-body world on `scene`; returns its (empty) body collection."""
    if scene.rigidbody_world is not None:
        remove_world(scene)
    with bpy.context.temp_override(scene=scene):
        bpy.ops.rigidbody.world_add()
    rbw = scene.rigidbody_world
    bodies = bpy.data.collections.new("physics_bodies")
    rbw.collection = bodies
    rbw.substeps_per_frame = settings.substeps
    rbw.solver_iterations = settings.solver_iterations
    rbw.use_split_impulse = True
    rbw.time_scale = 1.0
    rbw.point_cache.frame_start = 1
    rbw.point_cache.frame_end = settings.max_frames + 1
    return bodies


def remove_world(scene: bpy.types.Scene) -> None:
    """Drop the rigid-body world, its body collection and its cache."""
    rbw = scene.rigidbody_world
    if rbw is None:
        return
    bodies = rbw.collection
    with bpy.context.temp_override(scene=scene):
        bpy.ops.rigidbody.world_remove()
    if bodies is not None:
        bpy.data.collections.remove(bodies)


def step_until_rest(
    scene: bpy.types.Scene,
    obs: list[bpy.types.Object],
    settings: PlacementSettings,
    window: int = 6,
) -> int:
    """Advance frame by frame until no item's surface moved faster than rest_speed, measured
    over `window` frames (solver jitter cancels out), for 3 frames in a row.

    An item's speed is that of its origin plus its turn rate times its radius (so a ball that
    spins in place on the spot counts as moving only as fast as its surface does).
    """
    fps = scene.render.fps / scene.render.fps_base
    radius = np.array([max(ob.dimensions) / 2 for ob in obs])
    scene.frame_set(1)
    history = [np.array([np.array(ob.matrix_world) for ob in obs]).reshape(len(obs), 4, 4)]
    calm = 0
    frame = 1
    for frame in range(2, settings.max_frames + 2):
        scene.frame_set(frame)
        history.append(np.array([np.array(ob.matrix_world) for ob in obs]).reshape(len(obs), 4, 4))
        if len(history) <= window:
            continue
        diff = np.abs(history[-1] - history.pop(0))
        moved = (
            diff[:, :3, 3].max(axis=1, initial=0.0)
            + diff[:, :3, :3].max(axis=(1, 2), initial=0.0) * radius
        )
        calm = calm + 1 if moved.max(initial=0.0) * fps / window < settings.rest_speed else 0
        if calm >= 3:
            break
    return frame - 1


def world_bounds(
    ob: bpy.types.Object, to_local: Matrix | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounds of an object's mesh in world (or `to_local`) coordinates."""
    co = np.empty(len(ob.data.vertices) * 3)
    ob.data.vertices.foreach_get("co", co)
    m = np.array(ob.matrix_world if to_local is None else to_local @ ob.matrix_world)
    pts = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    return pts.min(axis=0), pts.max(axis=0)


def support_z(desc: SceneDescription, support: str) -> float:
    """Height of the top of a support surface (shelf, drawer floor, door bin bottom)."""
    return fridge_geometry(desc.fridge).surface(support).origin[2]


def leave_reason(
    desc: SceneDescription, spec: ObjectSpec, ob: bpy.types.Object, tol: float = 0.01
) -> str | None:
    """Why a settled item must go (outside the fridge or door bin, below its support), or None."""
    f = desc.fridge
    lo, hi = world_bounds(ob)
    if not np.isfinite(lo).all() or not np.isfinite(hi).all():
        return "lost by the solver"
    if lo[2] < support_z(desc, spec.support) - tol:
        return f"fell below {spec.support}"
    geo = fridge_geometry(f)
    space = geo.interior
    if spec.support.startswith("door"):
        lo, hi = world_bounds(ob, door_matrix(f).inverted())
        space = geo.door_space
    (x0, y0, _), (x1, y1, z1) = space  # the floor side is the support check above
    inside = (
        lo[0] >= x0 - tol
        and hi[0] <= x1 + tol
        and lo[1] >= y0 - tol
        and hi[1] <= y1 + tol
        and hi[2] <= z1 + tol
    )
    return None if inside else "left the fridge"


def record_pose(spec: ObjectSpec, ob: bpy.types.Object) -> None:
    """Write the simulated pose into the spec, rounded as JSON keeps it."""
    m = ob.matrix_world
    spec.location = [r5(v) for v in m.translation]
    euler = m.to_3x3().normalized().to_euler("XYZ")
    spec.rotation_deg = [r5(math.degrees(a)) for a in euler]
    spec.yaw_deg = spec.rotation_deg[2]


def overlapping(objects: dict[int, bpy.types.Object]) -> list[int]:
    """Instance ids to drop so no two item meshes intersect (the later of each pair)."""
    by_name = {ob.name: iid for iid, ob in objects.items()}
    drop: set[int] = set()
    for a, b in mesh_overlaps(list(objects.values())):
        ia, ib = by_name[a], by_name[b]
        if ia not in drop and ib not in drop:
            drop.add(max(ia, ib))
    return sorted(drop)


def remove_items(
    desc: SceneDescription,
    objects: dict[int, bpy.types.Object],
    reasons: dict[int, str],
    specs_out: list[tuple[ObjectSpec, str]] | None = None,
) -> list[str]:
    """Delete items from the scene and the description; log each one (and add it to `specs_out`)."""
    out = []
    for iid, why in sorted(reasons.items()):
        ob = objects.pop(iid)
        spec = next(s for s in desc.objects if s.instance_id == iid)
        log.warning(
            "image %d: removed %s (%s %s): %s", desc.index, ob.name, spec.cls, spec.pose, why
        )
        out.append(f"{spec.cls} ({why})")
        if specs_out is not None:
            specs_out.append((spec, why))
        desc.objects.remove(spec)
        mesh = ob.data
        bpy.data.objects.remove(ob)
        if mesh.users == 0 and not mesh.use_fake_user:
            bpy.data.meshes.remove(mesh)
    return out


def renumber(
    desc: SceneDescription, objects: dict[int, bpy.types.Object]
) -> dict[int, bpy.types.Object]:
    """Instance ids 1..N again after removals (the mask values follow)."""
    out = {}
    for k, spec in enumerate(desc.objects, start=1):
        ob = objects[spec.instance_id]
        spec.instance_id = k
        ob.pass_index = k
        out[k] = ob
    return out


def settle(
    desc: SceneDescription, objects: dict[int, bpy.types.Object], settings: PlacementSettings
) -> tuple[dict[int, bpy.types.Object], SettleResult]:
    """Drop the built items into the fridge, keep the ones that stay, store their final poses."""
    t0 = time.perf_counter()
    scene = bpy.context.scene
    colliders = bpy.data.collections.new(COLLIDERS)
    scene.collection.children.link(colliders)
    bodies = start_world(scene, settings)
    passive = build_colliders(desc.fridge, colliders)
    slabs = build_slabs(desc.fridge, colliders, passive[0].data)
    layer = {name: k for k, name in enumerate(list(slabs)[: FRONT_LAYER - 1], start=1)}
    guard = box_object("collider.front", front_guard(desc.fridge), passive[0].data, colliders)
    passive += [*slabs.values(), guard]
    specs = {s.instance_id: s for s in desc.objects}
    active = [objects[iid] for iid in sorted(objects)]
    centred = centre_origins(
        [objects[iid] for iid in sorted(objects) if specs[iid].pose in CENTRED_POSES], active
    )
    for ob in passive + active:
        bodies.objects.link(ob)
    bpy.context.view_layer.update()  # creates the rigid-body settings of the linked objects
    for ob in passive:
        set_passive(ob)
    for name, ob in slabs.items():
        if name in layer:
            set_layers(ob, layer[name])
        else:
            set_layers(ob)  # more supports than collision collections: no slab
    set_layers(guard, FRONT_LAYER)
    for iid in sorted(objects):
        set_active(objects[iid], specs[iid])
        inside = FRONT_LAYER if not specs[iid].support.startswith("door") else 0
        set_layers(objects[iid], 0, layer.get(specs[iid].support, 0), inside)
    final: dict[int, Matrix] = {}
    try:
        frames = step_until_rest(scene, active, settings)
        final = {iid: objects[iid].matrix_world.copy() for iid in objects}
    finally:  # cached catalog meshes must get their vertices back whatever happens
        remove_world(scene)
        for iid, m in final.items():
            objects[iid].matrix_world = m
        restore_origins(active, centred)
    final = {iid: objects[iid].matrix_world.copy() for iid in objects}
    mesh = passive[0].data if passive else None
    bpy.data.batch_remove(passive)
    if mesh is not None:
        bpy.data.meshes.remove(mesh)
    bpy.data.collections.remove(colliders)
    scene.frame_set(1)
    for iid, ob in objects.items():
        ob.matrix_world = final[iid]
        record_pose(specs[iid], ob)
        apply_pose(ob, specs[iid])
    bpy.context.view_layer.update()
    reasons = {
        iid: why
        for iid in sorted(objects)
        if (why := leave_reason(desc, specs[iid], objects[iid])) is not None
    }
    gone: list[tuple[ObjectSpec, str]] = []
    removed = remove_items(desc, objects, reasons, gone)
    removed += remove_items(
        desc, objects, {iid: "interpenetrates another item" for iid in overlapping(objects)}, gone
    )
    objects = renumber(desc, objects)
    desc.placement.settled = True
    desc.placement.removed = removed
    result = SettleResult(frames, time.perf_counter() - t0, removed, gone)
    log.debug(
        "image %d: settled %d items in %d frames (%.2f s), removed %d",
        desc.index,
        len(objects),
        frames,
        result.seconds,
        len(removed),
    )
    return objects, result
