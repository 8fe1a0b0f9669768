"""Cycles speed knobs (denoiser guides / prefilter / quality, light tree and light threshold,
adaptive minimum, path guiding, clamping, glossy filter, fast GI, Russian roulette's start) and
the speed / quality benchmark's plumbing, on tiny renders."""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys

import pytest
from render_testutils import ROOT, TINY
from testutils import render_config

from blender_scenes.config import SAMPLING_PATTERNS, ConfigError

FAST_KNOBS = ("render.denoise=true", "render.denoise_guides=albedo", "render.denoise_prefilter=none",
              "render.denoise_quality=fast", "render.light_tree=false",
              "render.adaptive_min_samples=2", "render.light_threshold=0.05",
              "render.path_guiding=true", "render.clamp_direct=20", "render.clamp_indirect=3",
              "render.filter_glossy=0.5", "render.sampling_pattern=blue_noise",
              "render.fast_gi=add", "render.ao_bounces=2", "render.min_light_bounces=2",
              "render.min_transparent_bounces=5")  # fmt: skip


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("render.denoise_guides=depth", "render.denoise_guides"),
        ("render.denoise_prefilter=sharp", "render.denoise_prefilter"),
        ("render.denoise_quality=best", "render.denoise_quality"),
        ("render.light_tree=maybe", "render.light_tree"),
        ("render.adaptive_min_samples=-1", "render.adaptive_min_samples"),
        ("render.light_threshold=-0.1", "render.light_threshold"),
        ("render.path_guiding=1", "render.path_guiding"),
        ("render.clamp_direct=-1", "render.clamp_direct"),
        ("render.clamp_indirect=lots", "render.clamp_indirect"),
        ("render.filter_glossy=true", "render.filter_glossy"),
        ("render.sampling_pattern=halton", "render.sampling_pattern"),
        ("render.fast_gi=true", "render.fast_gi"),
        ("render.ao_bounces=-1", "render.ao_bounces"),
        ("render.min_light_bounces=-2", "render.min_light_bounces"),
        ("render.min_transparent_bounces=some", "render.min_transparent_bounces"),
    ],
)
def test_bad_speed_knobs_name_the_key(tmp_path, override, key):
    with pytest.raises(ConfigError) as err:
        render_config(tmp_path / "b", override)
    msg = str(err.value)
    assert msg.startswith(key + ":") and "\n" not in msg


def test_prefilter_accepts_the_old_booleans(tmp_path):
    assert (
        render_config(tmp_path / "b", "render.denoise_prefilter=true").render.denoise_prefilter
        == "accurate"
    )
    assert (
        render_config(tmp_path / "b", "render.denoise_prefilter=false").render.denoise_prefilter
        == "fast"
    )
    assert (
        render_config(tmp_path / "b", "render.denoise_prefilter=none").render.denoise_prefilter
        == "none"
    )


def test_fast_gi_off_may_be_written_unquoted(tmp_path):
    """YAML reads `fast_gi: off` as false; it means off, not a type error."""
    assert render_config(tmp_path / "b", "render.fast_gi=false").render.fast_gi == "off"


