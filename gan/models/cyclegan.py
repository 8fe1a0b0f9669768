"""CycleGAN: two generators, two discriminators, cycle + identity losses, image history pools."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import torch

from gan.config import require_positive
from gan.losses import discriminator_loss, generator_loss, l1
from gan.models.base import (
    ModelConfig,
    Runtime,
    TranslationModel,
    set_requires_grad,
)
from gan.networks import build_discriminator, build_generator


@dataclass
class CycleGANConfig(ModelConfig):
    """`model.*` for cyclegan: ModelConfig plus the cycle keys (configs/model/cyclegan.yaml)."""

    lambda_cycle: float
    lambda_identity: float
    pool_size: int

    # Frame boxes are not wired into the two-generator cycle.
    frame_options: ClassVar[tuple[str, ...]] = ()


class ImagePool:
    """History of generated images; D sees a 50/50 mix of new and past fakes."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []
        self.rng = random.Random(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Return a batch where each image is either new or swapped with a stored one."""
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif self.rng.random() > 0.5:
                i = self.rng.randint(0, self.size - 1)
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.cat(out, 0)

    def state_dict(self) -> dict:
        """Stored images (on CPU) and RNG state."""
        return {"images": [t.cpu() for t in self.images], "rng": self.rng.getstate()}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore a `state_dict` result."""
        self.images = [t.to(device) for t in state["images"]]
        self.rng.setstate(state["rng"])


class CycleGANModel(TranslationModel):
    """G_A: source(A) -> target(B), G_B: B -> A; D_A judges domain B, D_B judges domain A."""

    name = "cyclegan"
    config_cls = CycleGANConfig

    def __init__(self, cfg: CycleGANConfig, rt: Runtime, seed: int) -> None:
        super().__init__(cfg, rt, seed)
        require_positive("model.lambda_cycle", cfg.lambda_cycle, allow_zero=True)
        require_positive("model.lambda_identity", cfg.lambda_identity, allow_zero=True)
        require_positive("model.pool_size", cfg.pool_size, allow_zero=True)
        spec = cfg.generator
        for name in ("G_A", "G_B"):
            self.add_net(name, build_generator(spec))
        for name in ("D_A", "D_B"):
            self.add_net(name, build_discriminator(cfg.discriminator, 3))
        self.add_optimizer("G", ["G_A", "G_B"])
        self.add_optimizer("D", ["D_A", "D_B"])
        self.pools = {
            "A": ImagePool(cfg.pool_size, seed * 2 + 1),
            "B": ImagePool(cfg.pool_size, seed * 2 + 2),
        }
        # Per-sample norms make a batched call identical to separate calls. Fewer, larger
        # kernels pay off on GPUs; on CPU the larger working set made it slightly slower.
        on_gpu = rt.device.type == "cuda"
        self.batch_g = on_gpu and cfg.generator.norm != "batch"
        self.batch_d = on_gpu and cfg.discriminator.norm != "batch"

    @property
    def generator_name(self) -> str:
        """The source-to-target generator."""
        return "G_A"

    def export_reverse_generator(self) -> dict:
        """G_B (target to source) with its spec, for `fridge-translate direction=BtoA`."""
        net = self.raw["G_B"]
        weights = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        return {"spec": self.generator_spec().to_dict(), "state_dict": weights}

    def _generate_pair(self, net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None):
        """net(x) and optionally net(y), in one batched call when norms are per-sample."""
        if y is None:
            return net(x), None
        if self.batch_g:
            first, second = net(torch.cat([x, y], 0)).split([x.shape[0], y.shape[0]])
            return first, second
        return net(x), net(y)

    def _d_loss(self, net: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor):
        """Discriminator loss on real vs (pooled) fake, halved as in the reference.

        Both inputs pass through `augment` (separate draws) before the discriminator.
        """
        real, fake = self.augment(real), self.augment(fake)
        if self.batch_d:
            pred = net(torch.cat([real, fake], 0))
            sizes = [real.shape[0], fake.shape[0]]
            if isinstance(pred, list):  # multi-scale: split every scale's logits
                pred_real, pred_fake = ([t.split(sizes)[i] for t in pred] for i in (0, 1))
            else:
                pred_real, pred_fake = pred.split(sizes)
        else:
            pred_real, pred_fake = net(real), net(fake)
        d_real, d_fake = discriminator_loss(self.cfg.gan_mode, pred_real, pred_fake)
        return 0.5 * (d_real + d_fake)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """G step (adversarial + cycle + identity), then D step on pooled fakes.

        Every discriminator input (fakes in the G step; reals and pooled fakes in the D step)
        goes through `augment` first (DiffAugment; identity when `model.diffaug` is empty).
        """
        cfg, n = self.cfg, self.nets
        real_a, real_b = self.prepare(batch["source"]), self.prepare(batch["target"])
        lam, lam_idt = cfg.lambda_cycle, cfg.lambda_cycle * cfg.lambda_identity
        use_idt = cfg.lambda_identity > 0
        discriminators = [self.raw["D_A"], self.raw["D_B"]]

        set_requires_grad(discriminators, False)
        opt_g = self.optimizers["G"]
        opt_g.zero_grad(set_to_none=True)
        with self.autocast():
            fake_b, idt_a = self._generate_pair(n["G_A"], real_a, real_b if use_idt else None)
            fake_a, idt_b = self._generate_pair(n["G_B"], real_b, real_a if use_idt else None)
            rec_a = n["G_B"](fake_b)
            rec_b = n["G_A"](fake_a)
            pred_b = self.raw["D_A"](self.augment(fake_b))
            pred_a = self.raw["D_B"](self.augment(fake_a))
        losses = {
            "G_A": generator_loss(cfg.gan_mode, pred_b),
            "G_B": generator_loss(cfg.gan_mode, pred_a),
            "cycle_A": l1(rec_a, real_a) * lam,
            "cycle_B": l1(rec_b, real_b) * lam,
        }
        if use_idt:
            losses["idt_A"] = l1(idt_a, real_b) * lam_idt
            losses["idt_B"] = l1(idt_b, real_a) * lam_idt
        content = self.content_loss(batch, real_a, fake_b)
        if content is not None:
            losses["content"] = content
        loss_g = sum(losses.values())
        loss_g.backward()
        opt_g.step()
        losses["G"] = loss_g

        set_requires_grad(discriminators, True)
        opt_d = self.optimizers["D"]
        opt_d.zero_grad(set_to_none=True)
        with self.autocast():
            loss_da = self._d_loss(n["D_A"], real_b, self.pools["B"].query(fake_b))
            loss_db = self._d_loss(n["D_B"], real_a, self.pools["A"].query(fake_a))
        (loss_da + loss_db).backward()
        opt_d.step()
        losses["D_A"], losses["D_B"] = loss_da, loss_db
        return {k: v.detach() for k, v in losses.items()}

    @torch.no_grad()
    def visuals(
        self, source: torch.Tensor, frame: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Translated and reconstructed (G_B(G_A(source))) images (no frame field here)."""
        fake = self.translate(source)
        net = self.raw["G_B"]
        was_training = net.training
        net.eval()
        with self.autocast():
            rec = net(self.prepare(fake)).float().cpu()
        net.train(was_training)
        return {"translated": fake, "reconstructed": rec}

    def extra_state(self) -> dict:
        """Base state (augmentation RNG) plus the image pools (contents and RNG)."""
        return {
            **super().extra_state(),
            "pools": {k: p.state_dict() for k, p in self.pools.items()},
        }

    def load_extra_state(self, state: dict) -> None:
        """Restore the base state and the image pools."""
        super().load_extra_state(state)
        for k, p in state.get("pools", {}).items():
            self.pools[k].load_state_dict(p, self.rt.device)
