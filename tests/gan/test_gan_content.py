"""Content score: mask plumbing, semantic maps, the segmenter, its cache, trainer and fridge-eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import TINY, compose, make_photo_folder, make_render_batch
from PIL import Image, ImageDraw, ImageFilter
from torch.utils.data import DataLoader

from gan import content as content_mod
from gan import data as data_mod
from gan.config import ConfigError, ContentConfig, from_mapping, parse_train_config
from gan.content import (
    Segmenter,
    confusion,
    content_score,
    content_score_folder,
    load_or_train_segmenter,
    scores_from_confusion,
    segmenter_path,
    settings_from_config,
)
from gan.data import (
    IGNORE_INDEX,
    ImageFolder,
    RandomPairDataset,
    TransformConfig,
    batch_classes,
    eval_mask_batch,
    pil_to_tensor,
    render_labels,
    semantic_maps,
)
from gan.distributed import DistInfo
from gan.evaluate import evaluate
from gan.train import prevalidate
from gan.trainer import Trainer

SHAPE_CLASSES = ("box", "disc", "bar")
SHAPE_COLOURS = {"box": (200, 60, 50), "disc": (60, 90, 210), "bar": (70, 180, 70)}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_shapes_batch(root: Path, count: int = 8, size: int = 48, seed: int = 0) -> Path:
    """A render-like batch whose classes are learnable in a few steps: a red square, a blue
    disc and a green bar (2-3 per image, jittered colours) on a blotchy grey background,
    with 16-bit instance masks, meta records and COCO categories."""
    rng = np.random.default_rng(seed)
    for sub in ("images", "masks", "meta"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name = f"{i:06d}.png"
        base = rng.integers(90, 160, (size // 6 + 1, size // 6 + 1, 3)).astype(np.uint8)
        img = Image.fromarray(base).resize((size, size), Image.BILINEAR)
        ids = Image.new("I", (size, size), 0)
        draw, mdraw = ImageDraw.Draw(img), ImageDraw.Draw(ids)
        anns = []
        for k, cls in enumerate(rng.permutation(SHAPE_CLASSES)[: rng.integers(2, 4)]):
            s = int(rng.integers(10, 16))
            x0, y0 = int(rng.integers(0, size - s)), int(rng.integers(0, size - s))
            col = tuple(int(c + rng.integers(-25, 26)) for c in SHAPE_COLOURS[str(cls)])
            box = [x0, y0, x0 + s, y0 + (4 if cls == "bar" else s)]
            fn = "ellipse" if cls == "disc" else "rectangle"
            getattr(draw, fn)(box, fill=col)
            getattr(mdraw, fn)(box, fill=k + 1)
            anns.append({"instance_id": k + 1, "cls": str(cls)})
        img.save(root / "images" / name)
        Image.fromarray(np.asarray(ids).astype(np.uint16)).save(root / "masks" / name)
        image = {"index": i, "file_name": f"images/{name}", "width": size, "height": size}
        meta = {"image": {**image, "mask_file": f"masks/{name}"}, "annotations": anns}
        (root / "meta" / f"{i:06d}.json").write_text(json.dumps(meta))
    cats = [{"id": k + 1, "name": c} for k, c in enumerate(SHAPE_CLASSES)]
    coco = {"images": [], "annotations": [], "categories": cats}
    (root / "annotations.json").write_text(json.dumps(coco))
    return root


def content_cfg(cache_dir: Path, **kw) -> ContentConfig:
    """A quick content config: few steps on 48 px crops (the rest from train.yaml)."""
    quick = {"steps": 120, "batch_size": 6, "crop_size": 48, "cache_dir": str(cache_dir), **kw}
    return from_mapping(ContentConfig, quick, "metrics.content", compose([])["metrics"]["content"])


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> dict:
    """A training batch, a separate evaluation batch and a segmenter trained on the first."""
    root = tmp_path_factory.mktemp("shapes")
    train_dir = make_shapes_batch(root / "train", count=10, seed=0)
    eval_dir = make_shapes_batch(root / "eval", count=6, seed=1)
    cfg = content_cfg(root / "cache")
    net, path = load_or_train_segmenter(train_dir, settings_from_config(cfg), cfg.cache_dir)
    return {"train": train_dir, "eval": eval_dir, "cfg": cfg, "net": net, "path": path}


# ----------------------------------------------------------------------------- semantic maps
def _tiny_labelled_batch(root: Path, with_meta: bool = True) -> Path:
    """Two 6x4 images: instance 1 = juice, 2 = milk, 3 = an unknown class, 9 = unlabelled."""
    for sub in ("images", "masks", "meta"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    masks = [
        np.array([[0, 1, 1, 0, 0, 0], [0, 1, 1, 0, 2, 2], [0, 0, 0, 0, 2, 2], [3, 3, 0, 0, 0, 9]]),
        np.array([[2, 2, 0, 0, 0, 0], [2, 2, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]]),
    ]
    anns = [
        [(1, "juice", 1), (2, "milk", 2), (3, "mystery", 3)],
        [(2, "juice", 1), (1, "milk", 2)],
    ]
    coco_images, coco_anns = [], []
    for i, mask in enumerate(masks):
        name = f"{i:06d}.png"
        Image.new("RGB", (6, 4), (i * 40, 0, 0)).save(root / "images" / name)
        Image.fromarray(mask.astype(np.uint16)).save(root / "masks" / name)
        records = [{"instance_id": iid, "cls": cls} for iid, cls, _ in anns[i]]
        if with_meta:
            meta = {"image": {"index": i, "file_name": f"images/{name}"}, "annotations": records}
            (root / "meta" / f"{i:06d}.json").write_text(json.dumps(meta))
        coco_images.append({"id": i + 1, "file_name": f"images/{name}"})
        coco_anns += [
            {"image_id": i + 1, "instance_id": iid, "category_id": cat} for iid, _, cat in anns[i]
        ]
    cats = [{"id": 3, "name": "mystery"}, {"id": 2, "name": "milk"}, {"id": 1, "name": "juice"}]
    coco = {"images": coco_images, "annotations": coco_anns, "categories": cats}
    (root / "annotations.json").write_text(json.dumps(coco))
    return root


@pytest.mark.parametrize("with_meta", [True, False])
def test_semantic_maps_follow_meta_or_coco_labels(tmp_path, monkeypatch, with_meta):
    batch = _tiny_labelled_batch(tmp_path / "b", with_meta)
    reads = {"mask": 0, "json": 0}
    real_mask, real_json = data_mod.load_instance_mask, data_mod._read_json

    def count_mask(path):
        reads["mask"] += 1
        return real_mask(path)

    def count_json(path):
        reads["json"] += 1
        return real_json(path)

    monkeypatch.setattr(data_mod, "load_instance_mask", count_mask)
    monkeypatch.setattr(data_mod, "_read_json", count_json)
    classes, maps = semantic_maps(batch)
    assert classes == ("juice", "milk", "mystery")  # COCO categories sorted by id
    assert reads == {"mask": 2, "json": 1 + (2 if with_meta else 0)}  # every file read once
    ig = IGNORE_INDEX
    assert maps["000000.png"].tolist() == [
        [0, 1, 1, 0, 0, 0],
        [0, 1, 1, 0, 2, 2],
        [0, 0, 0, 0, 2, 2],
        [3, 3, 0, 0, 0, ig],  # instance 9 has no label: ignored
    ]
    assert maps["000001.png"].tolist() == [
        [1, 1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 2, 2],
    ]
    # another class list (a segmenter's): matched by name, unknown classes ignored
    classes, maps = semantic_maps(batch, classes=("milk", "juice"), names=["000000.png"])
    assert list(maps) == ["000000.png"]
    assert maps["000000.png"][:, :2].tolist() == [[0, 2], [0, 2], [0, 0], [ig, ig]]
    assert maps["000000.png"][1, 4] == 1


def test_unlabelled_batches_have_no_semantic_maps(tmp_path):
    plain = make_render_batch(tmp_path / "plain", count=2)  # meta without annotations
    assert render_labels(plain) is None
    assert content_mod.content_unavailable(plain) is not None
    photos = make_photo_folder(tmp_path / "photos", count=2)
    assert "not a render batch" in content_mod.content_unavailable(photos)
    with pytest.raises(data_mod.DataError, match="not a render batch"):
        semantic_maps(photos)
    assert batch_classes(plain) == ("milk",)


# ----------------------------------------------------------------------------- mask plumbing
def _coordinate_batch(root: Path, w: int = 48, h: int = 40) -> Path:
    """Images whose colours encode the pixel position (R = 5x, G = 6y) and masks whose ids
    encode it too (y * w + x + 1): an aligned mask decodes to the image's coordinates."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(3):
        rgb = np.stack([xx * 5, yy * 6, np.full_like(xx, 40 * i)], -1).astype(np.uint8)
        Image.fromarray(rgb).save(root / "images" / f"{i:06d}.png")
        Image.fromarray((yy * w + xx + 1).astype(np.uint16)).save(root / "masks" / f"{i:06d}.png")
    return root


