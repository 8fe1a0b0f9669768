"""`fridge-export` and the dataset card, on a real tiny render batch.

The batch's COCO and the exported split COCO files load in torchvision as detection datasets
with boxes and masks; YOLO boxes and YOLO-seg polygons turn back into the batch's labels; bad
input is one line, exit 2, nothing written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from render_testutils import assert_one_line_error, tree
from testutils import ROOT, cli

from blender_scenes import card
from blender_scenes.contours import mask_polygon, outlines, polygon_to_mask, signed_area
from blender_scenes.export import check, cli_args, export, split_images

W, H = 64, 48
RENDER = [
    "count=4", "seed=2", f"resolution=[{W},{H}]", "render.samples=4", "render.denoise=false",
    "placement=rows", "objects.total=[8,14]", "camera.modes={front: 1}", "workers=0",
    "outputs.amodal=true", "dataset.licence=CC-BY-4.0", "dataset.name=tiny fridges",
    "preview=false",
]  # fmt: skip


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("export")
    out = tmp / "batch"
    cmd = [cli("fridge-render"), f"out_dir={out}", *RENDER, f"hydra.run.dir={tmp / 'hydra'}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def coco(path: Path) -> dict:
    return json.loads(path.read_text())


def instance_masks(batch: Path) -> dict[str, np.ndarray]:
    """Instance-id mask of every image, by image file name (stem)."""
    return {
        p.stem: np.asarray(Image.open(p)).astype(np.int64) for p in (batch / "masks").glob("*.png")
    }


def run_export(batch: Path, out: Path, *args: str) -> dict:
    """Export in this process (as the console script does after its checks); the summary."""
    plain = {
        "batch": str(batch), "out": str(out), "format": "yolo", "overwrite": False,
        "split": {"val": 0.25, "seed": 0}, "classes": None, "class_map": None,
        "filter": {"max_occlusion": 1.0, "min_visible_pixels": 1}, "polygons": "largest",
        "simplify": 0.0,
    }  # fmt: skip
    for a in args:
        key, _, value = a.partition("=")
        node = plain
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        node[last] = yaml.safe_load(value)
    return export(*check(plain))


def load_detection(root: Path, ann: Path):
    """torchvision's CocoDetection wrapped for the v2 transforms: boxes, labels, masks."""
    from torchvision.datasets import CocoDetection, wrap_dataset_for_transforms_v2

    ds = CocoDetection(str(root), str(ann))
    return wrap_dataset_for_transforms_v2(ds, target_keys=("image_id", "boxes", "labels", "masks"))


def check_detection(ds, masks: dict[str, np.ndarray], data: dict) -> int:
    """Every item's boxes and masks match the COCO records and the instance masks; objects seen."""
    by_image = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    seen = 0
    for k in range(len(ds)):
        image, target = ds[k]
        info = next(im for im in data["images"] if im["id"] == target["image_id"])
        anns = by_image.get(target["image_id"], [])
        if not anns:
            continue
        assert tuple(image.size) == (W, H)
        boxes = target["boxes"].numpy()
        assert target["boxes"].format.value == "XYXY" and len(boxes) == len(anns)
        ids = masks[Path(info["file_name"]).stem]
        for box, mask, label, a in zip(boxes, target["masks"].numpy(), target["labels"].tolist(),
                                       anns, strict=True):  # fmt: skip
            x, y, w, h = a["bbox"]
            assert np.allclose(box, [x, y, x + w, y + h]) and label == a["category_id"]
            assert (mask.astype(bool) == (ids == a["instance_id"])).all()
            seen += 1
    return seen


# ---------------------------------------------------------------------------------- render batch


def test_batch_coco_loads_in_torchvision(batch):
    pytest.importorskip("torchvision")
    data = coco(batch / "annotations.json")
    ds = load_detection(batch, batch / "annotations.json")
    assert len(ds) == 4
    assert check_detection(ds, instance_masks(batch), data) == len(data["annotations"]) >= 12
    im = data["images"][0]
    assert im["depth_file"] == "depth/000000.png" and np.array(im["camera"]["K"]).shape == (3, 3)
    assert all("amodal_segmentation" in a for a in data["annotations"])


