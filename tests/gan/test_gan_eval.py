"""fridge-eval: metrics on crafted folders where the right answer is known, and CLI errors."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import BIN, make_render_batch, noise_image, run_cli, single_thread
from PIL import Image, ImageDraw, ImageFilter

from gan.data import DataError
from gan.evaluate import evaluate, write_report
from gan.metrics import edge_agreement, psnr, ssim

SIZE = 64
COUNT = 6


def make_shapes_batch(root: Path, count: int = COUNT, seed: int = 0) -> Path:
    """A render batch of 64x64 drawn shapes on textured backgrounds with 16-bit instance masks."""
    rng = np.random.default_rng(seed)
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = noise_image(rng, SIZE, SIZE, (0, 0, 0))
        mask = Image.new("I;16", (SIZE, SIZE), 0)
        draw, mdraw = ImageDraw.Draw(img), ImageDraw.Draw(mask)
        for obj in range(1, 4):
            x0, y0 = (int(v) for v in rng.integers(2, SIZE - 26, 2))
            w, h = (int(v) for v in rng.integers(10, 24, 2))
            box = (x0, y0, x0 + w, y0 + h)
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            shape = draw.ellipse if obj % 2 else draw.rectangle
            mshape = mdraw.ellipse if obj % 2 else mdraw.rectangle
            shape(box, fill=fill)
            mshape(box, fill=i * 10 + obj)
        name = f"{i:06d}.png"
        img.save(root / "images" / name)
        mask.save(root / "masks" / name)
    return root


def blurred_copy(src: Path, dst: Path, radius: float) -> Path:
    """Copy of a batch with every image gaussian-blurred by `radius` px."""
    shutil.copytree(src, dst)
    for file in (dst / "images").iterdir():
        Image.open(file).filter(ImageFilter.GaussianBlur(radius)).save(file)
    return dst


def shuffled_copy(src: Path, dst: Path) -> Path:
    """Copy of a batch whose images are rotated one name along (wrong pairs, same set)."""
    shutil.copytree(src, dst)
    files = sorted((src / "images").iterdir())
    for file, target in zip(files, files[1:] + files[:1], strict=True):
        shutil.copy(file, dst / "images" / target.name)
    return dst


def run_eval(a: Path, b: Path, **overrides) -> dict:
    """evaluate() at test size on one thread."""
    with single_thread():
        return evaluate({"a_dir": str(a), "b_dir": str(b), "image_size": SIZE, **overrides})


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A render batch plus identical, shuffled, blurred and unrelated folders."""
    root = tmp_path_factory.mktemp("eval")
    a = make_shapes_batch(root / "a")
    return {
        "a": a,
        "same": blurred_copy(a, root / "same", 0),
        "shuffled": shuffled_copy(a, root / "shuffled"),
        "blur1": blurred_copy(a, root / "blur1", 1.0),
        "blur2": blurred_copy(a, root / "blur2", 2.5),
        "other": make_render_batch(root / "other", COUNT, (SIZE, SIZE), seed=5),
    }


@pytest.fixture(scope="module")
def reports(batches: dict[str, Path]) -> dict[str, dict]:
    """evaluate(a, x) for every crafted folder x."""
    a = batches["a"]
    reports = {k: run_eval(a, v) for k, v in batches.items() if k not in ("a", "same", "other")}
    for key in ("same", "other"):  # more patches: SWD sampling floor well below the gap
        reports[key] = run_eval(a, batches[key], swd_patches_per_image=1024)
    return reports


def test_identical_folders(reports: dict[str, dict]) -> None:
    """Same images: SWD far below an unrelated folder, PSNR inf, SSIM 1, label fidelity 1."""
    same, other = reports["same"]["metrics"], reports["other"]["metrics"]
    assert same["swd"] < 0.4 * other["swd"]
    assert math.isinf(same["psnr"])
    assert same["ssim"] == pytest.approx(1.0, abs=1e-9)
    assert same["label_fidelity"] == pytest.approx(1.0, abs=1e-9)
    assert reports["same"]["counts"] == {"a": COUNT, "b": COUNT, "paired": COUNT}
    assert same["fid"] is None and same["kid"] is None
    assert any("FID/KID skipped" in n for n in reports["same"]["notes"])


def test_shuffled_pairs_score_worse(reports: dict[str, dict]) -> None:
    """Wrong pairing of the same set: PSNR/SSIM/label fidelity collapse vs. correct pairs."""
    same, shuf = reports["same"]["metrics"], reports["shuffled"]["metrics"]
    assert shuf["psnr"] < 15 and shuf["ssim"] < 0.3
    assert shuf["ssim"] < same["ssim"] - 0.5
    assert shuf["label_fidelity"] < 0.5


def test_blur_lowers_ssim_and_label_fidelity(reports: dict[str, dict]) -> None:
    """A known gaussian blur: SSIM and label fidelity below 1 and falling with strength."""
    b1, b2 = reports["blur1"]["metrics"], reports["blur2"]["metrics"]
    assert 0.3 < b2["ssim"] < b1["ssim"] < 0.99
    assert b2["psnr"] < b1["psnr"] < math.inf
    assert b2["label_fidelity"] < b1["label_fidelity"] < 0.99
    assert b1["label_fidelity"] > reports["shuffled"]["metrics"]["label_fidelity"]
    per_image = reports["blur1"]["per_image"]
    assert sorted(per_image) == [f"{i:06d}.png" for i in range(COUNT)]
    assert all(v["ssim"] < 1 for v in per_image.values())


