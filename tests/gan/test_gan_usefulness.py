"""Usefulness (train on synthetic crops, test on real crops) and the blur-proof realism metrics."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import BIN, noise_image, run_cli, single_thread
from PIL import Image, ImageDraw, ImageFilter

from gan.config import ConfigError
from gan.data import DataError, list_images, load_folder_tensor
from gan.evaluate import evaluate, write_report
from gan.metrics import (
    common_short_side,
    detail_ratio,
    detail_statistic,
    native_crops,
    swd_native,
)
from gan.usefulness import (
    DEFAULT_CLASS_MAP,
    CropSet,
    CropStandardise,
    UsefulnessSettings,
    box_shapes,
    box_to_yolo,
    check_real_dir,
    check_synthetic_dir,
    classification_scores,
    crop_object,
    load_crops,
    parse_yolo_line,
    predict,
    resolve_class_map,
    score_crops,
    score_seeds,
    train_classifier,
    usefulness_score,
    yolo_objects,
)

SIZE = 96
CLASS_MAP = {"red_disc": "apple", "green_bar": "lime", "blue_box": "milk"}
REAL_NAMES = ["apple", "other", "lime", "milk"]
SETTINGS = UsefulnessSettings(crop_size=32, steps=40, batch_size=16, width=8, min_visible_pixels=20)
AICOOK = Path(__file__).resolve().parents[3] / "shared" / "data" / "aicook_fridge"


def draw_object(draw: ImageDraw.ImageDraw, cls: str, box: tuple, rng, shift: int) -> None:
    """One coloured shape per class; `shift` tints the colours (a small domain gap)."""
    x0, y0, w, h = box
    xy = (x0, y0, x0 + w - 1, y0 + h - 1)
    jitter = rng.integers(-25, 26, 3)

    def colour(base):
        return tuple(int(np.clip(c + j + shift, 0, 255)) for c, j in zip(base, jitter, strict=True))

    if cls == "red_disc":
        draw.ellipse(xy, fill=colour((210, 40, 40)))
    elif cls == "green_bar":
        draw.rectangle(xy, fill=colour((40, 190, 60)))
    elif cls == "blue_box":
        draw.rectangle(xy, fill=colour((40, 60, 210)))
    else:  # an unmapped class
        draw.polygon(
            [(x0, y0 + h), (x0 + w // 2, y0), (x0 + w, y0 + h)], fill=colour((200, 0, 200))
        )


def scene(rng, classes: list[str], shift: int) -> tuple[Image.Image, list[tuple[str, tuple]]]:
    """A 96x96 image with one shape in each of some 32 px grid cells, and its boxes."""
    img = noise_image(rng, SIZE, SIZE, (shift, shift, shift))
    draw = ImageDraw.Draw(img)
    cells = rng.permutation(9)[: len(classes)]
    objects = []
    for cls, cell in zip(classes, cells, strict=True):
        w, h = (int(rng.integers(20, 28)), int(rng.integers(8, 12)))
        if cls != "green_bar":
            w = h = int(rng.integers(14, 24))
        x0 = int(cell % 3) * 32 + int(rng.integers(1, 32 - w))
        y0 = int(cell // 3) * 32 + int(rng.integers(1, 32 - h))
        draw_object(draw, cls, (x0, y0, w, h), rng, shift)
        objects.append((cls, (x0, y0, w, h)))
    return img, objects


def make_synthetic_batch(root: Path, count: int = 12, seed: int = 0) -> Path:
    """A labelled batch: images/, meta/ (class, bbox, visibility) and annotations.json.

    The last object of every image is flagged 80 % occluded, so the filter must drop it.
    """
    rng = np.random.default_rng(seed)
    for sub in ("images", "meta"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    names = list(CLASS_MAP)
    categories = [{"id": k + 1, "name": n} for k, n in enumerate([*names, "jar"])]
    coco_images, coco_anns = [], []
    for i in range(count):
        classes = [names[(i + k) % 3] for k in range(4)]
        img, objects = scene(rng, classes, 0)
        img.save(root / "images" / f"{i:06d}.png")
        anns = []
        for k, (cls, box) in enumerate(objects):
            occl = 0.8 if k == len(objects) - 1 else 0.0
            anns.append(
                {"cls": cls, "instance_id": k + 1, "bbox": list(box), "occlusion": occl,
                 "truncation": 0.0, "visible_pixels": box[2] * box[3]}
            )  # fmt: skip
            coco_anns.append(
                {"id": len(coco_anns) + 1, "image_id": i + 1, "bbox": list(box),
                 "category_id": names.index(cls) + 1, "area": box[2] * box[3], "occlusion": occl}
            )  # fmt: skip
        file_name = f"images/{i:06d}.png"
        meta = {"image": {"file_name": file_name, "index": i, "width": SIZE, "height": SIZE}}
        (root / "meta" / f"{i:06d}.json").write_text(json.dumps({**meta, "annotations": anns}))
        coco_images.append({"id": i + 1, "file_name": file_name, "width": SIZE, "height": SIZE})
    coco = {"images": coco_images, "annotations": coco_anns, "categories": categories}
    (root / "annotations.json").write_text(json.dumps(coco))
    return root


def make_yolo_split(root: Path, count: int = 10, seed: int = 1) -> Path:
    """A real-style YOLO split (`root/test`) with data.yaml one level up; some boxes 'other'."""
    rng = np.random.default_rng(seed)
    split = root / "test"
    for sub in ("images", "labels"):
        (split / sub).mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(f"path: .\nnc: {len(REAL_NAMES)}\nnames: {REAL_NAMES}\n")
    real_of = {**CLASS_MAP, "other": "other"}
    truth = {}
    for i in range(count):
        classes = [[*CLASS_MAP, "other"][(i + k) % 4] for k in range(3)]
        img, objects = scene(rng, classes, 15)
        img.save(split / "images" / f"photo{i}.png")
        lines = []
        for cls, box in objects:
            cx, cy, w, h = box_to_yolo(box, SIZE, SIZE)
            lines.append(f"{REAL_NAMES.index(real_of[cls])} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
        (split / "labels" / f"photo{i}.txt").write_text("\n".join(lines) + "\n")
        truth[f"photo{i}.png"] = [[real_of[c], list(b)] for c, b in objects]
    (root / "truth.json").write_text(json.dumps(truth))
    return split


def blur_images(src: Path, dst: Path, radius: float) -> Path:
    """Copy of a folder/batch with every image gaussian-blurred."""
    shutil.copytree(src, dst)
    for file in list_images(dst):
        Image.open(file).filter(ImageFilter.GaussianBlur(radius)).save(file)
    return dst


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A synthetic batch, its blurred copy and a real-style YOLO split."""
    root = tmp_path_factory.mktemp("usefulness")
    batch = make_synthetic_batch(root / "batch")
    return {
        "batch": batch,
        "blurred": blur_images(batch, root / "blurred", 2.0),
        "real": make_yolo_split(root / "real"),
    }


