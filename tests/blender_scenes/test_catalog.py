"""User asset catalogs: YAML validation, import of every format, sizes, caching and sampling."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from blender_scenes.assets.catalog import (
    CatalogError,
    entry_size,
    load_catalog,
    load_measurements,
    sample_catalog_params,
    validate_catalog,
)

bpy = pytest.importorskip("bpy")
import bmesh  # noqa: E402

from blender_scenes.assets import importers  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MESHES = ROOT.parent / "shared" / "data" / "meshes"
CYL = (0.06, 0.06, 0.10)  # diameter, diameter, height in the files' units
BOX = (0.08, 0.05, 0.12)
TOL = 0.002


def reset() -> None:
    """Empty Blender file."""
    bpy.ops.wm.read_factory_settings(use_empty=True)


def make_object(kind: str) -> bpy.types.Object:
    """A cylinder or an off-centre box with a coloured material, linked to the scene."""
    bm = bmesh.new()
    if kind == "cyl":
        bmesh.ops.create_cone(bm, cap_ends=True, segments=32, radius1=0.03, radius2=0.03, depth=0.1)
    else:
        bmesh.ops.create_cube(bm, size=1.0)
        bmesh.ops.scale(bm, vec=BOX, verts=bm.verts)
        bmesh.ops.translate(bm, vec=(0.3, -0.2, 0.5), verts=bm.verts)
    mesh = bpy.data.meshes.new(kind)
    bm.to_mesh(mesh)
    bm.free()
    mat = bpy.data.materials.new(f"{kind}_paint")
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.1, 0.1, 1)
    mesh.materials.append(mat)
    ob = bpy.data.objects.new(kind, mesh)
    bpy.context.scene.collection.objects.link(ob)
    return ob


def export_all(folder: Path, kind: str) -> None:
    """Write `kind` as OBJ, GLB, PLY, STL, FBX and .blend (Z-up except GLB and FBX: Y-up)."""
    reset()
    ob = make_object(kind)
    axes = {"forward_axis": "Y", "up_axis": "Z"}
    bpy.ops.wm.obj_export(filepath=str(folder / f"{kind}.obj"), **axes)
    bpy.ops.wm.ply_export(filepath=str(folder / f"{kind}.ply"), **axes)
    bpy.ops.wm.stl_export(filepath=str(folder / f"{kind}.stl"), **axes)
    bpy.ops.export_scene.gltf(filepath=str(folder / f"{kind}.glb"), export_format="GLB")
    bpy.ops.export_scene.fbx(filepath=str(folder / f"{kind}.fbx"))
    bpy.data.libraries.write(str(folder / f"{kind}.blend"), {ob}, fake_user=True)


CATALOG = {
    "classes": {
        "can": [
            {"file": "models/cyl.obj", "height": 0.12, "up": "Z"},
            {"file": "models/cyl.glb", "height": 0.12},
            {"file": "models/cyl.ply", "longest": 0.15},
            {"file": "models/cyl.stl", "scale": 1.0},
            {"file": "models/cyl.blend", "object": "cyl", "height": 0.2, "weight": 2.0},
            {"file": "models/cyl.fbx", "height": 0.1, "footprint": "box"},
        ],
        "box": [
            {"file": "models/box.obj", "height": 0.2, "up": "Z", "poses": ["side"]},
            {"file": "models/box.glb", "longest": 0.24, "poses": ["any"], "hue_jitter": 0.2,
             "stackable": True, "brand": "extra fields are fine"},
            {"file": "models/box.blend", "object": "box", "scale": 2.0},
            {"file": "models/box.fbx", "height": 0.1, "poses": ["side"]},
        ],
    }
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory) -> Path:
    """A catalog over the two test models exported in five formats."""
    root = tmp_path_factory.mktemp("catalog")
    (root / "models").mkdir()
    for kind in ("cyl", "box"):
        export_all(root / "models", kind)
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump(CATALOG, sort_keys=False))
    reset()
    return path


@pytest.fixture(scope="module")
def measured(catalog_file: Path):
    """The test catalog, measured in Blender (writes the sidecar)."""
    reset()
    cat = load_catalog(catalog_file)
    assert importers.measure_and_attach(cat) == []
    return cat


def bbox(ob: bpy.types.Object) -> tuple[np.ndarray, np.ndarray]:
    """World-space min and max corners of an object's mesh."""
    mw = np.array(ob.matrix_world)
    co = np.array([v.co[:] for v in ob.data.vertices])
    co = co @ mw[:3, :3].T + mw[:3, 3]
    return co.min(axis=0), co.max(axis=0)


