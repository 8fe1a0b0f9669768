"""Occlusion fractions against a hand-built scene, and real-mesh overlap checks (real bpy)."""

import json

import numpy as np
import pytest
from testutils import render_config

from blender_scenes.config import default_sampler
from blender_scenes.description import (
    CameraSpec,
    FridgeSpec,
    LightSpec,
    ObjectSpec,
    SceneDescription,
    SurfaceMaterial,
    WorldSpec,
)
from blender_scenes.food.params import sample_food_params
from blender_scenes.sampling import sample_scene

CAM_Y = -1.5


def behind(x_front: float, y_front: float, y_back: float) -> float:
    """x on the camera ray through (x_front, y_front) at depth y_back (camera at x=0)."""
    return x_front * (y_back - CAM_Y) / (y_front - CAM_Y)


def params(cls: str, seed: int, need=lambda p: True) -> dict:
    rng = np.random.default_rng(seed)
    while True:
        p = sample_food_params(cls, rng)
        if need(p):
            return p


def occlusion_scene() -> SceneDescription:
    """Two tall cartons; a can fully behind the left one, a can half behind the right one."""
    can = params("can", 1)
    d = max(can["size"][:2])
    carton = params("milk_carton", 2, lambda p: p["size"][0] >= d + 0.008 and p["size"][2] > 0.18)
    yf, yb = 0.12, 0.12 + carton["size"][1] / 2 + d / 2 + 0.03
    left, right = -0.12, 0.12
    edge = right + carton["size"][0] / 2
    objs = [
        ObjectSpec(1, "milk_carton", carton, [left, yf, 0.0], 0.0, "floor"),
        ObjectSpec(2, "can", can, [behind(left, yf, yb), yb, 0.0], 0.0, "floor"),
        ObjectSpec(3, "milk_carton", carton, [right, yf, 0.0], 0.0, "floor"),
        ObjectSpec(4, "can", can, [behind(edge, yf, yb), yb, 0.0], 0.0, "floor"),
    ]
    fridge = FridgeSpec(
        0.7, 0.45, 0.6, 0.04, SurfaceMaterial("plastic", [0.8, 0.8, 0.8], 0.4), [], [], 0.0, None
    )
    light = LightSpec("area", [0.0, 0.2, 0.58], [0, 0, -1], 0.3, 0.1, 30.0, 5000.0, [1, 1, 1])
    cam = CameraSpec("front", [0.0, CAM_Y, 0.08], [0.0, 0.3, 0.08], 0.0, 16.0)
    return SceneDescription(0, 0, fridge, [light], cam, WorldSpec([0.5, 0.5, 0.5], 0.5, 0.0), objs)


def test_hidden_and_half_hidden_objects(tmp_path, fresh_blender):
    from blender_scenes import writer
    from blender_scenes.worker import render_description

    cfg = render_config(
        tmp_path / "occ",
        "count=1",
        "resolution=[240,120]",
        "render.samples=4",
        "render.denoise=false",
    )
    writer.prepare(cfg.out_dir)
    render_description(cfg, occlusion_scene())
    meta = json.loads((cfg.out_dir / "meta" / "000000.json").read_text())
    ann = {a["instance_id"]: a for a in meta["annotations"]}
    for front in (1, 3):  # the cartons are in full view: silhouette and mask agree
        assert ann[front]["visible_pixels"] > 300
        assert ann[front]["occlusion"] < 0.05
    hidden = ann[2]
    assert hidden["unoccluded_pixels"] > 100  # it is in the frame ...
    assert hidden["visible_pixels"] == 0 and hidden["occlusion"] == 1.0  # ... but fully hidden
    assert abs(ann[4]["occlusion"] - 0.5) <= 0.1, ann[4]
    coco = writer.rebuild_annotations(cfg.out_dir)
    assert {a["instance_id"] for a in coco["annotations"]} == {1, 3, 4}  # no label for hidden


@pytest.mark.parametrize("index", [0, 1, 2])
def test_built_scenes_have_no_mesh_interpenetration(fresh_blender, index):
    from blender_scenes.scene import build_scene, mesh_overlaps

    desc = sample_scene(21, index, default_sampler(placement="rows", density=0.5))
    objects = build_scene(desc)
    assert len(objects) == len(desc.objects) >= 5
    assert mesh_overlaps(list(objects.values())) == []
    f = desc.fridge
    for spec in desc.objects:
        ob = objects[spec.instance_id]
        pts = np.array([tuple(ob.matrix_world @ v.co) for v in ob.data.vertices])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        assert lo[2] >= -1e-3 and hi[2] <= f.height + 1e-3, ob.name
        if spec.support.startswith("door"):
            continue  # door bins stand outside the cabinet, on the open door
        assert -f.width / 2 - 1e-3 <= lo[0] and hi[0] <= f.width / 2 + 1e-3, ob.name
        assert lo[1] >= -1e-3 and hi[1] <= f.depth + 1e-3, ob.name


def test_clear_packaging_belongs_to_its_item(tmp_path, fresh_blender):
    """A bag of beans and a bag of spinach in full view: their masks take in the clear film
    round the contents (the photos box a bag with its bag), so they match the silhouettes
    (occlusion about 0) and the film in front of the can behind hides it; before, the mask
    kept only what shows through the film and a full-view bag read as half occluded."""
    from blender_scenes import writer
    from blender_scenes.worker import render_description

    beans = params("green_beans", 3, lambda p: "bag" in p)
    spinach = params("spinach", 4)
    can = params("can", 1)
    yb = 0.12 + beans["size"][1] / 2 + max(can["size"][:2]) / 2 + 0.03
    desc = occlusion_scene()
    desc.objects[:] = [
        ObjectSpec(1, "green_beans", beans, [-0.14, 0.12, 0.0], 0.0, "floor"),
        ObjectSpec(2, "spinach", spinach, [0.14, 0.12, 0.0], 0.0, "floor"),
        ObjectSpec(3, "can", can, [behind(-0.14, 0.12, yb), yb, 0.0], 0.0, "floor"),
    ]
    cfg = render_config(tmp_path / "bags", "count=1", "resolution=[240,120]",
                        "render.samples=4", "render.denoise=false")  # fmt: skip
    writer.prepare(cfg.out_dir)
    render_description(cfg, desc)
    meta = json.loads((cfg.out_dir / "meta" / "000000.json").read_text())
    ann = {a["instance_id"]: a for a in meta["annotations"]}
    for bag in (1, 2):
        assert ann[bag]["visible_pixels"] > 300
        assert ann[bag]["occlusion"] < 0.05, ann[bag]
    assert ann[3]["occlusion"] > 0.5  # behind the bag's film (the top of the can shows)
