"""Helpers shared by every test package: repository paths, the one Hydra compose helper, a
validated render config, console-script paths. (conftest.py holds fixtures only.)"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def compose(overrides: list[str], config_name: str = "train") -> dict:
    """Resolved config dict of the packaged YAML via Hydra's compose API (no `hydra` section):
    the library's `gan.config.default_config`, the one place configs are built from."""
    from gan.config import default_config

    return default_config(config_name, overrides)


def render_config(out_dir: Path, *overrides: str):
    """A validated render config for out_dir with Hydra-style overrides."""
    from blender_scenes.config import validate

    return validate(compose([f"out_dir={out_dir}", *overrides], config_name="render"))


def cli(name: str) -> str:
    """Path of a console script installed next to this Python."""
    return str(Path(sys.executable).with_name(name))
