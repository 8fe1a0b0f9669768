"""Bad render input: one-line error naming the key, non-zero exit, nothing written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from blender_scenes.config import ConfigError, validate
from gan.cli import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = CONFIG_DIR


def load(*overrides: str) -> dict:
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        cfg = compose(config_name="render", overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=True)


def test_defaults_validate(tmp_path):
    rc = validate(load(f"out_dir={tmp_path / 'b'}"))
    assert rc.count == 16 and rc.resolution == (256, 256) and rc.render.samples == 24
    r = rc.render  # the speed / quality trade-off of benchmarks/render_quality.py (README)
    assert (r.adaptive_threshold, r.adaptive_min_samples, r.light_tree) == (0.05, 4, False)
    assert (r.denoise_prefilter, r.denoise_guides, r.denoise_quality) == (
        "accurate", "albedo_normal", "high")  # fmt: skip
    assert rc.placement.mode == rc.sampler.placement == "physics"
    assert validate(load(f"out_dir={tmp_path / 'b'}", "placement=rows")).sampler.placement == "rows"
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("classes=[milk_carton,unicorn]", "classes"),
        ("+class_weights.unicorn=1", "class_weights.unicorn"),
        ("count=0", "count"),
        ("count=-3", "count"),
        ("resolution=[0,120]", "resolution"),
        ("resolution=[160]", "resolution"),
        ("shard.index=4", "shard.index"),
        ("shard.count=0", "shard.count"),
        ("render.device=tpu", "render.device"),
        ("render.samples=0", "render.samples"),
        ("objects.total=[5,2]", "objects.total"),
        ("+camera.modes.fisheye=1", "camera.modes.fisheye"),
        ("style=film", "style"),
        ("assets.mode=magic", "assets.mode"),
        ("placement.mode=magic", "placement.mode"),
        ("placement.density=1.5", "placement.density"),
        ("placement.density=-0.1", "placement.density"),
        ("placement.density=dense", "placement.density"),
        ("placement.min_occlusion=2", "placement.min_occlusion"),
        ("placement.max_tries=0", "placement.max_tries"),
        ("placement.max_frames=0", "placement.max_frames"),
        ("placement.substeps=0", "placement.substeps"),
        ("placement.solver_iterations=0", "placement.solver_iterations"),
        ("placement.rest_speed=0", "placement.rest_speed"),
    ],
)
def test_bad_values_name_the_key(tmp_path, override, key):
    with pytest.raises(ConfigError) as err:
        validate(load(f"out_dir={tmp_path / 'b'}", override))
    msg = str(err.value)
    assert msg.startswith(key + ":") and "\n" not in msg


def test_unwritable_out_dir(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(ConfigError, match="^out_dir:"):
            validate(load(f"out_dir={locked / 'b'}"))
    finally:
        locked.chmod(0o700)


def test_out_dir_under_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConfigError, match="^out_dir:"):
        validate(load(f"out_dir={f / 'b'}"))


@pytest.mark.parametrize(
    "override, expected",
    [
        (
            "classes=[milk_carton,unicorn]",
            "fridge-render: error: classes: unknown class 'unicorn' (known: ",
        ),
        (
            "placement.density=3",
            "fridge-render: error: placement.density: expected a number in [0.0, 1.0], got 3",
        ),
    ],
)
def test_cli_exits_2_with_one_line_and_writes_nothing(tmp_path, override, expected):
    out = tmp_path / "batch"
    exe = Path(sys.executable).with_name("fridge-render")
    proc = subprocess.run(
        [str(exe), f"out_dir={out}", "count=2", override, f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith(expected)
    assert not out.exists()