def test_dataset_card(batch):
    data = coco(batch / "annotations.json")
    assert data["licenses"][0] == {"id": 1, "name": "CC-BY-4.0", "url": ""}
    assert data["info"]["year"] >= 2024 and all(im["license"] == 1 for im in data["images"])
    meta = [json.loads(p.read_text()) for p in sorted((batch / "meta").glob("*.json"))]
    d = json.loads((batch / "dataset.json").read_text())
    assert d["name"] == "tiny fridges" and d["images"] == 4 and d["licence"] == "CC-BY-4.0"
    assert d["software"]["blender"] == ["5.0.1"]
    assert d["software"]["python"] == [".".join(map(str, sys.version_info[:3]))]
    assert d["config"]["resolution"] == [W, H] and d["config"]["outputs"]["amodal"] is True
    assert d["outputs"] == {"depth": ["png16"], "normals": [], "amodal_images": 4}
    labelled = sum(c["labelled"] for c in d["classes"].values())
    assert labelled == len(data["annotations"]) == sum(d["occlusion"]["counts"])
    assert sum(c["placed"] for c in d["classes"].values()) == sum(
        len(m["scene"]["objects"]) for m in meta
    )
    occ = d["occlusion"]
    assert labelled + occ["fully_hidden"] + occ["outside_frame"] == sum(
        len(m["annotations"]) for m in meta
    )
    high = sum(a["occlusion"] >= 0.5 for a in data["annotations"])
    assert sum(occ["counts"][5:]) == high
    readme = (batch / "README.md").read_text()
    assert readme.startswith("# tiny fridges") and "CC-BY-4.0" in readme
    for cls, n in d["classes"].items():
        assert f"| {cls} | {n['labelled']} | {n['placed']} | {n['images']} |" in readme
    assert "## Render configuration" in readme and "samples: 4" in readme


def test_card_lists_catalog_licences():
    obj = {"cls": "ketchup", "params": {"source": "catalog", "file": "/m/ketchup.glb",
                                        "licence": "CC0-1.0"}}  # fmt: skip
    bare = {"cls": "mustard", "params": {"source": "catalog", "file": "/m/mustard.obj"}}
    meta = {"image": {"index": 0, "width": 8, "height": 8}, "scene": {"objects": [obj, obj, bare]},
            "annotations": []}  # fmt: skip
    d = card.build_card([meta], {"licence": "CC-BY-4.0"})
    assert d["asset_licences"] == [
        {"file": "/m/ketchup.glb", "class": "ketchup", "licence": "CC0-1.0", "instances": 2},
        {"file": "/m/mustard.obj", "class": "mustard", "licence": None, "instances": 1},
    ]
    assert [x["name"] for x in d["licenses"]] == ["CC-BY-4.0", "CC0-1.0"]
    text = card.card_markdown(d)
    assert "ketchup.glb (ketchup, 2 instances): CC0-1.0" in text
    assert "mustard.obj (mustard, 1 instances): no licence given" in text


def test_catalog_licence_field(tmp_path):
    from blender_scenes.assets.catalog import load_catalog, sample_catalog_params, validate_catalog

    (tmp_path / "a.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    doc = {"classes": {"ketchup": [{"file": "a.obj", "height": 0.2, "licence": "CC0-1.0"}],
                       "mustard": [{"file": "a.obj", "height": 0.2, "license": "CC-BY-4.0"}],
                       "mayo": [{"file": "a.obj", "height": 0.2}]}}  # fmt: skip
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    cat = load_catalog(path)
    assert [e.licence for e in cat.entries] == ["CC0-1.0", "CC-BY-4.0", None]
    assert all(not e.extra for e in cat.entries)
    for e in cat.entries:
        cat.dims[e.key], cat.round[e.key] = [1.0, 1.0, 1.0], False
    rng = np.random.default_rng(0)
    assert sample_catalog_params(cat, "ketchup", rng)["licence"] == "CC0-1.0"
    assert "licence" not in sample_catalog_params(cat, "mayo", rng)
    doc["classes"]["mayo"][0].update(licence="x", license="y")
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert any("licence or license" in p for p in validate_catalog(path))


# ---------------------------------------------------------------------------------- export


def test_split_is_seeded_and_keeps_both_sides():
    a = split_images(20, 0.1, 3)
    assert a == split_images(20, 0.1, 3) and a != split_images(20, 0.1, 4)
    assert len(a["val"]) == 2 and sorted(a["train"] + a["val"]) == list(range(20))
    assert len(split_images(3, 0.1, 0)["val"]) == 1 and split_images(5, 0.0, 0)["val"] == []
    assert len(split_images(2, 0.9, 0)["train"]) == 1


