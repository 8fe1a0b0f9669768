"""`fridge-match`: search the render config for the scene distribution closest to real photos.

A black-box version of the Meta-Sim idea: the scene sampler's knobs (camera mode mix, height,
pitch and field of view; wall, trim and drawer colours; light temperature and power; exposure
and white balance; shelves and glass share; item density and a weight per food family) are the
parameters of an Optuna study. Each trial renders a short low-resolution batch with
`fridge-render` (a subprocess: this package never imports bpy) at the same seed, so trials differ
only by the searched values, and scores its SWD (`gan.metrics.swd`) to the photos at the same
size, plus KID when a local Inception weights file is given. The study starts with informed
trials (`STARTS`: today's values, front views only, ...). The best trial score is the minimum of
noisy scores on one fixed set of scenes, so the few best trials are rendered again on validation
scenes (`rerank`) and the best there is written as a normal render preset
(`fridge-render +render_preset=...`).

Run folder (`run_dir`): `study.db` (the resumable study), `trials/NNNN/` (each trial's batch),
`validate/` (the re-ranked trials' batches), `final/` (default and matched renders on other
seeds), `panel.png` (default | matched | photos), `summary.json`, and TensorBoard scalars
(`match/swd` per trial, `validate/swd` per re-ranked trial, `final/*`).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from PIL import Image, ImageDraw, ImageFont, ImageOps

from blender_scenes.blender import bpy_available, bpy_missing_message
from blender_scenes.config import ConfigError as RenderConfigError
from blender_scenes.config import check_classes, known_classes
from blender_scenes.food.classes import CLASS_SETS, CLASS_TABLE
from gan import cli
from gan.cli import CONFIG_DIR, compose_from_cli
from gan.config import ConfigError
from gan.data import DataError, list_images, load_rgb
from gan.io import write_json, write_png, write_text
from gan.metrics import SWDSettings, fid_kid, load_inception, swd
from pipeline.report import fit_cell, wrap_title
from pipeline.stages import StageError, compose_config, digest

log = logging.getLogger(__name__)

PROG = "fridge-match"
PRESET_GROUP = "render_preset"  # the Hydra group a preset must live in
DONE = "done.json"
FAMILIES = ("produce", "drinks", "dairy", "meat", "bakery", "pantry")


@dataclass(frozen=True)
class Param:
    """One searched number: its name in the study, range, today's value and scale."""

    name: str
    low: float
    high: float
    default: float
    log: bool = False
    integer: bool = False


