"""Depth, normals, amodal masks and camera matrices: encodings (pure) and hand-made scenes (bpy).

The scene: a camera looking straight at the back wall of an empty fridge (a plane facing the
camera at a known distance) with a can and a tomato floating in front of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_occlusion import occlusion_scene, params
from testutils import render_config

from blender_scenes import ground_truth as gt
from blender_scenes.description import (
    CameraSpec,
    FridgeSpec,
    LightSpec,
    ObjectSpec,
    SceneDescription,
    SurfaceMaterial,
    WorldSpec,
)
from blender_scenes.photo_style import (
    distort_points,
    distortion_maps,
    sample_photo_style,
    warp,
    warp_nearest,
)

CAM_Y, CAM_Z = -1.5, 0.3
DEPTH_Y = 0.45  # inner face of the back wall
WALL_MM = round((DEPTH_Y - CAM_Y) * 1000)  # planar depth of the wall: 1950 mm
SIZE = (96, 72)
FAST = ["render.samples=4", "render.denoise=false", "workers=0"]

# ---------------------------------------------------------------------------------- pure


def test_depth_png_encoding_and_range():
    z = np.array([[0.0, 1.0, 1.9504, 65.535], [65.5356, 1e10, np.nan, -1.0]], np.float32)
    mm = gt.depth_to_mm(z)
    assert mm.dtype == np.uint16
    assert mm.tolist() == [[0, 1000, 1950, 65535], [0, 0, 0, 0]]  # beyond 65.535 m: 0
    back = gt.mm_to_depth(mm)
    assert abs(back[0, 2] - 1.950) < 1e-6 and back[1, 1] == 0.0


def test_png16_round_trip_and_pillow_files(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 65536, (7, 5, 3), dtype=np.uint16)
    grey = rng.integers(0, 65536, (6, 9), dtype=np.uint16)
    assert (gt.decode_png16(gt.encode_png16(rgb)) == rgb).all()
    assert (gt.decode_png16(gt.encode_png16(grey)) == grey).all()
    smooth = (np.add.outer(np.arange(40), np.arange(30)) * 97).astype(np.uint16)
    Image.fromarray(smooth).save(tmp_path / "pil.png")  # Pillow picks its own row filters
    assert (gt.read_png16(tmp_path / "pil.png") == smooth).all()
    assert (np.asarray(Image.open(tmp_path / "pil.png")) == smooth).all()


def test_normals_encoding():
    n = np.array([[[0.0, 0.0, -1.0], [0.6, 0.0, 0.8], [0.0, 0.0, 0.0]]], np.float32)
    code = gt.encode_normals(n)
    assert code[0, 2].tolist() == [0, 0, 0] and code[0, 0].tolist() == [32768, 32768, 0]
    back = gt.decode_normals(code)
    assert np.abs(back[0, :2] - n[0, :2]).max() < 1e-4 and (back[0, 2] == 0).all()
    c2w = np.eye(4)
    c2w[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]  # camera z (forward) = world +y
    assert np.allclose(gt.normals_to_camera(np.array([0.0, -1.0, 0.0]), c2w), [0, 0, -1])


def test_intrinsics_match_blenders_projection():
    """K from a Blender-style projection matrix maps points exactly as the clip matrix does."""
    from blender_scenes.silhouette import project

    w, h, f = 96, 72, 1.7  # f = 1 / tan(fov / 2), horizontal sensor fit
    proj = np.array(
        [[f, 0, 0.03, 0], [0, f * w / h, -0.02, 0], [0, 0, -1.002, -0.02], [0, 0, -1, 0]]
    )
    m = np.eye(4)
    m[:3, :3] = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))[0]
    m[:3, :3] *= np.sign(np.linalg.det(m[:3, :3]))
    m[:3, 3] = [0.2, -1.0, 0.5]
    pts = (m[:3, :3] @ np.array([[0.1, 0.05, -2.0], [-0.3, 0.2, -1.2], [0.0, 0.0, -3.0]]).T).T
    pts += m[:3, 3]  # points in front of the camera (Blender looks along -z)
    edge_uv, _ = project(pts, proj @ np.linalg.inv(m), w, h)  # pixel-edge coordinates
    K = gt.intrinsics_from_projection(proj, w, h)
    uv, z = gt.project_points(pts, K, gt.cam2world_opencv(m))
    assert np.allclose(uv, edge_uv - 0.5) and (z > 0).all()
    back = gt.backproject(uv, z, K, gt.cam2world_opencv(m))
    assert np.allclose(back, pts)


def test_distort_points_inverts_the_photo_warp():
    h, w, k1 = 72, 96, 0.11
    sx, sy = distortion_maps(h, w, k1)  # output pixel -> source point
    out = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).astype(float)
    src = np.stack([sx, sy], -1)
    assert np.abs(distort_points(src, w, h, k1) - out).max() < 1e-4  # float32 maps
    ids = np.arange(h * w, dtype=np.int64).reshape(h, w)
    rgb = np.zeros((h, w, 3), np.uint8)
    assert (warp(rgb, ids, k1)[1] == warp_nearest(ids, k1)).all()


def test_warp_moves_colour_and_geometry_alike():
    """A step edge in colour and in depth lands on the same output column."""
    h, w, k1 = 48, 64, 0.12
    depth = np.full((h, w), 2.0, np.float32)
    depth[:, 58:] = 1.0
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, 58:] = 255
    colour, _ = warp(rgb, depth, k1)
    geometry = warp_nearest(depth, k1)
    moved = []
    for row in (5, 24, 42):
        c_edge = int(np.argmax(colour[row, :, 0] >= 128))
        d_edge = int(np.argmax(geometry[row] == 1.0))
        assert abs(c_edge - d_edge) <= 1
        moved.append(abs(d_edge - 58))
    assert min(moved) >= 1 and max(moved) >= 2  # the warp did move the edge


# ---------------------------------------------------------------------------------- scenes


def wall_scene(index: int = 0) -> SceneDescription:
    """An empty fridge seen square-on: only its back wall, a can and a tomato in view."""
    fridge = FridgeSpec(0.7, DEPTH_Y, 0.6, 0.04, SurfaceMaterial("plastic", [0.5, 0.5, 0.5], 0.4),
                        [], [], 0.0, None)  # fmt: skip
    light = LightSpec("area", [0.0, 0.1, 0.58], [0, 0, -1], 0.3, 0.1, 8.0, 5000.0, [1, 1, 1])
    cam = CameraSpec("front", [0.0, CAM_Y, CAM_Z], [0.0, 0.3, CAM_Z], 0.0, 16.0)
    objects = [
        ObjectSpec(1, "can", params("can", 3), [-0.08, 0.15, 0.2], 30.0, "floor"),
        ObjectSpec(2, "orange", params("orange", 4), [0.15, 0.1, 0.24], 0.0, "floor"),
    ]
    return SceneDescription(0, index, fridge, [light], cam, WorldSpec([0.3, 0.3, 0.3], 0.5, 0.0),
                            objects)  # fmt: skip


def photo_seed() -> int:
    """A seed whose photo style of image 0 has strong lens distortion."""
    return next(s for s in range(1000) if sample_photo_style(s, 0).distortion_k1 >= 0.1)


def render(tmp: Path, name: str, *overrides: str, desc: SceneDescription | None = None) -> dict:
    """Render the wall scene (or `desc`) as image 0 of a batch; its meta, files and the can."""
    import bpy

    from blender_scenes import writer
    from blender_scenes.worker import render_description

    bpy.ops.wm.read_factory_settings(use_empty=True)
    cfg = render_config(tmp / name, "count=1", f"resolution=[{SIZE[0]},{SIZE[1]}]", *FAST,
                        *overrides)  # fmt: skip
    writer.prepare(cfg.out_dir)
    render_description(cfg, desc or wall_scene())
    meta = json.loads((cfg.out_dir / "meta" / "000000.json").read_text())
    can = next((o for o in bpy.data.objects if o.pass_index == 1), None)
    verts = None
    if can is not None:
        verts = np.array([tuple(can.matrix_world @ v.co) for v in can.data.vertices])
    return {
        "dir": cfg.out_dir,
        "meta": meta,
        "can": verts,
        "ids": np.asarray(Image.open(cfg.out_dir / "masks" / "000000.png")).astype(np.int64),
    }


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    pytest.importorskip("bpy")
    tmp = tmp_path_factory.mktemp("gt")
    seed = photo_seed()
    common = ["outputs.normals=camera", "outputs.amodal=true", f"seed={seed}"]
    return {
        "clean": render(tmp, "clean", *common),
        "photo": render(tmp, "photo", *common, "style=photo"),
        "exr": render(tmp, "exr", "outputs.depth_format=exr", "outputs.normals=world"),
        "squeezed": render(tmp, "squeezed", *common, desc=squeezed_wall_scene()),
    }


def squeezed_wall_scene() -> SceneDescription:
    """The wall scene seen through pixels 0.8 times as wide as tall (the view taller than the
    image: still only the back wall and the food in view)."""
    desc = wall_scene()
    desc.camera.pixel_aspect = 0.8
    return desc


def depth_mm(r: dict) -> np.ndarray:
    return np.asarray(Image.open(r["dir"] / r["meta"]["image"]["depth_file"])).astype(np.int64)


def test_depth_of_a_plane_facing_the_camera(renders):
    """The wall is at 1.950 m everywhere, also in the corners: planar depth, not ray length."""
    r = renders["clean"]
    assert r["meta"]["image"]["depth_file"] == "depth/000000.png"
    mm = depth_mm(r)
    wall = r["ids"] == 0
    assert wall.sum() > 0.8 * wall.size and wall[0, 0] and wall[-1, -1]
    assert np.abs(mm[wall] - WALL_MM).max() <= 1, np.unique(mm[wall])
    assert (mm[~wall] < WALL_MM - 50).all() and (mm[~wall] > 1500).all()  # the food is in front


def test_depth_exr_in_metres_and_world_normals(renders):
    from blender_scenes.render import bundled

    r = renders["exr"]
    assert r["meta"]["image"]["depth_file"] == "depth/000000.exr"
    oiio = bundled("OpenImageIO")
    inp = oiio.ImageInput.open(str(r["dir"] / "depth" / "000000.exr"))
    z = np.asarray(inp.read_image(0, 0, 0, 1, "float"))[..., 0]
    inp.close()
    wall = r["ids"] == 0
    assert np.abs(z[wall] - WALL_MM / 1000).max() < 1e-3
    n = gt.decode_normals(gt.read_png16(r["dir"] / "normals" / "000000.png"))
    assert np.abs(n[wall] - [0.0, -1.0, 0.0]).max() < 1e-3  # the wall faces -y, the camera


def test_camera_normals_face_the_camera(renders):
    r = renders["clean"]
    n = gt.decode_normals(gt.read_png16(r["dir"] / r["meta"]["image"]["normals_file"]))
    wall = r["ids"] == 0
    assert np.abs(n[wall] - [0.0, 0.0, -1.0]).max() < 1e-3  # OpenCV axes: towards the camera
    assert (np.linalg.norm(n[~wall], axis=-1) > 0.99).all() and (n[~wall][:, 2] < 0.2).all()


@pytest.mark.parametrize("name", ["clean", "squeezed"])
def test_intrinsics_and_pose_project_known_points(renders, name):
    """The can's mesh vertices, projected with K and cam2world, span the can's rendered mask;
    depth pixels lifted back with them land on the wall plane and inside the can's box. Also
    with non-square pixels, where K's fy is fx times the pixel aspect."""
    r = renders[name]
    cam = r["meta"]["camera"]
    fx, fy = cam["K"][0][0], cam["K"][1][1]
    assert fy / fx == pytest.approx(r["meta"]["scene"]["camera"].get("pixel_aspect", 1.0))
    # nothing hides the can or the orange: their projected silhouettes match their masks
    assert all(a["occlusion"] < 0.03 for a in r["meta"]["annotations"])
    K, c2w = np.array(cam["K"]), np.array(cam["cam2world"])
    assert np.allclose(c2w[:3, 3], [0.0, CAM_Y, CAM_Z], atol=1e-6)
    assert np.allclose(np.array(cam["cam2world_blender"]), c2w @ gt.BLENDER_TO_OPENCV)
    uv, z = gt.project_points(r["can"], K, c2w)
    assert (z > 0).all()
    rows, cols = np.nonzero(r["ids"] == 1)
    assert abs(uv[:, 0].min() - cols.min()) <= 1 and abs(uv[:, 0].max() - cols.max()) <= 1
    assert abs(uv[:, 1].min() - rows.min()) <= 1 and abs(uv[:, 1].max() - rows.max()) <= 1
    depth = gt.mm_to_depth(depth_mm(r))
    v, u = np.mgrid[0 : SIZE[1], 0 : SIZE[0]]
    pts = gt.backproject(np.stack([u, v], -1).astype(float), depth, K, c2w)
    wall = r["ids"] == 0
    assert np.abs(pts[wall][:, 1] - DEPTH_Y).max() < 1.5e-3
    lo, hi = r["can"].min(axis=0) - 2e-3, r["can"].max(axis=0) + 2e-3
    on_can = pts[r["ids"] == 1]
    assert ((on_can >= lo) & (on_can <= hi)).all()


