"""fridge-demo: profiles, stage folders, the report, config errors and a tiny real run."""

import json
import sys
from pathlib import Path

import pytest
from gan_testutils import make_photo_folder, run_cli
from PIL import Image
from testutils import cli, compose

from pipeline import cli as demo
from pipeline.report import Method, findings, smear_reason, table, winners
from pipeline.stages import deep_merge, digest, stage_dir

TINY = [
    "demo_profile=fast",
    "render.resolution=[48,48]",
    "render.samples=4",
    "render.source.count=3",
    "render.target.count=3",
    "render.heldout.count=2",
    'render.extra=["objects.total=[10,16]","objects.per_shelf=[3,6]"]',
    "train.data.image_size=32",
    "models.cut.config.trainer.max_steps=4",
    "models.cyclegan.config.trainer.max_steps=4",
    "measure.swd_patches_per_image=32",
    "measure.crop_size=32",
    "measure.content.steps=3",
    "measure.usefulness.steps=5",
    "measure.usefulness.min_visible_pixels=4",
    "demo.panel_rows=2",
    "demo.panel_cell=64",
]


def test_deep_merge_replaces_leaves_and_lists_only():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 3}
    merged = deep_merge(base, {"a": {"c": [9]}, "e": 4})
    assert merged == {"a": {"b": 1, "c": [9]}, "d": 3, "e": 4}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 3}


def test_profiles_are_a_config_group():
    cpu = compose([], "demo")
    assert cpu["demo"]["profile"] == "cpu" and cpu["render"]["resolution"] == [256, 256]
    assert cpu["train"]["data"]["preprocess"] == "crop"  # native-scale crops
    fast = compose(["demo_profile=fast"], "demo")
    assert fast["demo"]["profile"] == "fast" and fast["render"]["resolution"] == [96, 96]
    assert fast["render"]["source"]["seed"] == cpu["render"]["source"]["seed"]
    real = compose(["demo_profile=real_photos"], "demo")
    assert real["models"]["cut"]["experiment"] == "real_photos"
    assert real["models"]["cut_plain"]["config"]["model"]["lambda_content"] == 0.0
    field = real["models"]["field"]["config"]  # the statistics frame field, no GAN steps
    assert field["trainer"]["max_steps"] == 0
    assert field["model"]["generator"] == {"frame_field": 4, "frame_field_init": "statistics"}
    assert demo.with_auto_profile([], cuda=True) == ["demo_profile=gpu"]
    assert demo.with_auto_profile(["demo.device=cpu"], cuda=True) == ["demo.device=cpu"]
    assert demo.with_auto_profile(["demo_profile=fast"], cuda=True) == ["demo_profile=fast"]
    assert demo.with_auto_profile([], cuda=False) == []


def test_stage_folders_follow_settings(tmp_path):
    a = stage_dir(tmp_path, "source", {"count": 4, "seed": 1})
    assert a == stage_dir(tmp_path, "source", {"seed": 1, "count": 4})
    assert a != stage_dir(tmp_path, "source", {"count": 5, "seed": 1})
    assert a.name == f"source-{digest({'count': 4, 'seed': 1})}"


def test_table_and_findings_never_crown_a_smear():
    rows = {
        "render": {
            "swd_native": 200.0,
            "detail_ratio": 1.0,
            "content_miou": 0.5,
            "useful_acc": 0.2,
        },
        "sharp": {
            "swd_native": 120.0,
            "detail_ratio": 0.9,
            "content_miou": 0.45,
            "useful_acc": 0.3,
        },
        "smear": {"swd_native": 90.0, "detail_ratio": 0.3, "content_miou": 0.2, "useful_acc": 0.1},
    }
    methods = [Method(k, k, Path(".")) for k in rows]
    text = table(methods, rows)
    assert "| sharp | 120.0 | 0.90 | 0.450 | 0.300 |" in text
    assert "PSNR" not in text  # columns without values are left out
    assert smear_reason(rows["smear"], rows["render"]) and not smear_reason(
        rows["sharp"], rows["render"]
    )
    assert winners(methods, rows)["swd_native"] == "sharp"  # the smear's lower SWD wins nothing
    lines = findings(methods, rows)
    assert any("smear" in line and "SMEAR" in line for line in lines)
    assert "Best on realism at training scale: sharp." in lines
    # a measure on which no translation beats the renders claims no winner
    assert winners(methods, rows)["content_miou"] is None  # 0.45 < the renders' 0.5
    assert "No translation beat the untranslated renders on content kept." in lines
    worse = {**rows, "sharp": {**rows["sharp"], "swd_native": 210.0}}
    assert winners(methods, worse)["swd_native"] is None