@pytest.fixture(scope="module")
def trained(data: dict[str, Path]) -> tuple[torch.nn.Module, CropSet]:
    """A classifier trained on the synthetic batch, and the real test crops."""
    train = load_crops(data["batch"], CLASS_MAP, SETTINGS)
    test = load_crops(data["real"], CLASS_MAP, SETTINGS)
    with single_thread():
        return train_classifier(train, SETTINGS, seed=0, progress=False), test


def test_classifier_learns_separable_shapes(data: dict[str, Path]) -> None:
    """Coloured shapes: far above chance on the real split; occluded/unmapped objects left out."""
    with single_thread():
        result = usefulness_score(data["batch"], data["real"], CLASS_MAP, SETTINGS, seeds=[0, 1])
    assert result["classes"] == ["apple", "lime", "milk"] and result["chance"] == pytest.approx(
        1 / 3
    )
    assert result["balanced_accuracy"]["mean"] > 0.9 and result["macro_f1"]["mean"] > 0.9
    assert result["accuracy"]["values"][0] > 0.9 and len(result["runs"]) == 2
    assert all(v > 0.7 for v in result["per_class_accuracy"].values())
    # 12 images x 4 objects, the occluded 4th dropped; 10 real images x 3 boxes, 'other' ignored
    assert sum(result["counts"]["train"].values()) == 36
    assert result["skipped"]["train"] == {"occluded": 12}
    assert sum(result["counts"]["test"].values()) == 30 - 7
    assert result["missing_train_classes"] == []


