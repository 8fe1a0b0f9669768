"""Shared machinery of the translation models: devices, precision, optimisers, state."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gan.config import ConfigError, from_mapping, require_choice, require_positive
from gan.losses import GAN_MODES
from gan.networks import DiscriminatorSpec, GeneratorSpec, build_generator, init_weights
from gan.preserve import masked_structure_loss


@dataclass
class GeneratorConfig:
    """`model.generator.*` (see gan.networks.GeneratorSpec)."""

    arch: str = "unet"
    ngf: int = 64
    norm: str = "batch"
    dropout: bool = True
    num_downs: int = 8
    n_blocks: int = 9
    upsample: str = "deconv"

    def spec(self) -> GeneratorSpec:
        """Generator spec for 3-channel images."""
        return GeneratorSpec(
            arch=self.arch,
            ngf=self.ngf,
            norm=self.norm,
            dropout=self.dropout,
            num_downs=self.num_downs,
            n_blocks=self.n_blocks,
            upsample=self.upsample,
        )

    def validate(self, prefix: str) -> None:
        """Check choices."""
        require_choice(f"{prefix}.arch", self.arch, ("unet", "resnet"))
        require_choice(f"{prefix}.norm", self.norm, ("batch", "instance", "none"))
        require_choice(f"{prefix}.upsample", self.upsample, ("deconv", "resize"))
        require_positive(f"{prefix}.ngf", self.ngf)
        require_positive(f"{prefix}.n_blocks", self.n_blocks, allow_zero=True)
        if self.num_downs < 2:
            raise ConfigError(f"{prefix}.num_downs: must be >= 2, got {self.num_downs}")


@dataclass
class DiscriminatorConfig:
    """`model.discriminator.*` (see gan.networks.DiscriminatorSpec)."""

    arch: str = "patch"
    ndf: int = 64
    n_layers: int = 3
    norm: str = "batch"

    def spec(self, in_channels: int) -> DiscriminatorSpec:
        """Discriminator spec for `in_channels` inputs."""
        return DiscriminatorSpec(self.arch, in_channels, self.ndf, self.n_layers, self.norm)

    def validate(self, prefix: str) -> None:
        """Check choices."""
        require_choice(f"{prefix}.arch", self.arch, ("patch", "pixel"))
        require_choice(f"{prefix}.norm", self.norm, ("batch", "instance", "none"))
        require_positive(f"{prefix}.ndf", self.ndf)
        require_positive(f"{prefix}.n_layers", self.n_layers)


@dataclass
class ModelConfig:
    """`model.*` keys every model has; each model's config subclasses it and adds its own.

    configs/model/<name>.yaml holds the values a user sees; these defaults mirror them.
    """

    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    init_type: str = "normal"
    init_gain: float = 0.02
    gan_mode: str = "vanilla"
    # Content-preserving term on the renders' instance masks (gan.preserve); 0 = off.
    lambda_content: float = 0.0
    content_dilation: int = 2

    def validate(self) -> None:
        """Checks shared by all model configs (generator, discriminator, init, gan_mode)."""
        self.generator.validate("model.generator")
        self.discriminator.validate("model.discriminator")
        require_choice(
            "model.init_type", self.init_type, ("normal", "xavier", "kaiming", "orthogonal")
        )
        require_choice("model.gan_mode", self.gan_mode, GAN_MODES)
        require_finite_nonnegative("model.lambda_content", self.lambda_content)
        require_positive("model.content_dilation", self.content_dilation, allow_zero=True)


def require_finite_nonnegative(key: str, value: float) -> None:
    """Raise ConfigError unless `value` is a finite number >= 0."""
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{key}: must be a finite number >= 0, got {value!r}")


@dataclass
class Runtime:
    """Where and how models run: device, precision, memory format, distribution."""

    device: torch.device
    bf16: bool = False
    channels_last: bool = False
    compile: bool = False
    distributed: bool = False
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    max_steps: int = 1
    lr_constant_fraction: float = 0.5


class LinearDecay:
    """LR factor: 1 for the constant phase, then linear to ~0 at `total` steps."""

    def __init__(self, constant: int, total: int) -> None:
        self.constant, self.total = constant, total

    def __call__(self, step: int) -> float:
        """Multiplicative LR factor at `step`."""
        decay = max(1, self.total - self.constant + 1)
        return 1.0 - max(0, step - self.constant) / decay


def set_requires_grad(nets: Iterable[nn.Module], flag: bool) -> None:
    """Freeze or unfreeze all parameters of `nets`."""
    for net in nets:
        for p in net.parameters():
            p.requires_grad_(flag)


class TranslationModel:
    """Base: holds raw nets, their training wrappers, optimisers and LR schedulers."""

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

    @classmethod
    def parse_config(cls, raw: dict) -> object:
        """Typed, validated model config from the `model` mapping."""
        data = {k: v for k, v in raw.items() if k != "name"}
        cfg = from_mapping(cls.config_cls, data, "model")
        cfg.validate()
        return cfg

    def add_net(self, name: str, net: nn.Module) -> None:
        """Initialise, place and (if configured) wrap/compile a network."""
        init_weights(net, self.cfg.init_type, self.cfg.init_gain)
        net = net.to(self.rt.device)
        if self.rt.channels_last:
            net = net.to(memory_format=torch.channels_last)
        self.raw[name] = net
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

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """What a discriminator sees of `x` (real or fake): identity unless augmentation is on."""
        return x

    def eval_generator(self) -> nn.Module:
        """The source-to-target network used for evaluation, translation and export."""
        return self.raw[self.generator_name]

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
        return self.cfg.generator.spec()

    @torch.no_grad()
    def translate(self, x: torch.Tensor, batch_size: int = 8) -> torch.Tensor:
        """Source-to-target translation in eval mode, in chunks; returns fp32 on CPU."""
        net = self.eval_generator()
        was_training = net.training
        net.eval()
        out = []
        for chunk in x.split(batch_size):
            with self.autocast():
                out.append(net(self.prepare(chunk)).float().cpu())
        net.train(was_training)
        return torch.cat(out)

    @torch.no_grad()
    def visuals(self, source: torch.Tensor) -> dict[str, torch.Tensor]:
        """Images for TensorBoard grids given a source batch (eval mode)."""
        return {"translated": self.translate(source)}

    def extra_state(self) -> dict:
        """Model-specific state beyond nets/optimisers (e.g. image pools)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what `extra_state` returned."""

    def state_dict(self) -> dict:
        """Everything needed to resume training exactly."""
        return {
            "nets": {k: v.state_dict() for k, v in self.raw.items()},
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "schedulers": {k: v.state_dict() for k, v in self.schedulers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict` result."""
        for k, v in state["nets"].items():
            self.raw[k].load_state_dict(v)
        for k, v in state["optimizers"].items():
            self.optimizers[k].load_state_dict(v)
        for k, v in state["schedulers"].items():
            self.schedulers[k].load_state_dict(v)
        self.load_extra_state(state.get("extra", {}))

    def export_generator(self) -> dict:
        """The translator alone: spec + weights, enough to rebuild without the train config."""
        net = self.eval_generator()
        weights = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        return {"spec": self.generator_spec().to_dict(), "state_dict": weights}

    def parameters(self) -> Iterator[torch.Tensor]:
        """All parameters of all nets."""
        for net in self.raw.values():
            yield from net.parameters()


def rebuild_generator(export: dict) -> tuple[nn.Module, GeneratorSpec]:
    """Generator from an `export_generator` dict, in eval mode."""
    spec = GeneratorSpec(**export["spec"])
    net = build_generator(spec)
    net.load_state_dict(export["state_dict"])
    return net.eval(), spec
