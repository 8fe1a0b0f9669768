"""`fridge-demo`: render -> train CycleGAN and Pix2Pix -> translate -> evaluate -> report.

Rendering runs `fridge-render` in a subprocess (this package never imports bpy); training,
translation and evaluation run in this process through the same functions as `fridge-train`,
`fridge-translate` and `fridge-eval`. Each stage writes into a folder named after a hash of its
settings, so a re-run skips finished stages and a killed run resumes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from PIL import Image, ImageDraw, ImageFont

from gan import checkpoint as ckpt
from gan import cli
from gan.cli import CONFIG_DIR, compose_from_cli, describe_compose_error
from gan.config import ConfigError, parse_train_config, require_choice
from gan.data import DataError, list_images, load_folder_tensor, load_rgb
from gan.evaluate import check_inputs, paired_means, paired_metrics, parse_eval_config
from gan.metrics import SWDSettings, swd
from gan.train import NonFiniteLoss, check_image_size, run_training
from gan.translate import TranslateConfig, translate_batch

log = logging.getLogger(__name__)

PROG = "fridge-demo"
DONE = "done.json"


class StageError(RuntimeError):
    """A pipeline stage failed; the message says which and why."""


@dataclass
class Method:
    """One column of the comparison: a folder of held-out images and how it was made."""

    key: str
    title: str
    images: Path


@dataclass
class DemoResult:
    """What `run_demo` produced."""

    profile: str
    rows: dict[str, dict[str, float | None]]
    report: Path
    panel: Path
    timings: dict[str, float] = field(default_factory=dict)


def deep_merge(base: dict, extra: dict | None) -> dict:
    """`base` with `extra` merged in recursively (new dict; lists are replaced)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def select_profile(cfg: dict, cuda: bool) -> tuple[dict, str]:
    """Apply the `fast:` or `gpu:` settings on top of the defaults; return (config, name)."""
    demo = cfg["demo"]
    require_choice("demo.device", demo["device"], ("auto", "cpu", "cuda"))
    if demo["device"] == "cuda" and not cuda:
        raise ConfigError("demo.device: cuda requested but no CUDA device is available")
    base = {k: v for k, v in cfg.items() if k not in ("fast", "gpu")}
    if demo["fast"]:
        return deep_merge(base, cfg.get("fast")), "fast"
    if cuda and demo["device"] != "cpu":
        return deep_merge(base, cfg.get("gpu")), "gpu"
    return base, "cpu"