def test_shuffled_test_labels_score_near_chance(trained) -> None:
    """The same predictions against permuted real labels: chance-level, unlike the true ones."""
    model, test = trained
    pred = predict(model, test)
    true = classification_scores(pred, test.labels, test.classes)
    gen = torch.Generator().manual_seed(0)
    shuffled = test.labels[torch.randperm(len(test), generator=gen)]
    scores = classification_scores(pred, shuffled, test.classes)
    assert true["balanced_accuracy"] > 0.9
    assert scores["balanced_accuracy"] < 0.6 and scores["macro_f1"] < 0.6


def test_an_ensemble_votes_with_its_mean_softmax(data: dict[str, Path], trained) -> None:
    """`ensemble=k` trains k classifiers per seed (seeds seed*k .. seed*k+k-1) whose mean softmax
    decides; one model in a list predicts as it does alone."""
    model, test = trained
    assert torch.equal(predict([model, model], test), predict(model, test))
    train = load_crops(data["batch"], CLASS_MAP, SETTINGS)
    short = replace(SETTINGS, steps=3)
    with single_thread():
        ens = score_crops(train, test, replace(short, ensemble=2), seed=1, progress=False)
        members = [train_classifier(train, short, seed=s, progress=False) for s in (2, 3)]
    logits = torch.stack([m(test.images.float() / 255 * 4 - 2).softmax(1) for m in members])
    want = classification_scores(logits.mean(0).argmax(1), test.labels, test.classes)
    assert ens["accuracy"] == pytest.approx(want["accuracy"]) and ens["seed"] == 1
    assert ens["confusion"] == want["confusion"]
    with pytest.raises(ConfigError, match="usefulness.ensemble"):
        replace(SETTINGS, ensemble=0).validate()


def test_training_is_seeded(data: dict[str, Path]) -> None:
    """Same seed, same weights; the global torch RNG is left untouched."""
    train = load_crops(data["batch"], CLASS_MAP, SETTINGS)
    short = replace(SETTINGS, steps=3)
    state = torch.random.get_rng_state()
    with single_thread():
        m1, m2 = (train_classifier(train, short, seed=4, progress=False) for _ in range(2))
        m3 = train_classifier(train, short, seed=5, progress=False)
    assert torch.equal(torch.random.get_rng_state(), state)
    p1, p2, p3 = (torch.cat([p.flatten() for p in m.parameters()]) for m in (m1, m2, m3))
    assert torch.equal(p1, p2) and not torch.equal(p1, p3)


def test_seeds_in_parallel_processes_score_as_one_at_a_time(data: dict[str, Path]) -> None:
    """`score_seeds` with two jobs (spawned processes, one thread each here) gives each seed, in
    the order asked, the scores `score_crops` gives it in this process with one thread."""
    train = load_crops(data["batch"], CLASS_MAP, SETTINGS)
    test = load_crops(data["real"], CLASS_MAP, SETTINGS)
    short = replace(SETTINGS, steps=8)
    with single_thread():
        alone = [score_crops(train, test, short, seed, progress=False) for seed in (3, 1, 2)]
        together = score_seeds(train, test, short, [3, 1, 2], jobs=2, progress=False)
        one = score_seeds(train, test, short, [3], jobs=4, progress=False)  # one seed: in-process
    assert [r["seed"] for r in together] == [3, 1, 2]
    for a, b in zip(alone, together, strict=True):
        for key in ("accuracy", "confusion", "counts"):
            assert b[key] == a[key]
    assert one[0]["confusion"] == alone[0]["confusion"]


