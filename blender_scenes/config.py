"""Validate the `fridge-render` configuration into typed records. Pure Python, no Blender.

Every problem is reported as one line naming the key, before anything is written.

One source of values: configs/render.yaml (and its groups under configs/placement/,
configs/assets/). The records here declare keys and types only, without default values, and
the readers below hold no fallback values: `validate` first fills the keys a mapping leaves
out from the packaged YAML (`gan.config.with_defaults`), so a library caller may pass only what differs
and gets the same values as `fridge-render`; `default_sampler(**changes)` is the scene sampler
(`sampling.SamplerConfig`, also types only) of the packaged YAML. A new key goes into
render.yaml, a field here (or in `SamplerConfig`) and a line in its reader.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gan.config import default_config, with_defaults

from .assets.catalog import Catalog, CatalogError, load_catalog
from .food.classes import ALL_CLASSES, CLASS_SETS, PRODUCT_CLASSES
from .food.params import FOOD_CLASSES
from .sampling import PLACEMENT_MODES, VIEW_TRANSFORMS, WALL_KINDS, SamplerConfig

CAMERA_MODES = ("front", "builtin")
ASSET_MODES = ("procedural", "catalog", "mixed")
MAX_COUNT = 10_000_000  # images per batch (a farm splits bigger jobs into batches)


class ConfigError(ValueError):
    """A bad configuration value; the message names the key."""


@dataclass(frozen=True)
class RenderSettings:
    """Cycles settings."""

    samples: int
    denoise: bool
    denoise_prefilter: str  # none | fast | accurate (OIDN's cleaning of the guides)
    denoise_guides: str  # none | albedo | albedo_normal (OIDN input passes)
    denoise_quality: str  # high | balanced | fast (OIDN model size)
    device: str  # cpu | gpu
    adaptive: bool
    adaptive_threshold: float
    adaptive_min_samples: int  # 0 = Cycles picks it from the threshold
    light_tree: bool  # Cycles' light tree (many-light sampling)
    light_threshold: float  # lights contributing less than this are skipped (0 = never)
    path_guiding: bool  # Cycles' path guiding (learned sampling of indirect light; CPU only)
    sampling_pattern: str  # sobol | blue_noise | automatic (SAMPLING_PATTERNS)
    clamp_direct: float  # cap on a sample's direct light (0 = no cap)
    clamp_indirect: float  # cap on a sample's indirect light (0 = no cap)
    filter_glossy: float  # blur of glossy paths after a diffuse or rough bounce (0 = none)
    fast_gi: str  # off | replace | add: Cycles' fast GI approximation after `ao_bounces` bounces
    ao_bounces: int  # diffuse bounces before fast GI approximates the rest with ambient occlusion
    max_bounces: int
    diffuse_bounces: int
    glossy_bounces: int
    transmission_bounces: int
    transparent_bounces: int
    min_light_bounces: int  # bounces before Russian roulette may end a path
    min_transparent_bounces: int  # transparent crossings before Russian roulette may end a path
    threads: int  # 0 = all cores (divided between workers)


@dataclass(frozen=True)
class PlacementSettings:
    """How items are placed and, for physics, how long the simulation may run."""

    mode: str  # rows | physics
    density: float  # 0 sparse .. 1 packed
    min_occlusion: float  # 0 = take the first layout
    max_tries: int  # layouts tried to reach min_occlusion
    max_frames: int  # simulation cap (frames at 24 fps)
    substeps: int  # rigid-body steps per frame
    solver_iterations: int
    rest_speed: float  # m/s: items slower than this for 3 frames count as resting


@dataclass(frozen=True)
class OutputSettings:
    """Optional per-image ground truth besides RGB, instance masks and labels (see README)."""

    depth: bool  # depth/NNNNNN.png|.exr: planar depth along the camera's optical axis
    depth_format: str  # png16: uint16 millimetres (0 = no hit) | exr: float32 metres
    normals: str | None  # None | camera (OpenCV camera axes) | world: normals/NNNNNN.png
    amodal: bool  # per-object unoccluded masks as COCO RLE in meta and annotations


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset card and the COCO `info`/`licenses` say about a batch."""

    name: str
    description: str
    version: str
    contributor: str
    url: str
    licence: str  # the licence under which the rendered images are shared
    licence_url: str


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
    assets_mode: str
    style: str  # clean | photo (see photo_style.py)
    sampler: SamplerConfig
    placement: PlacementSettings
    outputs: OutputSettings
    dataset: DatasetInfo


def _int(
    d: dict[str, Any], key: str, path: str, lo: int | None = None, hi: int | None = None
) -> int:
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


