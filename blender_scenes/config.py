"""Validate the `fridge-render` configuration into typed records. Pure Python, no Blender.

Every problem is reported as one line naming the key, before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assets.catalog import Catalog, CatalogError, load_catalog
from .food.classes import ALL_CLASSES, CLASS_SETS
from .food.params import FOOD_CLASSES
from .sampling import PLACEMENT_MODES, SamplerConfig

CAMERA_MODES = ("front", "builtin")
ASSET_MODES = ("procedural", "catalog", "mixed")
MAX_COUNT = 10_000_000  # images per batch (a farm splits bigger jobs into batches)


class ConfigError(ValueError):
    """A bad configuration value; the message names the key."""


@dataclass(frozen=True)
class RenderSettings:
    """Cycles settings."""

    samples: int = 32
    denoise: bool = True
    denoise_prefilter: str = "fast"  # none | fast | accurate (OIDN's cleaning of the guides)
    denoise_guides: str = "albedo_normal"  # none | albedo | albedo_normal (OIDN input passes)
    denoise_quality: str = "high"  # high | balanced | fast (OIDN model size)
    device: str = "cpu"  # cpu | gpu
    adaptive: bool = True
    adaptive_threshold: float = 0.02
    adaptive_min_samples: int = 0  # 0 = Cycles picks it from the threshold
    light_tree: bool = True  # Cycles' light tree (many-light sampling)
    max_bounces: int = 8
    diffuse_bounces: int = 3
    glossy_bounces: int = 4
    transmission_bounces: int = 8
    transparent_bounces: int = 8
    threads: int = 0  # 0 = all cores (divided between workers)


@dataclass(frozen=True)
class PlacementSettings:
    """How items are placed and, for physics, how long the simulation may run."""

    mode: str = "physics"  # rows | physics
    density: float = 0.65  # 0 sparse .. 1 packed
    min_occlusion: float = 0.0  # 0 = take the first layout
    max_tries: int = 4  # layouts tried to reach min_occlusion
    max_frames: int = 90  # simulation cap (frames at 24 fps)
    substeps: int = 3  # rigid-body steps per frame
    solver_iterations: int = 10
    rest_speed: float = 0.01  # m/s: items slower than this for 3 frames count as resting


@dataclass(frozen=True)
class OutputSettings:
    """Optional per-image ground truth besides RGB, instance masks and labels (see README)."""

    depth: bool = True  # depth/NNNNNN.png|.exr: planar depth along the camera's optical axis
    depth_format: str = "png16"  # png16: uint16 millimetres (0 = no hit) | exr: float32 metres
    normals: str | None = None  # None | camera (OpenCV camera axes) | world: normals/NNNNNN.png
    amodal: bool = False  # per-object unoccluded masks as COCO RLE in meta and annotations


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset card and the COCO `info`/`licenses` say about a batch."""

    name: str = "fridge-synth renders"
    description: str = "Synthetic fridge scenes rendered with Blender (fridge-render)"
    version: str = "1.0"
    contributor: str = ""
    url: str = ""
    licence: str = "unspecified"  # the licence under which the rendered images are shared
    licence_url: str = ""


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
    placement: PlacementSettings = field(default_factory=PlacementSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)
    dataset: DatasetInfo = field(default_factory=DatasetInfo)


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


def _group(d: dict[str, Any], key: str) -> dict[str, Any]:
    """A config group that must be a mapping (missing or null: empty)."""
    v = d.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ConfigError(f"{key}: expected a mapping of settings, got {v!r}")
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


