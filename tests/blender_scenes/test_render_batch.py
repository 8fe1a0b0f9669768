"""Render real batches through the `fridge-render` app and check files, labels and reproducibility."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from testutils import cli

ACCEPT = ["count=8", "seed=3", "resolution=[160,120]", "render.samples=16"]


def render(tmp: Path, out: Path, *args: str, multirun: bool = False) -> subprocess.CompletedProcess:
    """Run fridge-render and fail loudly with its output."""
    hydra_dir = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    cmd = [
        cli("fridge-render"),
        *(["--multirun"] if multirun else []),
        f"out_dir={out}",
        *args,
        f"{hydra_dir}={tmp / 'hydra' / out.name}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    out = tmp / "check"
    render(tmp, out, *ACCEPT)
    return tmp, out


def metas(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "meta").glob("*.json"))}


def test_batch_files_and_coco(batch):
    _, out = batch
    for sub in ("images", "masks", "meta"):
        assert len(list((out / sub).glob("*"))) == 8, sub
    assert not list((out / "images").glob(".*")) and not list((out / ".tmp").glob("*.png"))
    coco = COCO(str(out / "annotations.json"))
    assert len(coco.getImgIds()) == 8
    classes = set()
    for img_id in coco.getImgIds():
        img = coco.imgs[img_id]
        assert (img["width"], img["height"]) == (160, 120)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert len(anns) >= 5, img["file_name"]
        for a in anns:
            x, y, w, h = a["bbox"]
            assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 160 and y + h <= 120
            assert 0.0 <= a["occlusion"] <= 1.0 and a["iscrowd"] == 0 and a["area"] > 0
            classes.add(coco.cats[a["category_id"]]["name"])
    assert len(classes) >= 8, classes
    assert (out / "preview.png").exists() and (out / "preview_labels.png").exists()


def test_masks_match_labels(batch):
    _, out = batch
    for p in sorted((out / "meta").glob("*.json")):
        meta = json.loads(p.read_text())
        mask_img = Image.open(out / meta["image"]["mask_file"])
        assert mask_img.mode in ("I;16", "I")
        mask = np.asarray(mask_img).astype(np.int64)
        assert mask.shape == (120, 160)
        ids = {a["instance_id"] for a in meta["annotations"]}
        assert set(np.unique(mask)) - {0} <= ids  # only known instances, no blended values
        for a in meta["annotations"]:
            binary = mask == a["instance_id"]
            assert binary.sum() == a["visible_pixels"]
            if a["segmentation"]:
                rle = dict(a["segmentation"], counts=a["segmentation"]["counts"].encode())
                assert (mask_utils.decode(rle).astype(bool) == binary).all()
            if a["visible_pixels"]:
                assert a["unoccluded_pixels"] >= a["visible_pixels"]
        assert meta["scene"]["index"] == meta["image"]["index"]


def test_rerun_renders_nothing_new(batch):
    tmp, out = batch
    before = {p: p.stat().st_mtime_ns for p in (out / "images").glob("*.png")}
    proc = render(tmp, out, *ACCEPT)
    assert "rendered 0, skipped 8" in proc.stderr + proc.stdout
    assert {p: p.stat().st_mtime_ns for p in (out / "images").glob("*.png")} == before


def test_same_command_elsewhere_with_two_workers_is_byte_identical(batch):
    tmp, out = batch
    other = tmp / "again"
    render(tmp, other, *ACCEPT, "workers=2")
    assert metas(other) == metas(out)


def test_resume_after_a_killed_run(batch):
    tmp, out = batch
    part = tmp / "partial"
    render(tmp, part, "count=3", *ACCEPT[1:])
    (part / "meta" / "000001.json").unlink()  # as if killed before finishing image 1
    (part / ".tmp" / "123-000001.png").write_bytes(b"half")  # a half-written temp file
    proc = render(tmp, part, *ACCEPT)
    assert "rendered 6, skipped 2" in proc.stderr + proc.stdout
    assert metas(part) == metas(out)


def test_shards_as_a_joblib_multirun(batch):
    tmp, out = batch
    sharded = tmp / "sharded"
    render(
        tmp,
        sharded,
        "count=4",
        *ACCEPT[1:],
        "shard.count=2",
        "shard.index=0,1",
        "hydra/launcher=joblib",
        multirun=True,
    )
    want = {k: v for k, v in metas(out).items() if int(k[:6]) < 4}
    assert metas(sharded) == want
    coco = json.loads((sharded / "annotations.json").read_text())
    assert len(coco["images"]) == 4


def test_shards_with_submitit_local(batch):
    tmp, out = batch
    sharded = tmp / "submitit"
    render(
        tmp,
        sharded,
        "count=2",
        *ACCEPT[1:],
        "shard.count=2",
        "shard.index=0,1",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        multirun=True,
    )
    want = {k: v for k, v in metas(out).items() if int(k[:6]) < 2}
    assert metas(sharded) == want


PHYSICS = [
    "placement=physics",
    "seed=4",
    "resolution=[96,72]",
    "render.samples=4",
    "render.denoise=false",
]


def test_physics_batches_are_identical_across_workers_and_resume(batch):
    # The rigid-body settling runs in each worker; its final poses must not depend on which
    # process simulated which scene, or on what that process rendered before.
    tmp, _ = batch
    one, two, part = tmp / "phys1", tmp / "phys2", tmp / "phys_part"
    render(tmp, one, "count=4", *PHYSICS, "workers=1")
    render(tmp, two, "count=4", *PHYSICS, "workers=2")
    assert len(metas(one)) == 4 and metas(two) == metas(one)
    scenes = [json.loads(m)["scene"] for m in metas(one).values()]
    assert all(s["placement"]["mode"] == "physics" and s["placement"]["settled"] for s in scenes)
    render(tmp, part, "count=2", *PHYSICS)
    proc = render(tmp, part, "count=4", *PHYSICS)
    assert "rendered 2, skipped 2" in proc.stderr + proc.stdout
    assert metas(part) == metas(one)


def saturation(img: np.ndarray) -> float:
    """Mean (max - min) over the channels of an 8-bit RGB image."""
    rgb = img.astype(np.float32)
    return float((rgb.max(axis=2) - rgb.min(axis=2)).mean())


def test_view_transform_changes_only_the_tone_of_the_image(batch):
    tmp, out = batch
    std = tmp / "standard"
    render(tmp, std, *ACCEPT[1:], "count=1", "camera.view_transform=Standard")
    name = "000000.png"
    a = np.asarray(Image.open(out / "images" / name).convert("RGB"))
    b = np.asarray(Image.open(std / "images" / name).convert("RGB"))
    assert (out / "masks" / name).read_bytes() == (std / "masks" / name).read_bytes()
    assert np.abs(a.astype(int) - b).mean() > 2.0
    assert saturation(b) > saturation(a)  # the plain sRGB curve keeps colours AgX desaturates
    world = json.loads((std / "meta" / "000000.json").read_text())["scene"]["world"]
    assert world["view_transform"] == "Standard"
    before = json.loads((out / "meta" / "000000.json").read_text())["scene"]["world"]
    assert "view_transform" not in before


def test_auto_exposure_meters_each_render(batch):
    """`camera.auto_exposure`: a fridge lit ten times brighter gives an image of about the same
    brightness (with a fixed exposure it does not); the metered EV is in meta and the labels
    are those of the unmetered render."""
    tmp, _ = batch
    means, worlds, masks = {}, {}, {}
    for power in ("0.3", "3.0"):
        for key in ("null", "0.25"):
            out = tmp / f"ae_{power}_{key}"
            render(tmp, out, *ACCEPT[1:], "count=1", f"lights.power={power}",
                   f"camera.auto_exposure={key}")  # fmt: skip
            rgb = np.asarray(Image.open(out / "images" / "000000.png").convert("RGB"))
            means[power, key] = float(rgb.mean())
            worlds[power, key] = json.loads((out / "meta" / "000000.json").read_text())["scene"][
                "world"
            ]
            masks[power, key] = (out / "masks" / "000000.png").read_bytes()
    assert means["3.0", "null"] > 1.6 * means["0.3", "null"], means
    assert abs(means["3.0", "0.25"] / means["0.3", "0.25"] - 1) < 0.2, means
    assert "metered_ev" not in worlds["0.3", "null"]
    assert worlds["0.3", "0.25"]["metered_ev"] > worlds["3.0", "0.25"]["metered_ev"] + 1.5
    assert len(set(masks.values())) == 1


def test_metering_brings_the_log_average_to_the_key():
    from blender_scenes.render import METER_LIMIT_EV, metered_ev

    grey = np.full((8, 8, 3), 0.045, dtype=np.float32)
    assert metered_ev(grey, 0.18) == pytest.approx(2.0, abs=0.01)  # 0.045 * 2^2 = 0.18
    spot = grey.copy()
    spot[0, 0] = 50.0  # a lamp in view: a plain mean would darken the shot by about 6 EV
    assert metered_ev(spot, 0.18) == pytest.approx(metered_ev(grey, 0.18), abs=0.2)
    assert metered_ev(np.zeros((4, 4, 3), np.float32), 0.18) == METER_LIMIT_EV
    assert metered_ev(np.full((4, 4, 3), 1e3, np.float32), 0.18) == -METER_LIMIT_EV
