"""`fridge-demo`: render -> train -> translate -> measure -> report, on built-in defaults.

Stages live in `pipeline.stages`, measurements in `pipeline.measure`, the table, findings and
panel in `pipeline.report`. Settings come from configs/demo.yaml plus one `demo_profile`
(configs/demo_profile/: cpu, fast, gpu, real_photos); CUDA selects `gpu` unless a profile is
given or `demo.device=cpu`.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig

from blender_scenes.blender import bpy_available, bpy_missing_message
from gan import checkpoint as ckpt
from gan import cli
from gan.cli import CONFIG_DIR, compose_from_cli
from gan.config import ConfigError
from gan.data import DataError, list_images
from gan.devices import select_device
from gan.io import write_json, write_text
from pipeline import measure
from pipeline.report import Method, findings, make_panel, report_text, table
from pipeline.stages import (
    StageError,
    render_batch,
    render_key,
    render_overrides,
    render_settings,
    train_config,
    train_model,
    translate,
    validate_train,
)

log = logging.getLogger(__name__)

PROG = "fridge-demo"


@dataclass
class DemoResult:
    """What `run_demo` produced."""

    profile: str
    rows: dict[str, dict[str, float | None]]
    report: Path
    panel: Path
    timings: dict[str, float] = field(default_factory=dict)


def check_settings(cfg: dict) -> None:
    """One-line ConfigError for demo keys that would otherwise fail late."""
    select_device(cfg["demo"]["device"], "demo.device")
    r = cfg["render"]
    for name in ("source", "target", "heldout"):
        count = r[name]["count"]
        if not isinstance(count, int) or count <= 0:
            raise ConfigError(f"render.{name}.count: must be a positive integer, got {count!r}")
    if not isinstance(r["extra"], list):
        raise ConfigError("render.extra: must be a list of fridge-render overrides")
    for key in ("panel_rows", "panel_cell"):
        value = cfg["demo"][key]
        if not isinstance(value, int) or value <= 0:
            raise ConfigError(f"demo.{key}: must be a positive integer, got {value!r}")
    target = cfg["demo"]["target_dir"]
    if target is not None:
        try:
            list_images(target)
        except DataError as exc:
            raise ConfigError(f"demo.target_dir: {exc}") from exc
    if not cfg["models"]:
        raise ConfigError("models: at least one model is needed")
    measure.check_settings(cfg)


def preflight(cfg: dict) -> None:
    """Every check that needs no work done: demo keys, render overrides, training configs."""
    check_settings(cfg)
    for batch in ("source", "target", "heldout"):
        render_key(render_overrides(render_settings(cfg, batch, "clean"), cfg))
    for key in cfg["models"]:
        validate_train(train_config(cfg, key, Path("."), Path(".")), key)


class Stages:
    """Numbered stage headers with timings."""

    def __init__(self, total: int) -> None:
        self.total, self.n, self.timings = total, 0, {}
        self._name, self._t0 = "", 0.0

    def start(self, name: str) -> None:
        """Close the previous stage and announce the next."""
        self.stop()
        self.n += 1
        self._name, self._t0 = name, time.perf_counter()
        log.info("[%d/%d] %s", self.n, self.total, name)

    def stop(self) -> None:
        """Record the running stage's time."""
        if self._name:
            self.timings[self._name] = time.perf_counter() - self._t0
            self._name = ""


def settings_lines(cfg: dict, profile: str) -> list[str]:
    """One paragraph on what the demo ran."""
    r, t = cfg["render"], cfg["train"]
    target = cfg["demo"]["target_dir"] or f"style=photo renders ({r['target']['count']} scenes)"
    models = ", ".join(
        f"{m.get('title', k)} {m.get('config', {}).get('trainer', {}).get('max_steps', '?')} steps"
        for k, m in cfg["models"].items()
    )
    return [
        f"Profile `{profile}`: renders {r['resolution'][0]}x{r['resolution'][1]} at "
        f"{r['samples']} samples; source {r['source']['count']} clean scenes, target {target}, "
        f"{r['heldout']['count']} held-out scenes. Training on {t['data']['image_size']} px "
        f"crops ({t['data']['preprocess']}) on {t['trainer']['device']}: {models}."
    ]