def food_accuracy_benchmark():
    """benchmarks/food_accuracy.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "food_accuracy", Path(__file__).resolve().parents[2] / "benchmarks" / "food_accuracy.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_food_accuracy_each_batch_scores_as_its_own_run(
    data: dict[str, Path], tmp_path: Path
) -> None:
    """`--each B1 B2`: each replicate is the positional batches with one Bi, scored exactly as a
    run of that mix alone; the pooled figure is the mean over replicates and seeds, and the
    spread between replicates is that of their means."""
    bench = food_accuracy_benchmark()
    other = make_synthetic_batch(tmp_path / "other", count=8, seed=5)
    cmap = tmp_path / "map.yaml"
    cmap.write_text("".join(f"{k}: {v}\n" for k, v in CLASS_MAP.items()))
    common = ["--real", str(data["real"]), "--class-map", str(cmap), "--recipe", "compare",
              "--steps", "6", "--seeds", "0", "1"]  # fmt: skip
    shared, b1, b2 = str(data["batch"]), str(data["blurred"]), str(other)
    with single_thread():
        each_args = [shared, "--each", b1, b2, *common, "--json", str(tmp_path / "e.json")]
        assert bench.main(each_args) == 0
        for k, b in enumerate((b1, b2)):
            assert bench.main([shared, b, *common, "--json", str(tmp_path / f"{k}.json")]) == 0
        with pytest.raises(SystemExit):  # nothing to train on
            bench.main(common)
    each = json.loads((tmp_path / "e.json").read_text())
    alone = [json.loads((tmp_path / f"{k}.json").read_text()) for k in (0, 1)]
    assert [r["batches"] for r in each["replicates"]] == [[shared, b1], [shared, b2]]
    for rep, one in zip(each["replicates"], alone, strict=True):
        for key in ("all", "shared"):
            assert rep[key]["values"] == one[key]["accuracy"]["values"]
    values = [v for one in alone for v in one["all"]["accuracy"]["values"]]
    assert each["all"]["accuracy"]["values"] == values
    means = [one["all"]["accuracy"]["mean"] for one in alone]
    assert each["all"]["between_batches"]["values"] == pytest.approx(means)
    assert "between_batches" not in alone[0]["all"]


def test_yolo_boxes_round_trip(data: dict[str, Path], tmp_path: Path) -> None:
    """Pixel box -> normalized YOLO line -> pixel box; polygons; bad lines name file:line."""
    for box, (w, h) in [((10.0, 20.0, 30.0, 8.0), (640, 480)), ((0.0, 0.0, 64.0, 64.0), (64, 64))]:
        cx, cy, bw, bh = box_to_yolo(box, w, h)
        cls, back = parse_yolo_line(f"3 {cx} {cy} {bw} {bh}", w, h, "x")
        assert cls == 3 and back == pytest.approx(box)
    assert parse_yolo_line("1 0.1 0.2 0.5 0.2 0.3 0.6", 100, 100, "x") == (
        1,
        pytest.approx((10.0, 20.0, 40.0, 40.0)),
    )
    assert parse_yolo_line("   ", 10, 10, "x") is None
    with pytest.raises(DataError, match="a.txt:7"):
        parse_yolo_line("1 0.5 0.5", 10, 10, "a.txt:7")
    truth = json.loads((data["real"].parent / "truth.json").read_text())
    objects = yolo_objects(data["real"])
    assert [p.name for p, _ in objects] == sorted(truth)
    for path, objs in objects:
        assert [c for c, _ in objs] == [c for c, _ in truth[path.name]]
        for (_, box), (_, want) in zip(objs, truth[path.name], strict=True):
            assert box == pytest.approx(want, abs=1e-3)


def test_box_shapes_describe_the_cropped_boxes(data: dict[str, Path]) -> None:
    """Median aspect and size per real class over exactly the boxes load_crops crops: the
    generator's bars are wide, its discs and boxes square; filtered objects do not count."""
    batch, real = data["batch"], data["real"]
    shapes = box_shapes(batch, CLASS_MAP, SETTINGS)
    crops = load_crops(batch, CLASS_MAP, SETTINGS).counts()
    assert {c: v.count for c, v in shapes.items()} == {c: n for c, n in crops.items() if n}
    want = {}  # the unoccluded boxes the generator wrote, by real class
    for meta in sorted((batch / "meta").glob("*.json")):
        for a in json.loads(meta.read_text())["annotations"]:
            if a["occlusion"] <= SETTINGS.max_occlusion:
                want.setdefault(CLASS_MAP[a["cls"]], []).append(a["bbox"])
    for cls, boxes in want.items():
        b = np.asarray(boxes, dtype=float)
        assert shapes[cls].aspect == pytest.approx(np.median(b[:, 2] / b[:, 3]))
        assert shapes[cls].size == pytest.approx(np.median(b[:, 2:].max(1)) / SIZE)
    assert shapes["lime"].aspect > 1.8 and shapes["apple"].aspect == shapes["milk"].aspect == 1.0
    photos = box_shapes(real, CLASS_MAP, SETTINGS, REAL_NAMES)
    assert set(photos) == set(REAL_NAMES)  # a YOLO split is read by real names: "other" too
    assert photos["lime"].aspect > 1.8 and photos["apple"].aspect == pytest.approx(1.0, abs=0.01)
    pooled = box_shapes([batch, data["blurred"]], CLASS_MAP, SETTINGS)
    assert {c: v.count for c, v in pooled.items()} == {c: 2 * v.count for c, v in shapes.items()}
    with pytest.raises(DataError, match="neither a labelled batch nor a YOLO split"):
        box_shapes(batch / "images", CLASS_MAP, SETTINGS)