# Each group of `params` in configs/match.yaml searches these numbers; `preset_values` turns them
# into render config values. A centre is searched with today's range width kept.
SPACE: dict[str, tuple[Param, ...]] = {
    "camera_modes": (Param("front_share", 0.0, 1.0, 0.6),),
    "camera_height": (Param("front_height", 0.3, 0.7, 0.5),),
    "framing": (Param("front_cover", 0.5, 1.5, 0.775),),
    "pitch": (Param("pitch_deg", -15.0, 15.0, 0.0),),
    "fov": (Param("front_fov", 35.0, 80.0, 55.0), Param("builtin_fov", 70.0, 120.0, 95.0)),
    # non-square pixels: photo sets are often resized to square from another frame shape (2:3
    # portrait photos stretched to 640x640 have 0.667)
    "pixel_aspect": (Param("pixel_aspect", 0.5, 1.5, 1.0, log=True),),
    "wall_colour": (
        Param("wall_white", 0.05, 1.0, 0.65),
        Param("wall_grey", 0.0, 1.0, 0.25),
        Param("wall_steel", 0.0, 1.0, 0.1),
        Param("wall_brightness", 0.5, 1.5, 1.0),
        Param("wall_warmth", -0.15, 0.15, 0.0),
    ),
    "trim_colour": (Param("trim_brightness", 0.3, 1.5, 1.0),),
    "drawer_colour": (Param("drawer_brightness", 0.5, 1.3, 1.0),),
    "light_temperature": (Param("light_kelvin", 2750.0, 8000.0, 4750.0),),
    "light_power": (Param("light_power", 0.3, 3.0, 1.0, log=True),),
    "exposure": (Param("exposure", -1.5, 1.5, 0.0),),
    "white_balance": (Param("white_balance_k", 3500.0, 10000.0, 6500.0),),
    "shelves": (
        Param("shelves_min", 1, 4, 2, integer=True),
        Param("shelves_span", 0, 2, 2, integer=True),
    ),
    "glass_share": (Param("glass_shelf_prob", 0.0, 1.0, 0.6),),
    "density": (Param("density", 0.15, 1.0, 0.5),),
    "class_mix": tuple(Param(f"family_{f}", 0.2, 5.0, 1.0, log=True) for f in FAMILIES),
    # one gain on the width of every sampled range below (WIDTH): < 1 draws more alike scenes,
    # as in a photo set of one fridge under one camera
    "spread": (Param("spread", 0.05, 1.0, 1.0, log=True),),
}
# Informed first trials (`starts` in configs/match.yaml): searched numbers that differ from
# today's values. Enqueued in the given order when a study is created, so TPE starts from
# sensible settings and not only from random ones; numbers outside `params` are ignored.
FRONT_WHOLE = {"front_share": 1.0, "front_cover": 1.05, "front_height": 0.5, "pitch_deg": 0.0}
STARTS: dict[str, dict[str, float]] = {
    "default": {},  # today's distribution
    "front_only": {"front_share": 1.0},  # door-open front views, no built-in camera
    "front_whole": FRONT_WHOLE,  # the whole opening in view, aimed at its middle
    "front_narrow": {**FRONT_WHOLE, "spread": 0.3},  # that, with narrow ranges
    # that, as 2:3 portrait photos stretched to a square image
    "front_stretched": {**FRONT_WHOLE, "pixel_aspect": 2 / 3},
    "front_white_warm": {
        **FRONT_WHOLE,
        "wall_white": 1.0,
        "wall_grey": 0.0,
        "wall_steel": 0.0,
        "wall_brightness": 1.2,
        "light_kelvin": 3300.0,
        "density": 0.3,
    },  # fmt: skip
}
# today's range widths (configs/render.yaml), kept around a searched centre
WIDTH = {"front_height": 0.16, "front_cover": 0.35, "front_fov": 20.0, "builtin_fov": 20.0, "light_kelvin": 3500.0,
         "exposure": 0.8}  # fmt: skip
DEFAULTS = {p.name: p.default for group in SPACE.values() for p in group}  # today's values


@dataclass(frozen=True)
class MatchConfig:
    """A checked `fridge-match` config."""

    target_dir: Path
    trials: int
    timeout_min: float | None
    out: Path
    run_dir: Path
    seed: int
    image_size: int
    photos: int | None
    classes: Any
    params: tuple[str, ...]
    kid_weights: str | None
    starts: tuple[str, ...]
    top_k: int
    validate_images: int
    validate_seed: int
    images: int
    render_seed: int
    samples: int
    placement: str
    extra: tuple[str, ...]
    final_images: int
    final_seed: int
    panel_rows: int
    panel_cell: int
    swd: SWDSettings

    @property
    def preset_name(self) -> str:
        """The preset's name in its Hydra group (`matched/NAME` for .../render_preset/matched/NAME.yaml)."""
        parts = self.out.with_suffix("").parts
        return "/".join(parts[len(parts) - 1 - parts[::-1].index(PRESET_GROUP) + 1 :])

    @property
    def search_dir(self) -> Path:
        """The folder to pass as `--config-dir` when the preset is outside the packaged configs."""
        parts = self.out.resolve().parts
        return Path(*parts[: len(parts) - 1 - parts[::-1].index(PRESET_GROUP)])


def _int(raw: dict, key: str, lo: int, hi: int) -> int:
    """An integer key within [lo, hi]; the path is the dotted key."""
    node, *rest = key.split(".")
    v = raw.get(node) if not rest else (raw.get(node) or {}).get(rest[0])
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"{key}: expected an integer in [{lo}, {hi}], got {v!r}")
    return v