def assert_normalised(ob: bpy.types.Object, size: list[float]) -> None:
    """Origin at the bottom centre and bounding box equal to `size` within 2 mm."""
    lo, hi = bbox(ob)
    np.testing.assert_allclose(hi - lo, size, atol=TOL)
    np.testing.assert_allclose([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]], 0, atol=1e-5)


def test_valid_catalog_loads(catalog_file: Path) -> None:
    """A correct catalog has no problems and keeps entries in order with absolute paths."""
    assert validate_catalog(catalog_file) == []
    cat = load_catalog(catalog_file)
    assert list(cat.classes) == ["can", "box"]
    assert [e.fmt for e in cat.classes["can"]] == ["obj", "gltf", "ply", "stl", "blend", "fbx"]
    assert all(Path(e.file).is_absolute() and Path(e.file).is_file() for e in cat.entries)
    assert cat.classes["can"][1].up == "Y" and cat.classes["can"][3].up == "Z"
    assert cat.classes["box"][1].poses == ("upright", "side")
    assert cat.classes["box"][1].extra == {"brand": "extra fields are fine"}


def test_measure_every_format(measured) -> None:
    """Raw dimensions come out the same for every format and the sidecar is reloaded."""
    for e in measured.classes["can"]:
        np.testing.assert_allclose(measured.dims[e.key], CYL, atol=1e-3, err_msg=e.file)
    for e in measured.classes["box"]:
        np.testing.assert_allclose(measured.dims[e.key], BOX, atol=1e-3, err_msg=e.file)
    assert load_measurements(measured) == (measured.dims, measured.round)
    assert all(measured.round[e.key] for e in measured.classes["can"])
    assert not any(measured.round[e.key] for e in measured.classes["box"])
    assert load_catalog(measured.path).measured


@pytest.mark.parametrize("cls", ["can", "box"])
def test_import_sizes_match_catalog(measured, cls: str) -> None:
    """Each imported model fills the catalog size in each pose, origin at the bottom centre."""
    coll = bpy.data.collections.new(f"t_{cls}")
    bpy.context.scene.collection.children.link(coll)
    for e in measured.classes[cls]:
        for pose in e.poses:
            ob = importers.import_model(e, pose, collection=coll)
            assert_normalised(ob, entry_size(measured, e, pose))
            mat = ob.data.materials[0]
            if e.fmt in ("ply", "stl"):  # these formats carry no materials
                assert mat.name == "catalog.default.grey", e.file
            else:
                assert mat.name.startswith(f"{Path(e.file).stem}_paint"), e.file
    can = measured.classes["can"]
    assert entry_size(measured, can[0])[2] == pytest.approx(0.12)
    assert max(entry_size(measured, can[2])) == pytest.approx(0.15)
    assert entry_size(measured, can[3]) == pytest.approx(list(CYL), abs=1e-3)
    side = entry_size(measured, measured.classes["box"][0], "side")
    assert side == pytest.approx([0.2, 0.2 * BOX[1] / BOX[2], 0.2 * BOX[0] / BOX[2]], abs=1e-4)