def test_warp_crops_stretch_the_box_to_the_square(data: dict[str, Path]) -> None:
    """`crop=warp` fills the crop with the box (plus its margin) whatever its aspect, as a
    detector's RoI pooling does; `square` keeps the aspect, so a wide box is a thin band."""
    img = Image.new("RGB", (120, 120), "black")
    ImageDraw.Draw(img).rectangle((20, 50, 79, 59), fill=(255, 0, 0))  # a 60 x 10 box
    box = (20.0, 50.0, 60.0, 10.0)
    red = lambda crop: float((crop[..., 0] > 127).mean())  # noqa: E731
    assert red(crop_object(img, box, 32, 0.0)) == pytest.approx(10 / 60, abs=0.04)
    assert red(crop_object(img, box, 32, 0.0, "warp")) > 0.97
    assert red(crop_object(img, box, 32, 0.25, "warp")) == pytest.approx((1 / 1.5) ** 2, abs=0.06)
    s = replace(SETTINGS, crop="warp")
    square, warped = (
        load_crops(data["batch"], CLASS_MAP, SETTINGS),
        load_crops(data["batch"], CLASS_MAP, s),
    )
    assert torch.equal(square.labels, warped.labels) and warped.images.shape == square.images.shape
    assert not torch.equal(square.images, warped.images)  # the generator's bars are wide
    with pytest.raises(ConfigError, match="usefulness.crop: expected one of square, warp"):
        replace(SETTINGS, crop="round").validate()


def test_class_map_validation(data: dict[str, Path]) -> None:
    """Class maps: default, bad shapes, names unknown to the real split or to the batch."""
    assert resolve_class_map(None, "k") == DEFAULT_CLASS_MAP
    assert len(set(DEFAULT_CLASS_MAP.values())) == 8
    with pytest.raises(ConfigError, match=r"^k: needs at least 2"):
        resolve_class_map({"a": "x", "b": "x"}, "k")
    with pytest.raises(ConfigError, match=r"^k: expected a non-empty mapping"):
        resolve_class_map({}, "k")
    assert check_real_dir(data["real"], CLASS_MAP, "usefulness.real_dir") == REAL_NAMES
    with pytest.raises(ConfigError, match=r"^usefulness\.class_map\.red_disc: real class 'aple'"):
        check_real_dir(data["real"], {**CLASS_MAP, "red_disc": "aple"}, "r", "usefulness.class_map")
    with pytest.raises(ConfigError, match=r"^usefulness\.class_map\.lemon: not a class of"):
        check_synthetic_dir(
            data["batch"], {**CLASS_MAP, "lemon": "lime"}, "a", "usefulness.class_map"
        )
    with pytest.raises(DataError, match=r"^usefulness\.real_dir: .* is not a YOLO split"):
        check_real_dir(data["batch"], CLASS_MAP, "usefulness.real_dir")


def test_detail_ratio_sees_blur(data: dict[str, Path]) -> None:
    """A gaussian-blurred copy has far less detail than the original; the same set has ratio 1."""
    a = load_folder_tensor(data["batch"], SIZE)
    blurred = load_folder_tensor(data["blurred"], SIZE)
    assert detail_statistic(a).shape == (a.shape[0],)
    assert detail_ratio(a, a).ratio == pytest.approx(1.0)
    assert detail_ratio(blurred, a).ratio < 0.7
    assert detail_ratio(blurred, a, scale=2).ratio > detail_ratio(blurred, a).ratio


