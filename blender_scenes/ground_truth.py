"""Depth, surface normals and camera matrices of a render: encodings and conventions (pure numpy).

Conventions (also in the README, "Output layout"):

* **Pixels** (OpenCV): the centre of pixel (column u, row v) is at the integer point (u, v); the
  image spans [-0.5, w - 0.5] x [-0.5, h - 0.5]; rows go down.
* **Camera axes**: OpenCV (x right, y down, z forward, looking along +z) for ``cam2world`` and
  for camera-space normals; ``cam2world_blender`` is the same camera in Blender/OpenGL axes
  (x right, y up, looking along -z): ``cam2world_blender = cam2world @ diag(1, -1, -1, 1)``.
* **K** (3x3, pixels) maps OpenCV camera coordinates to pixels: ``(u, v, 1) ~ K @ (x, y, z)``.
* **Depth** is planar: the z coordinate of the surface in OpenCV camera axes (distance along the
  optical axis, not along the ray), as Cycles' Depth pass gives it for a perspective camera. A
  16-bit PNG holds millimetres, ``round(z * 1000)``; 0 means no surface (the ray left the
  scene) or a surface beyond 65.535 m, the largest value a uint16 holds. EXR holds float32
  metres with the same 0 for no surface.
* **Normals** are unit vectors of the shading normal of the first surface hit, in world axes or
  OpenCV camera axes; a 16-bit RGB PNG stores ``round((n + 1) / 2 * 65535)`` per axis, and
  (0, 0, 0) where there is no surface.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

DEPTH_UNIT_M = 0.001  # one step of a 16-bit depth PNG
MAX_DEPTH_MM = 65535  # 65.535 m: deeper surfaces are stored as 0 like misses
NO_HIT_M = 1e9  # Cycles writes 1e10 into its Depth pass where a ray hits nothing
BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])  # flips camera y and z (its own inverse)


# ---------------------------------------------------------------------------------- depth


def clean_depth(z: np.ndarray) -> np.ndarray:
    """Cycles' Depth pass in metres with 0 where no surface was hit (float32)."""
    z = np.asarray(z, dtype=np.float32)
    hit = np.isfinite(z) & (z > 0) & (z < NO_HIT_M)
    return np.where(hit, z, 0.0).astype(np.float32)


def depth_to_mm(depth_m: np.ndarray) -> np.ndarray:
    """Metres -> uint16 millimetres; 0 for no surface and for surfaces beyond 65.535 m."""
    mm = np.rint(clean_depth(depth_m).astype(np.float64) / DEPTH_UNIT_M)
    return np.where(mm <= MAX_DEPTH_MM, mm, 0).astype(np.uint16)


def mm_to_depth(mm: np.ndarray) -> np.ndarray:
    """uint16 millimetres of a depth PNG -> float32 metres (0 stays 0: no surface)."""
    return (np.asarray(mm, dtype=np.float64) * DEPTH_UNIT_M).astype(np.float32)


# ---------------------------------------------------------------------------------- normals


def normals_to_camera(n_world: np.ndarray, cam2world: np.ndarray) -> np.ndarray:
    """World-space normals (..., 3) -> OpenCV camera axes, given the OpenCV cam2world matrix."""
    rot = np.asarray(cam2world, dtype=np.float64)[:3, :3]
    return (np.asarray(n_world, dtype=np.float64) @ rot).astype(np.float32)  # R^T n per pixel


def encode_normals(n: np.ndarray) -> np.ndarray:
    """Normals (h, w, 3) -> uint16 (h, w, 3): unit vectors mapped from [-1, 1], 0 where none."""
    n = np.nan_to_num(np.asarray(n, dtype=np.float64))
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    hit = length > 0.5  # Cycles writes (0, 0, 0) where there is no surface
    unit = np.where(hit, n / np.maximum(length, 1e-12), 0.0)
    code = np.rint((np.clip(unit, -1.0, 1.0) + 1.0) * 0.5 * 65535.0)
    return np.where(hit, code, 0).astype(np.uint16)


def decode_normals(code: np.ndarray) -> np.ndarray:
    """uint16 (h, w, 3) of a normals PNG -> float32 unit vectors, (0, 0, 0) where no surface."""
    code = np.asarray(code)
    n = code.astype(np.float64) / 65535.0 * 2.0 - 1.0
    return np.where((code == 0).all(axis=-1, keepdims=True), 0.0, n).astype(np.float32)


# ---------------------------------------------------------------------------------- 16-bit PNG

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png16(arr: np.ndarray) -> bytes:
    """A 16-bit greyscale (h, w) or RGB (h, w, 3) PNG of a uint16 array (Pillow cannot write RGB16)."""
    arr = np.asarray(arr)
    if arr.dtype != np.uint16 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected uint16 (h, w) or (h, w, 3), got {arr.dtype} {arr.shape}")
    h, w = arr.shape[:2]
    colour = 2 if arr.ndim == 3 else 0
    rows = arr.astype(">u2").reshape(h, -1).view(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1)  # filter 0 on every row
    header = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + _chunk(b"IEND", b""))  # fmt: skip


