"""Validate the `fridge-render` configuration into typed records. Pure Python, no Blender.

Every problem is reported as one line naming the key, before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Catalog, CatalogError, load_catalog
from .food_params import FOOD_CLASSES
from .sampling import SamplerConfig

CAMERA_MODES = ("front", "builtin")
ASSET_MODES = ("procedural", "catalog", "mixed")


class ConfigError(ValueError):
    """A bad configuration value; the message names the key."""


@dataclass(frozen=True)
class RenderSettings:
    """Cycles settings."""

    samples: int = 32
    denoise: bool = True
    denoise_prefilter: bool = False
    device: str = "cpu"  # cpu | gpu
    adaptive: bool = True
    adaptive_threshold: float = 0.02
    max_bounces: int = 8
    diffuse_bounces: int = 3
    glossy_bounces: int = 4
    transmission_bounces: int = 8
    transparent_bounces: int = 8
    threads: int = 0  # 0 = all cores (divided between workers)


@dataclass(frozen=True)
class RenderConfig:
    """A validated render batch request."""

    out_dir: Path
    count: int
    seed: int
    resolution: tuple[int, int]  # width, height
    workers: int
    worker_max_scenes: int
    shard_index: int
    shard_count: int
    save_blend: bool
    render: RenderSettings
    assets_mode: str = "procedural"
    style: str = "clean"  # clean | photo (see photo_style.py)
    sampler: SamplerConfig = field(default_factory=SamplerConfig)


def _int(d: dict[str, Any], key: str, path: str, lo: int | None = None, hi: int | None = None) -> int:
    """Read an integer key with bounds."""
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{path}: expected an integer, got {v!r}")
    if lo is not None and v < lo:
        raise ConfigError(f"{path}: must be >= {lo}, got {v}")
    if hi is not None and v > hi:
        raise ConfigError(f"{path}: must be <= {hi}, got {v}")
    return v


def _range(v: Any, path: str, lo: int = 0) -> tuple[int, int]:
    """Read a [min, max] integer range."""
    if not isinstance(v, list | tuple) or len(v) != 2 or not all(isinstance(x, int) for x in v):
        raise ConfigError(f"{path}: expected [min, max] integers, got {v!r}")
    a, b = int(v[0]), int(v[1])
    if a < lo or b < a:
        raise ConfigError(f"{path}: need {lo} <= min <= max, got [{a}, {b}]")
    return a, b


def _prob(v: Any, path: str) -> float:
    """Read a probability."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= float(v) <= 1.0:
        raise ConfigError(f"{path}: expected a probability in [0, 1], got {v!r}")
    return float(v)


def check_classes(names: Any, path: str, known: tuple[str, ...] = FOOD_CLASSES) -> tuple[str, ...]:
    """Class names must be known (procedural or catalog) classes."""
    if names is None:
        return known
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError(f"{path}: expected a non-empty list of class names, got {names!r}")
    for n in names:
        if n not in known:
            raise ConfigError(f"{path}: unknown class {n!r} (known: {', '.join(known)})")
    return tuple(names)


def assets_from(d: dict[str, Any]) -> tuple[str, Catalog | None]:
    """Asset mode and, for catalog/mixed, the loaded catalog."""
    a = d.get("assets") or {}
    mode = a.get("mode", "procedural")
    if mode not in ASSET_MODES:
        raise ConfigError(f"assets.mode: expected one of {', '.join(ASSET_MODES)}, got {mode!r}")
    if mode == "procedural":
        return mode, None
    path = a.get("catalog")
    if not path:
        raise ConfigError(f"assets.catalog: assets={mode} needs the catalog YAML (assets.catalog=PATH)")
    if not Path(path).is_file():
        raise ConfigError(f"assets.catalog: {path}: no such file")
    try:
        return mode, load_catalog(path)
    except CatalogError as err:
        raise ConfigError(f"assets.catalog: {err}") from err


def known_classes(mode: str, catalog: Catalog | None) -> tuple[str, ...]:
    """Classes available in this asset mode (procedural first, then catalog-only ones)."""
    procedural = FOOD_CLASSES if mode != "catalog" else ()
    extra = tuple(sorted(c for c in (catalog.classes if catalog else {}) if c not in procedural))
    return procedural + extra


def check_out_dir(v: Any) -> Path:
    """The output folder must be creatable and writable."""
    if not isinstance(v, str) or not v:
        raise ConfigError(f"out_dir: expected a folder path, got {v!r}")
    p = Path(v).expanduser()
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"out_dir: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"out_dir: {probe} is not writable")
    return p