def _decode(image: torch.Tensor, mask: torch.Tensor, w: int) -> tuple[np.ndarray, ...]:
    """(x, y) from the image colours and from the mask ids."""
    rgb = image.add(1).mul(127.5).numpy()
    ids = mask.numpy() - 1
    return rgb[0] / 5, rgb[1] / 6, ids % w, ids // w


@pytest.mark.parametrize("preprocess", ["crop", "resize_and_crop"])
def test_training_masks_follow_the_image_crop_and_flip(tmp_path, preprocess):
    batch = _coordinate_batch(tmp_path / "batch")
    plain = tmp_path / "plain"
    shutil.copytree(batch / "images", plain)
    target = make_photo_folder(tmp_path / "photos", count=3)
    cfg = TransformConfig(image_size=24, load_size=36, preprocess=preprocess, flip=True)
    source = ImageFolder(batch, "source")
    assert source.has_masks and not ImageFolder(plain, "plain").has_masks
    with_masks = RandomPairDataset(source, ImageFolder(target, "t"), cfg, seed=5)
    without = RandomPairDataset(ImageFolder(plain, "s"), ImageFolder(target, "t"), cfg, seed=5)
    flips = set()
    for epoch in range(4):
        with_masks.set_epoch(epoch)
        without.set_epoch(epoch)
        for i in range(len(with_masks)):
            item, ref = with_masks[i], without[i]
            assert "source_mask" not in ref
            # masks change nothing about the images (same rng draws)
            assert torch.equal(item["source"], ref["source"])
            assert torch.equal(item["target"], ref["target"])
            mask = item["source_mask"]
            assert mask.dtype == torch.int64 and mask.shape == (24, 24)
            x_img, y_img, x_mask, y_mask = _decode(item["source"], mask, 48)
            tol = 0.51 if preprocess == "crop" else 1.0  # exact / within a pixel after resize
            assert np.abs(x_img - x_mask).max() <= tol and np.abs(y_img - y_mask).max() <= tol
            flips.add(bool(x_mask[0, 0] > x_mask[0, -1]))
    assert flips == {True, False}
    batch_dict = next(iter(DataLoader(with_masks, batch_size=3)))
    assert batch_dict["source_mask"].shape == (3, 24, 24)
    masks = eval_mask_batch(source, cfg, 2)
    assert masks is not None and masks.shape == (2, 24, 24)
    x_img, _, x_mask, _ = _decode(source.load(0, cfg, None), masks[0], 48)
    assert np.abs(x_img - x_mask).max() <= 1.0
    assert eval_mask_batch(ImageFolder(plain, "plain"), cfg, 2) is None