def run_demo(cfg: dict) -> DemoResult:
    """The whole pipeline for a resolved demo config dict."""
    preflight(cfg)
    profile = cfg["demo"]["profile"]
    data_root, out_root = Path(cfg["demo"]["data_dir"]), Path(cfg["demo"]["out_dir"])
    real = cfg["demo"]["target_dir"]
    models = list(cfg["models"])
    stages = Stages(total=(3 if real else 4) + 2 * len(models) + 1)
    log.info("profile %s: data in %s, runs and report in %s", profile, data_root, out_root)
    logs = out_root / "logs"

    stages.start("render source batch (clean)")
    source = render_batch(data_root, "source", render_settings(cfg, "source", "clean"), cfg, logs)
    if real:
        target = Path(real)
    else:
        stages.start("render target batch (style=photo)")
        target = render_batch(
            data_root, "target", render_settings(cfg, "target", "photo"), cfg, logs
        )
    stages.start("render held-out scenes (clean)")
    heldout = render_batch(
        data_root, "heldout_clean", render_settings(cfg, "heldout", "clean"), cfg, logs
    )
    truth = None
    if not real:
        stages.start("render held-out scenes (style=photo): paired ground truth")
        truth = render_batch(
            data_root, "heldout_photo", render_settings(cfg, "heldout", "photo"), cfg, logs
        )

    methods = [Method("render", "render (untranslated)", heldout)]
    extra_batches: dict[str, Path] = {}
    for key in models:
        title = cfg["models"][key].get("title", key)
        stages.start(f"train {title}")
        checkpoint = train_model(train_config(cfg, key, source, target), key, out_root / "train")
        stages.start(f"translate held-out renders with {title}")
        methods.append(Method(key, title, translate(checkpoint, heldout, data_root, key)))
        if measure.wants_source_translation(cfg):
            extra_batches[key] = translate(checkpoint, source, data_root, key)
    if truth is not None:
        methods.append(Method("truth", "ground truth (photo style)", truth))

    stages.start("measure and write the report")
    ctx = measure.Context(
        cfg=cfg,
        source=source,
        target=target,
        heldout=heldout,
        truth=truth,
        translated_sources=extra_batches,
        cache_dir=Path(cfg["train"]["metrics"]["content"]["cache_dir"]),
    )
    rows = measure.measure_all(methods, ctx)
    names = [p.name for p in list_images(heldout)][: cfg["demo"]["panel_rows"]]
    panel = make_panel(methods, names, out_root / "panel.png", cfg["demo"]["panel_cell"])
    stages.stop()
    paths = {
        "source renders": str(source),
        "target domain": str(target),
        "held-out renders": str(heldout),
        "training runs": str(out_root / "train"),
    }
    paths.update(
        {
            f"translated ({m.title})": str(m.images)
            for m in methods
            if m.key not in ("render", "truth")
        }
    )
    report = out_root / "report.md"
    text = report_text(rows, methods, settings_lines(cfg, profile), stages.timings, paths)
    write_text(report, text)
    write_json(
        out_root / "report.json",
        {
            "profile": profile,
            "rows": rows,
            "timings": stages.timings,
            "paths": paths,
            "methods": {m.key: {"title": m.title, "images": str(m.images)} for m in methods},
        },
    )
    print("\n" + table(methods, rows) + "\n")
    for line in findings(methods, rows):
        print(f"- {line}")
    print(f"\nreport: {report}\npanel:  {panel}\nTensorBoard: tensorboard --logdir outputs")
    return DemoResult(profile, rows, report, panel, stages.timings)


def fail(message: str) -> None:
    """Print a one-line error and exit non-zero."""
    cli.fail(PROG, message)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="demo")
def hydra_main(cfg: DictConfig) -> None:
    """Hydra task for `fridge-demo`."""
    raw = cli.resolve_or_fail(PROG, cfg)
    raw.pop("hydra", None)
    try:
        run_demo(raw)
    except (ConfigError, DataError, ckpt.CheckpointError, StageError) as exc:
        fail(str(exc))


def with_auto_profile(args: list[str], cuda: bool) -> list[str]:
    """Add `demo_profile=gpu` when CUDA is present and no profile (or demo.device=cpu) is set."""
    chosen = any(a.lstrip("+~").startswith("demo_profile=") for a in args)
    cpu_only = any(a in ("demo.device=cpu",) for a in args)
    return [*args, "demo_profile=gpu"] if cuda and not chosen and not cpu_only else args


def main() -> None:
    """Console script `fridge-demo`."""
    args = with_auto_profile(sys.argv[1:], torch.cuda.is_available())
    sys.argv = [sys.argv[0], *args]
    raw = compose_from_cli(PROG, "demo", args)
    if raw is not None:
        if not bpy_available():  # the demo renders its own batches
            fail(bpy_missing_message())
        try:
            preflight(raw)
        except ConfigError as exc:
            fail(str(exc))
    hydra_main()


if __name__ == "__main__":
    main()
