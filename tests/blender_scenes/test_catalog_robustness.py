"""Catalogs as new users write them: binary files, broken textures, the first (unmeasured) render."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from render_testutils import TINY, assert_one_line_error, export_primitives, run_cli, tree
from testutils import render_config

from blender_scenes import cli
from blender_scenes.assets.catalog import (
    CatalogError,
    catalog_file_problem,
    load_catalog,
    sidecar_path,
    validate_catalog,
)

bpy = pytest.importorskip("bpy")
from blender_scenes.assets import importers  # noqa: E402

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x80\x81binary\x00\x9c"


@pytest.fixture(scope="module")
def primitives(tmp_path_factory) -> Path:
    """Folder with cube.obj, cylinder.glb, sphere.ply and cone.stl (built with bpy)."""
    root = tmp_path_factory.mktemp("prims")
    export_primitives(root / "models")
    return root / "models"


def write_catalog(path: Path, models: Path, **extra) -> Path:
    """A 4-class catalog over the primitives; `extra` adds fields to every entry."""
    files = {"cube": "cube.obj", "cylinder": "cylinder.glb", "sphere": "sphere.ply",
             "cone": "cone.stl"}  # fmt: skip
    doc = {"classes": {c: [{"file": str(models / f), "height": 0.1, **extra}]
                       for c, f in files.items()}}  # fmt: skip
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# ---------------------------------------------------------------------------------- item 1


@pytest.mark.parametrize(
    "content",
    [PNG_BYTES, "classes:\n  k\xe4se:\n    - {file: a.obj, height: 0.1}\n".encode("latin-1")],
    ids=["binary", "latin-1"],
)
def test_binary_catalog_is_one_problem_naming_the_file(tmp_path, content):
    path = tmp_path / "catalog.yaml"
    path.write_bytes(content)
    problems = validate_catalog(path)
    assert len(problems) == 1 and str(path) in problems[0] and "not a YAML text file" in problems[0]
    assert catalog_file_problem(path) == problems[0]
    with pytest.raises(CatalogError, match="not a YAML text file"):
        load_catalog(path)


@pytest.mark.parametrize("validate_only", [False, True])
def test_binary_catalog_in_process_exits_2(tmp_path, monkeypatch, capfd, validate_only):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.glb"
    path.write_bytes(PNG_BYTES * 50)
    before = tree(tmp_path)
    args = ["assets=catalog", f"assets.catalog={path}", "out_dir=batch"]
    with pytest.raises(SystemExit) as ex:
        cli.prevalidate([*args, f"validate_only={str(validate_only).lower()}"])
    assert ex.value.code == 2
    assert_one_line_error(capfd.readouterr().err, "fridge-render", "assets.catalog", str(path))
    assert tree(tmp_path) == before


@pytest.mark.parametrize("validate_only", ["false", "true"])
def test_binary_catalog_cli(tmp_path, validate_only):
    path = tmp_path / "model.glb"
    path.write_bytes(PNG_BYTES * 50)
    before = tree(tmp_path)
    proc = run_cli("fridge-render", ["assets=catalog", f"assets.catalog={path}", "out_dir=batch",
                                     f"validate_only={validate_only}"], cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr, "fridge-render", str(path), "not a YAML text file")
    assert tree(tmp_path) == before  # no outputs/render/runs/..., no sidecar, no batch


# ---------------------------------------------------------------------------------- item 2


@pytest.fixture
def bad_textures(tmp_path) -> dict[str, Path]:
    """An empty PNG, a PNG that is not an image, a truncated PNG, and a good one."""
    good = tmp_path / "good.png"
    Image.fromarray(np.full((16, 16, 3), (40, 160, 40), np.uint8)).save(good)
    data = good.read_bytes()
    out = {"good": good}
    for name, content in (("empty", b""), ("garbage", b"hello, not an image" * 8),
                          ("truncated", data[: len(data) // 2])):  # fmt: skip
        out[name] = tmp_path / f"{name}.png"
        out[name].write_bytes(content)
    return out


def test_validation_reports_unusable_textures(tmp_path, primitives, bad_textures, caplog):
    doc = {"classes": {name: [{"file": str(primitives / "cube.obj"), "height": 0.1,
                               "texture": str(path)}]
                       for name, path in bad_textures.items()}}  # fmt: skip
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc))
    problems = validate_catalog(path)
    assert len(problems) == 3, problems
    for name in ("empty", "garbage", "truncated"):
        hits = [p for p in problems if f"class {name} " in p]
        assert len(hits) == 1 and str(bad_textures[name]) in hits[0], problems
    # rendering accepts the catalog: a warning per bad texture, the default material instead
    with caplog.at_level(logging.WARNING):
        cat = load_catalog(path)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert all(str(bad_textures[n]) in warned for n in ("empty", "garbage", "truncated"))
    assert set(cat.classes) == set(bad_textures)


def test_validate_only_lists_bad_texture(tmp_path, primitives, bad_textures, capsys):
    path = write_catalog(tmp_path / "c.yaml", primitives, texture=str(bad_textures["empty"]))
    code = cli.validate_assets({"assets": {"mode": "catalog", "catalog": str(path)}})
    err = capsys.readouterr().err
    assert code == 1
    assert err.count(str(bad_textures["empty"])) == 4  # one line per class


def test_importer_falls_back_to_default_material(tmp_path, primitives, bad_textures, caplog):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    importers.clear_cache()
    for name in ("empty", "garbage"):
        ref = importers.ModelRef(
            str(primitives / "cube.obj"), "obj", texture=str(bad_textures[name])
        )
        with caplog.at_level(logging.WARNING):
            mesh = importers.source_mesh(ref)
        assert [m.name for m in mesh.materials] == ["catalog.default.grey"]
        assert str(bad_textures[name]) in caplog.text
        assert importers.material_fallbacks(ref)
    ok = importers.ModelRef(str(primitives / "cube.obj"), "obj", texture=str(bad_textures["good"]))
    assert importers.source_mesh(ok).materials[0].name.startswith("catalog.default.tex")
    assert importers.material_fallbacks(ok) == []


def test_model_material_with_missing_image_falls_back(tmp_path, caplog):
    """An OBJ whose .mtl names an image that is gone renders grey, not magenta."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    img_path = tmp_path / "label.png"
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(img_path)
    bpy.ops.mesh.primitive_cube_add(size=0.1)
    ob = bpy.context.object
    mat = bpy.data.materials.new("labelled")
    tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
    tex.image = bpy.data.images.load(str(img_path))
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    ob.data.materials.append(mat)
    bpy.ops.wm.obj_export(filepath=str(tmp_path / "labelled.obj"), path_mode="ABSOLUTE")
    img_path.unlink()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    importers.clear_cache()
    ref = importers.ModelRef(str(tmp_path / "labelled.obj"), "obj", up="Y")
    with caplog.at_level(logging.WARNING):
        mesh = importers.source_mesh(ref)
    assert [m.name for m in mesh.materials] == ["catalog.default.grey"]
    assert "label.png" in caplog.text