def test_speed_knobs_reach_cycles(tmp_path):
    import bpy

    from blender_scenes import writer
    from blender_scenes.worker import render_one

    cfg = render_config(tmp_path / "b", *TINY, *FAST_KNOBS)
    writer.prepare(cfg.out_dir, cfg.outputs)
    row = render_one(cfg, 0)
    assert row["objects"] > 0 and (cfg.out_dir / "images" / "000000.png").is_file()
    cyc = bpy.context.scene.cycles
    assert (cyc.use_denoising, cyc.denoising_input_passes, cyc.denoising_prefilter) == (
        True, "RGB_ALBEDO", "NONE")  # fmt: skip
    assert (cyc.denoising_quality, cyc.use_light_tree, cyc.adaptive_min_samples) == (
        "FAST",
        False,
        2,
    )
    assert cyc.use_guiding and cyc.light_sampling_threshold == pytest.approx(0.05)
    assert (cyc.sample_clamp_direct, cyc.sample_clamp_indirect, cyc.blur_glossy) == (20, 3, 0.5)
    assert cyc.sampling_pattern == "BLUE_NOISE"
    assert cyc.use_fast_gi and (cyc.fast_gi_method, cyc.ao_bounces_render) == ("ADD", 2)
    assert (cyc.min_light_bounces, cyc.min_transparent_bounces) == (2, 5)
    cfg = render_config(tmp_path / "b", *TINY, "render.denoise=true")  # the defaults again
    render_one(cfg, 0)
    rs = cfg.render
    assert (cyc.denoising_input_passes, cyc.denoising_prefilter, cyc.denoising_quality) == (
        "RGB_ALBEDO_NORMAL", rs.denoise_prefilter.upper(), rs.denoise_quality.upper())  # fmt: skip
    assert (cyc.use_light_tree, cyc.use_guiding) == (rs.light_tree, rs.path_guiding)
    assert cyc.sampling_pattern == SAMPLING_PATTERNS[rs.sampling_pattern]
    assert rs.fast_gi == "off" and not cyc.use_fast_gi
    assert (cyc.min_light_bounces, cyc.min_transparent_bounces) == (0, 0)
    assert cyc.light_sampling_threshold == pytest.approx(rs.light_threshold)
    assert (cyc.sample_clamp_direct, cyc.sample_clamp_indirect, cyc.blur_glossy) == pytest.approx(
        (rs.clamp_direct, rs.clamp_indirect, rs.filter_glossy))  # fmt: skip


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "render_quality", ROOT / "benchmarks" / "render_quality.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_old_default_candidate_is_the_issues_defaults_whatever_the_config_says(tmp_path):
    """Speed-ups are quoted against the defaults of the speed issue (32 samples, threshold 0.02
    with Cycles' own minimum, light tree, fast prefilter): the candidate must pin each of them,
    so lowering a default (the sample cap once was) does not move the baseline with it."""
    bench = load_benchmark()
    for base in (
        (),
        (
            "render.samples=7",
            "render.adaptive_threshold=0.3",
            "render.light_tree=false",
            "render.denoise_guides=albedo",
            "render.denoise_quality=fast",
        ),
    ):
        r = bench.make_config(
            tmp_path / "b", 64, 0, 1, bench.CANDIDATES["old default"], base
        ).render
        assert (r.samples, r.adaptive_threshold, r.adaptive_min_samples) == (32, 0.02, 0)
        assert (r.light_tree, r.denoise_prefilter, r.denoise_guides, r.denoise_quality) == (
            True, "fast", "albedo_normal", "high")  # fmt: skip


def test_quality_table_shows_the_worst_scene_beside_the_mean():
    """Equal quality is judged scene by scene: a setting 0.1 dB better on one scene and 0.9 dB
    worse on the other is -0.4 dB on average but -0.9 on its worst scene."""
    bench = load_benchmark()
    row = {"t_render": 2.0, "cpu_render": 4.0, "t_build": 0.1, "t_label": 0.1, "t_io": 0.1}
    results = {
        "base": bench.Result("base", [row, row], [40.0, 48.0], [0.99, 0.99]),
        "fast": bench.Result("fast", [{**row, "cpu_render": 2.0}] * 2, [40.1, 47.1], [0.98, 0.98]),
    }
    lines = bench.markdown_table(results, "base").splitlines()
    assert lines[0].split("|")[7:9] == [" dPSNR ", " worst dPSNR "]
    cells = [c.strip() for c in lines[3].split("|")]
    assert cells[4] == "2.00" and cells[7:9] == ["-0.40", "-0.90"]
    assert [c.strip() for c in lines[2].split("|")][7:9] == ["+0.00", "+0.00"]


