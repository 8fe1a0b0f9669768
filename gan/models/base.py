"""Shared machinery of the translation models: devices, precision, optimisers, state."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gan.augment import DiffAugment, parse_policy
from gan.config import (
    ConfigError,
    default_config,
    from_mapping,
    require_choice,
    require_positive,
)
from gan.losses import GAN_MODES, discriminator_loss
from gan.networks import (
    FRAME_COORD_CHANNELS,
    DiscriminatorSpec,
    GeneratorSpec,
    build_generator,
    frame_grid,
    init_weights,
)
from gan.preserve import masked_structure_loss
from gan.schedules import LinearDecay

log = logging.getLogger(__name__)


#: Frame options (frame boxes wired into the generator / discriminator) and the models that
#: support them.
FRAME_OPTION_MODELS = {
    "generator.frame_field": "cut|fastcut|pix2pix",
    "discriminator.frame_coords": "cut|fastcut",
}


@dataclass
class ModelConfig:
    """`model.*` keys every model has; each model's config subclasses it and adds its own.

    Types and checks only: the values are in configs/model/<name>.yaml (see gan.config).
    `generator` and `discriminator` are the network specs themselves.
    """

    generator: GeneratorSpec
    discriminator: DiscriminatorSpec
    init_type: str
    init_gain: float
    gan_mode: str
    # Content-preserving term on the renders' instance masks (gan.preserve); 0 = off.
    lambda_content: float
    content_dilation: int
    #: DiffAugment policy for every discriminator input (gan.augment): "" = off, or a comma
    #: list (or Hydra list) of color, translation|translation_reflect, cutout.
    diffaug: str | list[str]
    #: Decay of the EMA copy of the source-to-target generator; 0 = off (e.g. 0.999).
    ema_decay: float
    #: The frame options this model wires in (keys of FRAME_OPTION_MODELS); subclasses that
    #: leave some out narrow it.
    frame_options: ClassVar[tuple[str, ...]] = tuple(FRAME_OPTION_MODELS)

    def validate(self) -> None:
        """Checks shared by all model configs (networks, init, gan_mode, diffaug, ema_decay).

        Normalises `diffaug` to its canonical comma string.
        """
        self.generator.validate("model.generator")
        self.discriminator.validate("model.discriminator")
        require_choice(
            "model.init_type", self.init_type, ("normal", "xavier", "kaiming", "orthogonal")
        )
        require_choice("model.gan_mode", self.gan_mode, GAN_MODES)
        self.diffaug = ",".join(parse_policy(self.diffaug, "model.diffaug"))
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"model.ema_decay: must be within [0, 1), got {self.ema_decay!r}")
        require_finite_nonnegative("model.lambda_content", self.lambda_content)
        require_positive("model.content_dilation", self.content_dilation, allow_zero=True)
        used = {
            "generator.frame_field": self.generator.frame_field,
            "discriminator.frame_coords": self.discriminator.frame_coords,
        }
        for key, on in used.items():
            if on and key not in self.frame_options:
                raise ConfigError(
                    f"model.{key}: this model does not support it "
                    f"(use model={FRAME_OPTION_MODELS[key]})"
                )


def require_finite_nonnegative(key: str, value: float) -> None:
    """Raise ConfigError unless `value` is a finite number >= 0."""
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{key}: must be a finite number >= 0, got {value!r}")


@dataclass
class Runtime:
    """Where and how models run: device, precision, memory format, distribution, and the
    optimiser settings of `trainer.*` (built by `gan.trainer.make_runtime` from the config)."""

    device: torch.device
    bf16: bool
    channels_last: bool
    compile: bool
    distributed: bool
    lr: float
    betas: tuple[float, float]
    max_steps: int
    lr_constant_fraction: float


def set_requires_grad(nets: Iterable[nn.Module], flag: bool) -> None:
    """Freeze or unfreeze all parameters of `nets`."""
    for net in nets:
        for p in net.parameters():
            p.requires_grad_(flag)


def _process_rank() -> int:
    """This process's rank in the default process group (0 without one)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def ema_decay_at(decay: float, updates: int) -> float:
    """Decay of EMA update number `updates` (0-based): min(decay, (1 + t) / (10 + t)).

    The warm-up makes early averages span roughly the last ninth of the steps taken so far
    instead of being dominated by the random initialisation; `decay` is reached after about
    10 / (1 - decay) updates (e.g. ~9000 for 0.999).
    """
    return min(decay, (1.0 + updates) / (10.0 + updates))


