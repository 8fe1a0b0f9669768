"""Generator and discriminator architectures, norm layers and weight initialisation."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from gan.config import ConfigError, require_choice, require_positive

RGB = 3  # generators translate RGB images into RGB images
#: Channels a `frame_coords` discriminator gets in front of the image: x and y frame position.
FRAME_COORD_CHANNELS = 2


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator's architecture: the `model.generator.*` config section itself, and
    everything needed to rebuild the network (stored inside checkpoints and exports).

    No field has a default: the values come from configs/model/<name>.yaml (see gan.config).
    """

    arch: str  # unet | resnet
    ngf: int
    norm: str  # batch | instance | none
    dropout: bool
    num_downs: int  # unet depth: image side must be a multiple of 2**num_downs
    n_blocks: int  # resnet residual blocks (6 or 9 in the reference)
    upsample: str  # deconv | resize (resize-then-convolve, no checkerboard)
    # resnet only: output = tanh(atanh(input) + net(input)) with the last conv zero-initialised,
    # so the generator starts as the identity and learns a correction (SimGAN's refiner idea)
    residual: bool
    # residual resnet only: a per-image global colour transform (3x3 matrix + offset, predicted
    # from the pooled bottleneck features, zero-initialised to the identity) applied to the
    # input before the local correction. White balance, exposure and contrast then need no
    # per-pixel learning, and the conv net is left the local, spatial part of the look.
    color_head: bool
    # residual resnet only, > 0: a smooth gain and offset over the whole frame, learned on an
    # n x n grid of frame positions (zero-initialised: the identity). Training crops carry their
    # place in the frame (`frame` boxes), so the field learns what depends on where a pixel sits
    # in the picture: a fixed camera's vignetting and light fall-off, the dark surroundings of a
    # photographed fridge. Full frames are translated with the box (0, 0, 1, 1).
    frame_field: int
    # how the frame field starts: zero (the identity) | statistics (per cell, the gain that
    # takes the source images' mean colour at that place of the frame to the target's: a fixed
    # camera's fall-off and surroundings are there from step 0, the GAN refines them)
    frame_field_init: str

    # Exports written before these options existed lack them; these values rebuild those nets.
    ADDED_LATER: ClassVar[dict[str, Any]] = {
        "residual": False,
        "color_head": False,
        "frame_field": 0,
        "frame_field_init": "zero",
    }

    @property
    def in_channels(self) -> int:
        """Input channels (RGB)."""
        return RGB

    @property
    def out_channels(self) -> int:
        """Output channels (RGB)."""
        return RGB

    def to_dict(self) -> dict:
        """Plain dict for serialisation (with the channel counts, for readers of the export)."""
        return {**asdict(self), "in_channels": RGB, "out_channels": RGB}

    @classmethod
    def from_dict(cls, data: dict) -> GeneratorSpec:
        """The spec of a `to_dict` result, also of exports written by older versions."""
        data = {**cls.ADDED_LATER, **data}
        channels = (data.pop("in_channels", RGB), data.pop("out_channels", RGB))
        if channels != (RGB, RGB):
            raise ValueError(f"generator channels {channels}: only RGB to RGB is supported")
        return cls(**data)

    def validate(self, prefix: str) -> None:
        """Check choices and ranges; ConfigError names the key under `prefix`."""
        require_choice(f"{prefix}.arch", self.arch, ("unet", "resnet"))
        require_choice(f"{prefix}.norm", self.norm, ("batch", "instance", "none"))
        require_choice(f"{prefix}.upsample", self.upsample, ("deconv", "resize"))
        require_positive(f"{prefix}.ngf", self.ngf)
        if self.residual and self.arch != "resnet":
            raise ConfigError(f"{prefix}.residual: needs {prefix}.arch=resnet, got {self.arch!r}")
        if self.color_head and not self.residual:
            raise ConfigError(f"{prefix}.color_head: needs {prefix}.residual=true")
        require_positive(f"{prefix}.frame_field", self.frame_field, allow_zero=True)
        if self.frame_field and not self.residual:
            raise ConfigError(f"{prefix}.frame_field: needs {prefix}.residual=true")
        require_choice(f"{prefix}.frame_field_init", self.frame_field_init, FIELD_INITS)
        require_positive(f"{prefix}.n_blocks", self.n_blocks, allow_zero=True)
        if self.num_downs < 2:
            raise ConfigError(f"{prefix}.num_downs: must be >= 2, got {self.num_downs}")


