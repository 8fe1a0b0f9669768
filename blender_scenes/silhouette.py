"""Unoccluded projected area of each object: its mesh projected by the camera and rasterized.

Occlusion needs the area an object would cover if nothing hid it. Rendering every object alone
(the BOP way) costs one render per object; projecting the triangles and rasterizing them at
pixel centres gives the same silhouette for a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .blender import bpy
from .ground_truth import camera_record
from .raster import rasterize


def projection_matrix(scene: bpy.types.Scene, width: int, height: int) -> np.ndarray:
    """4x4 camera -> clip matrix of the scene camera at this resolution and the scene's pixel
    aspect (Blender axes)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    r = scene.render
    return np.array(scene.camera.calc_matrix_camera(
        depsgraph, x=width, y=height, scale_x=r.pixel_aspect_x, scale_y=r.pixel_aspect_y),
        dtype=np.float64)  # fmt: skip


def camera_matrix(scene: bpy.types.Scene, width: int, height: int) -> np.ndarray:
    """4x4 world -> clip matrix of the scene camera at this resolution."""
    view = np.array(scene.camera.matrix_world.inverted(), dtype=np.float64)
    return projection_matrix(scene, width, height) @ view


def scene_camera_record(
    scene: bpy.types.Scene, width: int, height: int, distortion_k1: float = 0.0
) -> dict:
    """K and camera-to-world matrices of the scene camera (see `ground_truth.camera_record`)."""
    return camera_record(projection_matrix(scene, width, height),
                         np.array(scene.camera.matrix_world, dtype=np.float64), width, height,
                         distortion_k1)  # fmt: skip


def world_triangles(ob: bpy.types.Object) -> np.ndarray:
    """(T, 3, 3) triangles of the object's mesh in world coordinates."""
    me = ob.data
    me.calc_loop_triangles()
    co = np.empty(len(me.vertices) * 3, dtype=np.float64)
    me.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    idx = np.empty(len(me.loop_triangles) * 3, dtype=np.int64)
    me.loop_triangles.foreach_get("vertices", idx)
    mw = np.array(ob.matrix_world, dtype=np.float64)
    world = co @ mw[:3, :3].T + mw[:3, 3]
    return world[idx.reshape(-1, 3)]


def project(points: np.ndarray, clip_from_world: np.ndarray, width: int, height: int):
    """World points (..., 3) -> pixel coordinates (..., 2) (row 0 = top) and clip w."""
    homo = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)
    clip = homo @ clip_from_world.T
    w = clip[..., 3]
    safe = np.where(np.abs(w) < 1e-9, 1e-9, w)
    x = (clip[..., 0] / safe + 1.0) * 0.5 * width
    y = (1.0 - (clip[..., 1] / safe + 1.0) * 0.5) * height
    return np.stack([x, y], axis=-1), w


def silhouettes(
    objects: dict[int, bpy.types.Object], scene: bpy.types.Scene, width: int, height: int
) -> Iterator[tuple[int, np.ndarray, int]]:
    """For each instance id: (id, its unoccluded silhouette inside the frame as a bool (h, w)
    mask, pixels of the whole projection including the part outside the frame).

    One object at a time, so memory stays small at large resolutions.
    """
    m = camera_matrix(scene, width, height)
    pad = max(width, height) // 2
    for iid, ob in objects.items():
        tris, w = project(world_triangles(ob), m, width, height)
        tris = tris[(w > 1e-6).all(axis=1)]  # drop triangles behind the camera
        canvas = rasterize(tris, width, height, pad)
        yield iid, canvas[pad : pad + height, pad : pad + width], int(np.count_nonzero(canvas))


def silhouette_pixels(
    objects: dict[int, bpy.types.Object], scene: bpy.types.Scene, width: int, height: int
) -> dict[int, tuple[int, int]]:
    """For each instance id: (pixels inside the frame, pixels of the whole projection)."""
    return {
        iid: (int(np.count_nonzero(inside)), total)
        for iid, inside, total in silhouettes(objects, scene, width, height)
    }