def test_native_swd_sees_blur(data: dict[str, Path], tmp_path: Path) -> None:
    """SWD of native-scale crops: a blurred set is far from the original, a re-sample is not."""
    copy = blur_images(data["batch"], tmp_path / "copy", 0)
    same = swd_native(data["batch"], copy, crop_size=32, crops_per_image=2, seed=0)
    blurred = swd_native(data["batch"], data["blurred"], crop_size=32, crops_per_image=2, seed=0)
    assert len(blurred.levels) == 2 and blurred.mean > 3 * same.mean
    with pytest.raises(DataError, match="smaller than the 128 px crop"):
        swd_native(data["batch"], copy, crop_size=128)


def test_native_crops_match_scale(data: dict[str, Path], tmp_path: Path) -> None:
    """A 2x upscaled copy: strictly native crops see it as smooth, scale-matched ones do not."""
    big = tmp_path / "big"
    big.mkdir()
    for file in list_images(data["batch"]):
        Image.open(file).resize((2 * SIZE, 2 * SIZE), Image.BICUBIC).save(big / file.name)
    files, big_files = list_images(data["batch"]), list_images(big)
    assert common_short_side(files, big_files) == SIZE
    small = native_crops(files, 32, 2, seed=0)
    raw = native_crops(big_files, 32, 2, seed=0)
    matched = native_crops(big_files, 32, 2, seed=0, max_short_side=SIZE)
    assert raw.shape == matched.shape == small.shape == (24, 3, 32, 32)
    assert detail_ratio(raw, small).ratio < 0.7
    assert detail_ratio(matched, small).ratio == pytest.approx(1.0, abs=0.2)


def test_evaluate_reports_usefulness_and_realism(data: dict[str, Path], tmp_path: Path) -> None:
    """fridge-eval with usefulness.real_dir: both labelled batches scored, realism numbers set."""
    cfg = {
        "a_dir": str(data["batch"]),
        "b_dir": str(data["blurred"]),
        "image_size": 64,
        "realism": {"crop_size": 128},
        "usefulness": {
            "real_dir": str(data["real"]),
            "class_map": CLASS_MAP,
            "seeds": [0],
            "steps": 40,
            "batch_size": 16,
            "crop_size": 32,
            "min_visible_pixels": 20,
        },
    }
    with single_thread():
        report = evaluate(cfg)
    m = report["metrics"]
    assert m["detail_ratio"] > 1.4 and m["detail_ratio_native"] > 1.4  # a sharp, b blurred
    assert m["swd_native_crop_size"] == SIZE and m["swd_native"] > 0
    assert any("native crops are 96 px" in n for n in report["notes"])
    section = report["usefulness"]
    assert set(section) == {"real_dir", "class_map", "a", "b"}
    assert section["a"]["balanced_accuracy"]["mean"] > 0.8
    assert section["a"]["counts"] == section["b"]["counts"]
    saved = json.loads(write_report(report, tmp_path / "out").read_text())
    assert saved["settings"]["usefulness"]["class_map"] == CLASS_MAP
    with pytest.raises(DataError, match=r"^usefulness\.real_dir: .*nope does not exist"):
        evaluate({**cfg, "usefulness": {"real_dir": str(tmp_path / "nope")}})
    bad = {**cfg["usefulness"], "class_map": {"red_disc": "apple", "blue_box": "mlk"}}
    with pytest.raises(ConfigError, match=r"^usefulness\.class_map\.blue_box: real class 'mlk'"):
        evaluate({**cfg, "usefulness": bad})
    with pytest.raises(ConfigError, match=r"^usefulness\.seeds: "):
        evaluate({**cfg, "usefulness": {**cfg["usefulness"], "seeds": []}})
    with pytest.raises(ConfigError, match=r"^usefulness\.real_dir: set, but no labelled batch"):
        evaluate({**cfg, "a_dir": str(data["real"] / "images"), "b_dir": str(data["real"])})


