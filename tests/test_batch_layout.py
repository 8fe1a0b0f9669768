"""The batch folder contract (`fridge_batch.layout`): names, the one atomic write, shard merge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testutils import ROOT, render_config

from fridge_batch import layout

TINY_SHARD = ["count=3", "seed=5", "workers=0", "resolution=[40,32]", "render.samples=1",
              "render.denoise=false", "placement=rows", "objects.total=[2,4]",
              "objects.per_shelf=[1,3]", "fridge.shelves=[1,1]", "fridge.drawers=[0,0]",
              "camera.modes={front: 1}", "outputs.depth=false", "preview=false"]  # fmt: skip


def test_names_and_stems():
    assert layout.stem(42) == "000042"
    assert layout.image_file(7) == "images/000007.png"
    assert layout.mask_file(7) == "masks/000007.png"
    assert layout.meta_path(Path("b"), 7) == Path("b/meta/000007.json")
    assert layout.depth_file(7, "exr") == "depth/000007.exr"
    assert layout.depth_file(7, "png") == "depth/000007.png"
    assert layout.normals_file(7) == "normals/000007.png"
    assert layout.coco_part_path("b", 1, 4) == Path("b/shards/annotations-1-of-4.json")


def test_layout_imports_neither_blender_nor_torch():
    code = ("import sys, fridge_batch.layout, gan.io; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'bpy', 'torch', 'blender_scenes'}))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_both_stages_share_one_atomic_write(tmp_path):
    from blender_scenes import files
    from gan import io as gio

    assert gio.OutputError is files.OutputError is layout.OutputError
    assert files.atomic_write is layout.atomic_write and gio.temp_name is layout.temp_name
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(layout.OutputError, match=r"^could not write .*file/a\.json: "):
        gio.write_json(blocker / "a.json", {})
    gio.write_text(tmp_path / "ok.txt", "hi")
    assert (tmp_path / "ok.txt").read_text() == "hi"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "ok.txt"]  # no temp left


def _part(batch: Path, index: int, count: int, ids: list[int], images: int) -> None:
    path = layout.coco_part_path(batch, index, count)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"shard": {"index": index, "count": count, "images": images},
            "images": [{"id": i + 1} for i in ids]}  # fmt: skip
    path.write_text(json.dumps(data))


def test_parts_complete_needs_every_shard_covering_all_its_images(tmp_path):
    _part(tmp_path, 0, 2, [0, 2, 4], images=5)
    assert not layout.parts_complete(tmp_path, 5, 2)  # shard 1 has not finished
    _part(tmp_path, 1, 2, [1], images=5)
    assert not layout.parts_complete(tmp_path, 5, 2)  # shard 1 lacks image 3
    _part(tmp_path, 1, 2, [1, 3], images=5)
    assert layout.parts_complete(tmp_path, 5, 2)
    assert not layout.parts_complete(tmp_path, 6, 2)  # parts of a smaller batch do not count
    assert not layout.parts_complete(tmp_path, 5, 3)  # nor parts of another shard count


def _coco_without_date(path: Path) -> dict:
    coco = json.loads(path.read_text())
    for key in ("date_created", "year"):
        coco["info"].pop(key)
    return coco


@pytest.mark.slow
def test_two_shards_merged_equal_one_unsharded_run(tmp_path):
    """Two shards into one batch: each writes its COCO part, the second merges from meta/."""
    bpy = pytest.importorskip("bpy")
    from blender_scenes import cli

    bpy.ops.wm.read_factory_settings(use_empty=True)
    one, two = tmp_path / "one", tmp_path / "two"
    cli.render(render_config(one, *TINY_SHARD), preview=False)
    first = cli.render(render_config(two, *TINY_SHARD, "shard.count=2", "shard.index=0"), False)
    assert not first.merged and not (two / layout.ANNOTATIONS).exists()
    part = json.loads(layout.coco_part_path(two, 0, 2).read_text())
    assert [im["id"] for im in part["images"]] == [1, 3]
    second = cli.render(render_config(two, *TINY_SHARD, "shard.count=2", "shard.index=1"), False)
    assert second.merged and second.images_total == 3
    card = (two / layout.CARD_JSON).read_bytes()
    assert json.loads(card)["config"]["shard_index"] is None
    want = _coco_without_date(one / layout.ANNOTATIONS)
    assert _coco_without_date(two / layout.ANNOTATIONS) == want
    assert len(want["images"]) == 3 and want["annotations"]
    assert sorted(p.name for p in (two / layout.TMP_DIR).iterdir()) == []  # no lock, no temps
    # Either shard run again (nothing left to render) merges again, to the same files.
    again = cli.render(render_config(two, *TINY_SHARD, "shard.count=2", "shard.index=0"), False)
    assert again.merged and again.rendered == 0
    assert _coco_without_date(two / layout.ANNOTATIONS) == want
    assert (two / layout.CARD_JSON).read_bytes() == card
