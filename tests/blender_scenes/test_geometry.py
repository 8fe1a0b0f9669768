"""The fridge geometry is one set of boxes: what Blender meshes, what collides and where items
stand all come from `blender_scenes.geometry` and agree with each other."""

import itertools

import numpy as np
import pytest

from blender_scenes.config import default_sampler
from blender_scenes.geometry import DOOR, FRIDGE, fridge_geometry
from blender_scenes.sampling import rng_for, sample_fridge

CONFIGS = {  # fridges only: the placement and density knobs play no part
    "default": default_sampler(),
    "no drawers, door": default_sampler(drawers=(0, 0), door_prob=1.0),
    "full": default_sampler(shelves=(4, 4), drawers=(2, 2), door_prob=1.0, glass_shelf_prob=0.3),
}


def fridges(n: int = 25):
    """Sampled fridge specs of every config (fridges only: no items are sampled)."""
    return [
        sample_fridge(rng_for(21 + k, i), cfg)
        for k, cfg in enumerate(CONFIGS.values())
        for i in range(n)
    ]


def overlap(lo_a, hi_a, lo_b, hi_b) -> float:
    """How far two boxes interpenetrate (their smallest common extent; <= 0: apart or touching)."""
    return min(min(hi_a[i], hi_b[i]) - max(lo_a[i], lo_b[i]) for i in range(3))


def group(name: str) -> str:
    """The fridge member a box belongs to: "cabinet", "shelf.K", "drawer.K" or "door"."""
    head = name.split(".")
    return ".".join(head[:2]) if head[0] in ("shelf", "drawer") else head[0]


def test_every_seen_box_is_inside_a_collider_except_the_shelf_rails():
    for f in fridges():
        geo = fridge_geometry(f)
        by_name = {b.name: b for b in geo.boxes}
        assert len(by_name) == len(geo.boxes)  # names are unique
        covered = set()
        for c in geo.colliders:
            if c.part is not None:  # seen and colliding: one box (the cabinet walls)
                assert not c.covers
                covered.add(c.name)
                continue
            assert c.covers, c.name
            for name in c.covers:
                seen = by_name[name]
                assert seen.part is not None and seen.frame == c.frame and not seen.collides
                assert all(c.lo[i] <= seen.lo[i] and seen.hi[i] <= c.hi[i] for i in range(3)), (
                    c,
                    seen,
                )
                covered.add(name)
        uncovered = {b.name for b in geo.boxes if b.part is not None and b.name not in covered}
        assert uncovered == {
            f"shelf.{k}.rail.{s}" for k in range(len(f.shelves)) for s in ("left", "right")
        }
        assert {b.part for b in geo.boxes if b.part} == {p.name for p in geo.parts}
        assert all(b.lo[i] < b.hi[i] for b in geo.boxes for i in range(3))


def test_fridge_members_only_touch_except_the_crisper_cover_on_the_drawers():
    """Seen boxes of different members (walls, each shelf, each drawer, the door) never
    interpenetrate; the one exception: the shelf over the crisper drawers (and its trim) sits
    up to 6 mm into the drawers' walls."""
    cover_hits = 0
    for f in fridges():
        seen = [b for b in fridge_geometry(f).boxes if b.part is not None]
        for a, b in itertools.combinations(seen, 2):
            if group(a.name) == group(b.name) or a.frame != b.frame:
                continue
            depth = overlap(a.lo, a.hi, b.lo, b.hi)
            if depth <= 1e-9:
                continue
            pair = sorted((group(a.name), group(b.name)))
            assert f.drawers and pair[0].startswith("drawer") and pair[1] == "shelf.0", (
                a.name,
                b.name,
            )
            assert depth <= 0.006 + 1e-9, (a.name, b.name, depth)
            cover_hits += 1
    assert cover_hits > 0  # the exception is real, so the check above does look at it


