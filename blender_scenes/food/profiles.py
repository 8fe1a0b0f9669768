"""Shapes shared by a mesh and the sampler that places things inside it (pure numpy).

`mesh.pillow` builds a sealed bag from these profiles, and the samplers that fill a bag
(spinach leaves) ask `pillow_top` how much room the film leaves over a point, so the two can
never disagree about where the film is.
"""

from __future__ import annotations

import math

import numpy as np

SUPERELLIPSE = 2 / 3  # a pillow's cross-section: flat top and bottom, rounded sides


def pillow_profiles(t, length: float, seal: float, flat_ends: float):
    """Height and width factors of a pillow bag at |x| = t * length / 2 (t in 0..1): full in
    the middle, falling to `flat_ends` of the height over the `seal` at both ends."""
    t = np.asarray(t, float)
    body = np.clip((1 - t) / max(seal / (length / 2), 1e-3), 0, 1)
    height = flat_ends + (1 - flat_ends) * np.sqrt(np.sin(body * math.pi / 2))
    return height, 1 - 0.06 * t**2


def pillow_top(x, y, length: float, width: float, height: float, seal: float, flat_ends: float):
    """The height of a pillow bag's film over the point (x, y); at its outline and beyond, the
    film's mid-height there (the cross-section is the superellipse `SUPERELLIPSE` draws)."""
    hp, wp = pillow_profiles(np.minimum(np.abs(x) / (length / 2), 1.0), length, seal, flat_ends)
    across = np.minimum(np.abs(y) / (width / 2 * wp), 1.0)
    n = 2 / SUPERELLIPSE  # |y/a|^n + |z/b|^n = 1 for the mesh's (|cos|^e, |sin|^e) ring
    return height / 2 * hp * (1 + (1 - across**n) ** (1 / n))
