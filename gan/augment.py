"""Differentiable augmentation (DiffAugment) for discriminators trained on few photos.

With only a few dozen to a few hundred target photos a discriminator soon memorises them, its
feedback to the generator becomes useless and training collapses. DiffAugment (Zhao et al.,
"Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020) shows every image
the discriminator judges, real and generated alike, through the same random transformation T
and keeps T differentiable, so the generator's adversarial gradient flows back through it.
Because both sides are transformed the same way the generator is not pushed to produce
augmented-looking images; it still matches the un-augmented photo distribution.

Ops (a policy is a comma list of them, applied in the order listed):

- ``color``: per image a brightness shift U(-0.5, 0.5), then saturation (each pixel's
  deviation from its channel mean scaled by U(0, 2)), then contrast (each image's deviation
  from its mean scaled by U(0.5, 1.5)). Values are not clamped (images are in [-1, 1]).
- ``translation``: per image an integer shift of up to 1/8 of the height and of the width
  in each direction; the uncovered border is filled with 0 (mid-grey), as in the paper.
- ``translation_reflect``: the same shift with the border filled by mirroring the image, so
  no grey band appears (use one of the two translations, not both).
- ``cutout``: per image one square of half the height and half the width, centred anywhere
  in the image (so possibly clipped by the border), set to 0.

Every random draw comes from the `torch.Generator` passed in (see `DiffAugment`), so a run is
reproducible from its seed and resumes exactly from the generator's saved state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from gan.config import ConfigError

TRANSLATION_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2


def _uniform(x: torch.Tensor, gen: torch.Generator, low: float, high: float) -> torch.Tensor:
    """One U(low, high) value per image, shaped (N, 1, 1, 1), drawn in fp32, cast to x."""
    r = torch.rand(x.shape[0], 1, 1, 1, generator=gen, device=x.device, dtype=torch.float32)
    return (r * (high - low) + low).to(x.dtype)


def brightness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Add one value from U(-0.5, 0.5) to every pixel and channel of each image."""
    return x + _uniform(x, gen, -0.5, 0.5)