def check_config(raw: dict) -> MatchConfig:
    """Validate a resolved `configs/match.yaml`; one-line `ConfigError` naming the key."""
    target = raw.get("target_dir")
    if not isinstance(target, str) or not target:
        raise ConfigError(f"target_dir: expected a folder of photos, got {target!r}")
    if not Path(target).is_dir():
        raise ConfigError(f"target_dir: {target}: no such folder")
    try:
        n_photos = len(list_images(target))
    except DataError as exc:
        raise ConfigError(f"target_dir: {exc}") from exc
    out = raw.get("out")
    if not isinstance(out, str) or not out.endswith((".yaml", ".yml")):
        raise ConfigError(f"out: expected a path ending in .yaml, got {out!r}")
    out_path = Path(out)
    if PRESET_GROUP not in out_path.parts[:-1]:
        raise ConfigError(
            f"out: {out}: must lie in a {PRESET_GROUP}/ folder (e.g. "
            f"configs/{PRESET_GROUP}/matched/NAME.yaml) so that fridge-render loads it as "
            f"+{PRESET_GROUP}=matched/NAME"
        )
    if out_path.exists() and out_path.is_dir():
        raise ConfigError(f"out: {out}: is a folder")
    params = raw.get("params")
    if not isinstance(params, list) or not params:
        raise ConfigError(
            f"params: expected a non-empty list of {', '.join(SPACE)}, got {params!r}"
        )
    for p in params:
        if p not in SPACE:
            raise ConfigError(f"params: unknown parameter group {p!r} (known: {', '.join(SPACE)})")
    starts = raw.get("starts")
    if not isinstance(starts, list) or not all(s in STARTS for s in starts):
        raise ConfigError(f"starts: expected a list of {', '.join(STARTS)}, got {starts!r}")
    classes = raw.get("classes")
    try:
        check_classes(classes, "classes", known_classes("procedural", None))
    except RenderConfigError as exc:
        raise ConfigError(str(exc)) from exc
    r = raw.get("render") or {}
    if r.get("placement") not in ("rows", "physics"):
        raise ConfigError(f"render.placement: expected rows or physics, got {r.get('placement')!r}")
    extra = r.get("extra")
    if not isinstance(extra, list) or not all(isinstance(e, str) and "=" in e for e in extra):
        raise ConfigError(f"render.extra: expected a list of KEY=VALUE overrides, got {extra!r}")
    photos = raw.get("photos")
    if photos is not None:
        photos = _int(raw, "photos", 2, 1_000_000)
    kid = raw.get("kid_weights")
    if kid is not None and (not isinstance(kid, str) or not Path(kid).is_file()):
        raise ConfigError(f"kid_weights: {kid}: no such file (a local Inception-v3 state dict)")
    if n_photos < 2:
        raise ConfigError(f"target_dir: {target}: needs at least 2 photos, found {n_photos}")
    run_dir = raw.get("run_dir") or f"outputs/match/{out_path.stem}"
    timeout = raw.get("timeout_min")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ConfigError(f"timeout_min: expected minutes > 0 or null, got {timeout!r}")
    return MatchConfig(
        target_dir=Path(target),
        trials=_int(raw, "trials", 1, 100_000),
        timeout_min=timeout,
        out=out_path,
        run_dir=Path(run_dir),
        seed=_int(raw, "seed", 0, 2**31 - 1),
        image_size=_int(raw, "image_size", 16, 1024),
        photos=photos,
        classes=classes,
        params=tuple(params),
        kid_weights=kid,
        starts=tuple(starts),
        top_k=_int(raw, "validate.top_k", 1, 1000),
        validate_images=_int(raw, "validate.images", 2, 10_000),
        validate_seed=_int(raw, "validate.seed", 0, 2**31 - 1),
        images=_int(raw, "render.images", 2, 10_000),
        render_seed=_int(raw, "render.seed", 0, 2**31 - 1),
        samples=_int(raw, "render.samples", 1, 100_000),
        placement=r["placement"],
        extra=tuple(extra),
        final_images=_int(raw, "final.images", 2, 10_000),
        final_seed=_int(raw, "final.seed", 0, 2**31 - 1),
        panel_rows=_int(raw, "panel_rows", 1, 64),
        panel_cell=_int(raw, "panel_cell", 16, 2048),
        swd=SWDSettings(
            patches_per_image=_int(raw, "swd.patches_per_image", 1, 100_000),
            repeats=_int(raw, "swd.repeats", 1, 1000),
        ),
    )


# ------------------------------------------------------------------------- search space


def space(cfg: MatchConfig) -> list[Param]:
    """The searched numbers of the configured parameter groups (families: only those present)."""
    present = {CLASS_TABLE[c].family for c in class_list(cfg) if c in CLASS_TABLE}
    out = []
    for group in cfg.params:
        for p in SPACE[group]:
            if group == "class_mix" and p.name.removeprefix("family_") not in present:
                continue
            out.append(p)
    return out


