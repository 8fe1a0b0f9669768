"""Asset catalogs through the `fridge-render` app: rendering user models and validate_only."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pycocotools.coco import COCO
from test_catalog import CATALOG, export_all, reset
from testutils import SHARED, cli

SMALL = [
    "resolution=[128,96]",
    "render.samples=4",
    "render.denoise=false",
    "workers=0",
    "objects.total=[30,40]",
    "camera.modes={front: 1}",
    "placement=rows",
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cat")
    (root / "models").mkdir()
    for kind in ("cyl", "box"):
        export_all(root / "models", kind)
    reset()
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump(CATALOG, sort_keys=False))
    return path


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [cli("fridge-render"), *args, f"hydra.run.dir={tmp / 'hydra'}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def classes_in(out: Path) -> set[str]:
    coco = COCO(str(out / "annotations.json"))
    return {coco.cats[a["category_id"]]["name"] for a in coco.dataset["annotations"]}


def test_catalog_only_batch(tmp_path, catalog):
    out = tmp_path / "b"
    proc = run(
        tmp_path,
        f"out_dir={out}",
        "count=2",
        "seed=1",
        "assets=catalog",
        f"assets.catalog={catalog}",
        *SMALL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert classes_in(out) == {"can", "box"}
    for p in (out / "meta").glob("*.json"):
        meta = json.loads(p.read_text())
        objs = meta["scene"]["objects"]
        assert objs and all(o["params"]["source"] == "catalog" for o in objs)
        assert any(a["visible_pixels"] > 0 for a in meta["annotations"])


def test_mixed_batch_merges_classes(tmp_path, catalog):
    out = tmp_path / "m"
    proc = run(
        tmp_path,
        f"out_dir={out}",
        "count=2",
        "seed=2",
        "assets=mixed",
        f"assets.catalog={catalog}",
        *SMALL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    sources = {
        o["params"].get("source", "procedural")
        for p in (out / "meta").glob("*.json")
        for o in json.loads(p.read_text())["scene"]["objects"]
        if o["cls"] == "can"
    }
    assert sources == {"catalog", "procedural"}  # "can" exists in both and draws from both
    assert "box" in classes_in(out) and len(classes_in(out)) >= 6


def test_validate_only(tmp_path, catalog):
    ok = run(
        tmp_path,
        "out_dir=unused",
        "validate_only=true",
        "assets=catalog",
        f"assets.catalog={catalog}",
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        yaml.safe_dump(
            {
                "classes": {
                    "a": [{"file": "missing.glb", "height": 0.1}],
                    "b": [{"file": str(catalog.parent / "models" / "cyl.obj"), "height": -1}],
                    "c": [{"file": str(catalog), "height": 0.1}],
                    "d": [
                        {
                            "file": str(catalog.parent / "models" / "cyl.obj"),
                            "height": 0.1,
                            "poses": ["flying"],
                        }
                    ],
                }
            }
        )
    )
    bad = run(
        tmp_path,
        "out_dir=unused",
        "validate_only=true",
        "assets=catalog",
        f"assets.catalog={broken}",
    )
    assert bad.returncode == 1
    lines = [ln for ln in bad.stderr.splitlines() if "broken.yaml" in ln]
    assert len(lines) >= 4, bad.stderr
    assert not Path("unused").exists()


def test_missing_catalog_is_a_config_error(tmp_path):
    proc = run(tmp_path, f"out_dir={tmp_path / 'x'}", "assets=catalog")
    assert proc.returncode == 2 and "assets.catalog:" in proc.stderr


@pytest.mark.skipif(not (SHARED / "meshes").is_dir(), reason="../shared/data/meshes is absent")
def test_real_third_party_models(tmp_path):
    kenney = SHARED / "meshes" / "kenney_food_kit"
    robo = SHARED / "meshes" / "robosuite_food" / "objects" / "meshes"
    doc = {
        "classes": {
            "apple": [{"file": str(kenney / "apple.glb"), "height": 0.08}],
            "milk_carton": [{"file": str(kenney / "carton.glb"), "height": 0.22}],
            "ketchup": [{"file": str(kenney / "bottleKetchup.glb"), "height": 0.2}],
            "milk": [{"file": str(robo / "milk.stl"), "height": 0.2}],
        }
    }
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "r"
    proc = run(
        tmp_path,
        f"out_dir={out}",
        "count=2",
        "seed=3",
        "assets=catalog",
        f"assets.catalog={path}",
        *SMALL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert classes_in(out) == set(doc["classes"])