def _num(v: Any, path: str, lo: float, hi: float) -> float:
    """Read a number within [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
        raise ConfigError(f"{path}: expected a number in [{lo:g}, {hi:g}], got {v!r}")
    return float(v)


def _num_range(v: Any, path: str, lo: float, hi: float) -> tuple[float, float]:
    """Read a [min, max] range of numbers within [lo, hi] (min == max: a fixed value)."""
    ok = isinstance(v, list | tuple) and len(v) == 2
    if not ok or any(isinstance(x, bool) or not isinstance(x, int | float) for x in v):
        raise ConfigError(f"{path}: expected [min, max] numbers, got {v!r}")
    a, b = float(v[0]), float(v[1])
    if not lo <= a <= b <= hi:
        raise ConfigError(f"{path}: need {lo:g} <= min <= max <= {hi:g}, got [{v[0]}, {v[1]}]")
    return a, b


def _gain(v: Any, path: str) -> tuple[float, float, float]:
    """Read an RGB gain: three numbers in [0, 4] (1, 1, 1 keeps the sampled colour)."""
    ok = isinstance(v, list | tuple) and len(v) == 3
    if not ok or any(
        isinstance(x, bool) or not isinstance(x, int | float) or not 0 <= x <= 4 for x in v
    ):
        raise ConfigError(f"{path}: expected [r, g, b] gains in [0, 4], got {v!r}")
    return float(v[0]), float(v[1]), float(v[2])


def _weights(v: Any, path: str, known: tuple[str, ...]) -> dict[str, float]:
    """Read a mapping name -> weight >= 0 over `known` names, with at least one positive weight."""
    if not isinstance(v, dict):
        raise ConfigError(f"{path}: expected a mapping name -> weight, got {v!r}")
    for k, w in v.items():
        if k not in known:
            raise ConfigError(f"{path}.{k}: unknown name (known: {', '.join(known)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"{path}.{k}: expected a weight >= 0, got {w!r}")
    if sum(float(w) for w in v.values()) <= 0:
        raise ConfigError(f"{path}: give at least one entry a positive weight")
    return {k: float(w) for k, w in v.items()}


def look_from(d: dict[str, Any]) -> dict[str, Any]:
    """The look of fridge, lights and camera (`fridge.walls`, `lights.*`, `camera.*_fov`, ...) as
    `SamplerConfig` fields."""
    fr, li, cam = _group(d, "fridge"), _group(d, "lights"), _group(d, "camera")
    out: dict[str, Any] = {
        "wall_kinds": _weights(fr.get("walls"), "fridge.walls", tuple(WALL_KINDS))
    }
    for key in ("wall_color", "trim_color", "drawer_color"):
        out[key] = _gain(fr.get(key), f"fridge.{key}")
    unknown = sorted(set(li) - {"temperature_k", "power"})
    if unknown:
        raise ConfigError(f"lights.{unknown[0]}: unknown key (known: temperature_k, power)")
    out["light_kelvin"] = _num_range(li.get("temperature_k"), "lights.temperature_k", 1000, 20000)
    out["light_power"] = _num(li.get("power"), "lights.power", 0.0, 100.0)
    ranges = {
        "front_fov": (10, 120),
        "builtin_fov": (10, 150),
        "front_height": (0, 1),
        "front_cover": (0.1, 5),
        "exposure": (-10, 10),
    }
    for key, (lo, hi) in ranges.items():
        out[key] = _num_range(cam.get(key), f"camera.{key}", lo, hi)
    out["pitch_deg"] = _num(cam.get("pitch_deg"), "camera.pitch_deg", -45.0, 45.0)
    wb = cam.get("white_balance_k")
    out["white_balance_k"] = (
        None if wb is None else _num_range(wb, "camera.white_balance_k", 1000, 20000)
    )
    out["view_transform"] = _choice(cam, "view_transform", VIEW_TRANSFORMS, "camera")
    out["pixel_aspect"] = _num(cam.get("pixel_aspect"), "camera.pixel_aspect", 0.2, 5.0)
    ae = cam.get("auto_exposure")
    out["auto_exposure"] = None if ae is None else _num(ae, "camera.auto_exposure", 0.01, 1.0)
    return out


def check_classes(
    names: Any,
    path: str,
    known: tuple[str, ...] = FOOD_CLASSES,
    default: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """Class names must be known (procedural or catalog) classes; null means `default`."""
    if names is None:
        return known if default is None else default
    if isinstance(names, str) and names in CLASS_SETS:
        if not set(CLASS_SETS[names]) <= set(known):
            raise ConfigError(
                f"{path}: class set {names!r} needs the procedural classes (assets=procedural|mixed)"
            )
        return tuple(CLASS_SETS[names])
    if isinstance(names, str):
        raise ConfigError(
            f"{path}: unknown class set {names!r} (sets: {', '.join(CLASS_SETS)}; or a list of class names)"
        )
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError(f"{path}: expected a non-empty list of class names, got {names!r}")
    for n in names:
        if n not in known:
            raise ConfigError(f"{path}: unknown class {n!r} (known: {', '.join(known)})")
    return tuple(names)


def assets_from(d: dict[str, Any]) -> tuple[str, Catalog | None]:
    """Asset mode and, for catalog/mixed, the loaded catalog."""
    a = _group(d, "assets")
    mode = a.get("mode")
    if mode not in ASSET_MODES:
        raise ConfigError(f"assets.mode: expected one of {', '.join(ASSET_MODES)}, got {mode!r}")
    if mode == "procedural":
        return mode, None
    path = a.get("catalog")
    if not path:
        raise ConfigError(
            f"assets.catalog: assets={mode} needs the catalog YAML (assets.catalog=PATH)"
        )
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


def known_classes(
    mode: str, catalog: Catalog | None, base: tuple[str, ...] = ALL_CLASSES
) -> tuple[str, ...]:
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
    ok = (
        not isinstance(v, bool)
        and isinstance(v, int | float)
        and v >= lo
        and (hi is None or v <= hi)
    )
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
        raise ConfigError(
            f"placement.mode: expected one of {', '.join(PLACEMENT_MODES)}, got {mode!r}"
        )
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


def products_from(p: Any) -> dict[str, dict[str, float]]:
    """`products`: per class with printed packs, product name -> weight factor (others 1)."""
    if p is None:
        return {}
    if not isinstance(p, dict):
        raise ConfigError(f"products: expected a mapping class -> {{product: weight}}, got {p!r}")
    out = {}
    for cls, prefer in p.items():
        names = PRODUCT_CLASSES.get(cls)
        if names is None:
            raise ConfigError(
                f"products.{cls}: not a class with products (those are: {', '.join(PRODUCT_CLASSES)})"
            )
        if not isinstance(prefer, dict) or not prefer:
            raise ConfigError(
                f"products.{cls}: expected a mapping product -> weight, got {prefer!r}"
            )
        for name, w in prefer.items():
            if name not in names:
                raise ConfigError(
                    f"products.{cls}.{name}: unknown product (known: {', '.join(names)})"
                )
            if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
                raise ConfigError(f"products.{cls}.{name}: expected a weight >= 0, got {w!r}")
        if all(float(prefer.get(n, 1.0)) == 0 for n in names):
            raise ConfigError(f"products.{cls}: every product has weight 0")
        out[str(cls)] = {str(k): float(v) for k, v in prefer.items()}
    return out


def sampler_from(d: dict[str, Any], aspect: float, placement: PlacementSettings) -> SamplerConfig:
    """Scene randomization knobs."""
    mode, catalog = assets_from(d)
    known = known_classes(mode, catalog)
    classes = check_classes(
        d.get("classes"), "classes", known, known_classes(mode, catalog, FOOD_CLASSES)
    )
    weights = d.get("class_weights") or {}
    if not isinstance(weights, dict):
        raise ConfigError(f"class_weights: expected a mapping class -> weight, got {weights!r}")
    weights = (
        {**CLASS_SETS.get(d["classes"], {}), **weights}
        if isinstance(d.get("classes"), str)
        else weights
    )
    for k, w in weights.items():
        if k not in known:
            raise ConfigError(f"class_weights.{k}: unknown class (known: {', '.join(known)})")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"class_weights.{k}: expected a weight >= 0, got {w!r}")
    if all(float(weights.get(c, 1.0)) == 0 for c in classes):
        raise ConfigError("class_weights: every selected class has weight 0")
    products = products_from(d.get("products"))
    objs = _group(d, "objects")
    fr = _group(d, "fridge")
    cam = _group(d, "camera")
    per_shelf = _range(objs.get("per_shelf"), "objects.per_shelf", lo=0)
    total = _range(objs.get("total"), "objects.total", lo=1)
    modes = _weights(cam.get("modes"), "camera.modes", CAMERA_MODES)
    return SamplerConfig(
        placement=placement.mode,
        density=placement.density,
        min_occlusion=placement.min_occlusion,
        max_tries=placement.max_tries,
        classes=classes,
        class_weights={k: float(v) for k, v in weights.items()},
        products=products,
        per_shelf=per_shelf,
        total=total,
        shelves=_range(fr.get("shelves"), "fridge.shelves", lo=1),
        drawers=_range(fr.get("drawers"), "fridge.drawers", lo=0),
        glass_shelf_prob=_prob(fr.get("glass_shelf_prob"), "fridge.glass_shelf_prob"),
        door_prob=_prob(fr.get("door_prob"), "fridge.door_prob"),
        camera_modes=modes,
        aspect=aspect,
        procedural=mode != "catalog",
        procedural_classes=tuple(c for c in ALL_CLASSES if c in FOOD_CLASSES or c in classes)
        if mode != "catalog"
        else (),
        catalog=catalog,
        **look_from(d),
    )


def default_sampler(**changes: Any) -> SamplerConfig:
    """The scene sampler of the packaged render.yaml (what `fridge-render` samples with no
    overrides: placement=physics, assets=procedural), with `changes` to its fields
    (`dataclasses.replace`, e.g. ``default_sampler(placement="rows", density=0.5)``); the one
    way for tests and library callers to get a sampler without a whole render config."""
    d = with_defaults({}, default_config("render"))
    width, height = d["resolution"]
    return replace(sampler_from(d, aspect=width / height, placement=placement_from(d)), **changes)


DENOISE_PREFILTERS = ("none", "fast", "accurate")
# render.denoise_guides -> the Cycles denoising input passes it stands for
DENOISE_GUIDES = {"none": "RGB", "albedo": "RGB_ALBEDO", "albedo_normal": "RGB_ALBEDO_NORMAL"}
DENOISE_QUALITIES = ("high", "balanced", "fast")
# render.sampling_pattern -> Cycles' sampling pattern: Sobol points or blue-noise dithered ones
# (noise spread evenly over the image; after OIDN 0.55 dB worse here, README: Speed and quality)
SAMPLING_PATTERNS = {
    "sobol": "TABULATED_SOBOL",
    "blue_noise": "BLUE_NOISE",
    "automatic": "AUTOMATIC",
}
FAST_GI = ("off", "replace", "add")  # render.fast_gi: off, or Cycles' fast GI method


def _choice(r: dict[str, Any], key: str, choices: Iterable[str], section: str = "render") -> str:
    """Read the key `section.key` (from `r`, that section's mapping) that must be one of
    `choices`."""
    v = r.get(key)
    if v not in choices:
        raise ConfigError(f"{section}.{key}: expected one of {', '.join(choices)}, got {v!r}")
    return v


def denoise_prefilter_from(r: dict[str, Any]) -> str:
    """`render.denoise_prefilter`: none | fast | accurate; true / false (older configs) mean
    accurate / fast."""
    v = r.get("denoise_prefilter")
    if isinstance(v, bool):
        return "accurate" if v else "fast"
    return _choice(r, "denoise_prefilter", DENOISE_PREFILTERS)


def fast_gi_from(r: dict[str, Any]) -> str:
    """`render.fast_gi`: off | replace | add; false (YAML's reading of an unquoted off) is off."""
    return "off" if r.get("fast_gi") is False else _choice(r, "fast_gi", FAST_GI)


def render_settings_from(r: dict[str, Any]) -> RenderSettings:
    """Cycles knobs."""
    device = r.get("device")
    if device not in ("cpu", "gpu"):
        raise ConfigError(f"render.device: expected cpu or gpu, got {device!r}")
    thr = r.get("adaptive_threshold")
    if isinstance(thr, bool) or not isinstance(thr, int | float) or thr < 0:
        raise ConfigError(f"render.adaptive_threshold: expected a number >= 0, got {thr!r}")
    for key in ("denoise", "adaptive", "light_tree", "path_guiding"):
        if not isinstance(r.get(key), bool):
            raise ConfigError(f"render.{key}: expected true or false, got {r.get(key)!r}")
    return RenderSettings(
        samples=_int(r, "samples", "render.samples", 1, 100000),
        denoise=r["denoise"],
        denoise_prefilter=denoise_prefilter_from(r),
        denoise_guides=_choice(r, "denoise_guides", DENOISE_GUIDES),
        denoise_quality=_choice(r, "denoise_quality", DENOISE_QUALITIES),
        device=device,
        adaptive=r["adaptive"],
        adaptive_threshold=float(thr),
        adaptive_min_samples=_int(
            r, "adaptive_min_samples", "render.adaptive_min_samples", 0, 4096
        ),
        light_tree=r["light_tree"],
        light_threshold=_num(r.get("light_threshold"), "render.light_threshold", 0.0, 1.0),
        path_guiding=r["path_guiding"],
        sampling_pattern=_choice(r, "sampling_pattern", SAMPLING_PATTERNS),
        clamp_direct=_num(r.get("clamp_direct"), "render.clamp_direct", 0.0, 1e6),
        clamp_indirect=_num(r.get("clamp_indirect"), "render.clamp_indirect", 0.0, 1e6),
        filter_glossy=_num(r.get("filter_glossy"), "render.filter_glossy", 0.0, 10.0),
        fast_gi=fast_gi_from(r),
        ao_bounces=_int(r, "ao_bounces", "render.ao_bounces", 0, 1024),
        max_bounces=_int(r, "max_bounces", "render.max_bounces", 0, 1024),
        diffuse_bounces=_int(r, "diffuse_bounces", "render.diffuse_bounces", 0, 1024),
        glossy_bounces=_int(r, "glossy_bounces", "render.glossy_bounces", 0, 1024),
        transmission_bounces=_int(
            r, "transmission_bounces", "render.transmission_bounces", 0, 1024
        ),
        transparent_bounces=_int(r, "transparent_bounces", "render.transparent_bounces", 0, 1024),
        min_light_bounces=_int(r, "min_light_bounces", "render.min_light_bounces", 0, 1024),
        min_transparent_bounces=_int(
            r, "min_transparent_bounces", "render.min_transparent_bounces", 0, 1024
        ),
        threads=_int(r, "threads", "render.threads", 0, 4096),
    )


def check_style(v: Any) -> str:
    """Render style: clean renders or imitated cheap-camera photos."""
    if v not in ("clean", "photo"):
        raise ConfigError(f"style: expected clean or photo, got {v!r}")
    return v


DEPTH_FORMATS = ("png16", "exr")
NORMAL_SPACES = ("camera", "world")


def _flag(g: dict[str, Any], key: str, path: str) -> bool:
    """Read a true/false key."""
    v = g.get(key)
    if not isinstance(v, bool):
        raise ConfigError(f"{path}: expected true or false, got {v!r}")
    return v


def outputs_from(d: dict[str, Any]) -> OutputSettings:
    """The `outputs` group: which extra ground truth each image gets."""
    g = _group(d, "outputs")
    unknown = sorted(set(g) - {"depth", "depth_format", "normals", "amodal"})
    if unknown:
        raise ConfigError(
            f"outputs.{unknown[0]}: unknown key (known: depth, depth_format, normals, amodal)"
        )
    depth_format = g.get("depth_format")
    if depth_format not in DEPTH_FORMATS:
        raise ConfigError(f"outputs.depth_format: expected png16 or exr, got {depth_format!r}")
    normals = g.get("normals")
    if normals is False:
        normals = None
    if normals is not None and normals not in NORMAL_SPACES:
        raise ConfigError(f"outputs.normals: expected false, camera or world, got {normals!r}")
    return OutputSettings(
        depth=_flag(g, "depth", "outputs.depth"),
        depth_format=depth_format,
        normals=normals,
        amodal=_flag(g, "amodal", "outputs.amodal"),
    )


def dataset_from(d: dict[str, Any]) -> DatasetInfo:
    """The `dataset` group: name, licence and credits for the dataset card and COCO info.
    A key set to null keeps the packaged render.yaml's text."""
    g = _group(d, "dataset")
    known = DatasetInfo.__dataclass_fields__
    values = {k: str(v) for k, v in default_config("render")["dataset"].items()}
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
    """Check a plain config mapping (from Hydra; keys it leaves out come from the packaged
    render.yaml) and return the typed config."""
    d = with_defaults(d, default_config("render"))
    count = _int(d, "count", "count", lo=1, hi=MAX_COUNT)
    seed = _int(d, "seed", "seed", lo=0)
    res = d.get("resolution")
    if (
        not isinstance(res, list | tuple)
        or len(res) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in res)
        or not all(16 <= x <= 16384 for x in res)
    ):
        raise ConfigError(
            f"resolution: expected [width, height] integers in 16..16384, got {res!r}"
        )
    shard = _group(d, "shard")
    shard_count = _int(shard, "count", "shard.count", lo=1)
    shard_index = _int(shard, "index", "shard.index", lo=0)
    if shard_index >= shard_count:
        raise ConfigError(f"shard.index: must be < shard.count ({shard_count}), got {shard_index}")
    if not isinstance(d.get("save_blend"), bool):
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
        save_blend=d["save_blend"],
        render=rs,
        sampler=sampler,
        placement=placement,
        assets_mode=_group(d, "assets")["mode"],
        style=check_style(d.get("style")),
        outputs=outputs_from(d),
        dataset=dataset_from(d),
    )
