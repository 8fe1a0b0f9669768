"""Cycles settings and one render call that yields the RGB image, the exact instance-id mask and,
when asked for, depth and surface normals.

The id mask comes from Cycles' Object Index pass, written in the same render as the colour:
Cycles takes it from the first camera sample of each pixel, so it is never blended across
object borders. Depth (Cycles' Depth pass, planar: the distance along the camera's optical axis
for a perspective camera, 1e10 where nothing is hit) and normals (the Normal pass, world axes)
come from the same 1-sample layer, so they belong to exactly the surface the id names. Both go to one multilayer EXR, read back with OpenImageIO (shipped inside bpy);
the scene-linear colour is turned into display RGB with Blender's own OCIO config (AgX).
"""

from __future__ import annotations

import errno
import functools
import importlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cuda_kernels
from .blender import bpy
from .config import DENOISE_GUIDES, SAMPLING_PATTERNS, RenderSettings
from .files import OutputError, describe_broken_file
from .files import first_line as files_first_line

log = logging.getLogger(__name__)

COLOR_LAYER = "ViewLayer"  # the scene's first view layer: colour
IDS_LAYER = "ids"  # 1-sample view layer that yields the instance-id mask
SEE_THROUGH = "see_through"  # collection of glass and clear plastic, left out of IDS_LAYER
# Surfaces at least this opaque write the ids layer; food films (alpha >= 0.05) do, see
# `setup_view_layers`
ID_ALPHA_THRESHOLD = 0.02


def bundled(module: str):
    """Import a module that ships inside bpy's own Python folder (OpenImageIO, PyOpenColorIO)."""
    site = os.path.join(
        bpy.utils.resource_path("LOCAL"),
        "python",
        "lib",
        f"python{sys.version_info.major}.{sys.version_info.minor}",
        "site-packages",
    )
    if site not in sys.path:
        sys.path.append(site)
    return importlib.import_module(module)


@functools.lru_cache(maxsize=4)
def display_processor(view: str, display: str = "sRGB"):
    """OCIO CPU processor from Blender's scene-linear space to `display` through `view`."""
    ocio = bundled("PyOpenColorIO")
    path = os.path.join(
        bpy.utils.resource_path("LOCAL"), "datafiles", "colormanagement", "config.ocio"
    )
    config = ocio.Config.CreateFromFile(path)
    transform = ocio.DisplayViewTransform(src=ocio.ROLE_SCENE_LINEAR, display=display, view=view)
    return config.getProcessor(transform).getDefaultCPUProcessor()


def to_display(linear_rgb: np.ndarray, exposure: float, view: str) -> np.ndarray:
    """Scene-linear float RGB -> 8-bit display RGB through the Blender view `view` (AgX,
    Standard, ...), as Blender's colour management does."""
    rgb = np.ascontiguousarray(linear_rgb[..., :3], dtype=np.float32) * np.float32(2.0**exposure)
    display_processor(view).applyRGB(rgb)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


METER_LIMIT_EV = 4.0  # metering moves the exposure by at most this much either way
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709 luminance weights


def metered_ev(linear_rgb: np.ndarray, key: float) -> float:
    """Exposure (EV) that brings the log-average luminance of a scene-linear image to `key`
    (0.18: middle grey), as a camera's averaging meter does; within +-METER_LIMIT_EV.

    The log average weighs dark and bright regions evenly, so a lamp or a white wall in view does
    not darken the whole shot as a plain mean would."""
    lum = np.ascontiguousarray(linear_rgb[..., :3], dtype=np.float32) @ LUMA
    log_avg = float(np.exp(np.mean(np.log(np.maximum(lum, 0.0) + 1e-4))))
    ev = float(np.log2(key / max(log_avg, 1e-6)))
    return round(float(np.clip(ev, -METER_LIMIT_EV, METER_LIMIT_EV)), 5)


@contextmanager
def quiet_fd(fd: int = 1) -> Iterator[None]:
    """Silence C-level output on file descriptor `fd` (1: stdout, 2: stderr) for a while."""
    (sys.stdout if fd == 1 else sys.stderr).flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def quiet_stdout():
    """Silence Blender's C-level progress lines (they would break the progress bar)."""
    return quiet_fd(1)