def test_bad_texture_renders_default_not_magenta(tmp_path, primitives, bad_textures):
    """A catalog item with an empty texture renders in the default grey, not missing-texture pink."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    importers.clear_cache()
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"classes": {"thing": [
        {"file": str(primitives / "cube.obj"), "height": 0.1,
         "texture": str(bad_textures["empty"])}]}}))  # fmt: skip
    cfg = render_config(
        tmp_path / "out",
        "count=1",
        "seed=2",
        "assets=catalog",
        f"assets.catalog={path}",
        *TINY,
        "resolution=[96,72]",
    )
    cli.measure_catalog(cfg.sampler.catalog)
    writer.prepare(cfg.out_dir)
    render_one(cfg, 0)
    meta = json.loads((cfg.out_dir / "meta/000000.json").read_text())
    rgb = np.asarray(Image.open(cfg.out_dir / "images/000000.png"), float)
    mask = np.asarray(Image.open(cfg.out_dir / "masks/000000.png")).astype(int)
    ids = [a["instance_id"] for a in meta["annotations"] if a["visible_pixels"] >= 10]
    assert ids, "no catalog item visible"
    r, g, b = rgb[np.isin(mask, ids)].mean(axis=0)  # grey: about equal; Blender's pink: g << r, b
    assert g > 0.9 * min(r, b), f"magenta-ish items: mean RGB {r:.0f} {g:.0f} {b:.0f}"


# ---------------------------------------------------------------------------------- item 3


def test_first_catalog_render_with_worker_processes(tmp_path, primitives):
    """No measurements cached yet, workers=2: the parent measures in Blender, then spawns."""
    path = write_catalog(tmp_path / "c.yaml", primitives)
    out = tmp_path / "batch"
    assert not sidecar_path(load_catalog(path)).exists()
    proc = run_cli("fridge-render", ["assets=catalog", f"assets.catalog={path}", f"out_dir={out}",
                                     "count=2", "workers=2", *TINY,
                                     f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "_bpy" not in proc.stderr
    assert sidecar_path(load_catalog(path)).is_file()
    metas = sorted((out / "meta").glob("*.json"))
    assert [p.name for p in metas] == ["000000.json", "000001.json"]
    classes = {o["cls"] for p in metas for o in json.loads(p.read_text())["scene"]["objects"]}
    assert classes and classes <= {"cube", "cylinder", "sphere", "cone"}