def test_yolo_labels_round_trip_to_boxes(batch, tmp_path):
    out = tmp_path / "yolo"
    summary = run_export(batch, out, "format=yolo")
    src = coco(batch / "annotations.json")
    names = {c["id"]: c["name"] for c in src["categories"]}
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["path"] == str(out.resolve()) and data["train"] == "images/train"
    assert data["val"] == "images/val" and data["nc"] == len(data["names"])
    assert summary["splits"]["val"]["images"] == 1 and summary["splits"]["train"]["images"] == 3
    checked = 0
    for split in ("train", "val"):
        for img in sorted((out / "images" / split).glob("*.png")):
            assert img.read_bytes() == (batch / "images" / img.name).read_bytes()
            image_id = int(img.stem) + 1
            want = sorted((names[a["category_id"]], a["bbox"]) for a in src["annotations"]
                          if a["image_id"] == image_id)  # fmt: skip
            got = []
            for line in (out / "labels" / split / f"{img.stem}.txt").read_text().splitlines():
                cls, cx, cy, w, h = line.split()
                cx, cy, w, h = float(cx) * W, float(cy) * H, float(w) * W, float(h) * H
                got.append((data["names"][int(cls)], [cx - w / 2, cy - h / 2, w, h]))
            got.sort(key=lambda t: (t[0], [round(v) for v in t[1]]))
            assert [g[0] for g in got] == [c for c, _ in want]
            for (_, box), (_, ref) in zip(got, want, strict=True):
                assert np.abs(np.array(box) - ref).max() < 1.0  # within a pixel (here: 1e-4)
                checked += 1
    assert checked == len(src["annotations"])


@pytest.mark.parametrize("mode", ["all", "largest"])
def test_yolo_seg_polygons_rasterise_back_to_the_masks(batch, tmp_path, mode):
    out = tmp_path / mode
    run_export(batch, out, "format=yolo-seg", f"polygons={mode}", "split.val=0")
    src = coco(batch / "annotations.json")
    masks = instance_masks(batch)
    ious = []
    for lbl in sorted((out / "labels" / "train").glob("*.txt")):
        anns = [a for a in src["annotations"] if a["image_id"] == int(lbl.stem) + 1]
        lines = lbl.read_text().splitlines()
        assert len(lines) == len(anns)
        for line in lines:
            vals = np.array(line.split()[1:], float).reshape(-1, 2) * [W, H]
            poly = polygon_to_mask(vals, W, H)
            best = max(anns, key=lambda a: (poly & (masks[lbl.stem] == a["instance_id"])).sum())
            ids = masks[lbl.stem] == best["instance_id"]
            ious.append((poly & ids).sum() / (poly | ids).sum())
            if mode == "all":  # every outline: exactly the mask with its holes filled
                holes = sum(polygon_to_mask(p, W, H) for p in outlines(ids) if signed_area(p) > 0)
                assert (poly == (ids | (holes > 0))).all()
            else:
                assert (poly <= polygon_to_mask(mask_polygon(ids, "all"), W, H)).all()
    assert len(ious) == len(src["annotations"])
    assert np.mean(ious) > (0.99 if mode == "all" else 0.9) and min(ious) > 0.3


def test_exported_coco_loads_in_torchvision_with_class_map(batch, tmp_path):
    pytest.importorskip("torchvision")
    out = tmp_path / "coco"
    run_export(batch, out, "format=coco", "class_map={lemon: citrus, orange: citrus, egg: null}")
    assert not (out / "labels").exists() and not (out / "data.yaml").exists()
    src = coco(batch / "annotations.json")
    src_names = {c["id"]: c["name"] for c in src["categories"]}
    masks = instance_masks(batch)
    total = 0
    for split in ("train", "val"):
        data = coco(out / "annotations" / f"instances_{split}.json")
        names = [c["name"] for c in data["categories"]]
        assert "citrus" in names and not {"lemon", "orange", "egg"} & set(names)
        assert data["licenses"][0]["name"] == "CC-BY-4.0"
        for a in data["annotations"]:
            expect = {"lemon": "citrus", "orange": "citrus"}.get(
                a["source_class"], a["source_class"]
            )
            assert names[a["category_id"] - 1] == expect
        ds = load_detection(out / "images" / split, out / "annotations" / f"instances_{split}.json")
        assert len(ds) == len(data["images"])
        total += check_detection(ds, masks, data)
    kept = [a for a in src["annotations"] if src_names[a["category_id"]] != "egg"]
    assert total == len(kept)


