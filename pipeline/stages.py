"""The pipeline's stages: render a batch, train a model, translate a batch, each resumable.

Every stage writes into `root/<name>-<hash of its settings>`, so a re-run reuses a finished
stage (its `done.json` marker, written last), a killed run resumes, and a changed setting
redoes only what depends on it. Rendering runs `fridge-render` in a subprocess (this package
never imports bpy); training and translation run in this process through `gan`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from gan.cli import CONFIG_DIR, describe_compose_error
from gan.config import ConfigError, parse_train_config
from gan.io import write_json
from gan.trainer import NonFiniteLoss, check_image_size, run_training
from gan.translate import translate_batch

log = logging.getLogger(__name__)

DONE = "done.json"


class StageError(RuntimeError):
    """A pipeline stage failed; the message says which and why."""


def deep_merge(base: dict, extra: dict | None) -> dict:
    """`base` with `extra` merged in recursively (new dict; lists are replaced)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def digest(settings: Any) -> str:
    """Short stable hash of JSON-serializable settings."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def stage_dir(root: Path, name: str, settings: Any) -> Path:
    """`root/name-<hash of settings>`: one folder per distinct configuration of a stage."""
    return root / f"{name}-{digest(settings)}"


def compose_config(name: str, overrides: list[str]) -> dict:
    """A config of configs/ composed with overrides, resolved, without its hydra section."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():  # inside fridge-demo's own Hydra app
        composed = compose(config_name=name, overrides=overrides)
    else:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            composed = compose(config_name=name, overrides=overrides)
    raw = OmegaConf.to_container(composed, resolve=True)
    raw.pop("hydra", None)
    return raw


# ---------------------------------------------------------------------------------- render


def render_settings(cfg: dict, batch: str, style: str) -> dict:
    """Everything that determines a demo render batch."""
    r = cfg["render"]
    return {
        "count": r[batch]["count"],
        "seed": r[batch]["seed"],
        "style": style,
        "resolution": list(r["resolution"]),
        "samples": r["samples"],
        "extra": list(r["extra"]),
    }


def render_overrides(settings: dict, cfg: dict) -> list[str]:
    """The `fridge-render` overrides for one batch (without out_dir)."""
    w, h = settings["resolution"]
    return [
        f"count={settings['count']}",
        f"seed={settings['seed']}",
        f"style={settings['style']}",
        f"resolution=[{w},{h}]",
        f"render.samples={settings['samples']}",
        f"render.device={cfg['render']['device']}",
        f"workers={cfg['render']['workers']}",
        *settings["extra"],
    ]


def render_key(overrides: list[str]) -> dict:
    """The resolved configs/render.yaml for these overrides, minus keys that don't change images.

    Hashing the resolved config (not just the demo's settings) makes a changed default in
    configs/render.yaml re-render instead of reusing a stale batch.
    """
    try:
        resolved = compose_config("render", overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"render.extra: {describe_compose_error(exc)}") from exc
    for key in ("out_dir", "workers", "worker_max_scenes", "preview", "validate_only"):
        resolved.pop(key, None)
    return resolved


def render_batch(root: Path, name: str, settings: dict, cfg: dict, log_root: Path) -> Path:
    """Render (or resume, or reuse) one batch with `fridge-render`; return its folder."""
    overrides = render_overrides(settings, cfg)
    out = stage_dir(root, name, render_key(overrides))
    if (out / DONE).is_file():
        log.info("%s: reusing %s", name, out)
        return out
    log_dir = log_root / f"render-{out.name}"
    cmd = [
        sys.executable,
        "-m",
        "blender_scenes.cli",
        f"out_dir={out}",
        f"hydra.run.dir={log_dir}",
        *overrides,
    ]
    log.info(
        "%s: %d %s scenes (seed %d) -> %s",
        name,
        settings["count"],
        settings["style"],
        settings["seed"],
        out,
    )
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        raise StageError(f"render {name}: fridge-render exited with {proc.returncode} (see above)")
    write_json(out / DONE, settings)
    return out


# ---------------------------------------------------------------------------------- train


def train_config(cfg: dict, key: str, source: Path, target: Path) -> dict:
    """The full training config for one model: train.yaml (with the model's `experiment`
    preset, or `model=<model or key>`) + the demo's `train` + the model's `config`."""
    model = cfg["models"][key]
    preset = model.get("experiment")
    overrides = [f"experiment={preset}"] if preset else [f"model={model.get('model', key)}"]
    raw = compose_config("train", overrides)
    raw = deep_merge(raw, cfg["train"])
    raw = deep_merge(raw, model.get("config"))
    raw["data"] = deep_merge(raw["data"], {"source_dir": str(source), "target_dir": str(target)})
    return raw


def validate_train(raw: dict, key: str) -> None:
    """Parse and size-check a training config; ConfigError names the model."""
    try:
        check_image_size(parse_train_config(raw))
    except ConfigError as exc:
        raise ConfigError(f"models.{key}: {exc}") from exc


def train_model(raw: dict, key: str, runs_root: Path) -> Path:
    """Train (or resume, or reuse) one model; return its final checkpoint."""
    run_dir = stage_dir(runs_root, key, raw)
    done = run_dir / DONE
    if done.is_file():
        log.info("%s: reusing %s", key, run_dir)
        return Path(json.loads(done.read_text())["checkpoint"])
    log.info(
        "%s: %d steps at %d px -> %s",
        key,
        raw["trainer"]["max_steps"],
        raw["data"]["image_size"],
        run_dir,
    )
    try:
        result = run_training(raw, run_dir)
    except NonFiniteLoss as exc:
        raise StageError(f"train {key}: {exc}") from exc
    if result.last_checkpoint is None:
        raise StageError(f"train {key}: no checkpoint written in {run_dir}")
    summary = {"checkpoint": str(result.last_checkpoint), "step": result.step}
    write_json(done, {**summary, "metrics": result.metrics})
    return result.last_checkpoint


# ---------------------------------------------------------------------------------- translate


def translate(checkpoint: Path, batch: Path, root: Path, key: str) -> Path:
    """Translate a render batch with one model (labels carried over); reuse if done."""
    stat = checkpoint.stat()  # a retrained model at the same path must not reuse old output
    settings = {
        "checkpoint": str(checkpoint),
        "src": str(batch),
        "mtime": stat.st_mtime_ns,
        "size": stat.st_size,
    }
    out = stage_dir(root, f"translated_{key}_{batch.name}", settings)
    if (out / DONE).is_file():
        log.info("%s: reusing %s", key, out)
        return out
    translate_batch(
        {
            "checkpoint": str(checkpoint),
            "input_dir": str(batch),
            "out_dir": str(out),
            "overwrite": True,
        }
    )
    write_json(out / DONE, settings)
    return out
