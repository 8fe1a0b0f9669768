"""`style=photo`: camera flaws on the same scenes, with labels that follow the warped image."""

import json

import numpy as np
from PIL import Image
from testutils import render_config

from blender_scenes.photo_style import (
    camera_linear,
    camera_sensor,
    distortion_maps,
    sample_photo_style,
    warp,
)


def test_style_is_reproducible_and_varies():
    assert sample_photo_style(3, 1) == sample_photo_style(3, 1)
    assert sample_photo_style(3, 1) != sample_photo_style(3, 2)
    s = sample_photo_style(0, 0)
    assert 35 <= s.jpeg_quality < 80 and 0 <= s.distortion_k1 <= 0.12
    json.dumps(s.to_dict())


def test_distortion_keeps_the_frame_filled():
    sx, sy = distortion_maps(60, 80, 0.1)
    assert 0 <= sx[0, 0] < 0.5 and 58.5 < sy[-1, -1] <= 59.0  # corners stay corners
    assert abs(sx[30, 40] - 39.5) < 1.0  # centre stays put
    ids = np.arange(60 * 80, dtype=np.uint16).reshape(60, 80)
    rgb = np.zeros((60, 80, 3), np.uint8)
    assert warp(rgb, ids, 0.0)[1] is ids
    _, warped = warp(rgb, ids, 0.1)
    assert set(np.unique(warped)) <= set(np.unique(ids))  # nearest: no blended ids


def test_sensor_flaws_change_pixels_not_labels_shape():
    rng = np.random.default_rng(0)
    linear = rng.uniform(0, 1, (48, 64, 3)).astype(np.float32)
    ids = np.zeros((48, 64), np.uint16)
    ids[10:30, 20:40] = 7
    s = sample_photo_style(1, 4)
    lin = camera_linear(linear, s)
    assert lin.shape == linear.shape and np.isfinite(lin).all()
    rgb = np.clip(lin * 255, 0, 255).astype(np.uint8)
    out, out_ids = camera_sensor(rgb, ids, s, 1, 4)
    assert out.shape == rgb.shape and out.dtype == np.uint8 and out_ids.shape == ids.shape
    assert set(np.unique(out_ids)) <= {0, 7}
    again, _ = camera_sensor(rgb, ids, s, 1, 4)
    assert (again == out).all()  # noise is seeded too


def test_clean_and_photo_batches_share_scenes(tmp_path, fresh_blender):
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    metas = {}
    for style in ("clean", "photo"):
        cfg = render_config(
            tmp_path / style,
            "count=2",
            "seed=3",
            "resolution=[96,72]",
            "render.samples=4",
            "render.denoise=false",
            f"style={style}",
        )
        writer.prepare(cfg.out_dir)
        render_one(cfg, 1)
        metas[style] = json.loads((cfg.out_dir / "meta" / "000001.json").read_text())
    assert metas["clean"]["scene"] == metas["photo"]["scene"]
    assert metas["clean"]["style"] == {"name": "clean"}
    assert metas["photo"]["style"]["name"] == "photo"
    a = np.asarray(Image.open(tmp_path / "clean/images/000001.png"), float)
    b = np.asarray(Image.open(tmp_path / "photo/images/000001.png"), float)
    assert np.abs(a - b).mean() > 3
    visible = [x for x in metas["photo"]["annotations"] if x["visible_pixels"] > 0]
    assert len(visible) >= 3