def test_filters_drop_labels(batch, tmp_path):
    out = tmp_path / "filtered"
    summary = run_export(batch, out, "format=coco", "filter.max_occlusion=0.2",
                         "filter.min_visible_pixels=20", "classes=[apple, tomato, unicorn]")  # fmt: skip
    src = coco(batch / "annotations.json")
    src_names = {c["id"]: c["name"] for c in src["categories"]}
    keep = [a for a in src["annotations"] if a["occlusion"] <= 0.2 and a["area"] >= 20
            and src_names[a["category_id"]] in ("apple", "tomato")]  # fmt: skip
    anns = [a for s in ("train", "val")
            for a in coco(out / "annotations" / f"instances_{s}.json")["annotations"]]  # fmt: skip
    assert sorted(a["instance_id"] for a in anns) == sorted(a["instance_id"] for a in keep)
    assert summary["classes"] == ["apple", "tomato", "unicorn"]
    assert sum(summary["dropped"].values()) == len(src["annotations"]) - len(keep)


def test_overwrite_replaces_the_whole_folder(batch, tmp_path):
    out = tmp_path / "again"
    run_export(batch, out, "format=yolo")
    (out / "stale.txt").write_text("old")
    run_export(batch, out, "format=coco", "overwrite=true")
    assert not (out / "stale.txt").exists() and not (out / "labels").exists()
    assert (out / "annotations" / "instances_train.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left


# ---------------------------------------------------------------------------------- CLI


def run_module(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`fridge-export` as a console script would run it (python -m, this checkout first)."""
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "blender_scenes.export", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, func = scripts["fridge-export"].partition(":")
    assert (module, func) == ("blender_scenes.export", "main")
    assert cli_args(["b", "out=x", "c"]) == ["batch=b", "out=x", "c"]


def test_export_runs_without_blender(batch, tmp_path):
    code = (
        "import sys; from blender_scenes import export; "
        f"sys.argv = ['fridge-export', {str(batch)!r}, 'format=yolo-seg', 'out={tmp_path / 'ds'}', "
        f"'hydra.run.dir={tmp_path / 'h'}']\n"
        "try:\n    export.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'bpy' not in sys.modules, 'bpy imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list((tmp_path / "ds" / "labels" / "train").glob("*.txt"))) == 3


def error_cases(batch: Path, tmp: Path) -> list[tuple[list[str], tuple[str, ...]]]:
    full = tmp / "full"
    full.mkdir()
    (full / "x").write_text("keep")
    out = f"out={tmp / 'new'}"
    return [
        ([str(batch), "format=pascal", out], ("format", "pascal")),
        ([str(batch), out, "class_map={lemmon: lime}"], ("class_map.lemmon", "unknown class")),
        ([str(tmp / "nobatch"), out], ("batch", "no such folder")),
        ([str(full), out], ("batch", "no rendered images")),
        ([str(batch), f"out={full}"], ("out", "not empty", "overwrite=true")),
        ([out], ("batch", "missing value")),
        ([str(batch), out, "split.val=1.5"], ("split.val",)),
        ([str(batch), out, "classes=[a, a]"], ("classes", "twice")),
        ([str(batch), f"out={batch / 'sub'}"], ("out", "overlaps")),
    ]


def test_export_errors_in_process(batch, tmp_path, monkeypatch, capfd):
    from blender_scenes import export as export_module

    monkeypatch.chdir(tmp_path)
    for args, words in error_cases(batch, tmp_path):
        before, batch_before = tree(tmp_path), tree(batch)
        monkeypatch.setattr(sys, "argv", ["fridge-export", *args])
        with pytest.raises(SystemExit) as ex:
            export_module.main()
        assert ex.value.code == 2, args
        assert_one_line_error(capfd.readouterr().err, "fridge-export", *words)
        assert tree(tmp_path) == before and tree(batch) == batch_before


def test_export_error_subprocess(batch, tmp_path):
    proc = run_module([str(batch), "format=yolo", "class_map={unicorn: horse}", f"out={tmp_path / 'o'}"],
                      cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "fridge-export", "class_map.unicorn", "unknown class")
    assert tree(tmp_path) == set()