def enable_gpu() -> str | None:
    """Switch Cycles to the best GPU backend present; None when there is none."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    for backend in ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL"):
        try:
            prefs.compute_device_type = backend
        except TypeError:
            continue
        prefs.get_devices()
        found = [d for d in prefs.devices if d.type == backend]
        if found:
            for d in prefs.devices:
                d.use = d.type == backend
            return backend
    prefs.compute_device_type = "NONE"
    return None


@functools.cache
def announce_gpu(backend: str) -> None:
    """Say once per process which GPU renders, and warn where its first image will compile
    Cycles' CUDA kernel for minutes (no binary for the card: `fridge-cuda-kernels` makes one)."""
    missing = []
    if backend in ("CUDA", "OPTIX"):
        try:
            missing = cuda_kernels.missing_cubins(
                cuda_kernels.cycles_lib_dir(), cuda_kernels.cuda_cards()
            )
        except (cuda_kernels.KernelError, OSError) as exc:
            log.debug("cannot check Cycles' CUDA binaries: %s", exc)
    if missing:
        card = missing[0]
        log.warning(
            "rendering on the GPU (%s), but this Blender has no CUDA binary for the %s (sm_%d): "
            "its first image compiles Cycles' kernel from PTX, about 5 minutes on every fresh "
            "machine; `fridge-cuda-kernels` compiles it once ahead",
            backend,
            card.name,
            card.arch,
        )
    else:
        log.info("rendering on the GPU (%s)", backend)


def cycles_device(scene: bpy.types.Scene) -> str:
    """The device Cycles renders `scene` on: "CPU", or the GPU backend ("OPTIX", "CUDA", ...)."""
    if scene.cycles.device != "GPU":
        return "CPU"
    return bpy.context.preferences.addons["cycles"].preferences.compute_device_type


def configure_render(
    scene: bpy.types.Scene,
    rs: RenderSettings,
    resolution: tuple[int, int],
    depth: bool = False,
    normals: bool = False,
) -> str:
    """Apply render settings; returns the device actually used ("CPU", "OPTIX", "CUDA", ...).

    `depth` and `normals` add Cycles' Depth and Normal passes to the id layer.
    """
    scene.render.engine = "CYCLES"
    cyc = scene.cycles
    device = "CPU"
    if rs.device == "gpu":
        backend = enable_gpu()
        if backend is None:
            log.warning(
                "render.device=gpu but no CUDA/OptiX/HIP device was found: rendering on CPU"
            )
        else:
            device = backend
            announce_gpu(backend)
    cyc.device = "GPU" if device != "CPU" else "CPU"
    cyc.samples = rs.samples
    cyc.use_adaptive_sampling = rs.adaptive
    cyc.adaptive_threshold = rs.adaptive_threshold
    cyc.adaptive_min_samples = rs.adaptive_min_samples
    cyc.use_light_tree = rs.light_tree
    cyc.light_sampling_threshold = rs.light_threshold
    cyc.use_guiding = rs.path_guiding  # Cycles ignores it on GPUs
    cyc.sampling_pattern = SAMPLING_PATTERNS[rs.sampling_pattern]
    cyc.sample_clamp_direct = rs.clamp_direct
    cyc.sample_clamp_indirect = rs.clamp_indirect
    cyc.use_denoising = rs.denoise
    if rs.denoise:
        cyc.denoiser = "OPENIMAGEDENOISE"
        cyc.denoising_input_passes = DENOISE_GUIDES[rs.denoise_guides]
        cyc.denoising_prefilter = rs.denoise_prefilter.upper()
        cyc.denoising_quality = rs.denoise_quality.upper()
    cyc.max_bounces = rs.max_bounces
    cyc.diffuse_bounces = rs.diffuse_bounces
    cyc.glossy_bounces = rs.glossy_bounces
    cyc.transmission_bounces = rs.transmission_bounces
    cyc.transparent_max_bounces = rs.transparent_bounces
    cyc.volume_bounces = 0
    cyc.min_light_bounces = rs.min_light_bounces
    cyc.min_transparent_bounces = rs.min_transparent_bounces
    cyc.caustics_reflective = False
    cyc.caustics_refractive = False
    cyc.blur_glossy = rs.filter_glossy
    cyc.use_fast_gi = rs.fast_gi != "off"
    if cyc.use_fast_gi:
        cyc.fast_gi_method = rs.fast_gi.upper()
        cyc.ao_bounces_render = rs.ao_bounces
    cyc.seed = 0
    cyc.use_animated_seed = False
    if rs.threads > 0:
        scene.render.threads_mode = "FIXED"
        scene.render.threads = rs.threads
    else:
        scene.render.threads_mode = "AUTO"
    scene.render.resolution_x, scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.use_compositing = False
    scene.render.use_sequencer = False
    scene.view_settings.view_transform = "AgX"
    scene.view_settings.look = "None"
    setup_view_layers(scene, depth=depth, normals=normals)
    scene.render.use_file_extension = False
    return device


