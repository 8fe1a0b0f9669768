"""placement=physics: items dropped into a real fridge come to rest inside it, never interpenetrate,
hide each other more than packed rows do, and scenes rebuilt from meta/ are not simulated again."""

import json
from dataclasses import replace

import numpy as np
import pytest
from testutils import render_config

from blender_scenes.description import SceneDescription
from blender_scenes.sampling import sample_scene

TINY = ["resolution=[96,96]", "render.samples=4", "render.denoise=false"]


def inside_fridge(desc: SceneDescription, objects: dict) -> list[str]:
    """Names of items whose mesh pokes out of the cabinet (or, for door items, the door bins)."""
    from mathutils import Matrix

    from blender_scenes.fridge import door_matrix

    f = desc.fridge
    bad = []
    for spec in desc.objects:
        ob = objects[spec.instance_id]
        door = spec.support.startswith("door")
        m = (door_matrix(f).inverted() if door else Matrix.Identity(4)) @ ob.matrix_world
        pts = np.array([tuple(m @ v.co) for v in ob.data.vertices])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        tol = 2e-3
        if door:
            ok = lo[0] >= -f.door.width - tol and hi[0] <= tol and lo[1] >= -tol and lo[2] >= -tol
        else:
            ok = (
                -f.width / 2 - tol <= lo[0]
                and hi[0] <= f.width / 2 + tol
                and lo[1] >= -tol
                and hi[1] <= f.depth + tol
                and lo[2] >= -tol
            )
        if not (ok and hi[2] <= f.height + tol):
            bad.append(ob.name)
    return bad


def test_thirty_dropped_objects_come_to_rest_inside_without_interpenetration(
    tmp_path, fresh_blender
):
    from blender_scenes.physics import settle
    from blender_scenes.scene import build_scene, mesh_overlaps

    cfg = render_config(
        tmp_path / "b", "placement=physics", "objects.total=[30,30]", "fridge.door_prob=0", *TINY
    )
    desc = next(d for i in range(40) if len((d := sample_scene(2, i, cfg.sampler)).objects) == 30)
    poses = {o.pose for o in desc.objects}
    assert desc.needs_settling and len(poses) >= 2, poses  # lying, stacked or tilted items too
    start = {o.instance_id: list(o.location) for o in desc.objects}
    objects = build_scene(desc)
    objects, result = settle(desc, objects, cfg.placement)
    assert result.frames < cfg.placement.max_frames  # stopped because everything rests
    assert len(objects) == len(desc.objects) >= 28 and len(result.removed) <= 2, result.removed
    assert desc.placement.settled and desc.placement.removed == result.removed
    assert [o.instance_id for o in desc.objects] == list(range(1, len(desc.objects) + 1))
    assert all(objects[o.instance_id].pass_index == o.instance_id for o in desc.objects)
    assert mesh_overlaps(list(objects.values())) == []
    assert inside_fridge(desc, objects) == []
    moved = [o for o in desc.objects if o.location != start.get(o.instance_id)]
    assert moved  # the simulation changed poses and they went into the description
    assert fresh_blender.context.scene.rigidbody_world is None  # nothing left to simulate


def mean_occlusion(cfg, n: int) -> tuple[float, list[dict]]:
    """Render n tiny images in this process; mean label occlusion over in-frame objects."""
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    writer.prepare(cfg.out_dir)
    occ, summaries = [], []
    for i in range(n):
        summaries.append(render_one(cfg, i))
        meta = json.loads((cfg.out_dir / "meta" / f"{i:06d}.json").read_text())
        occ += [a["occlusion"] for a in meta["annotations"] if a["unoccluded_pixels"] > 0]
    return float(np.mean(occ)), summaries


def test_physics_hides_more_than_rows_at_the_same_density(tmp_path, fresh_blender):
    import bpy

    from blender_scenes.scene import mesh_overlaps

    common = ["seed=5", "objects.total=[30,30]", "placement.density=0.5", *TINY]
    rows, _ = mean_occlusion(render_config(tmp_path / "rows", "placement=rows", *common), 4)
    physics, summaries = mean_occlusion(
        render_config(tmp_path / "phys", "placement=physics", *common), 4
    )
    print(f"mean label occlusion over 4 tiny renders: physics {physics:.3f}, rows {rows:.3f}")
    assert physics > rows, (physics, rows)
    assert all(s["t_settle"] > 0 for s in summaries)
    meta = json.loads((tmp_path / "phys" / "meta" / "000003.json").read_text())
    assert meta["scene"]["placement"]["settled"] is True
    food = list(bpy.data.collections["food"].objects)  # the last scene is still built
    assert len(food) == len(meta["scene"]["objects"]) and mesh_overlaps(food) == []


def test_rebuild_from_meta_does_not_simulate_and_gives_identical_poses(
    tmp_path, fresh_blender, monkeypatch
):
    import bpy

    from blender_scenes import physics, writer
    from blender_scenes.worker import render_description, render_one

    cfg = render_config(tmp_path / "first", "placement=physics", "count=1", *TINY)
    writer.prepare(cfg.out_dir)
    summary = render_one(cfg, 0)
    assert summary["t_settle"] > 0
    poses = {
        ob.pass_index: np.array(ob.matrix_world) for ob in bpy.data.collections["food"].objects
    }
    meta = json.loads((cfg.out_dir / "meta" / "000000.json").read_text())
    desc = SceneDescription.from_dict(meta["scene"])
    assert desc.placement.settled and not desc.needs_settling

    def no_simulation(*args, **kwargs):
        raise AssertionError("a settled scene was simulated again")

    monkeypatch.setattr(physics, "settle", no_simulation)
    again = replace(cfg, out_dir=tmp_path / "again")
    writer.prepare(again.out_dir)
    assert render_description(again, desc)["t_settle"] == 0
    rebuilt = {
        ob.pass_index: np.array(ob.matrix_world) for ob in bpy.data.collections["food"].objects
    }
    assert rebuilt.keys() == poses.keys()
    for iid, m in poses.items():
        assert np.allclose(rebuilt[iid], m, atol=1e-5), iid
    meta2 = json.loads((again.out_dir / "meta" / "000000.json").read_text())
    assert meta2["scene"] == meta["scene"]
    assert meta2["annotations"] == meta["annotations"]  # the very same image and labels


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_sampled_physics_layouts_start_without_interpenetration(fresh_blender, index):
    from blender_scenes.config import default_sampler
    from blender_scenes.scene import build_scene, mesh_overlaps

    desc = sample_scene(13, index, default_sampler(placement="physics", density=1.0))
    objects = build_scene(desc)
    assert mesh_overlaps(list(objects.values())) == []


@pytest.mark.parametrize("mode", ["rows", "physics"])
def test_placement_group_from_the_command_line(tmp_path, mode):
    cfg = render_config(
        tmp_path / "b",
        f"placement={mode}",
        "placement.density=0.8",
        "placement.min_occlusion=0.3",
        "placement.max_tries=3",
    )
    assert cfg.placement.mode == cfg.sampler.placement == mode
    assert (
        cfg.sampler.density == 0.8
        and cfg.sampler.min_occlusion == 0.3
        and cfg.sampler.max_tries == 3
    )