def test_photo_style_warps_depth_normals_and_masks_like_rgb(renders):
    clean, photo = renders["clean"], renders["photo"]
    k1 = photo["meta"]["style"]["distortion_k1"]
    assert k1 >= 0.1 and photo["meta"]["camera"]["distortion_k1"] == k1
    assert (photo["ids"] == warp_nearest(clean["ids"], k1)).all()
    assert (depth_mm(photo) == warp_nearest(depth_mm(clean), k1)).all()
    n_clean = gt.read_png16(clean["dir"] / "normals" / "000000.png")
    assert (
        gt.read_png16(photo["dir"] / "normals" / "000000.png") == warp_nearest(n_clean, k1)
    ).all()
    # the depth edges and the mask edges coincide in the photo ...
    jump = np.abs(np.diff(depth_mm(photo), axis=1)) > 50
    border = np.diff(photo["ids"], axis=1) != 0
    assert (jump == border).all()
    # ... and the colour edges follow the same warp: the photo's colour gradients match those of
    # the warped clean render (not the unwarped one) and are strongest on the photo mask borders
    rgb = np.asarray(Image.open(photo["dir"] / "images" / "000000.png"))
    clean_rgb = np.asarray(Image.open(clean["dir"] / "images" / "000000.png"))
    g = gradient(rgb)
    warped_rgb, _ = warp(clean_rgb, clean["ids"], k1)
    assert correlation(g, gradient(warped_rgb)) > 0.8
    assert correlation(g, gradient(warped_rgb)) > correlation(g, gradient(clean_rgb)) + 0.2
    assert g[borders(photo["ids"])].mean() > 1.1 * g[borders(clean["ids"])].mean()
    # amodal masks are warped too: they contain the visible pixels and follow the warp
    from pycocotools import mask as mask_utils

    def amodal(r, iid):
        a = next(a for a in r["meta"]["annotations"] if a["instance_id"] == iid)
        rle = dict(a["amodal_segmentation"], counts=a["amodal_segmentation"]["counts"].encode())
        return mask_utils.decode(rle).astype(bool)

    for iid in (1, 2):
        am = amodal(photo, iid)
        assert (am >= (photo["ids"] == iid)).all()
        warped = warp_nearest(amodal(clean, iid), k1)
        assert (am & warped).sum() / (am | warped).sum() > 0.95


