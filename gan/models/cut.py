"""CUT and FastCUT (Park et al., ECCV 2020): one generator, PatchNCE instead of a cycle.

G translates source to target. Besides fooling the PatchGAN D, G(x) must keep the content of x:
patches of G's encoder features of G(x) are matched to the patches at the same positions of
G's encoder features of x against the other patches of the same image (PatchNCE), after a
small MLP projection head F. CUT also applies the loss to G(y) vs y for target images y (NCE
identity); FastCUT drops that, raises lambda_NCE to 10 and flips the input at random before G
while comparing against the unflipped input (flip-equivariance).

Encoder layers (`nce_layers`) are `ResnetGenerator.encode` taps. The reference's 0,4,8,12,16
(input, conv outputs at full, 1/2 and 1/4 resolution, residual blocks 1 and 5) map to
0 (input image), 1 (stem conv), 4 (first stride-2 conv), 7 (second stride-2 conv) and
14 (output of residual block 5, the middle of 9): the same resolutions, one tap per scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gan.config import ConfigError, require_positive
from gan.losses import generator_loss, patch_nce
from gan.models.base import (
    ModelConfig,
    Runtime,
    TranslationModel,
    set_requires_grad,
)
from gan.networks import (
    PatchSampleMLP,
    build_discriminator,
    build_generator,
    resnet_tap_channels,
)


@dataclass
class CUTConfig(ModelConfig):
    """`model.*` for cut: ModelConfig plus the PatchNCE keys (values: configs/model/cut.yaml)."""

    lambda_GAN: float
    lambda_NCE: float
    nce_idt: bool
    nce_layers: list[int]
    nce_T: float
    num_patches: int
    nce_mlp_dim: int
    flip_equivariance: bool

    def validate(self) -> None:
        """Shared checks, a ResNet generator, encoder taps in range, positive weights."""
        super().validate()
        if self.generator.arch != "resnet":
            raise ConfigError(
                f"model.generator.arch: CUT needs resnet (PatchNCE reads its encoder), "
                f"got {self.generator.arch!r}"
            )
        require_positive("model.lambda_GAN", self.lambda_GAN, allow_zero=True)
        require_positive("model.lambda_NCE", self.lambda_NCE, allow_zero=True)
        require_positive("model.nce_T", self.nce_T)
        require_positive("model.num_patches", self.num_patches)
        require_positive("model.nce_mlp_dim", self.nce_mlp_dim)
        layers = self.nce_layers
        taps = len(resnet_tap_channels(self.generator))
        if (
            not isinstance(layers, list)
            or not layers
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in layers)
        ):
            raise ConfigError(
                f"model.nce_layers: expected a non-empty list of integers, got {layers!r}"
            )
        bad = [i for i in layers if not 0 <= i < taps]
        if bad:
            raise ConfigError(
                f"model.nce_layers: {bad} out of range 0..{taps - 1} "
                f"(encoder taps of a resnet generator with n_blocks={self.generator.n_blocks})"
            )
        if len(set(layers)) != len(layers):
            raise ConfigError(f"model.nce_layers: duplicate layers in {layers}")


@dataclass
class FastCUTConfig(CUTConfig):
    """`model.*` for fastcut: CUT's keys; configs/model/fastcut.yaml holds the FastCUT values
    (lambda_NCE 10, no NCE identity, flip-equivariance)."""


class CUTModel(TranslationModel):
    """G: source -> target; D judges the target domain; F projects G's encoder patches."""

    name = "cut"
    config_cls = CUTConfig

    def __init__(self, cfg: CUTConfig, rt: Runtime, seed: int) -> None:
        super().__init__(cfg, rt, seed)
        spec = cfg.generator
        channels = resnet_tap_channels(spec)
        self.add_net("G", build_generator(spec))
        self.add_net(
            "D", build_discriminator(cfg.discriminator, cfg.discriminator.input_channels(3))
        )
        self.add_net("F", PatchSampleMLP([channels[i] for i in cfg.nce_layers], cfg.nce_mlp_dim))
        self.add_optimizer("G", ["G"])
        self.add_optimizer("F", ["F"])
        self.add_optimizer("D", ["D"])
        # Patch positions and flips: a generator of our own, saved with the model state.
        self.rng = torch.Generator().manual_seed(seed + 0x5EED)
        # The keys' encoder activations are those of G's own forward pass over the real images
        # (same weights, same input), so take them from it instead of encoding again. A DDP or
        # compiled G only exposes forward(): there the keys are encoded separately.
        self.reuse_keys = not (rt.distributed or rt.compile)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """D step on (real target, detached fake), then G+F step (GAN + PatchNCE)."""
        cfg, G = self.cfg, self.nets["G"]
        real_a, real_b = self.prepare(batch["source"]), self.prepare(batch["target"])
        use_nce = cfg.lambda_NCE > 0
        use_idt = use_nce and cfg.nce_idt
        flipped = cfg.flip_equivariance and bool(torch.rand((), generator=self.rng) < 0.5)
        real = torch.cat([real_a, real_b]) if use_idt else real_a
        frame = self.frames(batch, "source_frame")
        if frame is not None and use_idt:
            frame = torch.cat([frame, self.frames(batch, "target_frame")])
        if flipped:
            real = real.flip(3)
            if frame is not None:
                frame = frame[:, [2, 1, 0, 3]]  # the mirrored images' boxes
        # With a flip the keys must come from the unflipped images: encoded in nce_loss.
        reuse = use_nce and self.reuse_keys and not flipped
        with self.autocast():
            if reuse:
                out, taps = self.raw["G"].forward_with_taps(real, cfg.nce_layers, frame)
                taps = [t.detach() for t in taps]
            else:
                out, taps = G(real, frame=frame), None
        sizes = [real_a.shape[0], real_b.shape[0]]
        fake, idt = out.split(sizes) if use_idt else (out, None)
        keys_a = keys_b = None
        if taps is not None:
            keys_a = [t[: sizes[0]] for t in taps]
            keys_b = [t[sizes[0] :] for t in taps] if use_idt else None

        fake_frame = None if frame is None else frame[: sizes[0]]
        real_frame = self.frames(batch, "target_frame")
        d_real, d_fake, loss_d = self.discriminator_step(
            lambda: self.d_input(fake.detach(), fake_frame),
            lambda: self.d_input(real_b, real_frame),
        )

        set_requires_grad([self.raw["D"]], False)
        opt_g, opt_f = self.optimizers["G"], self.optimizers["F"]
        opt_g.zero_grad(set_to_none=True)
        opt_f.zero_grad(set_to_none=True)
        with self.autocast():
            pred = self.raw["D"](self.d_input(fake, fake_frame))
        losses = {"G_GAN": generator_loss(cfg.gan_mode, pred) * cfg.lambda_GAN}
        loss_g = losses["G_GAN"]
        content = self.content_loss(
            self._frame(batch, flipped), self._frame_image(real_a, flipped), fake
        )
        if content is not None:
            losses["content"] = content
            loss_g = loss_g + content
        if use_nce:
            losses["NCE"] = self.nce_loss(real_a, fake, flipped, keys_a)
            if use_idt:
                losses["NCE_Y"] = self.nce_loss(real_b, idt, flipped, keys_b)
                loss_g = loss_g + 0.5 * (losses["NCE"] + losses["NCE_Y"])
            else:
                loss_g = loss_g + losses["NCE"]
        loss_g.backward()
        opt_g.step()
        opt_f.step()
        set_requires_grad([self.raw["D"]], True)
        losses.update({"G": loss_g, "D_real": d_real, "D_fake": d_fake, "D": loss_d})
        return {k: v.detach() for k, v in losses.items()}

    def nce_loss(
        self,
        src: torch.Tensor,
        out: torch.Tensor,
        flipped: bool,
        feat_k: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """lambda_NCE * PatchNCE between G's encodings of `out` (queries) and `src` (keys),
        averaged over `nce_layers`. `out` is in the flipped frame when `flipped`; `feat_k`,
        when given, is G's (detached) encoding of `src` from an earlier pass."""
        cfg, G = self.cfg, self.raw["G"]
        with self.autocast():
            feat_q = G.encode(out, cfg.nce_layers)
        if flipped:
            feat_q = [f.flip(3) for f in feat_q]
        # Keys carry no gradient (as in the reference): no graph needed for them.
        with torch.no_grad(), self.autocast():
            if feat_k is None:
                feat_k = G.encode(src, cfg.nce_layers)
            ids = PatchSampleMLP.sample_ids(feat_k, cfg.num_patches, self.rng)
            keys = self.nets["F"](feat_k, ids)
        with self.autocast():
            queries = self.nets["F"](feat_q, ids)
        total = sum(patch_nce(q, k, cfg.nce_T) for q, k in zip(queries, keys, strict=True))
        return total / len(queries) * cfg.lambda_NCE

    @staticmethod
    def _frame_image(x: torch.Tensor, flipped: bool) -> torch.Tensor:
        """`x` in the frame G translated this step (mirrored when `flipped`)."""
        return x.flip(3) if flipped else x

    @staticmethod
    def _frame(batch: dict[str, torch.Tensor], flipped: bool) -> dict[str, torch.Tensor]:
        """The batch with its source mask in the frame G translated this step."""
        mask = batch.get("source_mask")
        if mask is None or not flipped:
            return batch
        return {**batch, "source_mask": mask.flip(2)}

    def extra_state(self) -> dict:
        """Base state plus the patch-position / flip generator."""
        return {**super().extra_state(), "rng": self.rng.get_state()}

    def load_extra_state(self, state: dict) -> None:
        """Restore the base state and the patch-position / flip generator."""
        super().load_extra_state(state)
        if "rng" in state:
            self.rng.set_state(state["rng"])


class FastCUTModel(CUTModel):
    """FastCUT: CUT without NCE identity, lambda_NCE 10, flip-equivariance."""

    name = "fastcut"
    config_cls = FastCUTConfig