def saturation(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Scale each pixel's deviation from its mean over channels by U(0, 2) per image."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * _uniform(x, gen, 0.0, 2.0) + mean


def contrast(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Scale each image's deviation from its mean (over C, H, W) by U(0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(x, gen, 0.5, 1.5) + mean


def color(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Brightness, then saturation, then contrast (the paper's colour op)."""
    return contrast(saturation(brightness(x, gen), gen), gen)


def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Mirror out-of-range indices back into [0, size) (edge pixel not repeated)."""
    if size == 1:
        return torch.zeros_like(index)
    period = 2 * (size - 1)
    index = index.remainder(period)
    return torch.where(index >= size, period - index, index)


def _shifts(n: int, size: int, ratio: float, gen: torch.Generator, device) -> torch.Tensor:
    """Per-image integer shifts in [-s, s] with s = round(size * ratio)."""
    s = int(size * ratio + 0.5)
    return torch.randint(-s, s + 1, (n,), generator=gen, device=device)


def translation(
    x: torch.Tensor,
    gen: torch.Generator,
    padding: str = "zeros",
    ratio: float = TRANSLATION_RATIO,
) -> torch.Tensor:
    """Shift each image by a random whole number of pixels, up to `ratio` of H and of W.

    Output pixel (i, j) of image n is input pixel (i + dy[n], j + dx[n]); pixels that fall
    outside are 0 (`padding="zeros"`) or mirrored from inside the image (`"reflect"`).
    Implemented as an index gather, so gradients reach every input pixel that is shown.
    """
    if padding not in ("zeros", "reflect"):
        raise ValueError(f"padding must be zeros or reflect, got {padding!r}")
    n, _, h, w = x.shape
    dy = _shifts(n, h, ratio, gen, x.device)
    dx = _shifts(n, w, ratio, gen, x.device)
    rows = torch.arange(h, device=x.device)[None, :] + dy[:, None]  # (N, H)
    cols = torch.arange(w, device=x.device)[None, :] + dx[:, None]  # (N, W)
    if padding == "reflect":
        rows, cols = _reflect(rows, h), _reflect(cols, w)
        mask = None
    else:
        inside_r = (rows >= 0) & (rows < h)
        inside_c = (cols >= 0) & (cols < w)
        mask = (inside_r[:, :, None] & inside_c[:, None, :]).unsqueeze(1)  # (N, 1, H, W)
        rows, cols = rows.clamp(0, h - 1), cols.clamp(0, w - 1)
    batch = torch.arange(n, device=x.device)[:, None, None]
    # Advanced indices separated by a slice put the indexed dims first: (N, H, W, C).
    out = x[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    return out if mask is None else out * mask.to(x.dtype)


def translation_reflect(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """`translation` with the uncovered border mirrored from the image."""
    return translation(x, gen, padding="reflect")


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Zero one (ratio*H) x (ratio*W) rectangle per image, centred at a random pixel.

    Centres are uniform over the image, so rectangles near the border are clipped.
    """
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h, (n, 1), generator=gen, device=x.device)
    cx = torch.randint(0, w, (n, 1), generator=gen, device=x.device)
    top, left = cy - ch // 2, cx - cw // 2
    r = torch.arange(h, device=x.device)[None, :]
    c = torch.arange(w, device=x.device)[None, :]
    in_r = (r >= top) & (r < top + ch)  # (N, H)
    in_c = (c >= left) & (c < left + cw)  # (N, W)
    keep = ~(in_r[:, :, None] & in_c[:, None, :])
    return x * keep.unsqueeze(1).to(x.dtype)


#: Policy names -> (op, acts on colour?). Colour ops mix channels; geometric ops do not.
OPS: dict[str, tuple[Callable[[torch.Tensor, torch.Generator], torch.Tensor], bool]] = {
    "color": (color, True),
    "translation": (translation, False),
    "translation_reflect": (translation_reflect, False),
    "cutout": (cutout, False),
}


def parse_policy(policy: str | Sequence[str], key: str = "model.diffaug") -> tuple[str, ...]:
    """Op names of a policy ("" = none; "color,translation,cutout" or a list of names).

    Raises a one-line ConfigError naming `key` for unknown, repeated or conflicting ops.
    """
    if isinstance(policy, str):
        parts = policy.split(",")
    elif isinstance(policy, list | tuple) and all(isinstance(p, str) for p in policy):
        parts = list(policy)
    else:
        raise ConfigError(f"{key}: expected a comma list or a list of names, got {policy!r}")
    names = tuple(p.strip() for p in parts if p.strip())
    for name in names:
        if name not in OPS:
            raise ConfigError(
                f"{key}: unknown augmentation {name!r} (use a comma list of {', '.join(OPS)}; "
                "empty = off)"
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}: an augmentation is listed twice in {','.join(names)!r}")
    if {"translation", "translation_reflect"} <= set(names):
        raise ConfigError(f"{key}: use translation or translation_reflect, not both")
    return names


def augment_seed(seed: int, rank: int = 0, stream: int = 0) -> int:
    """A 63-bit generator seed from the run seed, decorrelated from torch.manual_seed(seed)."""
    state = np.random.SeedSequence([seed % 2**63, rank, stream, 0xD1FFA06]).generate_state(
        1, np.uint64
    )
    return int(state[0]) >> 1


class DiffAugment:
    """A policy plus the `torch.Generator` its random draws come from.

    `DiffAugment("color,translation,cutout", seed, device)(x)` returns augmented x with fresh
    random parameters per image on every call. Call it separately on real and fake batches
    (each gets its own draws). `state_dict` / `load_state_dict` carry the generator state, so
    a resumed run draws exactly what an uninterrupted one would have.
    """

    def __init__(
        self,
        policy: str | Sequence[str],
        seed: int,
        device: torch.device | str = "cpu",
        rank: int = 0,
    ) -> None:
        self.ops = parse_policy(policy)
        self.seed = seed
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(augment_seed(seed, rank))
        self.calls = 0

    @property
    def enabled(self) -> bool:
        """False for the empty policy (calls return their input unchanged)."""
        return bool(self.ops)

    def __call__(self, x: torch.Tensor, color_start: int = 0) -> torch.Tensor:
        """Apply the policy to a batch (N, C, H, W).

        Geometric ops move all C channels identically. Colour ops act on channels
        `color_start:` only (e.g. 3 for a (condition, image) pair that only the image half of
        should be recoloured).
        """
        if not self.ops:
            return x
        self.calls += 1
        for name in self.ops:
            op, is_color = OPS[name]
            if is_color and color_start:
                x = torch.cat([x[:, :color_start], op(x[:, color_start:], self.generator)], 1)
            else:
                x = op(x, self.generator)
        return x

    def reseed(self, rank: int) -> None:
        """Restart the draws from the seed, a process rank and the call count (DDP ranks > 0)."""
        self.generator.manual_seed(augment_seed(self.seed, rank, self.calls))

    def state_dict(self) -> dict:
        """Generator state (a CPU byte tensor) and the number of calls so far."""
        return {"generator": self.generator.get_state(), "calls": self.calls}

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict` result."""
        self.generator.set_state(state["generator"].cpu())
        self.calls = int(state["calls"])