class TranslationModel:
    """Base: holds raw nets, their training wrappers, optimisers and LR schedulers.

    Shared training extras, driven by `ModelConfig`:

    - `augment(x)`: DiffAugment for whatever a discriminator sees (`model.diffaug`); models
      call it on real and fake inputs before every discriminator call.
    - An EMA copy of the source-to-target generator (`model.ema_decay`), created by `add_net`
      for `generator_name`, updated by `update_ema()` (the trainer calls it after every
      `train_step`) and returned by `eval_generator()`.
    """

    name = "base"
    config_cls: type[ModelConfig] = ModelConfig
    #: How the training data pairs images: "random" (a target drawn per source, Pix2Pix) or
    #: "unpaired" (independent draws from both domains).
    pairing = "unpaired"

    def __init__(self, cfg: object, rt: Runtime, seed: int) -> None:
        self.cfg, self.rt, self.seed = cfg, rt, seed
        self.raw: dict[str, nn.Module] = {}
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        self.rank = _process_rank()
        policy = getattr(cfg, "diffaug", "")
        self.augmenter = DiffAugment(policy, seed, rt.device, self.rank) if policy else None
        self.ema_decay = float(getattr(cfg, "ema_decay", 0.0))
        self.ema: nn.Module | None = None
        self.ema_updates = 0

    @classmethod
    def parse_config(cls, raw: dict) -> object:
        """Typed, validated model config from the `model` mapping; keys it leaves out come
        from configs/model/<name>.yaml."""
        data = {k: v for k, v in raw.items() if k != "name"}
        defaults = default_config("train", [f"model={cls.name}"])["model"]
        cfg = from_mapping(cls.config_cls, data, "model", defaults)
        cfg.validate()
        return cfg

    def add_net(self, name: str, net: nn.Module) -> None:
        """Initialise, place and (if configured) wrap/compile a network."""
        init_weights(net, self.cfg.init_type, self.cfg.init_gain)
        net = net.to(self.rt.device)
        if self.rt.channels_last:
            net = net.to(memory_format=torch.channels_last)
        self.raw[name] = net
        if name == self.generator_name and self.ema_decay > 0:
            # Not in `raw`: no optimiser, no DDP/compile wrapper; saved under "ema".
            self.ema = copy.deepcopy(net).requires_grad_(False).eval()
        wrapped: nn.Module = net
        if self.rt.distributed:
            ids = [self.rt.device.index] if self.rt.device.type == "cuda" else None
            wrapped = DistributedDataParallel(net, device_ids=ids)
        if self.rt.compile:
            wrapped = torch.compile(wrapped)
        self.nets[name] = wrapped

    def add_optimizer(self, name: str, net_names: list[str]) -> None:
        """Adam over the named nets with the reference linear-decay schedule."""
        params = [p for n in net_names for p in self.raw[n].parameters()]
        # Fused Adam: one pass over each parameter instead of a chain of elementwise kernels.
        opt = torch.optim.Adam(params, lr=self.rt.lr, betas=self.rt.betas, fused=True)
        constant = int(self.rt.max_steps * self.rt.lr_constant_fraction)
        self.optimizers[name] = opt
        self.schedulers[name] = torch.optim.lr_scheduler.LambdaLR(
            opt, LinearDecay(constant, self.rt.max_steps)
        )

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on the model's device when enabled."""
        return torch.autocast(self.rt.device.type, dtype=torch.bfloat16, enabled=self.rt.bf16)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Move an input batch to the device in the configured memory format."""
        x = x.to(self.rt.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.rt.channels_last else x

    def train_mode(self, flag: bool = True) -> None:
        """Switch all nets to train or eval mode."""
        for net in self.raw.values():
            net.train(flag)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One optimisation step; returns detached scalar losses.

        `batch` holds "source" and "target" images (N, 3, H, W) in [-1, 1] and, when the source
        is a render batch with masks, "source_mask": instance ids (N, H, W), int64, 0 = none.
        """
        raise NotImplementedError

    def frames(self, batch: dict[str, torch.Tensor], key: str) -> torch.Tensor | None:
        """The batch's `key` frame boxes ("source_frame" / "target_frame", see
        `gan.data.frame_box`) on the device when the generator has a frame field or the
        discriminator sees frame coordinates, else None (None means whole frames, and a
        generator without a field ignores frames)."""
        return self._frame_on_device(batch.get(key))

    def _frame_on_device(self, frame: torch.Tensor | None) -> torch.Tensor | None:
        """`frame` on the device when a frame option is on, else None (whole frames)."""
        wanted = self.cfg.generator.frame_field or self.cfg.discriminator.frame_coords
        if frame is None or not wanted:
            return None
        return frame.to(self.rt.device)

    def init_frame_field(self, source_mean: torch.Tensor, target_mean: torch.Tensor) -> None:
        """Start the source-to-target generator's frame field (and its EMA copy) at the gains
        between the domains' mean colours per frame cell (`ResnetGenerator.init_field`)."""
        self.raw[self.generator_name].init_field(source_mean, target_mean)
        self.reset_ema()

    def discriminator_step(
        self, fake_input: Callable[[], torch.Tensor], real_input: Callable[[], torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step of the single discriminator "D" (pix2pix, CUT): (d_real, d_fake, loss_d).

        `fake_input` / `real_input` build what D sees (augmented, in that order, so the
        augmentation draws stay in order) inside autocast; loss_d = (d_real + d_fake) / 2."""
        set_requires_grad([self.raw["D"]], True)
        opt_d = self.optimizers["D"]
        opt_d.zero_grad(set_to_none=True)
        D = self.nets["D"]  # noqa: N806 - the reference's name
        with self.autocast():
            pred_fake = D(fake_input())
            pred_real = D(real_input())
        d_real, d_fake = discriminator_loss(self.cfg.gan_mode, pred_real, pred_fake)
        loss_d = 0.5 * (d_real + d_fake)
        loss_d.backward()
        opt_d.step()
        return d_real, d_fake, loss_d

    def d_input(self, image: torch.Tensor, frame: torch.Tensor | None) -> torch.Tensor:
        """What the discriminator sees of `image`: with `discriminator.frame_coords`, two
        channels of every pixel's frame position in [-1, 1] in front of it (`frame`: the
        images' boxes, None = whole frames), so it can judge the look of a place in the
        picture; then the augmentation (colour ops on the image channels only)."""
        if not self.cfg.discriminator.frame_coords:
            return self.augment(image)
        n, _, h, w = image.shape
        coords = frame_grid(frame, n, h, w, image.device).permute(0, 3, 1, 2) * 2 - 1
        x = torch.cat([coords.to(image.dtype), image], 1)
        return self.augment(x, color_start=FRAME_COORD_CHANNELS)

    def content_loss(
        self, batch: dict[str, torch.Tensor], source: torch.Tensor, translated: torch.Tensor
    ) -> torch.Tensor | None:
        """`lambda_content` x the mask-aware structure term, or None when off or unmasked."""
        weight = self.cfg.lambda_content
        mask = batch.get("source_mask")
        if weight == 0 or mask is None:
            return None
        term = masked_structure_loss(source, translated, mask, self.cfg.content_dilation)
        return term * weight

    def augment(self, x: torch.Tensor, color_start: int = 0) -> torch.Tensor:
        """What a discriminator sees of `x` (real or fake): identity unless augmentation is on.

        Each call draws fresh per-image parameters, so call it once per discriminator input.
        Colour ops touch channels `color_start:` only; geometric ops move all channels alike.
        """
        if self.augmenter is None:
            return x
        return self.augmenter(x, color_start=color_start)

    def eval_generator(self) -> nn.Module:
        """The source-to-target network used for evaluation, translation and export.

        The EMA copy when `model.ema_decay > 0`, else the trained generator itself.
        """
        return self.ema if self.ema is not None else self.raw[self.generator_name]

    @torch.no_grad()
    def update_ema(self) -> None:
        """One EMA step of the source-to-target generator (no-op when EMA is off).

        Parameters: ema = d * ema + (1 - d) * current with d = `ema_decay_at(...)`; buffers
        (e.g. BatchNorm running statistics) are copied. The trainer calls this once after
        every `train_step`, for every model.
        """
        if self.ema is None:
            return
        decay = ema_decay_at(self.ema_decay, self.ema_updates)
        live = self.raw[self.generator_name]
        for avg, cur in zip(self.ema.parameters(), live.parameters(), strict=True):
            avg.lerp_(cur.detach(), 1.0 - decay)
        for avg, cur in zip(self.ema.buffers(), live.buffers(), strict=True):
            avg.copy_(cur)
        self.ema_updates += 1

    def reset_ema(self) -> None:
        """Restart the EMA from the current generator weights."""
        if self.ema is not None:
            self.ema.load_state_dict(self.raw[self.generator_name].state_dict())
            self.ema_updates = 0

    def step_schedulers(self) -> None:
        """Advance every LR scheduler by one step."""
        for sched in self.schedulers.values():
            sched.step()

    def learning_rates(self) -> dict[str, float]:
        """Current LR per optimiser."""
        return {k: opt.param_groups[0]["lr"] for k, opt in self.optimizers.items()}

    @property
    def generator_name(self) -> str:
        """Name of the source-to-target generator."""
        return "G"

    def generator_spec(self) -> GeneratorSpec:
        """Spec of the source-to-target generator."""
        return self.cfg.generator

    @torch.no_grad()
    def translate(
        self, x: torch.Tensor, batch_size: int = 8, frame: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Source-to-target translation in eval mode, in chunks; returns fp32 on CPU.

        `frame`: the images' (N, 4) frame boxes (`gan.data.frame_box`); None = whole frames."""
        net = self.eval_generator()
        was_training = net.training
        net.eval()
        frames = self._frame_on_device(frame)
        out = []
        for i, chunk in enumerate(x.split(batch_size)):
            box = None if frames is None else frames[i * batch_size : (i + 1) * batch_size]
            with self.autocast():
                out.append(net(self.prepare(chunk), frame=box).float().cpu())
        net.train(was_training)
        return torch.cat(out)

    @torch.no_grad()
    def visuals(
        self, source: torch.Tensor, frame: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Images for TensorBoard grids given a source batch and its frame boxes (eval mode)."""
        return {"translated": self.translate(source, frame=frame)}

    def extra_state(self) -> dict:
        """State beyond nets/optimisers: here the augmentation RNG; subclasses add theirs
        (e.g. image pools) to `super().extra_state()`."""
        return {"augment": self.augmenter.state_dict()} if self.augmenter is not None else {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what `extra_state` returned (subclasses call super)."""
        if self.augmenter is None:
            return
        if "augment" not in state:
            log.info("checkpoint has no augmentation state; drawing from a fresh seed")
            return
        self.augmenter.load_state_dict(state["augment"])
        if self.rank:  # the checkpoint holds rank 0's stream
            self.augmenter.reseed(self.rank)

    def state_dict(self) -> dict:
        """Everything needed to resume training exactly."""
        state = {
            "nets": {k: v.state_dict() for k, v in self.raw.items()},
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "schedulers": {k: v.state_dict() for k, v in self.schedulers.items()},
            "extra": self.extra_state(),
        }
        if self.ema is not None:
            state["ema"] = {"state_dict": self.ema.state_dict(), "updates": self.ema_updates}
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict` result."""
        for k, v in state["nets"].items():
            self.raw[k].load_state_dict(v)
        for k, v in state["optimizers"].items():
            self.optimizers[k].load_state_dict(v)
        for k, v in state["schedulers"].items():
            self.schedulers[k].load_state_dict(v)
        self.load_extra_state(state.get("extra", {}))
        if self.ema is not None:
            if "ema" in state:
                self.ema.load_state_dict(state["ema"]["state_dict"])
                self.ema_updates = int(state["ema"]["updates"])
            else:
                log.info("checkpoint has no EMA generator; starting the average from its weights")
                self.reset_ema()

    def export_generator(self) -> dict:
        """The translator alone: spec + weights, enough to rebuild without the train config.

        Weights of `eval_generator()`, i.e. the EMA copy when EMA is on.
        """
        net = self.eval_generator()
        weights = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        return {"spec": self.generator_spec().to_dict(), "state_dict": weights}

    def export_reverse_generator(self) -> dict | None:
        """The target-to-source translator (`fridge-translate direction=BtoA`), or None when
        the model has none (only CycleGAN trains one)."""
        return None

    def parameters(self) -> Iterator[torch.Tensor]:
        """All parameters of all nets."""
        for net in self.raw.values():
            yield from net.parameters()


def rebuild_generator(export: dict) -> tuple[nn.Module, GeneratorSpec]:
    """Generator from an `export_generator` dict, in eval mode."""
    spec = GeneratorSpec.from_dict(export["spec"])
    net = build_generator(spec)
    net.load_state_dict(export["state_dict"])
    return net.eval(), spec
