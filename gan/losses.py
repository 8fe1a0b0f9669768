"""Losses as pure functions: adversarial (vanilla, LSGAN, hinge) on discriminator logits, L1,
and the PatchNCE contrastive loss of CUT."""

from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan", "hinge")


def check_mode(mode: str) -> str:
    """Validate a GAN loss name."""
    if mode not in GAN_MODES:
        raise ValueError(f"unknown gan_mode {mode!r} ({'|'.join(GAN_MODES)})")
    return mode


Logits = torch.Tensor | list[torch.Tensor]


def discriminator_loss(mode: str, real: Logits, fake: Logits) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss on real logits, loss on fake logits); the reference halves their sum.

    A multi-scale discriminator's logits (a list, one map per scale) give the mean over scales.
    """
    if isinstance(real, list):
        pairs = [discriminator_loss(mode, r, f) for r, f in zip(real, fake, strict=True)]
        return (
            torch.stack([p[0] for p in pairs]).mean(),
            torch.stack([p[1] for p in pairs]).mean(),
        )
    real, fake = real.float(), fake.float()
    if mode == "vanilla":
        return (
            F.binary_cross_entropy_with_logits(real, torch.ones_like(real)),
            F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)),
        )
    if mode == "lsgan":
        return F.mse_loss(real, torch.ones_like(real)), F.mse_loss(fake, torch.zeros_like(fake))
    if mode == "hinge":
        return F.relu(1.0 - real).mean(), F.relu(1.0 + fake).mean()
    raise ValueError(f"unknown gan_mode {mode!r}")


def generator_loss(mode: str, fake: Logits) -> torch.Tensor:
    """Generator's adversarial loss on the discriminator's logits for fakes (a list: the
    mean over a multi-scale discriminator's scales)."""
    if isinstance(fake, list):
        return torch.stack([generator_loss(mode, f) for f in fake]).mean()
    fake = fake.float()
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    if mode == "lsgan":
        return F.mse_loss(fake, torch.ones_like(fake))
    if mode == "hinge":
        return -fake.mean()
    raise ValueError(f"unknown gan_mode {mode!r}")


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute error computed in fp32."""
    return F.l1_loss(a.float(), b.float())


def patch_nce(query: torch.Tensor, key: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """PatchNCE (Park et al. 2020): InfoNCE between corresponding patches of the same image.

    `query` and `key` are (N, P, D) projected patch features (L2-normalised by the caller).
    For patch p of image n, key[n, p] is the positive and the other P - 1 keys of image n are
    the negatives (never patches of other images). Returns the mean cross-entropy over all N*P
    queries, computed in fp32 even inside a bf16 autocast region. Gradients flow into both
    arguments; CUT passes detached keys, as the reference does.
    """
    if query.shape != key.shape or query.dim() != 3:
        raise ValueError(f"query and key must both be (N, P, D), got {query.shape} / {key.shape}")
    n, p, _ = query.shape
    with torch.autocast(query.device.type, enabled=False):
        logits = torch.bmm(query.float(), key.float().transpose(1, 2)) / temperature  # (N, P, P)
        target = torch.arange(p, device=query.device).repeat(n)
        return F.cross_entropy(logits.flatten(0, 1), target)