def sampler_from(d: dict[str, Any], aspect: float) -> SamplerConfig:
    """Scene randomization knobs."""
    mode, catalog = assets_from(d)
    known = known_classes(mode, catalog)
    classes = check_classes(d.get("classes"), "classes", known)
    weights = d.get("class_weights") or {}
    if not isinstance(weights, dict):
        raise ConfigError(f"class_weights: expected a mapping class -> weight, got {weights!r}")
    for k, w in weights.items():
        if k not in known:
            raise ConfigError(f"class_weights.{k}: unknown class (known: {', '.join(known)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"class_weights.{k}: expected a weight >= 0, got {w!r}")
    if all(float(weights.get(c, 1.0)) == 0 for c in classes):
        raise ConfigError("class_weights: every selected class has weight 0")
    objs = d.get("objects") or {}
    fr = d.get("fridge") or {}
    cam = d.get("camera") or {}
    per_shelf = _range(objs.get("per_shelf"), "objects.per_shelf", lo=0)
    total = _range(objs.get("total"), "objects.total", lo=1)
    modes = cam.get("modes") or {}
    for m, w in modes.items():
        if m not in CAMERA_MODES:
            raise ConfigError(f"camera.modes.{m}: unknown camera mode (known: {', '.join(CAMERA_MODES)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"camera.modes.{m}: expected a weight >= 0, got {w!r}")
    if not modes or sum(float(w) for w in modes.values()) <= 0:
        raise ConfigError("camera.modes: give at least one camera mode a positive weight")
    return SamplerConfig(
        classes=classes,
        class_weights={k: float(v) for k, v in weights.items()},
        per_shelf=per_shelf,
        total=total,
        shelves=_range(fr.get("shelves"), "fridge.shelves", lo=1),
        drawers=_range(fr.get("drawers"), "fridge.drawers", lo=0),
        glass_shelf_prob=_prob(fr.get("glass_shelf_prob"), "fridge.glass_shelf_prob"),
        door_prob=_prob(fr.get("door_prob"), "fridge.door_prob"),
        camera_modes={k: float(v) for k, v in modes.items()},
        aspect=aspect,
        procedural=mode != "catalog",
        catalog=catalog,
    )


def render_settings_from(r: dict[str, Any]) -> RenderSettings:
    """Cycles knobs."""
    device = r.get("device", "cpu")
    if device not in ("cpu", "gpu"):
        raise ConfigError(f"render.device: expected cpu or gpu, got {device!r}")
    thr = r.get("adaptive_threshold", 0.02)
    if isinstance(thr, bool) or not isinstance(thr, int | float) or thr < 0:
        raise ConfigError(f"render.adaptive_threshold: expected a number >= 0, got {thr!r}")
    for key in ("denoise", "adaptive", "denoise_prefilter"):
        if not isinstance(r.get(key, False), bool):
            raise ConfigError(f"render.{key}: expected true or false, got {r.get(key)!r}")
    return RenderSettings(
        samples=_int(r, "samples", "render.samples", 1, 100000),
        denoise=r.get("denoise", True),
        denoise_prefilter=r.get("denoise_prefilter", False),
        device=device,
        adaptive=r.get("adaptive", True),
        adaptive_threshold=float(thr),
        max_bounces=_int(r, "max_bounces", "render.max_bounces", 0, 1024),
        diffuse_bounces=_int(r, "diffuse_bounces", "render.diffuse_bounces", 0, 1024),
        glossy_bounces=_int(r, "glossy_bounces", "render.glossy_bounces", 0, 1024),
        transmission_bounces=_int(r, "transmission_bounces", "render.transmission_bounces", 0, 1024),
        transparent_bounces=_int(r, "transparent_bounces", "render.transparent_bounces", 0, 1024),
        threads=_int(r, "threads", "render.threads", 0, 4096),
    )


def check_style(v: Any) -> str:
    """Render style: clean renders or imitated cheap-camera photos."""
    if v not in ("clean", "photo"):
        raise ConfigError(f"style: expected clean or photo, got {v!r}")
    return v


def validate(d: dict[str, Any]) -> RenderConfig:
    """Check a plain config mapping (from Hydra) and return the typed config."""
    count = _int(d, "count", "count", lo=1)
    seed = _int(d, "seed", "seed", lo=0)
    res = d.get("resolution")
    if (not isinstance(res, list | tuple) or len(res) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in res)
            or not all(16 <= x <= 16384 for x in res)):
        raise ConfigError(f"resolution: expected [width, height] integers in 16..16384, got {res!r}")
    shard = d.get("shard") or {}
    shard_count = _int(shard, "count", "shard.count", lo=1)
    shard_index = _int(shard, "index", "shard.index", lo=0)
    if shard_index >= shard_count:
        raise ConfigError(f"shard.index: must be < shard.count ({shard_count}), got {shard_index}")
    if not isinstance(d.get("save_blend", False), bool):
        raise ConfigError(f"save_blend: expected true or false, got {d.get('save_blend')!r}")
    rs = render_settings_from(d.get("render") or {})
    sampler = sampler_from(d, aspect=res[0] / res[1])
    out_dir = check_out_dir(d.get("out_dir"))
    return RenderConfig(
        out_dir=out_dir,
        count=count,
        seed=seed,
        resolution=(int(res[0]), int(res[1])),
        workers=_int(d, "workers", "workers", lo=0, hi=256),
        worker_max_scenes=_int(d, "worker_max_scenes", "worker_max_scenes", lo=1),
        shard_index=shard_index,
        shard_count=shard_count,
        save_blend=d.get("save_blend", False),
        render=rs,
        sampler=sampler,
        assets_mode=(d.get("assets") or {}).get("mode", "procedural"),
        style=check_style(d.get("style", "clean")),
    )