@pytest.mark.parametrize(
    "override, message",
    [
        ("render.source.count=0", "render.source.count: must be a positive integer"),
        ("models.cyclegan.config.model.generator.ngf=0", "models.cyclegan: "),
        ("demo.target_dir=/nonexistent/photos", "demo.target_dir: "),
        ("demo.device=tpu", "demo.device: must be one of"),
        ("demo.bogus=1", "demo.bogus"),
        ('render.extra=["bogus.key=1"]', "render.extra: bogus.key: unknown config key"),
        ("measure.usefulness.real_dir=/nonexistent", "measure.usefulness.real_dir: "),
        ("measure.content.steps=0", "measure.content.steps: must be a positive integer"),
        ("demo_profile=nosuch", "demo_profile"),
    ],
)
def test_bad_config_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys, override, message
):
    args = [f"demo.data_dir={tmp_path}/data", f"demo.out_dir={tmp_path}/out", override]
    monkeypatch.setattr(sys, "argv", ["fridge-demo", *args])
    with pytest.raises(SystemExit) as exc:
        demo.main()
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fridge-demo: error: ") and message in lines[0]
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One tiny demo run (real renders, real training steps) shared by the tests below."""
    root = tmp_path_factory.mktemp("demo")
    args = [f"demo.data_dir={root}/data", f"demo.out_dir={root}/out", *TINY]
    proc = run_cli([cli("fridge-demo"), *args], cwd=root, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, args, proc


def test_demo_end_to_end_writes_report_panel_and_labeled_translations(demo_run):
    root, _, proc = demo_run
    out = root / "out"
    report = json.loads((out / "report.json").read_text())
    assert set(report["rows"]) == {"render", "cut", "cyclegan", "truth"}
    for key, row in report["rows"].items():
        for measure in ("swd", "swd_native", "detail_ratio", "content_miou"):
            assert row[measure] is not None and row[measure] >= 0, (key, measure)
        # a correlation of edge maps: a tiny model's translation may even anti-correlate
        assert -1 <= row["label_fidelity"] <= 1, key
    assert abs(report["rows"]["render"]["label_fidelity"] - 1) < 1e-6
    for key in ("render", "cut", "cyclegan"):  # crop classifiers tested on the target's labels
        assert 0 <= report["rows"][key]["useful_acc"] <= 1, key
    assert report["rows"]["render"]["label_fidelity"] == pytest.approx(1.0)
    assert report["rows"]["cut"]["psnr"] is not None
    md = (out / "report.md").read_text()
    assert "| CUT + content term |" in md and "| CycleGAN |" in md and "panel.png" in md
    assert "tensorboard --logdir outputs" in proc.stdout and "| images |" in proc.stdout
    from PIL import ImageDraw, ImageFont

    from pipeline.report import wrap_title

    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), ImageFont.load_default(size=16)
    titles = [
        "render (untranslated)",
        "CUT + content term",
        "CycleGAN",
        "ground truth (photo style)",
    ]
    head = 6 + 20 * max(len(wrap_title(t, 60, draw, font)) for t in titles)
    with Image.open(out / "panel.png") as panel:  # 4 columns of 64 px, 2 rows, wrapped titles
        assert panel.width == 4 * (64 + 4) + 4
        assert panel.height == head + 2 * (64 + 4) + 4
    for key in ("cut", "cyclegan"):
        translated = Path(report["methods"][key]["images"])
        coco = json.loads((translated / "annotations.json").read_text())
        assert len(coco["images"]) == 2 and coco["annotations"]
        assert len(list((translated / "images").glob("*.png"))) == 2
    events = list((out / "train").rglob("events.out.tfevents.*"))
    assert len(events) >= 2


def test_demo_rerun_reuses_every_stage(demo_run):
    root, args, _ = demo_run
    images = sorted((root / "data").rglob("images/*.png"))
    before = {p: p.stat().st_mtime_ns for p in images}
    proc = run_cli([cli("fridge-demo"), *args], cwd=root, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    # renders (4), trainings (2), translations of held-out and source batches (2 x 2)
    assert log.count("reusing") == 4 + 2 + 4
    assert {p: p.stat().st_mtime_ns for p in images} == before


def test_demo_with_real_photo_folder_has_no_ground_truth(demo_run, tmp_path):
    root, args, _ = demo_run
    photos = make_photo_folder(tmp_path, count=4)
    out = tmp_path / "out"
    args = [a for a in args if not a.startswith("demo.out_dir=")]
    proc = run_cli(
        [cli("fridge-demo"), *args, f"demo.target_dir={photos}", f"demo.out_dir={out}"],
        cwd=root,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert set(report["rows"]) == {"render", "cut", "cyclegan"}
    assert report["rows"]["cut"]["psnr"] is None
    assert "useful_acc" not in report["rows"]["cut"]  # unlabelled photos: nothing to test on
    with Image.open(out / "panel.png") as panel:
        assert panel.width == 3 * (64 + 4) + 4


def test_panel_titles_wrap_inside_their_column():
    """Long method titles wrap (or are cut) to the tile width instead of running into the
    next column."""
    from PIL import ImageDraw, ImageFont

    from pipeline.report import wrap_title

    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), ImageFont.load_default(size=16)
    lines = wrap_title(
        "residual CUT + colour head + content term, no colour jitter", 252, draw, font
    )
    assert len(lines) == 2 and " ".join(lines).startswith("residual CUT + colour head")
    assert all(draw.textlength(line, font=font) <= 252 for line in lines)
    (cut,) = wrap_title("x" * 80, 100, draw, font)
    assert cut.endswith("…") and draw.textlength(cut, font=font) <= 100