def test_sample_params_and_build(measured) -> None:
    """Sampling is deterministic and JSON-clean; built items are linked duplicates."""
    a = [sample_catalog_params(measured, "box", np.random.default_rng(s)) for s in range(12)]
    b = [sample_catalog_params(measured, "box", np.random.default_rng(s)) for s in range(12)]
    assert a == b and json.loads(json.dumps(a)) == a
    assert {p["pose"] for p in a} == {"upright", "side"}
    for p in a:
        assert p["source"] == "catalog" and p["footprint"] in ("circle", "box")
        assert Path(p["file"]).is_absolute() and len(p["size"]) == 3
        assert p["rotation_deg"] == ([0.0, 90.0, 0.0] if p["pose"] == "side" else [0.0] * 3)
    coll = bpy.data.collections.new("food")
    bpy.context.scene.collection.children.link(coll)
    obs = [importers.build_catalog_object(p, f"box.{i:03d}", coll) for i, p in enumerate(a)]
    for ob, p in zip(obs, a, strict=True):
        ob.rotation_euler = (0.0, 0.0, math.radians(90))  # as scene.py does: yaw only
        ob.location = (1.0, 2.0, 0.5)
        bpy.context.view_layer.update()
        lo, hi = bbox(ob)
        dx, dy, dz = hi - lo
        np.testing.assert_allclose([dy, dx, dz], p["size"], atol=TOL)
        assert ob["food_class"] == "box"
    same = [
        ob
        for ob, p in zip(obs, a, strict=True)
        if (p["entry"], p["pose"]) == (a[0]["entry"], a[0]["pose"])
    ]
    assert len(same) >= 2 and len({ob.data.as_pointer() for ob in same}) == 1
    cans = [sample_catalog_params(measured, "can", np.random.default_rng(s)) for s in range(20)]
    assert {p["footprint"] for p in cans if p["entry"] != 5} == {"circle"}
    assert {p["footprint"] for p in cans if p["entry"] == 5} == {"box"}  # explicit in the catalog
    jittered = [ob for ob, p in zip(obs, a, strict=True) if abs(p["hue_jitter"]) > 1e-6]
    assert jittered and all(ob.material_slots[0].link == "OBJECT" for ob in jittered)
    own, shared = jittered[0].material_slots[0].material, jittered[0].data.materials[0]
    assert own != shared and shared.use_fake_user and not own.use_fake_user
    colour = own.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value
    assert not np.allclose(colour[:3], (0.8, 0.1, 0.1), atol=1e-3)


def test_each_file_imported_once_and_survives_clearing(measured) -> None:
    """One source mesh per file; a clear that keeps fake-user blocks keeps the cache."""
    e = measured.classes["can"][0]
    first = importers.import_model(e)
    n_src = sum(m.name.startswith("catalog.src.") for m in bpy.data.meshes)
    second = importers.import_model(e)
    assert second.data == first.data
    assert sum(m.name.startswith("catalog.src.") for m in bpy.data.meshes) == n_src
    mesh_name = second.data.name
    for attr in ("objects", "meshes", "materials", "images", "node_groups"):
        blocks = [b for b in getattr(bpy.data, attr) if not b.use_fake_user]
        bpy.data.batch_remove(blocks)
    third = importers.import_model(e)
    assert third.data.name == mesh_name and third.data.materials[0] is not None
    reset()  # everything gone: imported again on demand
    fourth = importers.import_model(e)
    assert_normalised(fourth, entry_size(measured, e))


def test_empty_mesh_is_a_problem(tmp_path: Path) -> None:
    """A model without geometry is flagged by the Blender measuring step."""
    reset()
    ob = bpy.data.objects.new("nothing", bpy.data.meshes.new("nothing"))
    bpy.context.scene.collection.objects.link(ob)
    bpy.ops.wm.obj_export(filepath=str(tmp_path / "empty.obj"))
    (tmp_path / "c.yaml").write_text("classes:\n  x:\n    - {file: empty.obj, height: 0.1}\n")
    cat = load_catalog(tmp_path / "c.yaml")
    problems = importers.measure_and_attach(cat, save=False)
    assert len(problems) == 1 and "empty mesh" in problems[0] and "empty.obj" in problems[0]
    assert validate_catalog(tmp_path / "c.yaml") == []  # static checks cannot see it
    deep = validate_catalog(tmp_path / "c.yaml", measure=importers.measure_problems)
    assert deep == problems


BROKEN = """\
classes:
  a:
    - {file: models/nope.obj, height: 0.1}
    - {file: models/cyl.xyz, height: 0.1}
    - {file: models/cyl.obj, height: 0}
    - {file: models/cyl.obj, height: 3.0}
    - {file: models/cyl.obj, height: 0.1, poses: [upright, flying]}
    - {file: models/cyl.obj, height: 0.1, up: X}
    - {file: models/cyl.obj}
    - {file: models/cyl.blend, height: 0.1}
    - {file: models/cyl.obj, height: 0.1, texture: models/none.png}
  b:
    - {file: models/cyl.obj, height: 0.1}
  b:
    - {file: models/cyl.obj, height: 0.1}
"""
EXPECTED = [
    ("entry 0", "missing file", "nope.obj"),
    ("entry 1", "unsupported format", "cyl.xyz"),
    ("entry 2", "absurd size", "cyl.obj"),
    ("entry 3", "absurd size", "cyl.obj"),
    ("entry 4", "unknown pose 'flying'", "cyl.obj"),
    ("entry 5", "bad up axis", "cyl.obj"),
    ("entry 6", "missing size spec", "cyl.obj"),
    ("entry 7", "without `object`", "cyl.blend"),
    ("entry 8", "missing texture", "none.png"),
    ("", "duplicate class 'b'", "broken.yaml"),
]