@dataclass(frozen=True)
class DiscriminatorSpec:
    """A discriminator's architecture: the `model.discriminator.*` config section itself.

    The input channels are the model's business (3 for an image, 6 for pix2pix's
    (source, image) pairs) and are passed to `build_discriminator`.
    """

    arch: str  # patch | pixel
    ndf: int
    n_layers: int
    norm: str
    # > 1: pix2pixHD's multi-scale discriminator, the same network at num_scales input scales
    # (each a 2x average-pool of the last). The coarser ones see whole training crops, so
    # global tone, colour and layout get a signal, not only local texture.
    num_scales: int
    # patch only: two channels of every pixel's frame position (x, y in [-1, 1]) in front of
    # the image, so that D judges the look of each place in the picture (training crops carry
    # their frame boxes); the frame field of a fixed camera then gets a signal
    frame_coords: bool

    def input_channels(self, image_channels: int) -> int:
        """Channels D is built for: the model's image channels plus the frame coordinates."""
        return image_channels + (FRAME_COORD_CHANNELS if self.frame_coords else 0)

    def validate(self, prefix: str) -> None:
        """Check choices and ranges; ConfigError names the key under `prefix`."""
        require_choice(f"{prefix}.arch", self.arch, ("patch", "pixel"))
        require_choice(f"{prefix}.norm", self.norm, ("batch", "instance", "none"))
        require_positive(f"{prefix}.ndf", self.ndf)
        require_positive(f"{prefix}.n_layers", self.n_layers)
        require_positive(f"{prefix}.num_scales", self.num_scales)
        if self.frame_coords and self.arch != "patch":
            raise ConfigError(f"{prefix}.frame_coords: needs {prefix}.arch=patch")


def norm_layer(kind: str) -> Callable[[int], nn.Module]:
    """Factory for a normalisation layer by name."""
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if kind == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if kind == "none":
        return lambda _channels: nn.Identity()
    raise ValueError(f"unknown norm {kind!r} (batch|instance|none)")


def conv_bias(kind: str) -> bool:
    """BatchNorm has its own shift, so convolutions before it need no bias."""
    return kind != "batch"


def up_block(in_ch: int, out_ch: int, mode: str, bias: bool) -> nn.Module:
    """2x upsampling convolution: transposed conv, or nearest resize then 3x3 conv."""
    if mode == "deconv":
        return nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1, bias=bias)
    if mode == "resize":
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, 3, padding=1, padding_mode="reflect", bias=bias),
        )
    raise ValueError(f"unknown upsample {mode!r} (deconv|resize)")


#: How a frame field starts (`GeneratorSpec.frame_field_init`).
FIELD_INITS = ("zero", "statistics")

#: The frame field is stored divided by this, so that Adam's per-step change of about one
#: learning rate moves the field this many times faster: a fixed camera's fall-off to dark
#: corners needs gains far beyond the 0.2-0.4 that 1000-2000 steps of lr 2e-4 would allow.
FIELD_RATE = 8.0


def frame_grid(
    frame: torch.Tensor | None, n: int, h: int, w: int, device: torch.device
) -> torch.Tensor:
    """Every pixel's position in its frame, (N, H, W, 2) as (x, y) in [0, 1] frame units, for
    images whose frame boxes are `frame` (N, 4) (x0, y0, x1, y1); None = whole frames."""
    if frame is None:
        frame = torch.tensor([0.0, 0.0, 1.0, 1.0], device=device).expand(n, 4)
    frame = frame.float().to(device)
    steps_x = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) / w
    steps_y = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) / h
    u = frame[:, 0:1] + (frame[:, 2:3] - frame[:, 0:1]) * steps_x  # (N, W)
    v = frame[:, 1:2] + (frame[:, 3:4] - frame[:, 1:2]) * steps_y  # (N, H)
    return torch.stack([u[:, None, :].expand(n, h, w), v[:, :, None].expand(n, h, w)], dim=-1)


