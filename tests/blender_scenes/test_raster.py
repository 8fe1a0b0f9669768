"""The pixel-centre rasterizer that measures unoccluded silhouettes."""

import numpy as np

from blender_scenes.raster import rasterize


def square(x0, y0, x1, y1):
    return np.array([[[x0, y0], [x1, y0], [x1, y1]], [[x0, y0], [x1, y1], [x0, y1]]], float)


def test_axis_aligned_square_covers_exact_pixels():
    canvas = rasterize(square(2, 3, 12, 8), 20, 10)
    assert canvas.sum() == 10 * 5
    assert canvas[3:8, 2:12].all()


def test_winding_does_not_matter_and_union_counts_once():
    tris = square(0, 0, 10, 10)
    both = np.concatenate([tris, tris[:, ::-1]])
    assert rasterize(both, 10, 10).sum() == 100


def test_triangle_area_matches_geometry():
    tri = np.array([[[5.0, 5.0], [95.0, 5.0], [5.0, 95.0]]])
    area = rasterize(tri, 100, 100).sum()
    assert abs(area - 0.5 * 90 * 90) < 90 * 1.5


def test_padding_counts_outside_pixels():
    tris = square(-10, 0, 10, 10)
    canvas = rasterize(tris, 20, 20, pad=10)
    assert canvas.sum() == 200
    assert canvas[10:30, 10:30].sum() == 100


def test_degenerate_and_empty_input():
    assert rasterize(np.zeros((0, 3, 2)), 4, 4).sum() == 0
    flat = np.array([[[0.0, 0.0], [4.0, 4.0], [2.0, 2.0]]])
    assert rasterize(flat, 4, 4).sum() == 0