def defaults(cfg: MatchConfig) -> dict[str, float]:
    """Today's value of every searched number (the study's first trial)."""
    out = {p.name: p.default for p in space(cfg)}
    if "density" in out and cfg.placement == "physics":
        out["density"] = 0.65  # configs/placement/physics.yaml
    return out


def start_values(cfg: MatchConfig) -> list[dict[str, float]]:
    """The searched numbers of each configured start (`starts`), today's values elsewhere;
    a start equal to an earlier one (its numbers are not searched) is left out."""
    base = defaults(cfg)
    out: list[dict[str, float]] = []
    for name in cfg.starts:
        values = {k: STARTS[name].get(k, v) for k, v in base.items()}
        if values not in out:
            out.append(values)
    return out


def class_list(cfg: MatchConfig) -> tuple[str, ...]:
    """The classes every render draws from."""
    from blender_scenes.food.params import FOOD_CLASSES

    return check_classes(cfg.classes, "classes", known_classes("procedural", None), FOOD_CLASSES)


def _r(x: float, digits: int = 4) -> float:
    """Rounded float (readable presets; the trial renders what the preset says)."""
    return round(float(x), digits)


def centred(value: float, width: float, lo: float = -math.inf, hi: float = math.inf) -> list[float]:
    """[value - width/2, value + width/2], shifted inside [lo, hi]."""
    a, b = value - width / 2, value + width / 2
    if a < lo:
        a, b = lo, lo + width
    if b > hi:
        a, b = hi - width, hi
    return [_r(a), _r(b)]


def preset_values(v: dict[str, float], cfg: MatchConfig) -> dict[str, Any]:
    """Render config values (nested like configs/render.yaml) of searched numbers `v`."""
    out: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    if "front_share" in v:
        put("camera.modes", {"front": _r(v["front_share"]), "builtin": _r(1 - v["front_share"])})
    # a sampled range: its searched centre (or today's, when only the spread is searched) with
    # today's width times the spread
    spread = v.get("spread", 1.0)
    ranged = {k: v.get(k, DEFAULTS[k]) for k in WIDTH if k in v or "spread" in v}

    def span(key: str, lo: float = -math.inf, hi: float = math.inf) -> list[float]:
        return centred(ranged[key], WIDTH[key] * spread, lo, hi)

    if "front_height" in ranged:
        put("camera.front_height", span("front_height", 0.0, 1.0))
    if "front_cover" in ranged:
        put("camera.front_cover", span("front_cover", 0.1))
    if "pitch_deg" in v:
        put("camera.pitch_deg", _r(v["pitch_deg"], 2))
    for key in ("front_fov", "builtin_fov"):
        if key in ranged:
            put(f"camera.{key}", span(key, 10.0))
    if "exposure" in ranged:
        put("camera.exposure", span("exposure"))
    if "pixel_aspect" in v:
        put("camera.pixel_aspect", _r(v["pixel_aspect"]))
    if "white_balance_k" in v:
        put("camera.white_balance_k", [_r(v["white_balance_k"], 0)] * 2)
    if "wall_white" in v:
        put("fridge.walls", {k: _r(v[f"wall_{k}"]) for k in ("white", "grey", "steel")})
        b, w = v["wall_brightness"], v["wall_warmth"]
        put("fridge.wall_color", [_r(b * (1 + w)), _r(b), _r(b * (1 - w))])
    for part in ("trim", "drawer"):
        if f"{part}_brightness" in v:
            put(f"fridge.{part}_color", [_r(v[f"{part}_brightness"])] * 3)
    if "light_kelvin" in ranged:
        put("lights.temperature_k", span("light_kelvin", 1000.0))
    if "light_power" in v:
        put("lights.power", _r(v["light_power"]))
    if "shelves_min" in v:
        lo = int(v["shelves_min"])
        put("fridge.shelves", [lo, lo + int(v["shelves_span"])])
    if "glass_shelf_prob" in v:
        put("fridge.glass_shelf_prob", _r(v["glass_shelf_prob"]))
    if "density" in v:
        put("placement.density", _r(v["density"]))
    if cfg.classes is not None:
        out["classes"] = cfg.classes
    if any(k.startswith("family_") for k in v):
        base = CLASS_SETS.get(cfg.classes, {}) if isinstance(cfg.classes, str) else {}
        out["class_weights"] = {
            c: _r(base.get(c, 1.0) * v.get(f"family_{CLASS_TABLE[c].family}", 1.0))
            for c in class_list(cfg)
        }
    return out


