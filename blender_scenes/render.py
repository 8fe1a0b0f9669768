"""Cycles settings and one render call that yields the RGB image and the exact instance-id mask.

The id mask comes from Cycles' Object Index pass, written in the same render as the colour:
Cycles takes it from the first camera sample of each pixel, so it is never blended across
object borders. Both go to a multilayer EXR; the RGB PNG is then saved with the scene's view
transform, and the index channel is read back with OpenImageIO (shipped inside bpy).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bpy
import numpy as np

from .config import RenderSettings

log = logging.getLogger(__name__)

IDS_LAYER = "ids"  # 1-sample view layer that yields the instance-id mask
SEE_THROUGH = "see_through"  # collection of glass and clear plastic, left out of IDS_LAYER


def _oiio():
    """Import the OpenImageIO module bundled with Blender."""
    site = os.path.join(bpy.utils.resource_path("LOCAL"), "python", "lib",
                        f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages")
    if site not in sys.path:
        sys.path.append(site)
    import OpenImageIO

    return OpenImageIO


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence Blender's C-level progress lines (they would break the progress bar)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


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


def configure_render(scene: bpy.types.Scene, rs: RenderSettings, resolution: tuple[int, int]) -> str:
    """Apply render settings; returns the device actually used ("CPU", "OPTIX", "CUDA", ...)."""
    scene.render.engine = "CYCLES"
    cyc = scene.cycles
    device = "CPU"
    if rs.device == "gpu":
        backend = enable_gpu()
        if backend is None:
            log.warning("render.device=gpu but no CUDA/OptiX/HIP device was found: rendering on CPU")
        else:
            device = backend
    cyc.device = "GPU" if device != "CPU" else "CPU"
    cyc.samples = rs.samples
    cyc.use_adaptive_sampling = rs.adaptive
    cyc.adaptive_threshold = rs.adaptive_threshold
    cyc.use_denoising = rs.denoise
    if rs.denoise:
        cyc.denoiser = "OPENIMAGEDENOISE"
        cyc.denoising_input_passes = "RGB_ALBEDO_NORMAL"
        cyc.denoising_prefilter = "ACCURATE" if rs.denoise_prefilter else "FAST"
    cyc.max_bounces = rs.max_bounces
    cyc.diffuse_bounces = rs.diffuse_bounces
    cyc.glossy_bounces = rs.glossy_bounces
    cyc.transmission_bounces = rs.transmission_bounces
    cyc.transparent_max_bounces = rs.transparent_bounces
    cyc.volume_bounces = 0
    cyc.caustics_reflective = False
    cyc.caustics_refractive = False
    cyc.blur_glossy = 1.0
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
    setup_view_layers(scene)
    scene.render.use_file_extension = False
    return device


def setup_view_layers(scene: bpy.types.Scene) -> None:
    """Main layer for colour; a 1-sample, undenoised `ids` layer for the Object Index pass.

    Cycles writes the Object Index of the first sample, so ids are exact integers. See-through
    parts are excluded from the ids layer (their transparency is sampled stochastically, which
    would speckle the mask of everything behind them); the colour layer keeps them.
    """
    main = scene.view_layers[0]
    main.use_pass_object_index = False
    ids = scene.view_layers.get(IDS_LAYER) or scene.view_layers.new(IDS_LAYER)
    ids.samples = 1
    ids.use_pass_object_index = True
    ids.use_pass_combined = True
    ids.cycles.use_denoising = False
    ids.pass_alpha_threshold = 0.5


def render_passes(scene: bpy.types.Scene, passes_path: Path) -> None:
    """Render once with Cycles, writing every pass (colour, object index) to a multilayer EXR."""
    fmt = scene.render.image_settings
    fmt.media_type = "MULTI_LAYER_IMAGE"
    fmt.file_format = "OPEN_EXR_MULTILAYER"
    fmt.color_depth = "32"
    fmt.exr_codec = "NONE"
    scene.render.filepath = str(passes_path)
    with quiet_stdout():
        bpy.ops.render.render(write_still=True)


def save_rgb(scene: bpy.types.Scene, rgb_path: Path) -> None:
    """Save the last render as an 8-bit RGB PNG through the scene's view transform."""
    fmt = scene.render.image_settings
    fmt.media_type = "IMAGE"
    fmt.file_format = "PNG"
    fmt.color_mode = "RGB"
    fmt.color_depth = "8"
    fmt.compression = 15
    bpy.data.images["Render Result"].save_render(str(rgb_path))


def read_index_pass(path: Path) -> np.ndarray:
    """The Object Index channel of a Blender multilayer EXR as uint16 (row 0 = top)."""
    oiio = _oiio()
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise OSError(f"{path}: cannot open render passes: {oiio.geterror()}")
    try:
        sub = 0
        while inp.seek_subimage(sub, 0):
            names = list(inp.spec().channelnames)
            hit = [i for i, n in enumerate(names)
                   if n.startswith(f"{IDS_LAYER}.") and n.endswith(("Object Index.X", "IndexOB.X"))]
            if hit:
                data = inp.read_image(sub, 0, hit[0], hit[0] + 1, "float")
                return np.rint(np.asarray(data)[..., 0]).astype(np.uint16)
            sub += 1
    finally:
        inp.close()
    raise OSError(f"{path}: no Object Index pass in the render output")