def test_quality_sweep_on_a_tiny_settled_scene(tmp_path):
    bench = load_benchmark()
    tiny = ("render.samples=2", "render.denoise=false", "objects.total=[3,5]",
            "objects.per_shelf=[1,3]", "fridge.shelves=[1,2]", "camera.modes={front: 1}")  # fmt: skip
    reference = ("render.samples=3",)
    candidates = {"default": (), "as reference": reference, "denoised": ("render.denoise=true",)}
    results, settling = bench.sweep(40, 1, 2, 1, reference, candidates, tmp_path, tiny)
    assert list(results) == ["default", "as reference", "denoised", "default, again"]
    assert settling[0]["t_settle"] > 0  # physics placement: settled once, by the first render
    same = results["as reference"]
    assert same.mean_psnr == math.inf and same.mean_ssim == pytest.approx(1.0)
    assert math.isfinite(results["default"].mean_psnr) and results["default"].mean_ssim < 1.0
    assert results["default, again"].psnr == results["default"].psnr  # same settled scene again
    rows = [r for res in results.values() for r in res.rows]
    assert all(r["t_settle"] == 0 and 0 < r["cpu_render"] <= r["cpu_total"] for r in rows)
    table = bench.markdown_table(results)
    lines = table.splitlines()
    assert lines[0].startswith("| setting | Cycles s/image") and len(lines) == 2 + len(results)
    assert lines[2].startswith("| default | ") and "| 1.00 |" in lines[2] and "+0.00" in lines[2]
    assert "| inf |" in lines[3]
    relative = bench.markdown_table(results, "denoised").splitlines()
    assert "| x denoised |" in relative[0] and "| 1.00 |" in relative[4] and "+0.00" in relative[4]
    over = bench.overhead_lines(results["default"], settling)
    assert len(over) == 2 and over[1].startswith("with physics settling")
    again, _ = bench.sweep(40, 1, 2, 1, ("render.samples=1",), {"same": reference},
                           tmp_path / "again", tiny, reference_dir=tmp_path / "reference")  # fmt: skip
    assert again["same"].mean_psnr == math.inf  # compared with the earlier run's reference
    assert not list((tmp_path / "again" / "reference" / "images").iterdir())


def test_saved_blend_keeps_the_drawn_labels(tmp_path):
    """Label textures live in memory while rendering; a saved .blend still carries them."""
    import bpy
    import numpy as np

    from blender_scenes import writer
    from blender_scenes.worker import render_one
    from fridge_batch import layout

    def pixels(im):
        px = np.empty(len(im.pixels), np.float32)
        im.pixels.foreach_get(px)
        return px

    cfg = render_config(tmp_path / "b", *TINY, "classes=[milk_carton]", "save_blend=true")
    writer.prepare(cfg.out_dir, cfg.outputs)
    render_one(cfg, 0)
    drawn = {im.name: pixels(im) for im in bpy.data.images if im.type == "IMAGE"}
    assert drawn and all(px.std() > 0 for px in drawn.values())
    bpy.ops.wm.open_mainfile(filepath=str(cfg.out_dir / layout.blend_file(0)))
    try:
        for name, px in drawn.items():
            im = bpy.data.images[name]
            assert im.packed_file is not None
            np.testing.assert_array_equal(pixels(im), px)
    finally:
        bpy.ops.wm.read_factory_settings(use_empty=True)


def test_worker_memory_is_read_from_the_one_pool_worker(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "render_bench", ROOT / "benchmarks" / "render_bench.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = argparse.Namespace(memory_images=3, memory_every=2, memory_size=32, memory_samples=1,
                              seed=0, device="cpu", placement="rows", threads=1)  # fmt: skip
    bench.bench_worker_memory(args, tmp_path)
    out = capsys.readouterr().out
    rows = [line.split("|") for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [1, 2, 3]  # the first, every 2nd and the last image
    assert len({int(r[1]) for r in rows}) == 1  # one worker rendered them all
    assert all(0 < float(r[2]) <= float(r[3]) for r in rows)  # RSS within the peak
    assert "worker processes seen: 1" in out
    assert len(list((tmp_path / "worker_memory" / "images").iterdir())) == 3
