"""Render one image of a batch: sample, build, render, label, write. Runs in-process or in a pool."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bpy

from . import photo_style, writer
from .annotate import annotate
from .config import RenderConfig
from .description import SceneDescription
from .files import OutputError, atomic_write, describe_broken_file
from .render import configure_render, quiet_fd, read_passes, render_passes, to_display
from .sampling import sample_scene
from .scene import build_scene, clear_scene
from .silhouette import silhouette_pixels

log = logging.getLogger(__name__)


def image_record(cfg: RenderConfig, index: int) -> dict[str, Any]:
    """The `image` part of a meta file."""
    s = writer.stem(index)
    return {"index": index, "file_name": f"images/{s}.png", "mask_file": f"masks/{s}.png",
            "width": cfg.resolution[0], "height": cfg.resolution[1]}


def render_one(cfg: RenderConfig, index: int) -> dict[str, Any]:
    """Render image `index` into the batch folder; returns a summary with stage timings."""
    t0 = time.perf_counter()
    desc = sample_scene(cfg.seed, index, cfg.sampler)
    return render_description(cfg, desc, t0)


def render_description(cfg: RenderConfig, desc: SceneDescription, t0: float | None = None) -> dict[str, Any]:
    """Build, render, label and write one described scene as image `desc.index` of the batch."""
    t0 = time.perf_counter() if t0 is None else t0
    index = desc.index
    scene = bpy.context.scene
    clear_scene()
    configure_render(scene, cfg.render, cfg.resolution)
    objects = build_scene(desc)
    t_settle, removed, frames = 0.0, 0, 0
    if desc.needs_settling:
        from .physics import settle

        objects, result = settle(desc, objects, cfg.placement)
        t_settle, removed, frames = result.seconds, len(result.removed), result.frames
    t1 = time.perf_counter()
    s = writer.stem(index)
    out = cfg.out_dir
    passes = writer.tmp_path(out, f"{s}.exr")
    try:
        render_passes(scene, passes)
        t2 = time.perf_counter()
        linear, ids = read_passes(passes)
    finally:
        passes.unlink(missing_ok=True)
    style = photo_style.sample_photo_style(cfg.seed, index) if cfg.style == "photo" else None
    if style is None:
        rgb = to_display(linear, desc.world.exposure)
    else:
        rgb = to_display(photo_style.camera_linear(linear, style), desc.world.exposure + style.exposure_ev)
        rgb, ids = photo_style.camera_sensor(rgb, ids, style, cfg.seed, index)
    t3 = time.perf_counter()
    sil = silhouette_pixels(objects, scene, *cfg.resolution)
    anns = annotate(ids, desc.objects, sil)
    t4 = time.perf_counter()
    meta = {"image": image_record(cfg, index), "scene": desc.to_dict(),
            "style": style.to_dict() if style else {"name": "clean"},
            "annotations": [asdict(a) for a in anns]}
    writer.write_rgb(out, out / "images" / f"{s}.png", rgb)
    writer.write_mask(out, out / "masks" / f"{s}.png", ids)
    if cfg.save_blend:
        save_blend(out, out / "blend" / f"{s}.blend")
    writer.write_json(out, out / "meta" / f"{s}.json", meta)
    t5 = time.perf_counter()
    return {
        "index": index,
        "objects": len(anns),
        "visible": sum(a.visible_pixels > 0 for a in anns),
        "t_build": t1 - t0 - t_settle,
        "t_settle": t_settle,
        "removed": removed,
        "settle_frames": frames,
        "t_render": t2 - t1,
        "t_io": (t3 - t2) + (t5 - t4),
        "t_label": t4 - t3,
    }


def save_blend(out_dir: Path, final: Path) -> None:
    """Save the built scene for debugging (a copy; the session keeps going), atomically."""

    def write(tmp: Path) -> None:
        try:
            with quiet_fd(1):
                bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, compress=True)
        except RuntimeError as err:  # Blender reports failed writes this way, or not at all
            raise OutputError(describe_broken_file(final, "scene file", str(err))) from err
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise OutputError(describe_broken_file(final, "scene file"))

    final.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(final, write, writer.tmp_path(out_dir, final.name))
