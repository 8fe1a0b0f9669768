"""Render one image of a batch: sample, build, render, label, write. Runs in-process or in a pool."""

from __future__ import annotations

import functools
import logging
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fridge_batch import layout

from . import ground_truth, photo_style, writer
from .annotate import annotate, bbox_of, rle_encode
from .blender import bpy
from .config import RenderConfig
from .description import SceneDescription
from .files import OutputError, atomic_write, describe_broken_file
from .render import (
    configure_render,
    cycles_device,
    metered_ev,
    quiet_fd,
    read_pass_file,
    render_passes,
    to_display,
)
from .sampling import DEFAULT_VIEW, sample_scene
from .scene import build_scene, clear_scene
from .silhouette import scene_camera_record, silhouettes

if TYPE_CHECKING:
    from .physics import SettleResult

log = logging.getLogger(__name__)


def image_record(cfg: RenderConfig, index: int) -> dict[str, Any]:
    """The `image` part of a meta file: the image's files (relative to the batch) and size."""
    record = {
        "index": index,
        "file_name": layout.image_file(index),
        "mask_file": layout.mask_file(index),
        "width": cfg.resolution[0],
        "height": cfg.resolution[1],
    }
    record.update(writer.ground_truth_files(cfg.outputs, index))
    return record


@functools.lru_cache(maxsize=1)
def software_versions() -> dict[str, str]:
    """Versions of this project, Blender and Python that made an image (for the dataset card;
    each image's meta adds the Cycles device it was rendered on)."""
    from importlib import metadata

    try:
        own = metadata.version("fridge-synth")
    except metadata.PackageNotFoundError:
        own = "unknown"
    return {
        "fridge_synth": own,
        "blender": bpy.app.version_string,
        "python": platform.python_version(),
    }


def object_silhouettes(objects, scene, cfg: RenderConfig, ids: np.ndarray, k1: float):
    """Per instance id: (unoccluded pixels in the frame, whole projection), and amodal labels.

    The unoccluded silhouette is rasterised from the meshes (silhouette.py), warped like the
    image in style=photo and joined with the visible mask (a visible pixel is always part of
    the unoccluded silhouette; the two differ along edges by the render's pixel jitter).
    Truncation is measured before the warp, in the pinhole camera's frame.
    """
    sil, amodal = {}, {}
    for iid, inside, total in silhouettes(objects, scene, *cfg.resolution):
        full = photo_style.warp_nearest(inside, k1) | (ids == iid)
        in_frame = int(np.count_nonzero(full))
        before = int(np.count_nonzero(inside))
        projected = round(total * in_frame / before) if k1 and before else total
        sil[iid] = (in_frame, projected)
        if cfg.outputs.amodal:
            amodal[iid] = {
                "amodal_bbox": bbox_of(full),
                "amodal_segmentation": rle_encode(full) if in_frame else None,
            }
    return sil, amodal


def render_one(cfg: RenderConfig, index: int) -> dict[str, Any]:
    """Render image `index` into the batch folder; returns a summary with stage timings."""
    t0 = time.perf_counter()
    desc = sample_scene(cfg.seed, index, cfg.sampler)
    return render_description(cfg, desc, t0)


def build_description(
    cfg: RenderConfig, desc: SceneDescription
) -> tuple[dict[int, Any], SettleResult | None]:
    """Clear the Blender scene, set up Cycles, build `desc` and settle it if it still needs it.

    Returns the food objects by instance id and what the settling did (None when the scene
    needed none); `desc` is updated in place by the settling (poses, removed items).
    """
    scene = bpy.context.scene
    clear_scene()
    configure_render(
        scene,
        cfg.render,
        cfg.resolution,
        depth=cfg.outputs.depth,
        normals=cfg.outputs.normals is not None,
    )
    objects = build_scene(desc)
    if not desc.needs_settling:
        return objects, None
    from .physics import settle

    return settle(desc, objects, cfg.placement)