def setup_view_layers(scene: bpy.types.Scene, depth: bool = False, normals: bool = False) -> None:
    """Main layer for colour; a 1-sample, undenoised `ids` layer for the Object Index pass.

    Cycles writes the Object Index of the first sample, so ids are exact integers. See-through
    parts are excluded from the ids layer (their transparency is sampled stochastically, which
    would speckle the mask of everything behind them); the colour layer keeps them. Depth and
    normals, when asked for, come from the ids layer too: the same sample as the id, so they
    agree with the mask pixel for pixel and, like it, look through glass.

    Food's own clear packaging is part of its item: the ids layer's alpha threshold
    (`ID_ALPHA_THRESHOLD`) is below the opacity of every film, clear bag and clear punnet
    (transparency 0.85-0.95, so alpha 0.05 and more), so a bag of beans is masked and boxed
    with its bag, as photo annotators box it, and its mask matches its silhouette (the
    occlusion). Fully transparent pixels (the holes of a net) still show what lies behind.
    """
    main = scene.view_layers[0]
    main.use_pass_object_index = False
    ids = scene.view_layers.get(IDS_LAYER) or scene.view_layers.new(IDS_LAYER)
    ids.samples = 1
    ids.use_pass_object_index = True
    ids.use_pass_combined = True
    ids.cycles.use_denoising = False
    ids.pass_alpha_threshold = ID_ALPHA_THRESHOLD
    ids.use_pass_z = depth
    ids.use_pass_normal = normals


def render_passes(scene: bpy.types.Scene, passes_path: Path) -> None:
    """Render once with Cycles, writing every pass (colour, object index) to a multilayer EXR."""
    fmt = scene.render.image_settings
    fmt.media_type = "MULTI_LAYER_IMAGE"
    fmt.file_format = "OPEN_EXR_MULTILAYER"
    fmt.color_depth = "32"
    fmt.exr_codec = "NONE"
    scene.render.filepath = str(passes_path)
    r = scene.render
    aspect = (r.pixel_aspect_x, r.pixel_aspect_y)
    with quiet_stdout():
        if aspect == (1.0, 1.0):
            bpy.ops.render.render(write_still=True)
            return
        # Blender 5.0 fails to write a denoised multilayer EXR with non-square pixels (its noisy
        # pass gets a conflicting pixelAspectRatio header): render, then save with square ones.
        bpy.ops.render.render()
        r.pixel_aspect_x = r.pixel_aspect_y = 1.0
        try:
            bpy.data.images["Render Result"].save_render(str(passes_path), scene=scene)
        finally:
            r.pixel_aspect_x, r.pixel_aspect_y = aspect


def write_exr(path: Path, arr: np.ndarray) -> None:
    """Write a float32 (h, w) array as a one-channel (`Y`) ZIP-compressed OpenEXR file."""
    oiio = bundled("OpenImageIO")
    data = np.ascontiguousarray(np.asarray(arr, dtype=np.float32)[..., None])  # (h, w, 1)
    spec = oiio.ImageSpec(data.shape[1], data.shape[0], 1, "float")
    spec.channelnames = ("Y",)
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(path))
    ok = out is not None and out.open(str(path), spec) and out.write_image(data)
    if out is not None:
        out.close()
    if not ok:
        reason = (out.geterror() if out is not None else oiio.geterror()) or "OpenImageIO failed"
        raise OSError(errno.EIO, files_first_line(reason), str(path))


