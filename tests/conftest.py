"""Shared test helpers."""

import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def render_config(out_dir: Path, *overrides: str):
    """A validated render config for out_dir with Hydra-style overrides."""
    from blender_scenes.config import validate
    from gan.cli import CONFIG_DIR

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="render", overrides=[f"out_dir={out_dir}", *overrides])
    return validate(OmegaConf.to_container(cfg, resolve=True))


def cli(name: str) -> str:
    """Path of a console script installed next to this Python."""
    return str(Path(sys.executable).with_name(name))


@pytest.fixture
def fresh_blender():
    """An empty Blender scene."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield bpy


@pytest.fixture(autouse=True)
def _restore_root_logging():
    """In-process CLI runs (Hydra) add root handlers bound to pytest's captured streams; drop
    them after each test so later tests do not log into a closed stream."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