def hydra_value(value: Any) -> str:
    """A value in Hydra's override grammar (lists, dicts, numbers, names, null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(x)}" for k, x in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(x) for x in value) + "]"
    return str(value)


def overrides_of(values: dict[str, Any], prefix: str = "") -> list[str]:
    """`fridge-render` overrides that set nested `values` (dict leaves are whole mappings
    where configs/render.yaml has a mapping: camera.modes, fridge.walls, class_weights)."""
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in (
            "camera.modes",
            "fridge.walls",
            "class_weights",
        ):
            out += overrides_of(value, f"{path}.")
        else:
            out.append(f"{path}={hydra_value(value)}")
    return out


def preset_text(values: dict[str, Any], header: list[str]) -> str:
    """The preset YAML: a `_global_` package config of the render config keys it sets."""
    from omegaconf import OmegaConf

    lines = ["# @package _global_", *(f"# {h}" for h in header)]
    return "\n".join(lines) + "\n" + OmegaConf.to_yaml(OmegaConf.create(values))


# ---------------------------------------------------------------------------- rendering


def base_overrides(cfg: MatchConfig, count: int, seed: int) -> list[str]:
    """The fast batch settings shared by every trial and final render."""
    s = cfg.image_size
    return [
        f"count={count}", f"seed={seed}", f"resolution=[{s},{s}]",
        f"render.samples={cfg.samples}", f"placement={cfg.placement}", "workers=0",
        "outputs.depth=false", "preview=false", *cfg.extra,
    ]  # fmt: skip


def render(out_dir: Path, overrides: list[str], logs: Path) -> Path:
    """Render one batch with `fridge-render` in a subprocess (reused when already done)."""
    if (out_dir / DONE).is_file():
        return out_dir
    cmd = [sys.executable, "-m", "blender_scenes.cli", f"out_dir={out_dir}",
           f"hydra.run.dir={logs}", *overrides]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise StageError(f"fridge-render exited with {proc.returncode} for {out_dir}: {tail}")
    write_json(out_dir / DONE, {"overrides": overrides})
    return out_dir


def load_square(files: list[Path], size: int) -> torch.Tensor:
    """Images resized (shorter side) and centre-cropped to size x size, (N, 3, S, S) in [-1, 1]."""
    arrays = [
        np.asarray(ImageOps.fit(load_rgb(f), (size, size), Image.Resampling.BICUBIC)) for f in files
    ]
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def photo_files(cfg: MatchConfig) -> list[Path]:
    """The photos compared against: all, or `photos` evenly spaced over the sorted folder."""
    files = list_images(cfg.target_dir)
    if cfg.photos is None or cfg.photos >= len(files):
        return files
    idx = np.linspace(0, len(files) - 1, cfg.photos).round().astype(int)
    return [files[i] for i in idx]


class Scorer:
    """SWD (and KID with Inception weights) of render batches against the photos."""

    def __init__(self, cfg: MatchConfig) -> None:
        self.cfg = cfg
        self.photos = load_square(photo_files(cfg), cfg.image_size)
        self.inception = load_inception(cfg.kid_weights) if cfg.kid_weights else None
        if self.inception is None:
            log.info("KID: off (no kid_weights file given; nothing is downloaded): SWD only")

    def __call__(self, batch: Path) -> dict[str, float]:
        """{"swd": ..., "kid": ... (with weights)} of a rendered batch."""
        renders = load_square(list_images(batch), self.cfg.image_size)
        scores = {"swd": swd(renders, self.photos, self.cfg.swd, seed=0).mean}
        if self.inception is not None:
            scores["kid"] = fid_kid(renders, self.photos, self.inception, seed=0)["kid"]
        return scores


# ---------------------------------------------------------------------------- the study


def settings_record(cfg: MatchConfig) -> dict[str, Any]:
    """What makes two studies' scores comparable (a resumed study must agree)."""
    return {
        "target_dir": str(cfg.target_dir.resolve()), "image_size": cfg.image_size,
        "photos": cfg.photos, "classes": cfg.classes, "params": list(cfg.params),
        "images": cfg.images, "render_seed": cfg.render_seed, "samples": cfg.samples,
        "placement": cfg.placement, "extra": list(cfg.extra), "seed": cfg.seed,
        "swd": [cfg.swd.patches_per_image, cfg.swd.repeats], "starts": list(cfg.starts),
    }  # fmt: skip


