"""Image loading, preprocessing and random pairing."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from gan_testutils import make_photo_folder, make_render_batch
from PIL import Image

from gan.data import (
    DataError,
    EpochSampler,
    ImageFolder,
    RandomPairDataset,
    TransformConfig,
    UnpairedDataset,
    list_images,
    load_rgb,
    transform_image,
)


def test_render_batch_uses_images_subfolder(tmp_path):
    batch = make_render_batch(tmp_path / "batch", count=3)
    files = list_images(batch)
    assert [f.parent.name for f in files] == ["images"] * 3
    assert [f.name for f in files] == ["000000.png", "000001.png", "000002.png"]


def test_missing_and_empty_folders_are_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        list_images(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="no PNG/JPEG/WebP"):
        list_images(tmp_path / "empty")


def test_grayscale_rgba_16bit_become_rgb(tmp_path):
    Image.fromarray(np.full((10, 12), 100, np.uint8), mode="L").save(tmp_path / "gray.png")
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0  # transparent pixel composited on white
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((10, 12), 65535, np.uint16)).save(tmp_path / "deep.png")
    for name in ("gray.png", "rgba.png", "deep.png"):
        img = load_rgb(tmp_path / name)
        assert img.mode == "RGB" and img.size == (12, 10)
    assert np.asarray(load_rgb(tmp_path / "gray.png"))[0, 0].tolist() == [100, 100, 100]
    rgb = np.asarray(load_rgb(tmp_path / "rgba.png"))
    assert rgb[1, 1].tolist() == [200, 0, 0] and rgb[0, 0].tolist() == [255, 255, 255]
    assert np.asarray(load_rgb(tmp_path / "deep.png"))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :10] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(arr).save(tmp_path / "rot.jpg", exif=exif, quality=100)
    img = load_rgb(tmp_path / "rot.jpg")
    assert img.size == (10, 20)
    top, bottom = np.asarray(img)[2].mean(), np.asarray(img)[-3].mean()
    assert top > 200 and bottom < 50


def test_corrupt_file_skipped_with_one_warning(tmp_path, caplog):
    folder = make_photo_folder(tmp_path / "photos", count=3)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with caplog.at_level(logging.WARNING, logger="gan.data"):
        images = ImageFolder(folder, "target")
    assert len(images) == 3
    assert [p.name for p in images.skipped] == ["broken.jpg"]
    warnings = [r for r in caplog.records if "broken.jpg" in r.getMessage()]
    assert len(warnings) == 1


def test_truncated_file_skipped_at_load(tmp_path, caplog):
    folder = make_photo_folder(tmp_path / "photos", count=2)
    good = (folder / "photo0.jpg").read_bytes()
    (folder / "aaa_truncated.jpg").write_bytes(good[: len(good) // 3])
    images = ImageFolder(folder, "target")
    cfg = TransformConfig(image_size=32)
    with caplog.at_level(logging.WARNING, logger="gan.data"):
        for i in range(len(images)):
            assert images.load(i, cfg, None).shape == (3, 32, 32)
    assert any(p.name == "aaa_truncated.jpg" for p in images.skipped)


def test_transform_sizes_and_range(tmp_path):
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 70, 3), dtype=np.uint8))
    cfg = TransformConfig(image_size=16, load_size=20)
    t = transform_image(img, cfg, np.random.default_rng(0))
    assert t.shape == (3, 16, 16) and t.min() >= -1 and t.max() <= 1
    t2 = transform_image(img, cfg, np.random.default_rng(0))
    assert torch.equal(t, t2)


def test_random_pairs_differ_between_epochs_and_repeat_with_seed(tmp_path):
    src = ImageFolder(make_render_batch(tmp_path / "src", count=6), "source")
    tgt = ImageFolder(make_photo_folder(tmp_path / "tgt", count=5), "target")
    cfg = TransformConfig(image_size=32)
    ds = RandomPairDataset(src, tgt, cfg, seed=3)
    pairings = [ds.pairing(e) for e in range(4)]
    assert len({tuple(p) for p in pairings}) > 1, "pairing must change between epochs"
    same = RandomPairDataset(src, tgt, cfg, seed=3)
    assert [same.pairing(e) for e in range(4)] == pairings
    other = RandomPairDataset(src, tgt, cfg, seed=4)
    assert [other.pairing(e) for e in range(4)] != pairings
    ds.set_epoch(1)
    same.set_epoch(1)
    a, b = ds[2], same[2]
    assert a["target_index"] == pairings[1][2]
    assert torch.equal(a["source"], b["source"]) and torch.equal(a["target"], b["target"])


def test_unpaired_dataset_length_is_larger_domain(tmp_path):
    src = ImageFolder(make_render_batch(tmp_path / "src", count=3), "source")
    tgt = ImageFolder(make_photo_folder(tmp_path / "tgt", count=5), "target")
    ds = UnpairedDataset(src, tgt, TransformConfig(image_size=32), seed=0)
    assert len(ds) == 5
    assert ds[4]["source"].shape == (3, 32, 32)


def test_epoch_sampler_shards_and_skips():
    full = EpochSampler(10, seed=1)
    full.set_epoch(2)
    order = full.indices()
    assert sorted(order) == list(range(10))
    full.set_epoch(3)
    assert full.indices() != order
    ranks = [EpochSampler(10, seed=1, rank=r, world_size=2) for r in range(2)]
    for s in ranks:
        s.set_epoch(2)
    assert sorted(ranks[0].indices() + ranks[1].indices()) == list(range(10))
    full.set_epoch(2, skip=4)
    assert list(full) == order[4:] and len(full) == 6
