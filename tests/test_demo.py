"""fridge-demo: profile selection, stage folders, config errors and a tiny real end-to-end run."""

import json
import sys
from pathlib import Path

import pytest
from PIL import Image

from gan import demo
from gan.config import ConfigError
from gan.demo import Method, deep_merge, digest, gap_closed, select_profile, stage_dir, table

sys.path.insert(0, str(Path(__file__).parent))
from conftest import cli  # noqa: E402
from gan_testutils import compose, make_photo_folder, run_cli  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

TINY = [
    "demo.fast=true",
    "fast.render.resolution=[48,48]",
    "fast.render.samples=4",
    "fast.render.source.count=3",
    "fast.render.target.count=3",
    "fast.render.heldout.count=2",
    'render.extra=["objects.total=[10,16]","objects.per_shelf=[3,6]"]',
    "fast.train.data.image_size=32",
    "fast.train.data.load_size=36",
    "fast.models.cyclegan.config.trainer.max_steps=4",
    "fast.models.pix2pix.config.trainer.max_steps=4",
    "fast.eval.swd_patches_per_image=32",
    "demo.panel_rows=2",
]


def test_deep_merge_replaces_leaves_and_lists_only():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 3}
    merged = deep_merge(base, {"a": {"c": [9]}, "e": 4})
    assert merged == {"a": {"b": 1, "c": [9]}, "d": 3, "e": 4}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 3}


def test_profiles_fast_gpu_cpu():
    raw = compose([], "demo")
    fast, name = select_profile({**raw, "demo": {**raw["demo"], "fast": True}}, cuda=True)
    assert name == "fast" and fast["render"]["resolution"] == [64, 64]
    assert fast["render"]["source"]["seed"] == raw["render"]["source"]["seed"]
    gpu, name = select_profile(raw, cuda=True)
    assert name == "gpu" and gpu["train"]["trainer"]["device"] == "cuda"
    cpu, name = select_profile(raw, cuda=False)
    assert name == "cpu" and cpu["render"]["resolution"] == [128, 128]
    assert "fast" not in cpu and "gpu" not in cpu
    with pytest.raises(ConfigError, match="demo.device"):
        select_profile({**raw, "demo": {**raw["demo"], "device": "cuda"}}, cuda=False)


def test_stage_folders_follow_settings(tmp_path):
    a = stage_dir(tmp_path, "source", {"count": 4, "seed": 1})
    assert a == stage_dir(tmp_path, "source", {"seed": 1, "count": 4})
    assert a != stage_dir(tmp_path, "source", {"count": 5, "seed": 1})
    assert a.name == f"source-{digest({'count': 4, 'seed': 1})}"


def test_gap_closed_and_table():
    rows = {
        "render": {"swd": 100.0, "psnr": 10.0, "ssim": 0.5, "label_fidelity": 1.0, "spread": 40},
        "cyclegan": {"swd": 70.0, "psnr": 15.0, "ssim": 0.6, "label_fidelity": 0.8, "spread": 35},
        "truth": {"swd": 40.0, "psnr": None, "ssim": None, "label_fidelity": 0.7, "spread": 38},
    }
    assert gap_closed(rows, "cyclegan") == pytest.approx(0.5)
    methods = [Method(k, k, Path(".")) for k in rows]
    text = table(methods, rows)
    assert "| cyclegan | 70.00 | 15.00 | 0.600 | 0.800 | 35.0 |" in text


@pytest.mark.parametrize(
    "override, message",
    [
        ("render.source.count=0", "render.source.count: must be a positive integer"),
        ("models.pix2pix.config.model.generator.num_downs=9", "models.pix2pix: "),
        ("demo.target_dir=/nonexistent/photos", "demo.target_dir: "),
        ("demo.device=tpu", "demo.device: must be one of"),
        ("demo.bogus=1", "demo.bogus"),
        ('render.extra=["bogus.key=1"]', "render.extra: bogus.key: unknown config key"),
    ],
)
def test_bad_config_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, override,
                                                   message):
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
    proc = run_cli([cli("fridge-demo"), *args], cwd=root, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, args, proc


def test_demo_end_to_end_writes_report_panel_and_labeled_translations(demo_run):
    root, _, proc = demo_run
    out = root / "out"
    report = json.loads((out / "report.json").read_text())
    assert set(report["rows"]) == {"render", "pix2pix", "cyclegan", "truth"}
    for key, row in report["rows"].items():
        assert row["swd"] is not None and row["swd"] >= 0, key
        assert row["label_fidelity"] is not None, key
    assert report["rows"]["render"]["label_fidelity"] == pytest.approx(1.0)
    assert report["rows"]["cyclegan"]["psnr"] is not None
    md = (out / "report.md").read_text()
    assert "| CycleGAN |" in md and "Pix2Pix (random pairs)" in md and "panel.png" in md
    assert "tensorboard --logdir outputs" in proc.stdout and "| images |" in proc.stdout
    with Image.open(out / "panel.png") as panel:  # 4 columns of 192 px, 2 rows
        assert panel.width == 4 * (192 + 4) + 4
        assert panel.height == 24 + 2 * (192 + 4) + 4
    for key in ("pix2pix", "cyclegan"):
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
    proc = run_cli([cli("fridge-demo"), *args], cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    assert log.count("reusing") == 4 + 2 + 2  # renders, trainings, translations
    assert {p: p.stat().st_mtime_ns for p in images} == before


def test_demo_with_real_photo_folder_has_no_ground_truth(demo_run, tmp_path):
    root, args, _ = demo_run
    photos = make_photo_folder(tmp_path, count=4)
    out = tmp_path / "out"
    args = [a for a in args if not a.startswith("demo.out_dir=")]
    proc = run_cli([cli("fridge-demo"), *args, f"demo.target_dir={photos}",
                    f"demo.out_dir={out}"], cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert set(report["rows"]) == {"render", "pix2pix", "cyclegan"}
    assert report["rows"]["cyclegan"]["psnr"] is None
    with Image.open(out / "panel.png") as panel:
        assert panel.width == 3 * (192 + 4) + 4