def test_cli_rejects_unknown_class_before_work(data: dict[str, Path], tmp_path: Path) -> None:
    """A class-map name unknown to the batch: one line naming the key, status 2, nothing written."""
    run_dir = tmp_path / "run"
    args = [
        str(BIN / "fridge-eval"),
        f"a_dir={data['batch']}",
        f"b_dir={data['blurred']}",
        f"usefulness.real_dir={data['real']}",
        "usefulness.class_map={lemon: apple, blue_box: milk}",
        f"out_dir={run_dir}",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fridge-eval: error: usefulness.class_map.lemon")
    assert not run_dir.exists()


@pytest.mark.skipif(not (AICOOK / "test").is_dir(), reason="aicook_fridge data not present")
def test_aicook_split_parses() -> None:
    """The real aicook test split: every label line becomes one box; the 8 mapped classes exist."""
    split = AICOOK / "test"
    names = check_real_dir(split, DEFAULT_CLASS_MAP, "usefulness.real_dir")
    objects = yolo_objects(split)
    lines = sum(
        len([ln for ln in p.read_text().splitlines() if ln.strip()])
        for p in (split / "labels").glob("*.txt")
    )
    assert len(names) == 30 and len(objects) == len(list((split / "images").iterdir()))
    assert sum(len(o) for _, o in objects) == lines
    present = {c for _, objs in objects for c, _ in objs}
    assert set(DEFAULT_CLASS_MAP.values()) <= present
    for _, objs in objects:
        for _, (x0, y0, w, h) in objs:
            assert x0 >= -1 and y0 >= -1 and x0 + w <= 641 and y0 + h <= 641 and w > 0 and h > 0


def test_domain_randomisation_options() -> None:
    """Each option changes crops only when on, keeps [0, 1] and follows the generator's seed."""
    from gan.usefulness import augment

    x = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    off = UsefulnessSettings(flip=False, scale_jitter=0.0, translate_jitter=0.0, colour_jitter=0.0)
    assert torch.equal(augment(x, off, torch.Generator().manual_seed(1)), x)
    for key, value in (("channel_jitter", 0.3), ("blur", 1.0), ("noise", 0.05), ("erase", 1.0)):
        s = replace(off, **{key: value})
        a, b = (augment(x, s, torch.Generator().manual_seed(1)) for _ in range(2))
        assert torch.equal(a, b), key  # seeded
        assert not torch.allclose(a, x), key
        assert a.min() >= 0 and a.max() <= 1, key
    blurred = augment(x, replace(off, blur=1.0), torch.Generator().manual_seed(1))
    assert blurred.diff(dim=-1).abs().mean() < 0.7 * x.diff(dim=-1).abs().mean()  # smoother
    erased = augment(x, replace(off, erase=1.0), torch.Generator().manual_seed(1))
    changed = (erased != x).any(1).float().mean(dim=(1, 2))
    assert ((changed > 0.005) & (changed < 0.1)).all()  # one rectangle of 1-9 % of the crop
    with pytest.raises(ConfigError, match="usefulness.blur"):
        replace(off, blur=1.5).validate()


def test_standardised_crops_ignore_brightness_and_colour_cast(data: dict[str, Path]) -> None:
    """`standardise`: a per-channel offset of the crops leaves the classifier's output as it
    was and a per-channel gain changes it only through the small `eps`; without it both move
    the logits. It still learns the shapes."""
    train = load_crops(data["batch"], CLASS_MAP, SETTINGS)
    test = load_crops(data["real"], CLASS_MAP, SETTINGS)
    s = replace(SETTINGS, standardise=True)
    with single_thread():
        model = train_classifier(train, s, seed=0, progress=False)
        plain = train_classifier(
            train, replace(s, standardise=False, steps=3), seed=0, progress=False
        )
    assert isinstance(model[0], CropStandardise)
    x = test.images.float() / 255 * 4 - 2
    offset = torch.tensor([0.4, -0.3, 0.2]).view(1, 3, 1, 1)
    gain = torch.tensor([1.3, 0.8, 1.1]).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.allclose(model(x + offset), model(x), atol=1e-4)
        assert model(x * gain).argmax(1).eq(model(x).argmax(1)).float().mean() > 0.9
        assert not torch.allclose(plain(x + offset), plain(x), atol=1e-2)
    pred = predict(model, test)
    assert classification_scores(pred, test.labels, test.classes)["balanced_accuracy"] > 0.8
    with pytest.raises(ConfigError, match="usefulness.standardise"):
        replace(SETTINGS, standardise="yes").validate()
