"""The wheel: every YAML under configs/ ships as package data and is found after installing.

Builds a real wheel (setuptools' PEP 517 backend, no network, about two seconds) from a copy of
the files pyproject.toml names, then reads its file list. `.ci/wheel_check.sh` goes further:
it installs the wheel into a fresh environment and runs every console script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from gan.cli import CONFIG_PACKAGE, config_dir

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the package folders, pyproject.toml and README.md of this checkout."""
    pytest.importorskip("setuptools", minversion="70.1")  # builds wheels without `wheel`
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist = tmp / "src", tmp / "dist"
    setuptools_cfg = _project()["tool"]["setuptools"]
    package_dir = setuptools_cfg.get("package-dir", {})
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    tops = {p.split(".")[0] for p in setuptools_cfg["packages"]}
    for top in sorted(tops):
        folder = package_dir.get(top, top)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    build = (
        "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", build, str(dist)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dist / proc.stdout.strip().splitlines()[-1]


def test_wheel_ships_every_config_yaml(wheel):
    on_disk = {p.relative_to(config_dir()).as_posix() for p in config_dir().rglob("*.yaml")}
    assert {"render.yaml", "train.yaml", "model/cut.yaml", "hydra/launcher/render_slurm.yaml"} <= (
        on_disk
    )
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    prefix = f"{CONFIG_PACKAGE}/"
    shipped = {n[len(prefix) :] for n in names if n.startswith(prefix) and n.endswith(".yaml")}
    assert sorted(on_disk - shipped) == [], "configs missing from the wheel"
    assert sorted(shipped - on_disk) == [], "YAML in the wheel that configs/ does not have"
    assert f"{prefix}__init__.py" in names


def test_wheel_has_every_console_script_module(wheel):
    scripts = _project()["project"]["scripts"]
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        listed = zf.read(entry_points).decode()
    for name, target in scripts.items():
        assert f"{name} = {target}" in listed
        module = target.split(":")[0].replace(".", "/")
        assert f"{module}.py" in names, f"{name}: {module}.py is not in the wheel"


def test_wheel_has_every_python_file_of_the_packages(wheel):
    """A new subpackage must be listed in pyproject.toml's `packages`, or it would be left out."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for top in ("blender_scenes", "gan", "pipeline"):
        for path in (ROOT / top).rglob("*.py"):
            if "__pycache__" not in path.parts:
                rel = path.relative_to(ROOT).as_posix()
                assert rel in names, (
                    f"{rel} is not in the wheel (add its package to pyproject.toml)"
                )


def test_unpacked_wheel_finds_its_configs_with_importlib_resources(wheel, tmp_path):
    """Outside a checkout, config_dir() is the installed `fridge_configs` package."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    run = tmp_path / "run"
    run.mkdir()
    code = "from gan.cli import CONFIG_DIR, config_dir; print(config_dir()); print(CONFIG_DIR)"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=run, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = str((site / CONFIG_PACKAGE).resolve())
    assert proc.stdout.split() == [expected, expected]


def test_checkout_uses_its_own_configs_folder():
    assert config_dir() == ROOT / "configs"
    assert (config_dir() / "__init__.py").is_file()