class UnetGenerator(nn.Module):
    """U-Net: num_downs stride-2 encoder convs, mirrored decoder, skip connections by concat."""

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__()
        n, ngf, norm = spec.num_downs, spec.ngf, norm_layer(spec.norm)
        if n < 2:
            raise ValueError("unet num_downs must be >= 2")
        bias = conv_bias(spec.norm)
        ch = [min(ngf * 2**i, ngf * 8) for i in range(n)]
        self.downs = nn.ModuleList()
        for i in range(n):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2, True)]
            in_ch = spec.in_channels if i == 0 else ch[i - 1]
            layers.append(nn.Conv2d(in_ch, ch[i], 4, stride=2, padding=1, bias=bias))
            if 0 < i < n - 1:
                layers.append(norm(ch[i]))
            self.downs.append(nn.Sequential(*layers))
        self.ups = nn.ModuleList()
        for i in reversed(range(n)):
            in_ch = ch[i] if i == n - 1 else ch[i] * 2
            out_ch = spec.out_channels if i == 0 else ch[i - 1]
            layers = [nn.ReLU(True), up_block(in_ch, out_ch, spec.upsample, bias or i == 0)]
            if i == 0:
                layers.append(nn.Tanh())
            else:
                layers.append(norm(out_ch))
                if spec.dropout and 4 <= i < n - 1:
                    layers.append(nn.Dropout(0.5))
            self.ups.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor, frame: torch.Tensor | None = None) -> torch.Tensor:
        """Translate a batch (N, C, H, W); H and W must be multiples of 2**num_downs.

        `frame` (the images' boxes in their frames) is accepted for a common call signature
        and not used."""
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[0](skips.pop())
        for up in self.ups[1:]:
            x = up(torch.cat([skips.pop(), x], 1))
        return x