def check_classes(names: Any, path: str, known: tuple[str, ...] = FOOD_CLASSES,
                  default: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Class names must be known (procedural or catalog) classes; null means `default`."""
    if names is None:
        return known if default is None else default
    if isinstance(names, str) and names in CLASS_SETS:
        if not set(CLASS_SETS[names]) <= set(known):
            raise ConfigError(f"{path}: class set {names!r} needs the procedural classes (assets=procedural|mixed)")
        return tuple(CLASS_SETS[names])
    if isinstance(names, str):
        raise ConfigError(f"{path}: unknown class set {names!r} (sets: {', '.join(CLASS_SETS)}; or a list of class names)")
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError(f"{path}: expected a non-empty list of class names, got {names!r}")
    for n in names:
        if n not in known:
            raise ConfigError(f"{path}: unknown class {n!r} (known: {', '.join(known)})")
    return tuple(names)


def assets_from(d: dict[str, Any]) -> tuple[str, Catalog | None]:
    """Asset mode and, for catalog/mixed, the loaded catalog."""
    a = _group(d, "assets")
    mode = a.get("mode", "procedural")
    if mode not in ASSET_MODES:
        raise ConfigError(f"assets.mode: expected one of {', '.join(ASSET_MODES)}, got {mode!r}")
    if mode == "procedural":
        return mode, None
    path = a.get("catalog")
    if not path:
        raise ConfigError(f"assets.catalog: assets={mode} needs the catalog YAML (assets.catalog=PATH)")
    if not isinstance(path, str):
        raise ConfigError(f"assets.catalog: expected a path to the catalog YAML, got {path!r}")
    if Path(path).is_dir():
        raise ConfigError(f"assets.catalog: {path}: is a folder, not a catalog YAML file")
    if not Path(path).is_file():
        raise ConfigError(f"assets.catalog: {path}: no such file")
    try:
        return mode, load_catalog(path)
    except CatalogError as err:
        raise ConfigError(f"assets.catalog: {err}") from err


def known_classes(mode: str, catalog: Catalog | None, base: tuple[str, ...] = ALL_CLASSES) -> tuple[str, ...]:
    """Classes available in this asset mode (procedural first, then catalog-only ones); with
    base=FOOD_CLASSES: the classes rendered when `classes` is null."""
    procedural = base if mode != "catalog" else ()
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


def _number(p: dict[str, Any], key: str, lo: float, hi: float | None = None) -> float:
    """Read a number key of the placement group within [lo, hi]."""
    v = p.get(key)
    ok = not isinstance(v, bool) and isinstance(v, int | float) and v >= lo and (hi is None or v <= hi)
    if not ok:
        bound = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ConfigError(f"placement.{key}: expected a number {bound}, got {v!r}")
    return float(v)


def placement_from(d: dict[str, Any]) -> PlacementSettings:
    """The placement group: rows or physics, density, occlusion target, simulation caps."""
    p = d.get("placement")
    if not isinstance(p, dict):
        raise ConfigError(f"placement: expected physics or rows (configs/placement/), got {p!r}")
    mode = p.get("mode")
    if mode not in PLACEMENT_MODES:
        raise ConfigError(f"placement.mode: expected one of {', '.join(PLACEMENT_MODES)}, got {mode!r}")
    rest = _number(p, "rest_speed", 0.0)
    if rest <= 0:
        raise ConfigError(f"placement.rest_speed: expected a speed > 0 (m/s), got {rest!r}")
    return PlacementSettings(
        mode=mode,
        density=_number(p, "density", 0.0, 1.0),
        min_occlusion=_number(p, "min_occlusion", 0.0, 1.0),
        max_tries=_int(p, "max_tries", "placement.max_tries", 1, 100),
        max_frames=_int(p, "max_frames", "placement.max_frames", 1, 10000),
        substeps=_int(p, "substeps", "placement.substeps", 1, 1000),
        solver_iterations=_int(p, "solver_iterations", "placement.solver_iterations", 1, 1000),
        rest_speed=rest,
    )


def sampler_from(d: dict[str, Any], aspect: float, placement: PlacementSettings | None = None) -> SamplerConfig:
    """Scene randomization knobs."""
    mode, catalog = assets_from(d)
    known = known_classes(mode, catalog)
    classes = check_classes(d.get("classes"), "classes", known, known_classes(mode, catalog, FOOD_CLASSES))
    weights = d.get("class_weights") or {}
    if not isinstance(weights, dict):
        raise ConfigError(f"class_weights: expected a mapping class -> weight, got {weights!r}")
    weights = {**CLASS_SETS.get(d["classes"], {}), **weights} if isinstance(d.get("classes"), str) else weights
    for k, w in weights.items():
        if k not in known:
            raise ConfigError(f"class_weights.{k}: unknown class (known: {', '.join(known)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"class_weights.{k}: expected a weight >= 0, got {w!r}")
    if all(float(weights.get(c, 1.0)) == 0 for c in classes):
        raise ConfigError("class_weights: every selected class has weight 0")
    objs = _group(d, "objects")
    fr = _group(d, "fridge")
    cam = _group(d, "camera")
    per_shelf = _range(objs.get("per_shelf"), "objects.per_shelf", lo=0)
    total = _range(objs.get("total"), "objects.total", lo=1)
    modes = cam.get("modes") or {}
    if not isinstance(modes, dict):
        raise ConfigError(f"camera.modes: expected a mapping mode -> weight, got {modes!r}")
    for m, w in modes.items():
        if m not in CAMERA_MODES:
            raise ConfigError(f"camera.modes.{m}: unknown camera mode (known: {', '.join(CAMERA_MODES)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"camera.modes.{m}: expected a weight >= 0, got {w!r}")
    if not modes or sum(float(w) for w in modes.values()) <= 0:
        raise ConfigError("camera.modes: give at least one camera mode a positive weight")
    placement = placement or PlacementSettings(mode="rows")
    return SamplerConfig(
        placement=placement.mode,
        density=placement.density,
        min_occlusion=placement.min_occlusion,
        max_tries=placement.max_tries,
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
        procedural_classes=tuple(c for c in ALL_CLASSES if c in FOOD_CLASSES or c in classes) if mode != "catalog" else (),
        catalog=catalog,
    )


DENOISE_PREFILTERS = ("none", "fast", "accurate")
DENOISE_GUIDES = ("none", "albedo", "albedo_normal")
DENOISE_QUALITIES = ("high", "balanced", "fast")


def _choice(r: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    """Read a render key that must be one of `choices`."""
    v = r.get(key, default)
    if v not in choices:
        raise ConfigError(f"render.{key}: expected one of {', '.join(choices)}, got {v!r}")
    return v


def denoise_prefilter_from(r: dict[str, Any]) -> str:
    """`render.denoise_prefilter`: none | fast | accurate; true / false (older configs) mean
    accurate / fast."""
    v = r.get("denoise_prefilter", "fast")
    if isinstance(v, bool):
        return "accurate" if v else "fast"
    return _choice(r, "denoise_prefilter", DENOISE_PREFILTERS, "fast")


def render_settings_from(r: dict[str, Any]) -> RenderSettings:
    """Cycles knobs."""
    device = r.get("device", "cpu")
    if device not in ("cpu", "gpu"):
        raise ConfigError(f"render.device: expected cpu or gpu, got {device!r}")
    thr = r.get("adaptive_threshold", 0.02)
    if isinstance(thr, bool) or not isinstance(thr, int | float) or thr < 0:
        raise ConfigError(f"render.adaptive_threshold: expected a number >= 0, got {thr!r}")
    for key in ("denoise", "adaptive", "light_tree"):
        if not isinstance(r.get(key, False), bool):
            raise ConfigError(f"render.{key}: expected true or false, got {r.get(key)!r}")
    return RenderSettings(
        samples=_int(r, "samples", "render.samples", 1, 100000),
        denoise=r.get("denoise", True),
        denoise_prefilter=denoise_prefilter_from(r),
        denoise_guides=_choice(r, "denoise_guides", DENOISE_GUIDES, "albedo_normal"),
        denoise_quality=_choice(r, "denoise_quality", DENOISE_QUALITIES, "high"),
        device=device,
        adaptive=r.get("adaptive", True),
        adaptive_threshold=float(thr),
        adaptive_min_samples=_int({"adaptive_min_samples": 0, **r}, "adaptive_min_samples",
                                  "render.adaptive_min_samples", 0, 4096),
        light_tree=r.get("light_tree", True),
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


DEPTH_FORMATS = ("png16", "exr")
NORMAL_SPACES = ("camera", "world")


def _flag(g: dict[str, Any], key: str, path: str, default: bool) -> bool:
    """Read a true/false key."""
    v = g.get(key, default)
    if not isinstance(v, bool):
        raise ConfigError(f"{path}: expected true or false, got {v!r}")
    return v


def outputs_from(d: dict[str, Any]) -> OutputSettings:
    """The `outputs` group: which extra ground truth each image gets."""
    g = _group(d, "outputs")
    unknown = sorted(set(g) - {"depth", "depth_format", "normals", "amodal"})
    if unknown:
        raise ConfigError(f"outputs.{unknown[0]}: unknown key (known: depth, depth_format, normals, amodal)")
    depth_format = g.get("depth_format", "png16")
    if depth_format not in DEPTH_FORMATS:
        raise ConfigError(f"outputs.depth_format: expected png16 or exr, got {depth_format!r}")
    normals = g.get("normals")
    if normals is False:
        normals = None
    if normals is not None and normals not in NORMAL_SPACES:
        raise ConfigError(f"outputs.normals: expected false, camera or world, got {normals!r}")
    return OutputSettings(
        depth=_flag(g, "depth", "outputs.depth", True),
        depth_format=depth_format,
        normals=normals,
        amodal=_flag(g, "amodal", "outputs.amodal", False),
    )


def dataset_from(d: dict[str, Any]) -> DatasetInfo:
    """The `dataset` group: name, licence and credits for the dataset card and COCO info."""
    g = _group(d, "dataset")
    known = DatasetInfo.__dataclass_fields__
    values = {}
    for key, v in g.items():
        if key not in known:
            raise ConfigError(f"dataset.{key}: unknown key (known: {', '.join(known)})")
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ConfigError(f"dataset.{key}: expected text, got {v!r}")
        values[key] = str(v)
    return DatasetInfo(**values)


def validate(d: dict[str, Any]) -> RenderConfig:
    """Check a plain config mapping (from Hydra) and return the typed config."""
    count = _int(d, "count", "count", lo=1, hi=MAX_COUNT)
    seed = _int(d, "seed", "seed", lo=0)
    res = d.get("resolution")
    if (not isinstance(res, list | tuple) or len(res) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in res)
            or not all(16 <= x <= 16384 for x in res)):
        raise ConfigError(f"resolution: expected [width, height] integers in 16..16384, got {res!r}")
    shard = _group(d, "shard")
    shard_count = _int(shard, "count", "shard.count", lo=1)
    shard_index = _int(shard, "index", "shard.index", lo=0)
    if shard_index >= shard_count:
        raise ConfigError(f"shard.index: must be < shard.count ({shard_count}), got {shard_index}")
    if not isinstance(d.get("save_blend", False), bool):
        raise ConfigError(f"save_blend: expected true or false, got {d.get('save_blend')!r}")
    rs = render_settings_from(_group(d, "render"))
    placement = placement_from(d)
    sampler = sampler_from(d, aspect=res[0] / res[1], placement=placement)
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
        placement=placement,
        assets_mode=_group(d, "assets").get("mode", "procedural"),
        style=check_style(d.get("style", "clean")),
        outputs=outputs_from(d),
        dataset=dataset_from(d),
    )