# ----------------------------------------------------------------------------- scores
def test_scores_count_present_classes_and_skip_ignored_pixels():
    labels = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, IGNORE_INDEX, IGNORE_INDEX]])
    preds = torch.tensor([[0, 0, 1, 1], [0, 3, 1, 0], [2, 0, 3, 1]])
    mat = confusion([preds], [labels], num_classes=4)
    assert int(mat.sum()) == 10  # the two ignored pixels are left out
    s = scores_from_confusion(mat, ("a", "b", "c"))
    # background: tp 3, fp 2 (one 'a', one 'b' pixel), fn 1 -> 3/6; a: 3/4; b: 1/2;
    # c: only predicted (once, on a labelled pixel) -> 0
    assert s["per_class_iou"] == pytest.approx({"background": 0.5, "a": 0.75, "b": 0.5, "c": 0.0})
    assert s["miou"] == pytest.approx((0.75 + 0.5 + 0.0) / 3)
    assert s["miou_with_background"] == pytest.approx((0.5 + 0.75 + 0.5 + 0.0) / 4)
    assert s["pixel_acc"] == pytest.approx(7 / 10)
    empty = scores_from_confusion(
        confusion([torch.zeros(2, 2, dtype=torch.long)], [torch.zeros(2, 2, dtype=torch.long)], 4),
        ("a",) * 3,
    )
    assert empty["miou"] is None and empty["per_class_iou"] == {"background": 1.0}