class ResnetBlock(nn.Module):
    """Two reflect-padded 3x3 convs with a residual connection."""

    def __init__(
        self, dim: int, norm: Callable[[int], nn.Module], dropout: bool, bias: bool
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(dim, dim, 3, padding=1, padding_mode="reflect", bias=bias),
            norm(dim),
            nn.ReLU(True),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.Conv2d(dim, dim, 3, padding=1, padding_mode="reflect", bias=bias), norm(dim)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x + F(x)."""
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Johnson-style generator: 7x7 stem, two stride-2 downs, residual blocks, two ups."""

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__()
        ngf, norm, bias = spec.ngf, norm_layer(spec.norm), conv_bias(spec.norm)
        layers: list[nn.Module] = [
            nn.Conv2d(spec.in_channels, ngf, 7, padding=3, padding_mode="reflect", bias=bias),
            norm(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                norm(ngf * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4, norm, spec.dropout, bias) for _ in range(spec.n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            if spec.upsample == "deconv":
                up = nn.ConvTranspose2d(
                    ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias
                )
            else:
                up = up_block(ngf * mult, ngf * mult // 2, spec.upsample, bias)
            layers += [up, norm(ngf * mult // 2), nn.ReLU(True)]
        layers += [
            nn.Conv2d(ngf, spec.out_channels, 7, padding=3, padding_mode="reflect"),
            nn.Tanh(),
        ]
        self.model = nn.Sequential(*layers)
        self.spec = spec
        # index of the layer that receives the bottleneck (the last residual block's output)
        self.bottleneck = 9 + spec.n_blocks
        c = spec.out_channels
        self.color = nn.Linear(ngf * 4, c * c + c) if spec.color_head else None
        n = spec.frame_field
        self.field = nn.Parameter(torch.zeros(1, 2 * c, n, n)) if n else None

    def forward(self, x: torch.Tensor, frame: torch.Tensor | None = None) -> torch.Tensor:
        """Translate a batch (N, C, H, W); H and W must be multiples of 4.

        `frame`: (N, 4) boxes (x0, y0, x1, y1) of the images in their full frames, in [0, 1]
        frame units (x0 > x1 for a mirrored crop); None = each image is a whole frame. Only a
        generator with a frame field (`frame_field` > 0) uses it.
        """
        if not self.spec.residual:
            return self.model(x)
        if self.color is None:
            return self.add_residual(self.apply_field(x, frame), self.model[:-1](x))
        h, pooled = x, None
        for i, layer in enumerate(self.model[:-1]):
            if i == self.bottleneck:
                pooled = h.mean(dim=(2, 3))
            h = layer(h)
        return self.add_residual(self.apply_field(self.recolor(x, pooled), frame), h)

    def recolor(self, x: torch.Tensor, pooled: torch.Tensor) -> torch.Tensor:
        """x + A x + b per image, in fp32, with (A, b) predicted from the pooled bottleneck."""
        c = x.shape[1]
        p = self.color(pooled.float()).float()
        mat, off = p[:, : c * c].view(-1, c, c), p[:, c * c :].view(-1, c, 1, 1)
        x = x.float()
        return x + torch.einsum("nij,njhw->nihw", mat, x) + off

    def apply_field(self, x: torch.Tensor, frame: torch.Tensor | None) -> torch.Tensor:
        """The frame field on x in [-1, 1], fp32: in [0, 1] intensity, v * exp(gain) + offset,
        with (gain, offset) read bilinearly from the field at every pixel's frame position."""
        if self.field is None:
            return x
        n, c, h, w = x.shape
        field = F.grid_sample(
            (self.field.float() * FIELD_RATE).expand(n, -1, -1, -1),
            frame_grid(frame, n, h, w, x.device) * 2 - 1,
            mode="bilinear",
            padding_mode="border",
            align_corners=False,
        )
        gain, offset = field[:, :c], field[:, c:]
        return ((x.float() + 1) * 0.5 * torch.exp(gain) + offset) * 2 - 1

    @torch.no_grad()
    def init_field(self, source_mean: torch.Tensor, target_mean: torch.Tensor) -> None:
        """Start the frame field at the gains that take `source_mean` to `target_mean`: the
        domains' mean colours per frame cell, (C, n, n) in [0, 1] (`gan.data.frame_means`)."""
        if self.field is None:
            raise ValueError("this generator has no frame field (frame_field=0)")
        gain = (target_mean.clamp(min=1e-3) / source_mean.clamp(min=1e-3)).log().clamp(-3, 3)
        self.field.zero_()
        self.field[0, : gain.shape[0]] = gain.to(self.field) / FIELD_RATE

    @staticmethod
    def add_residual(x: torch.Tensor, correction: torch.Tensor) -> torch.Tensor:
        """tanh(atanh(x) + correction) in fp32: the input moved in tanh's pre-activation space."""
        base = torch.atanh(x.float().clamp(-0.999, 0.999))
        return torch.tanh(base + correction.float())

    def zero_last_conv(self) -> None:
        """Zero the output convolution: a residual generator then starts as the identity."""
        conv = self.model[-2]
        nn.init.zeros_(conv.weight)
        if conv.bias is not None:
            nn.init.zeros_(conv.bias)
        if self.field is not None:
            nn.init.zeros_(self.field)
        if self.color is not None:
            nn.init.zeros_(self.color.weight)
            nn.init.zeros_(self.color.bias)

    def encode(self, x: torch.Tensor, layer_ids: Sequence[int]) -> list[torch.Tensor]:
        """Encoder activations at `layer_ids` (see `resnet_tap_channels`), in that order.

        Tap i is the tensor entering `self.model[i]`: 0 the input image, 1 the 7x7 stem conv
        output (before its norm), 4 and 7 the two stride-2 conv outputs (before their norms),
        9 + k the output of residual block k (k >= 1). Only the layers up to the deepest tap
        run; `forward` and the state_dict are untouched.
        """
        return self._run(x, layer_ids, encode_only=True)[1]

    def forward_with_taps(
        self, x: torch.Tensor, layer_ids: Sequence[int], frame: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """`forward(x, frame)` and the `encode(x, layer_ids)` activations from the same pass."""
        return self._run(x, layer_ids, encode_only=False, frame=frame)

    def _run(
        self,
        x: torch.Tensor,
        layer_ids: Sequence[int],
        encode_only: bool,
        frame: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        taps = len(resnet_tap_channels(self.spec))
        bad = [i for i in layer_ids if not 0 <= i < taps]
        if bad or not layer_ids:
            raise ValueError(f"encoder taps {list(layer_ids)} must lie in 0..{taps - 1}")
        wanted, last = set(layer_ids), max(layer_ids)
        feats: dict[int, torch.Tensor] = {}
        source, final = x, len(self.model) - 1
        for i, layer in enumerate(self.model):
            if i in wanted:
                # An in-place ReLU would overwrite the stored activation.
                feats[i] = x.clone() if getattr(layer, "inplace", False) else x
            if encode_only and i == last:
                break
            if i == self.bottleneck and self.color is not None:
                source = self.recolor(source, x.mean(dim=(2, 3)))
            if i == final and self.spec.residual:
                x = self.add_residual(self.apply_field(source, frame), x)
            else:
                x = layer(x)
        return x, [feats[i] for i in layer_ids]


def resnet_tap_channels(spec: GeneratorSpec) -> list[int]:
    """Channels of every `ResnetGenerator.encode` tap: index i is the input of `model[i]`.

    Layout of `ResnetGenerator.model`: 0 stem conv, 1 norm, 2 ReLU, 3 down conv, 4 norm,
    5 ReLU, 6 down conv, 7 norm, 8 ReLU, 9 .. 8 + n_blocks residual blocks, then the decoder.
    The taps cover the encoder: 0 .. 9 + n_blocks (the last is the output of the last block).
    """
    ngf = spec.ngf
    return [spec.in_channels] + [ngf] * 3 + [ngf * 2] * 3 + [ngf * 4] * (3 + spec.n_blocks)


class PatchSampleMLP(nn.Module):
    """CUT's projection head: per encoder layer, gather sampled positions, 2-layer MLP, L2 norm.

    Built from channel counts (`resnet_tap_channels`) so it exists before any forward pass.
    Positions come from `sample_ids`, so a query and a key feature list share them.
    """

    def __init__(self, in_channels: Sequence[int], dim: int = 256) -> None:
        super().__init__()
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(c, dim), nn.ReLU(), nn.Linear(dim, dim)) for c in in_channels
        )

    @staticmethod
    def sample_ids(
        feats: Sequence[torch.Tensor], num_patches: int, generator: torch.Generator
    ) -> list[torch.Tensor]:
        """Per feature map, min(num_patches, H*W) distinct flat positions drawn on the CPU
        from `generator` (shared by every image of the batch), on the features' device."""
        out = []
        for f in feats:
            hw = f.shape[-2] * f.shape[-1]
            ids = torch.randperm(hw, generator=generator)[: min(num_patches, hw)]
            out.append(ids.to(f.device, non_blocking=True))
        return out

    def forward(
        self, feats: Sequence[torch.Tensor], patch_ids: Sequence[torch.Tensor]
    ) -> list[torch.Tensor]:
        """Projected patches per layer: (N, P, dim), L2-normalised in fp32."""
        out = []
        for mlp, f, ids in zip(self.mlps, feats, patch_ids, strict=True):
            patches = f.flatten(2).index_select(2, ids).transpose(1, 2)  # (N, P, C)
            out.append(F.normalize(mlp(patches).float(), dim=-1))
        return out


class NLayerDiscriminator(nn.Module):
    """PatchGAN: n_layers stride-2 convs, one real/fake logit per overlapping patch."""

    def __init__(self, spec: DiscriminatorSpec, in_channels: int) -> None:
        super().__init__()
        ndf, norm, bias = spec.ndf, norm_layer(spec.norm), conv_bias(spec.norm)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, True),
        ]
        mult = 1
        for n in range(1, spec.n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < spec.n_layers else 1
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=bias),
                norm(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch logits (N, 1, h, w)."""
        return self.model(x)


class MultiScaleDiscriminator(nn.Module):
    """`num_scales` independent discriminators, scale k seeing the input pooled 2^k times.

    Returns a list of logit maps, finest first; `gan.losses` averages the loss over scales.
    """

    def __init__(self, spec: DiscriminatorSpec, in_channels: int) -> None:
        super().__init__()
        one = replace(spec, num_scales=1)
        self.scales = nn.ModuleList(
            build_discriminator(one, in_channels) for _ in range(spec.num_scales)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Logits per scale."""
        out = []
        for i, net in enumerate(self.scales):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            out.append(net(x))
        return out


class PixelDiscriminator(nn.Module):
    """1x1 PatchGAN (pixelGAN): classifies every pixel independently."""

    def __init__(self, spec: DiscriminatorSpec, in_channels: int) -> None:
        super().__init__()
        ndf, bias = spec.ndf, conv_bias(spec.norm)
        self.model = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 1, bias=bias),
            norm_layer(spec.norm)(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pixel logits (N, 1, H, W)."""
        return self.model(x)


def init_weights(net: nn.Module, kind: str = "normal", gain: float = 0.02) -> nn.Module:
    """Initialise conv/linear weights (normal|xavier|kaiming|orthogonal) and norm scales."""
    for m in net.modules():
        name = type(m).__name__
        if hasattr(m, "weight") and m.weight is not None and ("Conv" in name or "Linear" in name):
            if kind == "normal":
                nn.init.normal_(m.weight, 0.0, gain)
            elif kind == "xavier":
                nn.init.xavier_normal_(m.weight, gain=gain)
            elif kind == "kaiming":
                nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in")
            elif kind == "orthogonal":
                nn.init.orthogonal_(m.weight, gain=gain)
            else:
                raise ValueError(f"unknown init {kind!r} (normal|xavier|kaiming|orthogonal)")
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif "BatchNorm2d" in name:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    if isinstance(net, ResnetGenerator) and net.spec.residual:
        net.zero_last_conv()
    return net


def build_generator(spec: GeneratorSpec) -> nn.Module:
    """Construct a generator from its spec."""
    if spec.residual and spec.arch != "resnet":
        raise ValueError("a residual generator needs arch=resnet")
    if spec.color_head and not spec.residual:
        raise ValueError("a colour head needs a residual generator (residual=true)")
    if spec.frame_field and not spec.residual:
        raise ValueError("a frame field needs a residual generator (residual=true)")
    if spec.arch == "unet":
        return UnetGenerator(spec)
    if spec.arch == "resnet":
        return ResnetGenerator(spec)
    raise ValueError(f"unknown generator arch {spec.arch!r} (unet|resnet)")


def build_discriminator(spec: DiscriminatorSpec, in_channels: int) -> nn.Module:
    """Construct a discriminator from its spec for `in_channels` input channels."""
    if spec.num_scales > 1:
        return MultiScaleDiscriminator(spec, in_channels)
    if spec.arch == "patch":
        return NLayerDiscriminator(spec, in_channels)
    if spec.arch == "pixel":
        return PixelDiscriminator(spec, in_channels)
    raise ValueError(f"unknown discriminator arch {spec.arch!r} (patch|pixel)")


def size_multiple(spec: GeneratorSpec) -> int:
    """Image sides must be multiples of this for the generator to preserve shape."""
    return 2**spec.num_downs if spec.arch == "unet" else 4