def _unfilter(raw: np.ndarray, h: int, stride: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth) of 8-bit samples."""
    rows = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, np.int64)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    pred = a
                elif kind == 3:
                    pred = (a + b) // 2
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                else:
                    raise ValueError(f"bad PNG filter type {kind}")
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out


def decode_png16(data: bytes) -> np.ndarray:
    """A 16-bit greyscale or RGB PNG (non-interlaced) as uint16 (h, w) or (h, w, 3).

    Pillow reads 16-bit RGB PNGs as 8-bit RGB, dropping the low byte; this reads them exactly
    (OpenCV's ``imread(path, IMREAD_UNCHANGED)`` does too, in BGR order).
    """
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, header, idat = len(_PNG_SIGNATURE), None, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise ValueError("PNG file without IHDR or IDAT (truncated?)")
    w, h, depth, colour, _, _, interlace = header
    if depth != 16 or colour not in (0, 2) or interlace:
        raise ValueError(f"expected a non-interlaced 16-bit grey or RGB PNG, got depth {depth}, "
                         f"colour type {colour}, interlace {interlace}")  # fmt: skip
    channels = 3 if colour == 2 else 1
    stride = w * channels * 2
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    pixels = _unfilter(raw, h, stride, channels * 2)
    arr = pixels.view(">u2").astype(np.uint16).reshape(h, w, channels)
    return arr[..., 0] if channels == 1 else arr


def read_png16(path: str | Path) -> np.ndarray:
    """`decode_png16` of a file: a depth PNG (h, w) or a normals PNG (h, w, 3) as uint16."""
    return decode_png16(Path(path).read_bytes())


# ---------------------------------------------------------------------------------- camera


def intrinsics_from_projection(proj: np.ndarray, width: int, height: int) -> np.ndarray:
    """K (3x3, OpenCV pixels) from Blender's 4x4 camera projection matrix at this resolution.

    Blender maps camera point (x, y, z) (looking along -z) to NDC x = (P00 x + P02 z) / -z and
    pixel-edge coordinate (x_ndc + 1) / 2 * width; rows run down. In OpenCV axes (X, Y, Z) =
    (x, -y, -z) that is u = fx X / Z + cx with fx = P00 width / 2 and cx = (1 - P02) width / 2,
    minus half a pixel for centre-based pixel coordinates; likewise for v.
    """
    p = np.asarray(proj, dtype=np.float64)
    fx = p[0, 0] * width / 2.0
    fy = p[1, 1] * height / 2.0
    cx = (1.0 - p[0, 2]) * width / 2.0 - 0.5
    cy = (1.0 + p[1, 2]) * height / 2.0 - 0.5
    return np.array([[fx, p[0, 1] * width / 2.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])


def cam2world_opencv(cam2world_blender: np.ndarray) -> np.ndarray:
    """Camera-to-world in OpenCV camera axes from Blender's camera `matrix_world`."""
    return np.asarray(cam2world_blender, dtype=np.float64) @ BLENDER_TO_OPENCV


def project_points(points: np.ndarray, K: np.ndarray, cam2world: np.ndarray):
    """World points (..., 3) -> pixel coordinates (..., 2) (OpenCV) and their depth z (...)."""
    c2w = np.asarray(cam2world, dtype=np.float64)
    cam = (np.asarray(points, dtype=np.float64) - c2w[:3, 3]) @ c2w[:3, :3]  # R^T (p - t)
    z = cam[..., 2]
    uvw = cam @ np.asarray(K, dtype=np.float64).T
    safe = np.where(np.abs(z) < 1e-12, 1e-12, z)
    return uvw[..., :2] / safe[..., None], z


def backproject(
    uv: np.ndarray, depth: np.ndarray, K: np.ndarray, cam2world: np.ndarray
) -> np.ndarray:
    """Pixel coordinates (..., 2) with planar depth (...) -> world points (..., 3)."""
    uv = np.asarray(uv, dtype=np.float64)
    ones = np.ones(uv.shape[:-1] + (1,))
    rays = np.concatenate([uv, ones], axis=-1) @ np.linalg.inv(np.asarray(K, np.float64)).T
    cam = rays * np.asarray(depth, dtype=np.float64)[..., None]
    c2w = np.asarray(cam2world, dtype=np.float64)
    return cam @ c2w[:3, :3].T + c2w[:3, 3]


def camera_record(
    proj: np.ndarray, matrix_world: np.ndarray, width: int, height: int, distortion_k1: float = 0.0
) -> dict:
    """The `camera` entry of meta files and COCO images: K, both camera-to-world matrices."""
    K = intrinsics_from_projection(proj, width, height)
    blender = np.asarray(matrix_world, dtype=np.float64)

    def rows(m: np.ndarray) -> list[list[float]]:
        return [[round(float(x), 9) + 0.0 for x in row] for row in m]

    return {
        "K": rows(K),
        "cam2world": rows(cam2world_opencv(blender)),  # OpenCV axes: x right, y down, z forward
        "cam2world_blender": rows(blender),  # Blender/OpenGL axes: x right, y up, looking -z
        "width": int(width),
        "height": int(height),
        "distortion_k1": float(distortion_k1),  # style=photo: see photo_style.distort_points
    }