def test_segmenter_runs_on_any_size():
    net = Segmenter(("a", "b"), width=4).eval()
    for h, w in ((37, 53), (8, 8), (5, 130)):
        assert net(torch.zeros(2, 3, h, w)).shape == (2, 3, h, w)


def _load_batch(batch: Path) -> tuple[list[torch.Tensor], dict[str, np.ndarray]]:
    """Images (in [-1, 1]) and class maps of a batch in file order."""
    _, maps = semantic_maps(batch)
    images = [pil_to_tensor(Image.open(batch / "images" / n).convert("RGB")) for n in maps]
    return images, maps


def test_segmenter_learns_and_blur_or_moved_objects_lose_score(shapes):
    net, train_dir = shapes["net"], shapes["train"]
    assert 100_000 < sum(p.numel() for p in net.parameters()) < 1_000_000
    assert net.classes == SHAPE_CLASSES
    images, maps = _load_batch(train_dir)
    labels = list(maps.values())
    clean = content_score(images, labels, net)
    # chance: a segmenter that guesses classes in proportion to the labels
    gen = torch.Generator().manual_seed(0)
    freq = torch.bincount(torch.from_numpy(np.stack(labels)).flatten().long(), minlength=4)
    guesses = [
        torch.multinomial(freq.float(), lab.size, True, generator=gen).view(lab.shape)
        for lab in labels
    ]
    chance = scores_from_confusion(
        confusion(guesses, [torch.from_numpy(m).long() for m in labels], 4), SHAPE_CLASSES
    )
    assert clean["miou"] > 0.6 and clean["miou"] > 4 * chance["miou"], (clean, chance)
    # held-out images of the same kind score well too
    held_images, held_maps = _load_batch(shapes["eval"])
    held = content_score(held_images, list(held_maps.values()), net)
    assert held["miou"] > 0.45, held

    def blurred(x: torch.Tensor) -> torch.Tensor:
        img = Image.fromarray(data_mod.tensor_to_uint8(x)).filter(ImageFilter.GaussianBlur(4))
        return pil_to_tensor(img)

    blur = content_score([blurred(x) for x in images], labels, net)
    moved = content_score([torch.roll(x, (12, 12), (1, 2)) for x in images], labels, net)
    erased = []
    for x, lab in zip(images, labels, strict=True):
        fill = x[:, torch.from_numpy(lab == 0)].mean(1).view(3, 1, 1)
        erased.append(torch.where(torch.from_numpy(lab > 0), fill, x))
    erased_score = content_score(erased, labels, net)
    assert blur["miou"] < clean["miou"] - 0.15, (clean, blur)
    assert moved["miou"] < clean["miou"] - 0.3, (clean, moved)
    assert erased_score["miou"] < 0.1, erased_score
    # a photometric change the segmenter was trained to ignore keeps most of the score
    graded = [(x * 0.7 + 0.1).clamp(-1, 1) for x in images]
    assert content_score(graded, labels, net)["miou"] > clean["miou"] - 0.15


