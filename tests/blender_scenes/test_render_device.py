"""render.device: Cycles on the GPU (OptiX, CUDA, HIP) where one is present, on the CPU otherwise,
and the device each image was rendered on in its meta and in the dataset card.

The GPU test runs wherever Cycles finds a GPU: the same settled scene rendered on the CPU and on
the GPU gives the same labels and nearly the same picture. Without a GPU, `render.device=gpu`
warns and renders what `render.device=cpu` renders: the same labels and picture (PSNR > 40 dB)."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testutils import render_config

GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")
# A full default scene (physics settling skipped: rows), small and quickly sampled, denoised.
SMALL = ("count=1", "seed=3", "resolution=[96,72]", "render.samples=16", "placement=rows",
         "preview=false")  # fmt: skip


@functools.lru_cache(maxsize=1)
def gpu_backend() -> str | None:
    """The GPU backend Cycles finds here (None: none), preferences left as they were."""
    import bpy

    from blender_scenes.render import enable_gpu

    prefs = bpy.context.preferences.addons["cycles"].preferences
    before = prefs.compute_device_type
    try:
        return enable_gpu()
    finally:
        prefs.compute_device_type = before


def render(out: Path, device: str) -> dict:
    """Image 0 of a SMALL batch on `device`: its meta, RGB and instance ids."""
    import bpy

    from blender_scenes import writer
    from blender_scenes.worker import render_one

    bpy.ops.wm.read_factory_settings(use_empty=True)
    cfg = render_config(out, *SMALL, f"render.device={device}")
    writer.prepare(cfg.out_dir)
    render_one(cfg, 0)
    meta = json.loads((out / "meta" / "000000.json").read_text())
    rgb = np.asarray(Image.open(out / meta["image"]["file_name"]).convert("RGB"))
    ids = np.asarray(Image.open(out / meta["image"]["mask_file"])).astype(np.int64)
    return {"meta": meta, "rgb": rgb, "ids": ids}


def rgb_psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two 8-bit images (kept free of torch: a GPU render box may lack it)."""
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.fixture(scope="module")
def cpu_render(tmp_path_factory):
    pytest.importorskip("bpy")
    return render(tmp_path_factory.mktemp("device") / "cpu", "cpu")


def test_meta_and_card_name_the_cycles_device(cpu_render, tmp_path):
    from blender_scenes.card import build_card, card_markdown

    assert cpu_render["meta"]["software"]["cycles_device"] == "CPU"
    card = build_card([cpu_render["meta"]], None)
    assert card["software"]["cycles_device"] == ["CPU"]
    assert "cycles-device CPU" in card_markdown(card)


def test_gpu_request_without_a_gpu_renders_on_the_cpu(cpu_render, tmp_path, caplog):
    if gpu_backend() is not None:
        pytest.skip(f"a {gpu_backend()} GPU is present: test_gpu_render_matches_the_cpu runs")
    with caplog.at_level(logging.WARNING, logger="blender_scenes.render"):
        r = render(tmp_path / "gpu", "gpu")
    assert any("no CUDA/OptiX/HIP device" in rec.getMessage() for rec in caplog.records)
    assert r["meta"]["software"]["cycles_device"] == "CPU"
    assert np.array_equal(r["ids"], cpu_render["ids"])
    assert r["meta"]["annotations"] == cpu_render["meta"]["annotations"]
    assert rgb_psnr(r["rgb"], cpu_render["rgb"]) > 40


def test_gpu_render_matches_the_cpu(cpu_render, tmp_path):
    backend = gpu_backend()
    if backend is None:
        pytest.skip("Cycles finds no GPU here (OptiX/CUDA/HIP/oneAPI/Metal)")
    r = render(tmp_path / "gpu", "gpu")
    assert r["meta"]["software"]["cycles_device"] == backend in GPU_BACKENDS
    # Same scene, same labels: the id pass agrees but for a few anti-aliased edge pixels.
    assert np.mean(r["ids"] == cpu_render["ids"]) > 0.99
    gpu = {a["instance_id"]: a for a in r["meta"]["annotations"]}
    cpu = {a["instance_id"]: a for a in cpu_render["meta"]["annotations"]}
    assert gpu.keys() == cpu.keys()
    for iid, a in cpu.items():
        assert gpu[iid]["cls"] == a["cls"]
        if a["visible_pixels"] > 20:
            assert np.allclose(gpu[iid]["bbox"], a["bbox"], atol=2), (iid, a["bbox"])
    # Same light paths up to float rounding and the denoiser's device: nearly the same picture.
    assert rgb_psnr(r["rgb"], cpu_render["rgb"]) > 30


@pytest.mark.parametrize(("arch", "warned"), [(90, True), (89, False)])
def test_gpu_announcement_warns_where_cycles_must_compile_its_kernel(
    monkeypatch, caplog, tmp_path, arch, warned
):
    """On a card Cycles has no cubin for (Hopper with Blender 5.0.1's cubins, sm_50-89 and
    sm_120), the first GPU image compiles Cycles' kernel for minutes: say so, and name the
    command that compiles it ahead."""
    from blender_scenes import cuda_kernels
    from blender_scenes.render import announce_gpu

    for name in ("kernel_sm_89.cubin.zst", "kernel_sm_120.cubin.zst", "kernel_compute_75.ptx.zst"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(cuda_kernels, "cycles_lib_dir", lambda: tmp_path)
    monkeypatch.setattr(
        cuda_kernels, "cuda_cards", lambda: [cuda_kernels.Card(0, "Test GPU", arch)]
    )
    with caplog.at_level(logging.INFO, logger="blender_scenes.render"):
        announce_gpu.__wrapped__("OPTIX")
    (record,) = [r for r in caplog.records if "rendering on the GPU (OPTIX)" in r.getMessage()]
    if warned:
        assert record.levelno == logging.WARNING
        assert "no CUDA binary for the Test GPU (sm_90)" in record.getMessage()
        assert "fridge-cuda-kernels" in record.getMessage()
    else:
        assert (
            record.levelno == logging.INFO and record.getMessage() == "rendering on the GPU (OPTIX)"
        )


def test_gpu_preset_takes_more_samples_and_the_fast_prefilter(tmp_path):
    """`+render_preset=gpu` asks for the GPU with the settings the H200 table chose (64 samples,
    threshold 0.01, OIDN's fast prefilter) and leaves the rest of the render config alone."""
    from dataclasses import replace

    cfg = render_config(tmp_path, "+render_preset=gpu")
    plain = render_config(tmp_path)
    r = cfg.render
    assert (r.device, r.samples, r.adaptive_threshold, r.denoise_prefilter) == (
        "gpu", 64, 0.01, "fast")  # fmt: skip
    assert replace(r, device="cpu", samples=24, adaptive_threshold=0.05,
                   denoise_prefilter="accurate") == plain.render  # fmt: skip
    assert cfg.resolution == plain.resolution and cfg.sampler == plain.sampler