def render_description(
    cfg: RenderConfig, desc: SceneDescription, t0: float | None = None
) -> dict[str, Any]:
    """Build, render, label and write one described scene as image `desc.index` of the batch."""
    t0 = time.perf_counter() if t0 is None else t0
    c0 = time.process_time()  # CPU seconds of every thread (Cycles' too): robust under load
    index = desc.index
    scene = bpy.context.scene
    objects, settled = build_description(cfg, desc)
    t_settle = settled.seconds if settled else 0.0
    removed, frames = (len(settled.removed), settled.frames) if settled else (0, 0)
    t1 = time.perf_counter()
    out = cfg.out_dir
    want = cfg.outputs
    passes = layout.tmp_path(out, f"{layout.stem(index)}.exr")
    try:
        c1 = time.process_time()
        render_passes(scene, passes)
        t2, c2 = time.perf_counter(), time.process_time()
        found = read_pass_file(passes, depth=want.depth, normals=want.normals is not None)
    finally:
        passes.unlink(missing_ok=True)
    linear, ids = found.rgb, found.ids
    if desc.world.white_balance is not None:  # the camera's white point (camera.white_balance_k)
        linear = photo_style.white_balanced(linear, desc.world.white_balance)
    key = cfg.sampler.auto_exposure
    if key is not None and desc.world.metered_ev is None:  # a rebuilt scene keeps its metering
        desc.world.metered_ev = metered_ev(linear, key)
    exposure = desc.world.exposure + (desc.world.metered_ev or 0.0)
    style = photo_style.sample_photo_style(cfg.seed, index) if cfg.style == "photo" else None
    view = desc.world.view_transform or DEFAULT_VIEW
    if style is None:
        rgb = to_display(linear, exposure, view)
    else:
        rgb = to_display(
            photo_style.camera_linear(linear, style), exposure + style.exposure_ev, view
        )
        rgb, ids = photo_style.camera_sensor(rgb, ids, style, cfg.seed, index)
    k1 = style.distortion_k1 if style else 0.0
    camera = scene_camera_record(scene, *cfg.resolution, distortion_k1=k1)
    depth = normals = None
    if want.depth:
        depth = photo_style.warp_nearest(ground_truth.clean_depth(found.depth), k1)
    if want.normals is not None:
        n = found.normals
        if want.normals == "camera":
            n = ground_truth.normals_to_camera(n, np.array(camera["cam2world"]))
        normals = photo_style.warp_nearest(ground_truth.encode_normals(n), k1)
    t3 = time.perf_counter()
    sil, amodal = object_silhouettes(objects, scene, cfg, ids, k1)
    anns = [asdict(a) for a in annotate(ids, desc.objects, sil)]
    for a in anns:
        a.update(amodal.get(a["instance_id"], {}))
    t4 = time.perf_counter()
    meta = {
        "image": image_record(cfg, index),
        "scene": desc.to_dict(),
        "style": style.to_dict() if style else {"name": "clean"},
        "camera": camera,
        "outputs": {
            "depth": want.depth_format if want.depth else None,
            "normals": want.normals,
            "amodal": want.amodal,
        },
        "software": {**software_versions(), "cycles_device": cycles_device(scene)},
        "annotations": anns,
    }
    image = meta["image"]
    writer.write_rgb(out, out / image["file_name"], rgb)
    writer.write_mask(out, out / image["mask_file"], ids)
    if depth is not None:
        writer.write_depth(out, out / image["depth_file"], depth)
    if normals is not None:
        writer.write_normals(out, out / image["normals_file"], normals)
    if cfg.save_blend:
        save_blend(out, out / layout.blend_file(index))
    writer.write_json(out, layout.meta_path(out, index), meta)
    t5 = time.perf_counter()
    return {
        "index": index,
        "objects": len(anns),
        "visible": sum(a["visible_pixels"] > 0 for a in anns),
        "t_build": t1 - t0 - t_settle,
        "t_settle": t_settle,
        "removed": removed,
        "settle_frames": frames,
        "t_render": t2 - t1,
        "t_io": (t3 - t2) + (t5 - t4),
        "t_label": t4 - t3,
        "cpu_render": c2 - c1,
        "cpu_total": time.process_time() - c0,
    }


def save_blend(out_dir: Path, final: Path) -> None:
    """Save the built scene for debugging (a copy; the session keeps going), atomically."""

    for img in bpy.data.images:  # drawn labels live in memory only: keep them in the file
        if img.is_dirty and img.packed_file is None:
            img.pack()

    def write(tmp: Path) -> None:
        try:
            with quiet_fd(1):
                bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, compress=True)
        except RuntimeError as err:  # Blender reports failed writes this way, or not at all
            raise OutputError(describe_broken_file(final, "scene file", str(err))) from err
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise OutputError(describe_broken_file(final, "scene file"))

    final.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(final, write, layout.tmp_path(out_dir, final.name))