@dataclass
class Passes:
    """What one render call yields (rows top first)."""

    rgb: np.ndarray  # (h, w, 3) float32, scene-linear colour
    ids: np.ndarray  # (h, w) uint16 instance ids, 0 = background
    depth: np.ndarray | None = None  # (h, w) float32 Cycles Depth pass (metres, 1e10 = no hit)
    normals: np.ndarray | None = None  # (h, w, 3) float32 world-space normals, 0 = no hit


def read_passes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Scene-linear RGB of the colour layer and the uint16 instance ids of the ids layer."""
    p = read_pass_file(path)
    return p.rgb, p.ids


def read_pass_file(path: Path, depth: bool = False, normals: bool = False) -> Passes:
    """Every pass of one render call, from its multilayer EXR.

    Reading the colour from the EXR instead of saving the Render Result keeps memory flat over
    thousands of renders. A missing, truncated or incomplete file (Blender writes it silently
    short when the disk is full) raises `OutputError` with one line; OpenEXR's own messages are
    kept off stderr. `depth` and `normals` make those passes required too.
    """
    oiio = bundled("OpenImageIO")
    wanted = {"rgb": f"{COLOR_LAYER}.Combined.R", "ids": ("Object Index.X", "IndexOB.X")}
    if depth:
        wanted["depth"] = ("Depth.Z",)
    if normals:
        wanted["normals"] = ("Normal.X",)
    with quiet_fd(2):
        try:
            found, reason = _read_layers(oiio, path, wanted)
        except Exception as err:  # noqa: BLE001 - a broken file can fail anywhere in the reader
            found, reason = {}, str(err)
    missing = [k for k in wanted if found.get(k) is None]
    if missing:
        if not reason:
            reason = f"the {', '.join(missing)} pass is missing"
        raise OutputError(describe_broken_file(path, "render pass file", reason))
    return Passes(
        rgb=found["rgb"],
        ids=np.rint(found["ids"][..., 0]).astype(np.uint16),
        depth=found["depth"][..., 0] if depth else None,
        normals=found["normals"] if normals else None,
    )


def _read_layers(oiio, path: Path, wanted: dict) -> tuple[dict[str, np.ndarray], str]:
    """Arrays of the wanted passes found in a pass file and the reader's complaint (if any).

    `wanted` maps a name to the first channel of the colour layer (a full name) or to endings
    of the first channel of a pass of the ids layer; colour and normals take 3 channels.
    """
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        return {}, oiio.geterror()
    found: dict[str, np.ndarray] = {}
    try:
        sub = 0
        while inp.seek_subimage(sub, 0):
            spec = inp.spec()
            names = list(spec.channelnames)
            shape = (spec.height, spec.width)
            for key, want in wanted.items():
                if key in found:
                    continue
                if isinstance(want, str):
                    hit = [names.index(want)] if want in names else []
                else:
                    hit = [
                        i
                        for i, n in enumerate(names)
                        if n.startswith(f"{IDS_LAYER}.") and n.endswith(want)
                    ]
                if not hit:
                    continue
                channels = 3 if key in ("rgb", "normals") else 1
                data = _pixels(
                    inp.read_image(sub, 0, hit[0], hit[0] + channels, "float"), shape, channels
                )
                if data is None:
                    return {}, inp.geterror()
                found[key] = data
            sub += 1
    finally:
        inp.close()
    return found, ""


def _pixels(data, shape: tuple[int, int], channels: int) -> np.ndarray | None:
    """`data` as an (h, w, channels) array, or None when the reader returned something else."""
    arr = np.asarray(data) if data is not None else None
    if arr is None or arr.shape != (*shape, channels) or not np.isfinite(arr).all():
        return None
    return arr
