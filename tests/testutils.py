"""Helpers shared by every test package: repository paths, the one Hydra compose helper, a
validated render config, console-script paths. (conftest.py holds fixtures only.)"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def compose(overrides: list[str], config_name: str = "train") -> dict:
    """Resolved config dict via Hydra's compose API (no `hydra` section)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    from gan.cli import CONFIG_DIR

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = hydra_compose(config_name=config_name, overrides=overrides)
        return OmegaConf.to_container(cfg, resolve=True)


def render_config(out_dir: Path, *overrides: str):
    """A validated render config for out_dir with Hydra-style overrides."""
    from blender_scenes.config import validate

    return validate(compose([f"out_dir={out_dir}", *overrides], config_name="render"))


def cli(name: str) -> str:
    """Path of a console script installed next to this Python."""
    return str(Path(sys.executable).with_name(name))