def test_segmenter_cache_is_reused_and_keyed_by_data(shapes, tmp_path, monkeypatch):
    train_dir = tmp_path / "train"
    shutil.copytree(shapes["train"], train_dir)
    settings = settings_from_config(content_cfg(tmp_path, steps=2))
    calls = []
    real_train = content_mod.train_segmenter

    def counting_train(*args, **kwargs):
        calls.append(args[0])
        return real_train(*args, **kwargs)

    monkeypatch.setattr(content_mod, "train_segmenter", counting_train)
    cache = tmp_path / "cache"
    net, path = load_or_train_segmenter(train_dir, settings, cache)
    assert len(calls) == 1 and path.is_file() and path.parent == cache
    assert path.name.startswith("segmenter-") and not list(cache.glob("*.tmp"))
    stamp = path.stat().st_mtime_ns
    again, path2 = load_or_train_segmenter(train_dir, settings, cache)
    assert len(calls) == 1 and path2 == path and path.stat().st_mtime_ns == stamp
    for (k, a), b in zip(net.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    # other settings or changed data: another file, trained again
    other = settings_from_config(content_cfg(tmp_path, steps=3))
    assert segmenter_path(train_dir, other, cache) != path
    (train_dir / "meta" / "000000.json").write_text(
        (train_dir / "meta" / "000000.json").read_text() + " "
    )
    assert segmenter_path(train_dir, settings, cache) != path
    load_or_train_segmenter(train_dir, settings, cache)
    assert len(calls) == 2 and len(list(cache.glob("segmenter-*.pt"))) == 2


def test_content_score_folder_reads_translations_by_name(shapes, tmp_path):
    net, eval_dir = shapes["net"], shapes["eval"]
    out = tmp_path / "translated" / "images"
    out.mkdir(parents=True)
    for f in sorted((eval_dir / "images").iterdir()):
        Image.open(f).filter(ImageFilter.GaussianBlur(4)).save(out / f.name)
    renders = content_score_folder(eval_dir, eval_dir, net)
    blurred = content_score_folder(out.parent, eval_dir, net)
    assert blurred["miou"] < renders["miou"]
    (out / "000000.png").unlink()
    with pytest.raises(data_mod.DataError, match="000000.png"):
        content_score_folder(out.parent, eval_dir, net)


# ----------------------------------------------------------------------------- integration
def test_trainer_logs_content_miou(shapes, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    photos = make_photo_folder(tmp_path / "photos", count=4)
    cache = shapes["cfg"].cache_dir
    raw = compose(
        [
            *TINY,
            f"data.source_dir={shapes['train']}",
            f"data.target_dir={photos}",
            "trainer.max_steps=2",
            "trainer.eval_every=1",
            "metrics.eval_images=4",
            "metrics.content.steps=120",
            "metrics.content.batch_size=6",
            "metrics.content.crop_size=48",
            f"metrics.content.cache_dir={cache}",
        ]
    )
    trainer = Trainer(parse_train_config(raw), raw, tmp_path / "run", DistInfo())
    assert trainer.eval_source_masks is not None
    assert trainer.eval_source_masks.shape == (4, 32, 32)
    assert trainer.eval_source_masks.dtype == torch.int64
    result = trainer.fit()  # loads the module's segmenter from the cache (same data, settings)
    assert trainer.content is not None and trainer.content.segmenter.classes == SHAPE_CLASSES
    assert 0.0 <= result.metrics["content_miou"] <= 1.0
    assert result.metrics["content_miou_untranslated"] > 0.2
    acc = EventAccumulator(str(tmp_path / "run"), size_guidance={"scalars": 0})
    acc.Reload()
    assert len(acc.Scalars("metrics/content_miou")) == 2
    untranslated = acc.Scalars("metrics/content_miou_untranslated")
    assert untranslated[0].value == pytest.approx(result.metrics["content_miou_untranslated"])
    assert len(list(Path(cache).glob("segmenter-*.pt"))) == 1  # no second segmenter


def test_trainer_content_switches(tmp_path, capsys):
    plain = make_render_batch(tmp_path / "renders", count=3)  # masks, but no class labels
    photos = make_photo_folder(tmp_path / "photos", count=3)
    base = [*TINY, f"data.source_dir={plain}", f"data.target_dir={photos}"]
    raw = compose([*base, "metrics.content.enabled=true"])
    with pytest.raises(ConfigError, match=r"^metrics\.content\.enabled: true, but"):
        Trainer(parse_train_config(raw), raw, tmp_path / "a", DistInfo())
    raw = compose(base)  # auto: off, masks still travel
    trainer = Trainer(parse_train_config(raw), raw, tmp_path / "b", DistInfo())
    assert not trainer.content_wanted and trainer.eval_source_masks is not None
    raw = compose([*TINY, f"data.source_dir={photos}", f"data.target_dir={photos}"])
    trainer = Trainer(parse_train_config(raw), raw, tmp_path / "c", DistInfo())
    assert trainer.eval_source_masks is None and not trainer.content_wanted
    with pytest.raises(ConfigError, match=r"metrics\.content\.enabled"):
        parse_train_config(compose([*base, "metrics.content.enabled=maybe"]))
    with pytest.raises(ConfigError, match=r"metrics\.content\.steps"):
        parse_train_config(compose([*base, "metrics.content.steps=0"]))
    with pytest.raises(SystemExit) as exc:  # the CLI says it before a run folder exists
        prevalidate([*base, "metrics.content.enabled=true"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "metrics.content.enabled: true, but" in err[0]


def test_fridge_eval_reports_content_for_translation_and_renders(shapes, tmp_path):
    eval_dir, cfg = shapes["eval"], shapes["cfg"]
    translated = tmp_path / "translated"
    shutil.copytree(eval_dir, translated)
    for f in (translated / "images").iterdir():
        Image.open(f).filter(ImageFilter.GaussianBlur(4)).save(f)
    content = {
        "train_dir": str(shapes["train"]),
        "steps": cfg.steps,
        "batch_size": cfg.batch_size,
        "crop_size": cfg.crop_size,
        "cache_dir": cfg.cache_dir,
    }
    base = {"a_dir": str(eval_dir), "b_dir": str(translated), "image_size": 32}
    report = evaluate({**base, "content": content})
    m, c = report["metrics"], report["content"]
    assert c["segmenter"] == str(shapes["path"]) and not c["trained_on_a_dir"]
    assert c["images"] == 6 and c["classes"] == list(SHAPE_CLASSES)
    assert m["content_miou_a"] == pytest.approx(c["a"]["miou"])
    assert m["content_miou"] == pytest.approx(c["b"]["miou"])
    assert m["content_miou"] < m["content_miou_a"] - 0.1
    assert not any("content" in n for n in report["notes"])
    # without train_dir: trained on a_dir, and the report says so
    report = evaluate({**base, "content": {**content, "train_dir": None, "steps": 2}})
    assert report["content"]["trained_on_a_dir"]
    assert any("trained on a_dir" in n for n in report["notes"])
    # a plain folder as a_dir: skipped with a note (auto) or a one-line error (true)
    report = evaluate({**base, "a_dir": str(translated / "images")})
    assert report["metrics"]["content_miou"] is None and report["content"] is None
    assert any("content score skipped" in n for n in report["notes"])
    with pytest.raises(ConfigError, match=r"^content\.enabled: true"):
        evaluate({**base, "a_dir": str(translated / "images"), "content": {"enabled": True}})
    with pytest.raises(ConfigError, match=r"^content\.enabled: must be auto"):
        evaluate({**base, "content": {"enabled": "maybe"}})
    with pytest.raises(data_mod.DataError, match=r"^content\.train_dir: "):
        evaluate({**base, "content": {"train_dir": str(translated / "images")}})