def open_study(cfg: MatchConfig):
    """The run folder's Optuna study (created, or loaded to resume); seeded TPE sampler."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name in ("alembic", "alembic.runtime.plugins", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)  # sqlite schema set-up chatter
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{(cfg.run_dir / 'study.db').resolve()}"
    study = optuna.create_study(study_name="match", storage=storage, direction="minimize",
                                load_if_exists=True)  # fmt: skip
    # seeded by the configured seed and the trials already run: a resumed study draws new
    # values (not the first trials' again), and the same history gives the same next values
    study.sampler = optuna.samplers.TPESampler(
        seed=cfg.seed + len(study.trials), n_startup_trials=min(8, cfg.trials)
    )
    record = json.dumps(settings_record(cfg), sort_keys=True)
    held = study.user_attrs.get("settings")
    if held is None:
        study.set_user_attr("settings", record)
        for values in start_values(cfg):  # the first trials: the informed starts, in order
            study.enqueue_trial(values)
    elif held != record:
        raise ConfigError(
            f"run_dir: {cfg.run_dir} holds a study with other settings ({digest(held)}); "
            "use another run_dir or the same settings to resume it"
        )
    return study


def completed(study) -> list:
    """The study's finished trials, in order."""
    import optuna

    return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]


def suggest(trial, params: list[Param]) -> dict[str, float]:
    """Searched numbers for one trial."""
    out = {}
    for p in params:
        if p.integer:
            out[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high))
        else:
            out[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
    return out


def run_search(cfg: MatchConfig, scorer: Scorer) -> Any:
    """Run trials until the study holds `cfg.trials` completed ones; returns the study."""
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    study = open_study(cfg)
    done = len(completed(study))
    todo = max(0, cfg.trials - done)
    if done:
        log.info("resuming the study in %s: %d trials done, %d to go", cfg.run_dir, done, todo)
    params = space(cfg)
    writer = SummaryWriter(str(cfg.run_dir / "tb"))
    bar = tqdm(total=cfg.trials, initial=done, desc="fridge-match", unit="trial")

    def objective(trial) -> float:
        values = preset_values(suggest(trial, params), cfg)
        trial.set_user_attr("values", values)
        folder = cfg.run_dir / "trials" / f"{trial.number:04d}"
        if folder.exists() and not (folder / DONE).is_file():
            shutil.rmtree(folder)  # a trial killed half-way (a new trial: new values)
        batch = render(folder, [*base_overrides(cfg, cfg.images, cfg.render_seed),
                                *overrides_of(values)], cfg.run_dir / "logs" / folder.name)  # fmt: skip
        scores = scorer(batch)
        for key, value in scores.items():
            trial.set_user_attr(key, value)
            writer.add_scalar(f"match/{key}", value, trial.number)
        return scores["swd"]

    def progress(study, trial) -> None:
        import optuna

        if trial.state != optuna.trial.TrialState.COMPLETE:
            return
        writer.add_scalar("match/best_swd", study.best_value, trial.number)
        writer.flush()
        bar.update(1)
        bar.set_postfix(swd=f"{trial.value:.1f}", best=f"{study.best_value:.1f}")
        log.info("trial %d: SWD %.2f (best %.2f, trial %d)", trial.number, trial.value,
                 study.best_value, study.best_trial.number)  # fmt: skip

    try:
        if todo:
            timeout = cfg.timeout_min * 60 if cfg.timeout_min else None
            study.optimize(
                objective, n_trials=todo, timeout=timeout, callbacks=[progress], catch=()
            )
    finally:
        bar.close()
        writer.close()
    return study


# ------------------------------------------------------------------------- final results


def rerank(trials: list, k: int, score: Callable[[Any], dict[str, float]]) -> list[dict]:
    """Re-rank the `k` best `trials` (lowest trial SWD; equal values counted once) by
    `score(trial)` on other scenes; rows sorted by that validation SWD, the pick first.

    The best trial score is the minimum of noisy scores, so it flatters its trial (the winner's
    curse); a fresh score of the few best ones picks more reliably. With k = 1 nothing is
    re-rendered: the row is the trial best, `validation` None."""
    ranked = sorted(trials, key=lambda t: (t.value, t.number))
    if k <= 1:
        return [{"trial": ranked[0].number, "trial_swd": ranked[0].value, "validation": None}]
    rows, seen = [], []
    for trial in ranked:
        values = trial.user_attrs.get("values")
        if values in seen:
            continue
        seen.append(values)
        rows.append({"trial": trial.number, "trial_swd": trial.value, "validation": score(trial)})
        if len(rows) == k:
            break
    return sorted(rows, key=lambda r: (r["validation"]["swd"], r["trial_swd"], r["trial"]))


def make_panel(columns: list[tuple[str, list[Path]]], out: Path, rows: int, cell: int) -> Path:
    """A grid of `rows` images per column under the column titles (PNG)."""
    font = ImageFont.load_default(size=16)
    pad = 4
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    titles = [wrap_title(title, cell - 4, measure, font) for title, _ in columns]
    head = 6 + 20 * max(len(t) for t in titles)
    width = len(columns) * (cell + pad) + pad
    panel = Image.new("RGB", (width, head + rows * (cell + pad) + pad), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    for col, (_, files) in enumerate(columns):
        x = pad + col * (cell + pad)
        for i, line in enumerate(titles[col]):
            draw.text((x + 2, 4 + 20 * i), line, fill=(0, 0, 0), font=font)
        for row, f in enumerate(files[:rows]):
            img = fit_cell(ImageOps.fit(load_rgb(f), (cell, cell)), cell)
            panel.paste(img, (x, head + pad + row * (cell + pad)))
    return write_png(panel, out)


@dataclass
class MatchResult:
    """What `run_match` produced."""

    preset: Path
    panel: Path
    summary: dict[str, Any]


def run_match(cfg: MatchConfig) -> MatchResult:
    """Search, re-rank the best trials on validation scenes, then render default and matched
    batches on other scenes, write preset, panel and summary."""
    from torch.utils.tensorboard import SummaryWriter

    scorer = Scorer(cfg)
    log.info("%d photos from %s at %d px; %d trials of %d renders (%s, %d samples)",
             scorer.photos.shape[0], cfg.target_dir, cfg.image_size, cfg.trials, cfg.images,
             cfg.placement, cfg.samples)  # fmt: skip
    study = run_search(cfg, scorer)
    trials = completed(study)
    logs = cfg.run_dir / "logs"
    vbase = base_overrides(cfg, cfg.validate_images, cfg.validate_seed)

    def validation_score(trial) -> dict[str, float]:
        overrides = [*vbase, *overrides_of(trial.user_attrs["values"])]
        tag = f"{trial.number:04d}-{digest(overrides)}"
        batch = render(cfg.run_dir / "validate" / tag, overrides, logs / f"validate-{tag}")
        scores = scorer(batch)
        log.info("validation: trial %d: SWD %.2f on %d scenes (trial SWD %.2f)", trial.number,
                 scores["swd"], cfg.validate_images, trial.value)  # fmt: skip
        return scores

    ranking = rerank(trials, cfg.top_k, validation_score)
    best = next(t for t in trials if t.number == ranking[0]["trial"])
    values = best.user_attrs["values"]
    default_trial = next(
        (t for t in trials if t.user_attrs.get("values") == preset_values(defaults(cfg), cfg)),
        None,
    )
    default_values = {"classes": cfg.classes} if cfg.classes is not None else {}
    final = cfg.run_dir / "final"
    base = base_overrides(cfg, cfg.final_images, cfg.final_seed)
    # folders named after their settings: a better trial or other final settings render anew
    batches = []
    for name, vals in (("default", default_values), ("matched", values)):
        overrides = [*base, *overrides_of(vals)]
        tag = f"{name}-{digest(overrides)}"
        batches.append(render(final / tag, overrides, logs / f"final-{tag}"))
    fb, fm = batches
    before, after = scorer(fb), scorer(fm)
    reduction = 100.0 * (1.0 - after["swd"] / before["swd"]) if before["swd"] > 0 else 0.0
    with SummaryWriter(str(cfg.run_dir / "tb")) as writer:
        for row in ranking:
            if row["validation"] is not None:
                writer.add_scalar("validate/swd", row["validation"]["swd"], row["trial"])
        writer.add_scalar("validate/chosen_trial", best.number, len(trials))
        for key in before:
            writer.add_scalar(f"final/{key}_default", before[key], len(trials))
            writer.add_scalar(f"final/{key}_matched", after[key], len(trials))
    picked = (
        f"the best of the top {cfg.top_k} on {cfg.validate_images} validation scenes"
        if cfg.top_k > 1
        else "the trial best"
    )
    header = [
        f"fridge-match: the render distribution closest to the photos in "
        f"{Path(*cfg.target_dir.parts[-3:])}",
        f"(trial {best.number} of {len(trials)}, {picked});",
        f"SWD at {cfg.image_size} px on {cfg.final_images} new scenes: "
        f"{after['swd']:.2f} (defaults {before['swd']:.2f}, {reduction:.0f} % lower).",
        f"Searched with placement={cfg.placement}; use: {usage(cfg)}",
    ]
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(cfg.out, preset_text(values, header))
    panel = make_panel(
        [("default renders", list_images(fb)), ("matched renders", list_images(fm)),
         ("photos", photo_files(cfg)[:: max(1, len(photo_files(cfg)) // cfg.panel_rows)])],
        cfg.run_dir / "panel.png", cfg.panel_rows, cfg.panel_cell,
    )  # fmt: skip
    summary = {
        "target_dir": str(cfg.target_dir), "trials": len(trials), "best_trial": best.number,
        "trial_swd": {"default": default_trial.value if default_trial else None,
                      "best": min(t.value for t in trials), "chosen": best.value},
        "validation": {"top_k": cfg.top_k, "images": cfg.validate_images,
                       "seed": cfg.validate_seed, "ranking": ranking, "chosen_trial": best.number},
        "final": {"default": before, "matched": after, "swd_reduction_percent": reduction,
                  "images": cfg.final_images, "seed": cfg.final_seed},
        "kid": "on" if scorer.inception is not None else "off (no kid_weights)",
        "preset": str(cfg.out), "values": values, "panel": str(panel),
        "usage": usage(cfg),
    }  # fmt: skip
    write_json(cfg.run_dir / "summary.json", summary)
    log.info("SWD default %.2f -> matched %.2f (%.0f %% lower) on %d new scenes",
             before["swd"], after["swd"], reduction, cfg.final_images)  # fmt: skip
    log.info("preset %s; panel %s; use: %s", cfg.out, panel, usage(cfg))
    return MatchResult(cfg.out, panel, summary)


def usage(cfg: MatchConfig) -> str:
    """The fridge-render command line that renders with the written preset."""
    from gan.cli import config_dir

    packaged = config_dir().resolve() / PRESET_GROUP
    inside = cfg.out.resolve().is_relative_to(packaged)
    where = "" if inside else f"--config-dir {cfg.search_dir} "
    return f"fridge-render {where}+{PRESET_GROUP}={cfg.preset_name}"


# ------------------------------------------------------------------------- command line


def preflight(cfg: MatchConfig) -> None:
    """Check the render overrides of the trials (fast settings, render.extra, classes) with the
    render config's own validation, before anything is rendered; one-line `ConfigError`."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from blender_scenes.config import validate

    overrides = [*base_overrides(cfg, cfg.images, cfg.render_seed),
                 *overrides_of(preset_values(defaults(cfg), cfg))]  # fmt: skip
    try:
        raw = compose_config("render", overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"render.extra: {cli.describe_compose_error(exc)}") from exc
    raw["out_dir"] = str(cfg.run_dir / "trials")
    try:
        validate(raw)
    except RenderConfigError as exc:
        raise ConfigError(f"render: {exc}") from exc


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="match")
def hydra_main(dcfg: DictConfig) -> None:
    """Hydra task for `fridge-match`."""
    raw = cli.resolve_or_fail(PROG, dcfg)
    raw.pop("hydra", None)
    try:
        cfg = check_config(raw)
        preflight(cfg)
        run_match(cfg)
    except (ConfigError, DataError) as exc:
        cli.fail(PROG, str(exc))
    except StageError as exc:
        cli.fail(PROG, str(exc), 1)


def main() -> None:
    """Console script `fridge-match`: check the whole command line, then run the Hydra app."""
    raw = compose_from_cli(PROG, "match", sys.argv[1:])
    if raw is not None:
        if not bpy_available():  # every trial renders
            cli.fail(PROG, bpy_missing_message())
        try:
            preflight(check_config(raw))
        except ConfigError as exc:
            cli.fail(PROG, str(exc))
    hydra_main()


if __name__ == "__main__":
    main()