def gradient(rgb: np.ndarray) -> np.ndarray:
    """Colour gradient magnitude (central differences, summed over channels)."""
    x = rgb.astype(float)
    gx, gy = np.zeros(x.shape[:2]), np.zeros(x.shape[:2])
    gx[:, 1:-1] = np.abs(x[:, 2:] - x[:, :-2]).sum(-1)
    gy[1:-1] = np.abs(x[2:] - x[:-2]).sum(-1)
    return np.hypot(gx, gy)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation of two images."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def borders(ids: np.ndarray) -> np.ndarray:
    """Pixels next to a pixel with another id."""
    out = np.zeros(ids.shape, bool)
    dx, dy = ids[:, 1:] != ids[:, :-1], ids[1:] != ids[:-1]
    out[:, 1:] |= dx
    out[:, :-1] |= dx
    out[1:] |= dy
    out[:-1] |= dy
    return out


def test_amodal_masks_of_hidden_objects(tmp_path):
    pytest.importorskip("bpy")
    from pycocotools import mask as mask_utils

    r = render(
        tmp_path, "occ", "outputs.amodal=true", "outputs.depth=false", desc=occlusion_scene()
    )
    assert "depth_file" not in r["meta"]["image"] and not (r["dir"] / "depth").exists()
    ann = {a["instance_id"]: a for a in r["meta"]["annotations"]}

    def decode(a):
        seg = a["amodal_segmentation"]
        return mask_utils.decode(dict(seg, counts=seg["counts"].encode())).astype(bool)

    hidden, half = decode(ann[2]), decode(ann[4])
    assert ann[2]["visible_pixels"] == 0 and hidden.sum() == ann[2]["unoccluded_pixels"] > 100
    x, y, w, h = ann[2]["amodal_bbox"]
    rows, cols = np.nonzero(hidden)
    assert [x, y, w, h] == [cols.min(), rows.min(), cols.ptp() + 1, rows.ptp() + 1]
    visible = r["ids"] == 4
    assert (half >= visible).all() and 1.6 < half.sum() / visible.sum() < 2.5
    assert (hidden & (r["ids"] == 1)).sum() > 0.9 * hidden.sum()  # behind the left carton


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("outputs.depth_format=tiff", "outputs.depth_format"),
        ("outputs.normals=sideways", "outputs.normals"),
        ("outputs.depth=maybe", "outputs.depth"),
        ("outputs.amodal=1", "outputs.amodal"),
        ("dataset.licence=[1,2]", "dataset.licence"),
    ],
)
def test_output_config_errors_name_the_key(tmp_path, override, key):
    from blender_scenes.config import ConfigError

    with pytest.raises(ConfigError) as err:
        render_config(tmp_path / "b", override)
    assert str(err.value).startswith(f"{key}: ") and "\n" not in str(err.value)
    ok = render_config(tmp_path / "b", "outputs.normals=false", "outputs.depth_format=exr")
    assert ok.outputs.normals is None and ok.outputs.depth and ok.outputs.depth_format == "exr"
    assert render_config(tmp_path / "b").outputs.amodal is False