def test_metric_functions_on_arrays() -> None:
    """PSNR of a constant offset and SSIM bounds on plain arrays."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (32, 32, 3)).astype(np.float64)
    assert psnr(a, np.clip(a + 0, 0, 255)) == math.inf
    b = a.copy()
    b[0, 0, 0] += 10.0
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / (100 / (32 * 32 * 3))))
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, 255 - a) < 0


def test_edge_agreement_is_a_correlation_within_its_bounds() -> None:
    """Identical images agree at exactly <= 1 (rounding used to give 1 + 2e-16 on a third of
    random images, failing `-1 <= label_fidelity <= 1`); unrelated ones near 0."""
    values, unrelated = [], []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        a = rng.integers(0, 256, (24, 24, 3)).astype(np.float64)
        region = torch.from_numpy(rng.random((24, 24)) > 0.3)
        values.append(edge_agreement(a, a, region))
        unrelated.append(edge_agreement(a, rng.integers(0, 256, a.shape).astype(float), region))
    assert all(-1.0 <= v <= 1.0 for v in values + unrelated)
    assert min(values) == pytest.approx(1.0) and abs(float(np.mean(unrelated))) < 0.1


def test_unpaired_and_plain_folders(batches: dict[str, Path], tmp_path: Path) -> None:
    """Plain folders with no common names: SWD only; no masks: no label fidelity."""
    plain = tmp_path / "plain"
    shutil.copytree(batches["blur1"] / "images", plain)
    report = run_eval(plain, batches["a"])
    assert report["metrics"]["label_fidelity"] is None and report["metrics"]["ssim"] < 1
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for f in (batches["a"] / "images").iterdir():
        shutil.copy(f, renamed / f"x{f.name}")
    report = run_eval(batches["a"], renamed, paired="auto")
    assert report["counts"]["paired"] == 0 and report["metrics"]["psnr"] is None
    assert report["metrics"]["swd"] >= 0
    with pytest.raises(DataError, match="xx000000.png|000000.png"):
        run_eval(batches["a"], renamed, paired=True)


def test_report_json_roundtrip(reports: dict[str, dict], tmp_path: Path) -> None:
    """report.json is strict JSON (inf as a string) with per-image values."""
    path = write_report(reports["same"], tmp_path / "out")
    data = json.loads(path.read_text())
    assert data["metrics"]["psnr"] == "inf"
    assert data["per_image"]["000000.png"]["ssim"] == pytest.approx(1.0)
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_cli_writes_table_and_report(batches: dict[str, Path], tmp_path: Path) -> None:
    """The console script prints the table and writes report.json into the run folder."""
    run_dir = tmp_path / "run"
    args = [
        str(BIN / "fridge-eval"),
        f"a_dir={batches['a']}",
        f"b_dir={batches['blur1']}",
        f"image_size={SIZE}",
        f"out_dir={run_dir}",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "SSIM" in proc.stdout and "label fidelity" in proc.stdout
    report = json.loads((run_dir / "report.json").read_text())
    assert report["counts"]["paired"] == COUNT


@pytest.mark.parametrize("case", ["missing", "empty", "mismatch"])
def test_cli_errors(case: str, batches: dict[str, Path], tmp_path: Path) -> None:
    """Missing folder, empty folder, mismatched pairs: one line naming it, status 2, no output."""
    b, extra = batches["same"], []
    if case == "missing":
        b = tmp_path / "nope"
    elif case == "empty":
        b = tmp_path / "empty"
        b.mkdir()
    else:
        b = tmp_path / "partial"
        shutil.copytree(batches["a"] / "images", b)
        (b / "000003.png").unlink()
        extra = ["paired=true"]
    run_dir = tmp_path / "run"
    args = [str(BIN / "fridge-eval"), f"a_dir={batches['a']}", f"b_dir={b}", *extra]
    proc = run_cli([*args, f"hydra.run.dir={run_dir}", f"out_dir={run_dir}"], cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fridge-eval: error: "), proc.stderr
    assert (str(b / "000003.png") if case == "mismatch" else str(b)) in lines[0]
    assert not run_dir.exists() and not (tmp_path / "outputs").exists()


def test_psnr_and_ssim_match_scikit_image() -> None:
    """Our PSNR and SSIM agree with scikit-image's reference implementations on noisy,
    blurred and shifted versions of a textured image (SSIM on luminance, gaussian window)."""
    metrics_ref = pytest.importorskip("skimage.metrics", reason="scikit-image not installed")
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(3)
    base = gaussian_filter(rng.uniform(0, 255, (48, 40, 3)), sigma=(1.5, 1.5, 0))
    variants = {
        "noise": np.clip(base + rng.normal(0, 12, base.shape), 0, 255),
        "blur": gaussian_filter(base, sigma=(2, 2, 0)),
        "shift": np.roll(base, 3, axis=1),
    }
    luma = np.asarray([0.299, 0.587, 0.114])
    for name, other in variants.items():
        ref_psnr = metrics_ref.peak_signal_noise_ratio(base, other, data_range=255)
        assert psnr(base, other) == pytest.approx(ref_psnr, rel=1e-9), name
        ref_ssim = metrics_ref.structural_similarity(
            base @ luma,
            other @ luma,
            data_range=255,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        assert ssim(base, other) == pytest.approx(ref_ssim, abs=1e-6), name
    assert ssim(base, variants["blur"]) > ssim(base, variants["shift"])