def test_validate_lists_every_problem(catalog_file: Path) -> None:
    """Each broken entry gets its own line naming the catalog, class, entry and file."""
    path = catalog_file.parent / "broken.yaml"
    path.write_text(BROKEN)
    (catalog_file.parent / "models" / "cyl.xyz").write_text("not a model")
    problems = validate_catalog(path)
    assert len(problems) == len(EXPECTED), problems
    for entry, what, name in EXPECTED:
        hits = [p for p in problems if what in p and name in p and entry in p]
        assert hits, f"no problem line for {what} in {problems}"
        assert all(str(path) in p for p in hits)
    deep = validate_catalog(path, measure=importers.measure_problems)
    assert deep == problems  # the importable entries measure fine: nothing more to report
    with pytest.raises(CatalogError, match="duplicate class"):
        load_catalog(path)
    bad = catalog_file.parent / "bad.yaml"
    bad.write_text("classes: [unclosed\n")
    assert len(validate_catalog(bad)) == 1 and "unreadable YAML" in validate_catalog(bad)[0]
    assert "unreadable" in validate_catalog(catalog_file.parent / "absent.yaml")[0]


def test_unmeasured_catalog_cannot_sample(tmp_path: Path, catalog_file: Path) -> None:
    """Sampling needs measurements; the error says how to get them."""
    path = tmp_path / "copy.yaml"
    models = catalog_file.parent / "models"
    path.write_text(f"classes:\n  can:\n    - {{file: {models / 'cyl.obj'}, height: 0.1}}\n")
    cat = load_catalog(path)
    with pytest.raises(CatalogError, match="measure_catalog"):
        sample_catalog_params(cat, "can", np.random.default_rng(0))


@pytest.mark.skipif(not MESHES.is_dir(), reason=f"real models not found at {MESHES}")
def test_real_models(tmp_path: Path) -> None:
    """Kenney GLBs (Y-up, multi-part, textured) and robosuite STLs (Z-up) import to size."""
    kenney = MESHES / "kenney_food_kit"
    robo = MESHES / "robosuite_food" / "objects" / "meshes"
    tex = MESHES / "robosuite_food" / "textures" / "lemon.png"
    doc = {
        "classes": {
            "apple": [{"file": str(kenney / "apple.glb"), "height": 0.08}],
            "can": [{"file": str(kenney / "can.glb"), "height": 0.12, "poses": ["any"]}],
            "milk_carton": [{"file": str(kenney / "carton.glb"), "height": 0.24}],
            "milk": [{"file": str(robo / "milk.stl"), "height": 0.2}],
            "lemon": [{"file": str(robo / "lemon.stl"), "longest": 0.09, "texture": str(tex)}],
        }
    }
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert validate_catalog(path) == []
    reset()
    cat = load_catalog(path)
    assert importers.measure_and_attach(cat) == []
    coll = bpy.data.collections.new("food")
    bpy.context.scene.collection.children.link(coll)
    rng = np.random.default_rng(0)
    for cls in cat.classes:
        for i in range(2):
            p = sample_catalog_params(cat, cls, rng)
            ob = importers.build_catalog_object(p, f"{cls}.{i}", coll)
            assert_normalised(ob, p["size"])
            assert ob.data.materials or p["format"] == "stl"
        dims = cat.dims[cat.classes[cls][0].key]
        assert dims[2] > 0
    assert cat.round["apple/0"] and not cat.round["milk_carton/0"] and not cat.round["milk/0"]
    lemon = bpy.data.objects["lemon.0"].data.materials[0]
    assert lemon.name.startswith("catalog.default.tex")
    images = [n.image for n in lemon.node_tree.nodes if n.type == "TEX_IMAGE"]
    assert images[0].size[0] > 0 and Path(images[0].filepath).name == "lemon.png"
    apple = entry_size(cat, cat.classes["apple"][0])
    assert apple[2] == pytest.approx(0.08) and max(apple[:2]) < 0.12  # upright, not on its side
