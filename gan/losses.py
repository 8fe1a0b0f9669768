"""Adversarial losses (vanilla, LSGAN, hinge) as pure functions of discriminator logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan", "hinge")


def check_mode(mode: str) -> str:
    """Validate a GAN loss name."""
    if mode not in GAN_MODES:
        raise ValueError(f"unknown gan_mode {mode!r} ({'|'.join(GAN_MODES)})")
    return mode


def discriminator_loss(
    mode: str, real: torch.Tensor, fake: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss on real logits, loss on fake logits); the reference halves their sum."""
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


def generator_loss(mode: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator's adversarial loss on the discriminator's logits for fakes."""
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
