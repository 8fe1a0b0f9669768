"""Pix2Pix on random pairs: conditional PatchGAN + lambda_L1 * L1(G(source), paired target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from gan.config import require_positive
from gan.losses import generator_loss, l1
from gan.models.base import (
    ModelConfig,
    Runtime,
    TranslationModel,
    set_requires_grad,
)
from gan.networks import build_discriminator, build_generator


@dataclass
class Pix2PixConfig(ModelConfig):
    """`model.*` for pix2pix plus lambda_L1 (values: configs/model/pix2pix.yaml)."""

    lambda_L1: float  # noqa: N815 - reference name, also the config key

    # D's frame coordinates are not wired into the conditional (source, image) pair.
    frame_options: ClassVar[tuple[str, ...]] = ("generator.frame_field",)


class Pix2PixModel(TranslationModel):
    """G: source -> target; D sees (source, image) concatenated (6 channels).

    With `model.diffaug` the pair is augmented as one tensor: translation and cutout move or
    cut both halves identically (the render stays aligned with the image it conditions), while
    colour ops recolour only the image half: what D could memorise is the few photos, and the
    source half is the very same render in the real and the fake pair, so recolouring it would
    hide nothing from D and only blur the condition it judges the image against.
    """

    name = "pix2pix"
    config_cls = Pix2PixConfig
    pairing = "random"

    def __init__(self, cfg: Pix2PixConfig, rt: Runtime, seed: int) -> None:
        super().__init__(cfg, rt, seed)
        require_positive("model.lambda_L1", cfg.lambda_L1, allow_zero=True)
        self.add_net("G", build_generator(cfg.generator))
        self.add_net("D", build_discriminator(cfg.discriminator, 6))
        self.add_optimizer("G", ["G"])
        self.add_optimizer("D", ["D"])

    def _pair(self, src: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """D's input: (source, image) on channels, augmented (colour on the image half only)."""
        return self.augment(torch.cat([src, image], 1), color_start=src.shape[1])

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """D step on (real pair, detached fake), then G step reusing the same fake."""
        cfg, G = self.cfg, self.nets["G"]
        src, tgt = self.prepare(batch["source"]), self.prepare(batch["target"])
        with self.autocast():
            fake = G(src, frame=self.frames(batch, "source_frame"))

        d_real, d_fake, loss_d = self.discriminator_step(
            lambda: self._pair(src, fake.detach()), lambda: self._pair(src, tgt)
        )

        set_requires_grad([self.raw["D"]], False)
        opt_g = self.optimizers["G"]
        opt_g.zero_grad(set_to_none=True)
        with self.autocast():
            pred = self.raw["D"](self._pair(src, fake))
        g_gan = generator_loss(cfg.gan_mode, pred)
        g_l1 = l1(fake, tgt) * cfg.lambda_L1
        loss_g = g_gan + g_l1
        content = self.content_loss(batch, src, fake)
        if content is not None:
            loss_g = loss_g + content
        loss_g.backward()
        opt_g.step()
        set_requires_grad([self.raw["D"]], True)
        losses = {
            "G_GAN": g_gan,
            "G_L1": g_l1,
            "G": loss_g,
            "D_real": d_real,
            "D_fake": d_fake,
            "D": loss_d,
        }
        if content is not None:
            losses["content"] = content
        return {k: v.detach() for k, v in losses.items()}