def digest(settings: Any) -> str:
    """Short stable hash of JSON-serializable settings."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def stage_dir(root: Path, name: str, settings: Any) -> Path:
    """`root/name-<hash of settings>`: one folder per distinct configuration of a stage."""
    return root / f"{name}-{digest(settings)}"


def check_settings(cfg: dict) -> None:
    """One-line ConfigError for demo keys that would otherwise fail late."""
    r = cfg["render"]
    for name in ("source", "target", "heldout"):
        count = r[name]["count"]
        if not isinstance(count, int) or count <= 0:
            raise ConfigError(f"render.{name}.count: must be a positive integer, got {count!r}")
    if not isinstance(r["extra"], list):
        raise ConfigError("render.extra: must be a list of fridge-render overrides")
    rows = cfg["demo"]["panel_rows"]
    if not isinstance(rows, int) or rows <= 0:
        raise ConfigError(f"demo.panel_rows: must be a positive integer, got {rows!r}")
    target = cfg["demo"]["target_dir"]
    if target is not None:
        try:
            list_images(target)
        except DataError as exc:
            raise ConfigError(f"demo.target_dir: {exc}") from exc
    if not cfg["models"]:
        raise ConfigError("models: at least one model is needed")


def preflight(cfg: dict) -> None:
    """Every check that needs no work done: demo keys, render overrides, training configs."""
    check_settings(cfg)
    for batch in ("source", "target", "heldout"):
        render_key(render_overrides(render_settings(cfg, batch, "clean"), cfg))
    for key in cfg["models"]:
        validate_train(train_config(cfg, key, Path("."), Path(".")), key)


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
    cmd = [sys.executable, "-m", "blender_scenes.cli", f"out_dir={out}",
           f"hydra.run.dir={log_dir}", *overrides]
    log.info("%s: %d %s scenes (seed %d) -> %s", name, settings["count"], settings["style"],
             settings["seed"], out)
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        raise StageError(f"render {name}: fridge-render exited with {proc.returncode} (see above)")
    write_json(out / DONE, settings)
    return out


# ---------------------------------------------------------------------------------- train


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


def train_config(cfg: dict, key: str, source: Path, target: Path) -> dict:
    """The full training config for one model: train.yaml + demo `train` + model `config`."""
    raw = compose_config("train", [f"model={key}"])
    raw = deep_merge(raw, cfg["train"])
    raw = deep_merge(raw, cfg["models"][key].get("config"))
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
    log.info("%s: %d steps at %d px -> %s", key, raw["trainer"]["max_steps"],
             raw["data"]["image_size"], run_dir)
    try:
        result = run_training(raw, run_dir)
    except NonFiniteLoss as exc:
        raise StageError(f"train {key}: {exc}") from exc
    if result.last_checkpoint is None:
        raise StageError(f"train {key}: no checkpoint written in {run_dir}")
    write_json(done, {"checkpoint": str(result.last_checkpoint), "step": result.step,
                      "metrics": result.metrics})
    return result.last_checkpoint


def translate(checkpoint: Path, heldout: Path, root: Path, key: str) -> Path:
    """Translate the held-out batch with one model (labels carried over); reuse if done."""
    stat = checkpoint.stat()  # a retrained model at the same path must not reuse old output
    out = stage_dir(root, f"translated_{key}", {"checkpoint": str(checkpoint), "src": str(heldout),
                                                "mtime": stat.st_mtime_ns, "size": stat.st_size})
    if (out / "images").is_dir():
        log.info("%s: reusing %s", key, out)
        return out
    return translate_batch(
        TranslateConfig(checkpoint=str(checkpoint), input_dir=str(heldout), out_dir=str(out),
                        overwrite=True)
    )


# ---------------------------------------------------------------------------------- measure


def spread(x: torch.Tensor) -> float:
    """Mean over pixels of the standard deviation across images (0-255): output diversity."""
    return float(x.add(1).mul(127.5).std(dim=0).mean()) if len(x) > 1 else 0.0


def paired(method: Path, other: Path, cfg: dict) -> dict[str, float | None]:
    """Mean PSNR, SSIM and label fidelity of `method` against the same names in `other`."""
    ecfg = parse_eval_config({"a_dir": str(method), "b_dir": str(other), "paired": True,
                              "edge_dilation": cfg["eval"]["edge_dilation"]})
    return paired_means(paired_metrics(ecfg, check_inputs(ecfg)))


def measure(method: Path, target: torch.Tensor, truth: Path | None, render: Path, cfg: dict,
            size: int) -> dict[str, float | None]:
    """SWD to the target images, PSNR/SSIM to the paired truth, label fidelity to the render.

    Also `spread` (diversity across images) and `l1_to_target_mean`: how close the images are
    to the per-pixel average of the target domain (a collapsed generator sits right on it).
    `target` is the target domain loaded once by `load_folder_tensor` at `size` px.
    """
    x = load_folder_tensor(method, size)
    settings = SWDSettings(patches_per_image=cfg["eval"]["swd_patches_per_image"])
    row: dict[str, float | None] = {"swd": swd(x, target, settings).mean, "psnr": None,
                                    "ssim": None}
    if truth is not None:
        means = paired(method, truth, cfg)
        row["psnr"], row["ssim"] = means["psnr"], means["ssim"]
    row["label_fidelity"] = paired(method, render, cfg)["label_fidelity"]
    row["spread"] = spread(x)
    row["l1_to_target_mean"] = float((x - target.mean(dim=0)).abs().mean() * 127.5)
    return row


def gap_closed(rows: dict[str, dict], key: str) -> float | None:
    """Share of the SWD gap between untranslated renders and the reference that `key` closes."""
    start, ref = rows["render"]["swd"], rows.get("truth", {}).get("swd")
    value = rows[key]["swd"]
    if ref is None or start is None or value is None or start <= ref:
        return None
    return (start - value) / (start - ref)


# ---------------------------------------------------------------------------------- outputs


def fit_cell(img: Image.Image, cell: int) -> Image.Image:
    """Resize an image to `cell` pixels wide, keeping its aspect ratio."""
    w, h = img.size
    return img.resize((cell, max(1, round(h * cell / w))), Image.Resampling.BICUBIC)


def make_panel(methods: list[Method], names: list[str], out: Path, cell: int = 192) -> Path:
    """A grid: one row per held-out image, one column per method, titles on top (PNG)."""
    font = ImageFont.load_default(size=14)
    first = fit_cell(load_rgb(list_images(methods[0].images)[0]), cell)
    head, pad = 24, 4
    width = len(methods) * (cell + pad) + pad
    height = head + len(names) * (first.height + pad) + pad
    panel = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    for col, method in enumerate(methods):
        x = pad + col * (cell + pad)
        draw.text((x + 2, 4), method.title, fill=(0, 0, 0), font=font)
        folder = list_images(method.images)[0].parent
        for row, name in enumerate(names):
            img = fit_cell(load_rgb(folder / name), cell)
            panel.paste(img, (x, head + pad + row * (first.height + pad)))
    write_png(panel, out)
    return out


def fmt(value: float | None, digits: int = 2) -> str:
    """Table cell: fixed decimals, '-' for missing."""
    return "-" if value is None else f"{value:.{digits}f}"


def table(methods: list[Method], rows: dict[str, dict]) -> str:
    """Markdown table of the measurements, one line per method."""
    lines = [
        "| images | SWD to target (lower) | PSNR to truth (higher) | SSIM to truth (higher) "
        "| label fidelity (higher) | spread |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in methods:
        r = rows[m.key]
        psnr = None if m.key == "truth" else r["psnr"]
        ssim = None if m.key == "truth" else r["ssim"]
        lines.append(f"| {m.title} | {fmt(r['swd'])} | {fmt(psnr)} | {fmt(ssim, 3)} "
                     f"| {fmt(r['label_fidelity'], 3)} | {fmt(r['spread'], 1)} |")
    return "\n".join(lines)


def findings(methods: list[Method], rows: dict[str, dict]) -> list[str]:
    """Plain-language verdicts with numbers, for the report and the console."""
    out = []
    base = rows["render"]
    for m in methods:
        if m.key in ("render", "truth"):
            continue
        r = rows[m.key]
        closer = r["swd"] < base["swd"]
        gap = gap_closed(rows, m.key)
        text = (f"{m.title}: SWD to the target domain {fmt(r['swd'])} vs {fmt(base['swd'])} "
                f"untranslated: {'closer' if closer else 'NOT closer'}")
        if gap is not None and gap <= 1:
            text += f" ({gap:.0%} of the gap to the ground truth's {fmt(rows['truth']['swd'])} closed)"
        elif gap is not None:
            text += (f" (even below the ground truth's {fmt(rows['truth']['swd'])}: SWD on a small "
                     "set rewards matching the target's average colour and blur, so read it with "
                     "PSNR/SSIM and label fidelity)")
        out.append(text + ".")
    if "pix2pix" in rows:
        out.append(pix2pix_diagnosis(rows))
    return out


def pix2pix_diagnosis(rows: dict[str, dict]) -> str:
    """Why Pix2Pix with random pairs does (not) work here, in numbers."""
    p, r = rows["pix2pix"], rows["render"]
    ref = rows.get("truth", r)
    collapsed = p["spread"] < 0.5 * ref["spread"]
    numbers = (
        f"spread across images {fmt(p['spread'], 1)} vs {fmt(ref['spread'], 1)} "
        f"({'ground truth' if 'truth' in rows else 'renders'}), mean distance to the target "
        f"domain's average image {fmt(p['l1_to_target_mean'], 1)} vs "
        f"{fmt(ref['l1_to_target_mean'], 1)}, label fidelity {fmt(p['label_fidelity'], 3)}"
    )
    if collapsed:
        return (
            "Pix2Pix with random pairs collapses: with a random photo as the 'paired' answer, the "
            "L1 term is minimized by the per-pixel average of the target photos whatever the "
            "input, and the conditional discriminator never sees a real correspondence, so the "
            f"outputs converge to one blurry mean fridge and lose their scene: {numbers}."
        )
    return f"Pix2Pix with random pairs keeps its outputs apart: {numbers}."


def report_text(result_rows: dict, methods: list[Method], cfg: dict, profile: str,
                timings: dict[str, float], paths: dict[str, str]) -> str:
    """report.md: settings, table, findings, panel, where everything is."""
    r = cfg["render"]
    target = cfg["demo"]["target_dir"] or f"style=photo renders ({r['target']['count']} scenes)"
    lines = [
        "# fridge-demo report",
        "",
        f"Profile `{profile}`: renders {r['resolution'][0]}x{r['resolution'][1]} at "
        f"{r['samples']} samples; source {r['source']['count']} clean scenes, target {target}, "
        f"{r['heldout']['count']} held-out scenes; training at "
        f"{cfg['train']['data']['image_size']} px on {cfg['train']['trainer']['device']}.",
        "",
        table(methods, result_rows),
        "",
        "SWD: sliced Wasserstein distance of 7x7 Laplacian-pyramid patches to the target "
        "domain; the ground-truth row is the target-style version of the same held-out scenes, a "
        "reference rather than a hard floor on this small sample. PSNR/SSIM: against the same scene "
        "in the target style. Label fidelity: edge agreement with the source render inside the "
        "instance masks (do objects stay where the labels say). Spread: per-pixel standard "
        "deviation across the held-out images (0-255).",
        "",
        *[f"- {line}" for line in findings(methods, result_rows)],
        "",
        "![panel](panel.png)",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.0f} |" for k, v in timings.items()],
        "",
        *[f"- {k}: `{v}`" for k, v in paths.items()],
        "",
        "TensorBoard: `tensorboard --logdir outputs`",
        "",
    ]
    return "\n".join(lines)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    write_text(path, json.dumps(data, indent=2, default=str))


def write_text(path: Path, text: str) -> None:
    """Write text atomically (temp name + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_png(img: Image.Image, path: Path) -> None:
    """Save a PNG atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    img.save(tmp)
    tmp.replace(path)


# ---------------------------------------------------------------------------------- pipeline


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


def run_demo(raw: dict) -> DemoResult:
    """The whole pipeline for a resolved demo config dict."""
    cfg, profile = select_profile(raw, torch.cuda.is_available())
    preflight(cfg)
    data_root, out_root = Path(cfg["demo"]["data_dir"]), Path(cfg["demo"]["out_dir"])
    real = cfg["demo"]["target_dir"]
    models = list(cfg["models"])
    size = min(cfg["render"]["resolution"])
    stages = Stages(total=(3 if real else 4) + 2 * len(models) + 1)
    log.info("profile %s: data in %s, runs and report in %s", profile, data_root, out_root)
    logs = out_root / "logs"

    stages.start("render source batch (clean)")
    source = render_batch(data_root, "source", render_settings(cfg, "source", "clean"), cfg, logs)
    if real:
        target = Path(real)
    else:
        stages.start("render target batch (style=photo)")
        target = render_batch(data_root, "target", render_settings(cfg, "target", "photo"), cfg,
                              logs)
    stages.start("render held-out scenes (clean)")
    heldout = render_batch(data_root, "heldout_clean", render_settings(cfg, "heldout", "clean"),
                           cfg, logs)
    truth = None
    if not real:
        stages.start("render held-out scenes (style=photo): paired ground truth")
        truth = render_batch(data_root, "heldout_photo",
                             render_settings(cfg, "heldout", "photo"), cfg, logs)

    methods = [Method("render", "render (untranslated)", heldout)]
    for key in models:
        title = cfg["models"][key].get("title", key)
        stages.start(f"train {title}")
        checkpoint = train_model(train_config(cfg, key, source, target), key, out_root / "train")
        stages.start(f"translate held-out renders with {title}")
        methods.append(Method(key, title, translate(checkpoint, heldout, data_root, key)))
    if truth is not None:
        methods.append(Method("truth", "ground truth (photo style)", truth))

    stages.start("evaluate and write the report")
    target_images = load_folder_tensor(target, size)
    rows = {m.key: measure(m.images, target_images, truth, heldout, cfg, size) for m in methods}
    names = [p.name for p in list_images(heldout)][: cfg["demo"]["panel_rows"]]
    panel = make_panel(methods, names, out_root / "panel.png")
    stages.stop()
    paths = {"source renders": str(source), "target domain": str(target),
             "held-out renders": str(heldout), "training runs": str(out_root / "train")}
    paths.update({f"translated ({m.title})": str(m.images) for m in methods
                  if m.key not in ("render", "truth")})
    report = out_root / "report.md"
    write_text(report, report_text(rows, methods, cfg, profile, stages.timings, paths))
    write_json(out_root / "report.json", {
        "profile": profile, "rows": rows, "timings": stages.timings, "paths": paths,
        "methods": {m.key: {"title": m.title, "images": str(m.images)} for m in methods},
    })
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


def main() -> None:
    """Console script `fridge-demo`."""
    raw = compose_from_cli(PROG, "demo", sys.argv[1:])
    if raw is not None:
        try:
            preflight(select_profile(raw, torch.cuda.is_available())[0])
        except ConfigError as exc:
            fail(str(exc))
    hydra_main()


if __name__ == "__main__":
    main()