def test_support_surfaces_are_the_tops_of_their_boxes():
    kinds = set()
    for f in fridges():
        geo = fridge_geometry(f)
        for s in geo.surfaces:
            kinds.add(s.kind)
            box = geo.box(s.rests_on)
            assert s.origin[2] == box.hi[2]  # exactly: one number, not two computations
            if s.kind == "door":
                assert box.frame == DOOR and box.name.startswith("door.bin.")
                assert (s.origin[0], s.origin[1], s.yaw_deg) == (
                    *geo.hinge.point[:2],
                    geo.hinge.angle_deg,
                )
            else:
                assert box.frame == FRIDGE and s.origin[:2] == (0.0, 0.0) and s.yaw_deg == 0.0
            x0, x1 = s.x_range
            y0, y1 = s.y_range
            assert box.lo[0] <= x0 < x1 <= box.hi[0] and box.lo[1] <= y0 < y1 <= box.hi[1], s.name
            assert s.clearance > 0.1, s.name
        shelf_boxes = [geo.box(s.rests_on).name for s in geo.surfaces if s.kind == "shelf"]
        assert shelf_boxes == (["cabinet.floor"] if not f.drawers else []) + [
            f"shelf.{k}.pane" for k in range(len(f.shelves))
        ]
    assert kinds == {"shelf", "drawer", "door"}


def test_the_space_above_each_surface_is_free_of_colliders():
    """Items up to a surface's clearance never start inside a collider; the one exception: the
    front trim of the glass shelf above reaches up to 2 mm into it."""
    trim_hits = 0
    for f in fridges():
        geo = fridge_geometry(f)
        for s in geo.surfaces:
            frame = DOOR if s.kind == "door" else FRIDGE
            lo = (s.x_range[0], s.y_range[0], s.origin[2])
            hi = (s.x_range[1], s.y_range[1], s.origin[2] + s.clearance)
            for c in geo.colliders:
                if c.frame != frame or s.rests_on in (c.name, *c.covers):
                    continue
                depth = overlap(lo, hi, c.lo, c.hi)
                if depth > 1e-9:
                    assert c.name.endswith(".trim.collider") and depth <= 0.002 + 1e-9, (
                        s.name,
                        c.name,
                    )
                    trim_hits += 1
    assert trim_hits > 0


def test_door_space_and_interior_hold_the_surfaces():
    for f in fridges():
        geo = fridge_geometry(f)
        for s in geo.surfaces:
            lo, hi = geo.door_space if s.kind == "door" else geo.interior
            assert lo[0] <= s.x_range[0] and s.x_range[1] <= hi[0]
            assert lo[1] <= s.y_range[0] and s.y_range[1] <= hi[1]
            assert lo[2] <= s.origin[2] and s.origin[2] + s.clearance <= hi[2]


def mesh_box_bounds(ob, to_local) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bounds of each cube of a mesh built from boxes (8 vertices each), in `to_local` space."""
    co = np.empty(len(ob.data.vertices) * 3)
    ob.data.vertices.foreach_get("co", co)
    m = np.array(to_local @ ob.matrix_world)
    pts = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    cubes = pts.reshape(-1, 8, 3)
    return [(c.min(axis=0), c.max(axis=0)) for c in cubes]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_blender_meshes_and_colliders_are_the_geometry_boxes(fresh_blender, name):
    from mathutils import Matrix

    from blender_scenes.fridge import Collections, build_fridge, door_matrix
    from blender_scenes.physics import build_colliders

    bpy = fresh_blender
    f = sample_fridge(rng_for(5, 1), CONFIGS[name])
    geo = fridge_geometry(f)
    to_door = door_matrix(f).inverted() if f.door is not None else None
    frames = {FRIDGE: Matrix.Identity(4), DOOR: to_door}
    scene = bpy.context.scene
    opaque, clear = bpy.data.collections.new("fridge"), bpy.data.collections.new("clear")
    scene.collection.children.link(opaque)
    scene.collection.children.link(clear)
    obs = build_fridge(f, Collections(opaque, clear))
    assert [ob.name for ob in obs] == [p.name for p in geo.parts]
    for part, ob in zip(geo.parts, obs, strict=True):
        assert ob.users_collection[0] == (clear if part.clear else opaque)
        boxes = geo.part_boxes(part.name)
        bounds = mesh_box_bounds(ob, frames[part.frame])
        assert len(bounds) == len(boxes), part.name
        for box, (lo, hi) in zip(boxes, bounds, strict=True):
            assert np.allclose(lo, box.lo, atol=1e-6) and np.allclose(hi, box.hi, atol=1e-6), (
                box.name
            )
    colliders = build_colliders(f, bpy.data.collections.new("colliders"))
    boxes = geo.colliders
    assert len(colliders) == len(boxes)
    for box, ob in zip(boxes, colliders, strict=True):
        ((lo, hi),) = mesh_box_bounds(ob, frames[box.frame])
        assert np.allclose(lo, box.lo, atol=1e-6) and np.allclose(hi, box.hi, atol=1e-6), box.name
        assert ob.name.startswith("collider.door." if box.frame == DOOR else "collider.")
