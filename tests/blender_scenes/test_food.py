"""Procedural food: parameter sampling, label drawing and the Blender meshes built from them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blender_scenes.food.label_art import draw_label
from blender_scenes.food.params import FOOD_CLASSES, sample_food_params

bpy = pytest.importorskip("bpy")
from blender_scenes.food.build import build_food  # noqa: E402

SEEDS = (0, 1, 2)


@pytest.fixture
def collection():
    """A fresh, empty Blender file with one collection to build into."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    coll = bpy.data.collections.new("food")
    bpy.context.scene.collection.children.link(coll)
    return coll


def world_bbox(ob) -> tuple[np.ndarray, np.ndarray]:
    """Min and max corners of the object's vertices in world space."""
    mw = np.array(ob.matrix_world)
    co = np.array([v.co[:] for v in ob.data.vertices])
    co = co @ mw[:3, :3].T + mw[:3, 3]
    return co.min(axis=0), co.max(axis=0)


def test_classes() -> None:
    """Exactly the fifteen agreed classes."""
    assert len(FOOD_CLASSES) == 15 == len(set(FOOD_CLASSES))
    assert {"milk_carton", "banana", "butter_pack", "glass_bottle"} <= set(FOOD_CLASSES)


@pytest.mark.parametrize("cls", FOOD_CLASSES)
def test_params_deterministic_and_varied(cls: str) -> None:
    """Same seed, same params; different seeds, different params."""
    a = sample_food_params(cls, np.random.default_rng(7))
    b = sample_food_params(cls, np.random.default_rng(7))
    c = sample_food_params(cls, np.random.default_rng(8))
    assert a == b
    assert a != c


@pytest.mark.parametrize("cls", FOOD_CLASSES)
def test_params_schema_and_json(cls: str) -> None:
    """Required keys, plausible sizes, and an exact JSON round trip."""
    for seed in range(20):
        p = sample_food_params(cls, np.random.default_rng(seed))
        assert json.loads(json.dumps(p)) == p
        sx, sy, sz = p["size"]
        assert all(0.02 < s < 0.35 for s in p["size"]), p["size"]
        assert p["footprint"] in ("circle", "box")
        if p["footprint"] == "circle":
            assert sx == sy
        assert isinstance(p["stackable"], bool)
        assert max(sx, sy, sz) < 0.35


def test_realistic_sizes() -> None:
    """A few anchors: cans, eggs, apples, bottles."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        can = sample_food_params("can", rng)["size"]
        assert 0.05 < can[0] < 0.07 and 0.1 < can[2] < 0.18
        egg = sample_food_params("egg", rng)["size"]
        assert 0.05 < egg[0] < 0.07 and egg[0] > egg[2]
        apple = sample_food_params("apple", rng)["size"]
        assert 0.065 < apple[0] < 0.095
        bottle = sample_food_params("glass_bottle", rng)["size"]
        assert 0.2 < bottle[2] < 0.33


def test_unknown_class() -> None:
    """Unknown classes are rejected with a helpful message."""
    with pytest.raises(ValueError, match="pizza.*milk_carton"):
        sample_food_params("pizza", np.random.default_rng(0))


@pytest.mark.parametrize("cls", ["milk_carton", "can", "yogurt_cup", "butter_pack", "jar"])
def test_labels_differ_across_seeds(cls: str) -> None:
    """Label textures are deterministic per dict and differ between seeds."""
    la = sample_food_params(cls, np.random.default_rng(1))["label"]
    lb = sample_food_params(cls, np.random.default_rng(2))["label"]
    a1, a2 = np.asarray(draw_label(la, 128, 64)), np.asarray(draw_label(la, 128, 64))
    b = np.asarray(draw_label(lb, 128, 64))
    assert a1.shape == (64, 128, 3)
    assert np.array_equal(a1, a2)
    assert np.abs(a1.astype(int) - b.astype(int)).mean() > 5


def test_every_class_builds(collection) -> None:
    """Every class builds one mesh object that fills its size box, bottom at z=0, centred."""
    for cls in FOOD_CLASSES:
        for seed in SEEDS:
            p = sample_food_params(cls, np.random.default_rng(seed))
            ob = build_food(cls, p, f"{cls}.{seed}", collection)
            assert ob.type == "MESH" and ob.name in collection.objects
            lo, hi = world_bbox(ob)
            assert np.allclose(hi - lo, p["size"], atol=0.003), (cls, hi - lo, p["size"])
            assert abs(lo[2]) < 0.003
            assert np.allclose((lo[:2] + hi[:2]) / 2, 0, atol=0.003)
            assert len(ob.data.materials) >= 1 and all(ob.data.materials)
            ob.data.calc_loop_triangles()
            assert 0 < len(ob.data.loop_triangles) < 3000


def test_build_is_self_contained(collection) -> None:
    """No extra objects; every new data block comes from bpy.data and labels are images drawn in
    memory (unsaved pixels, packed only when a .blend is written)."""
    n_objects = len(bpy.data.objects)
    p = sample_food_params("can", np.random.default_rng(3))
    ob = build_food("can", p, "can.test", collection)
    assert len(bpy.data.objects) == n_objects + 1
    images = [im for im in bpy.data.images if im.name.startswith("can.test")]
    assert images and all(im.is_dirty and im.size[0] > 0 for im in images)
    assert {m.name for m in ob.data.materials} <= set(bpy.data.materials.keys())


def test_label_images_differ(collection) -> None:
    """The label images of two seeds are different pictures."""
    pixels = []
    for seed in (4, 5):
        p = sample_food_params("juice_carton", np.random.default_rng(seed))
        build_food("juice_carton", p, f"carton{seed}", collection)
        img = next(im for im in bpy.data.images if im.name.startswith(f"carton{seed}"))
        buf = np.empty(len(img.pixels), np.float32)
        img.pixels.foreach_get(buf)
        pixels.append(buf)
    a, b = pixels
    assert a.shape != b.shape or np.abs(a - b).mean() > 0.02


def test_build_unknown_class(collection) -> None:
    """build_food rejects unknown classes too."""
    with pytest.raises(ValueError, match="pizza"):
        build_food("pizza", {"size": [0.1, 0.1, 0.1]}, "x", collection)
