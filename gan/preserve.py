"""Content-preserving terms that use the renders' exact instance masks.

A translator may change how things look (colour, lighting, noise, blur of the background) but
must keep every labelled object where and what it is, or the carried-over labels lie. The term
here asks for that only where the labels are:

`masked_structure_loss`: 1 - the local correlation of luminance between the render and its
translation (gaussian windows, SSIM's structure term), averaged over the pixels of the instance
masks, dilated a little to include the objects' outlines, and weighted by how much texture the
render has there (flat patches carry no structure to keep). Local correlation does not care
about a window's brightness or contrast, so a colour cast, an exposure change or a new white
balance cost nothing; a blurred, moved, erased or replaced object decorrelates and costs (unlike
SSIM's structure term, a flat output counts as uncorrelated, not as a perfect match). Pixels
outside every mask (walls, shelves) are free.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [-1, 1] to (N, 1, H, W) luma in [-1, 1], in fp32."""
    w = torch.tensor(LUMA, device=x.device, dtype=torch.float32).view(1, 3, 1, 1)
    return (x.float() * w).sum(1, keepdim=True)


def gaussian_window(size: int, sigma: float, device: torch.device) -> torch.Tensor:
    """Normalised 2-D gaussian kernel (1, 1, size, size)."""
    ax = torch.arange(size, device=device, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(ax**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, size, size)


def dilated_object_mask(mask: torch.Tensor, dilation: int) -> torch.Tensor:
    """(N, H, W) instance ids to a (N, 1, H, W) float mask of object pixels grown by `dilation`."""
    m = (mask > 0).float().unsqueeze(1)
    if dilation > 0:
        k = 2 * dilation + 1
        m = F.max_pool2d(m, k, stride=1, padding=dilation)
    return m


def local_structure(
    a: torch.Tensor,
    b: torch.Tensor,
    window: int = 7,
    sigma: float = 1.5,
    eps: float = 1e-4,
    texture: float = 1e-3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pixel: local correlation cov(a, b) / (std(a) std(b) + eps) and a's texture weight.

    `a` and `b` are single-channel images on [-1, 1], (N, 1, H, W). The weight
    var(a) / (var(a) + texture) is ~0 where `a` is flat and ~1 where it has structure.
    """
    w = gaussian_window(window, sigma, a.device)
    pad = window // 2

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(t, (pad,) * 4, mode="reflect"), w)

    mu_a, mu_b = blur(a), blur(b)
    var_a = (blur(a * a) - mu_a**2).clamp_min(0)
    var_b = (blur(b * b) - mu_b**2).clamp_min(0)
    cov = blur(a * b) - mu_a * mu_b
    corr = cov / (torch.sqrt(var_a * var_b + 1e-12) + eps)
    return corr, var_a / (var_a + texture)


def masked_structure_loss(
    source: torch.Tensor,
    translated: torch.Tensor,
    mask: torch.Tensor,
    dilation: int = 2,
    window: int = 7,
) -> torch.Tensor:
    """Mean of 1 - local structure over the (dilated) instance masks; 0 when a batch has none.

    `source` and `translated` are (N, 3, H, W) in [-1, 1]; `mask` (N, H, W) instance ids with
    0 = background. Computed in fp32 whatever the autocast state; differentiable in `translated`.
    """
    with torch.autocast(source.device.type, enabled=False):
        region = dilated_object_mask(mask.to(source.device), dilation)
        corr, weight = local_structure(luminance(source).detach(), luminance(translated), window)
        weight = weight * region
        total = weight.sum()
        if total < 1e-6:
            return translated.float().sum() * 0.0
        return ((1.0 - corr) * weight).sum() / total
