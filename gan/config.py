"""Typed configuration: dataclasses built from the Hydra config, one-line errors.

One source of values: the YAML files under configs/ (shipped as `fridge_configs`). The config
dataclasses here and in gan/models, gan/evaluate, gan/translate and gan/usefulness declare
keys, types and checks only, never a value. They are always built from a mapping by
`from_mapping`, which takes every key the mapping leaves out from the packaged YAML
(`default_config`), so the console scripts, the demo and library callers get the same values.
Plain dataclasses filled from the YAML were chosen over Hydra structured configs: the YAML
stays the one readable, commented place users edit (including the per-model differences in
configs/model/), the checks stay ordinary Python with one-line `ConfigError`s, and nothing
about how the CLIs compose configs changes.

A library caller builds a config from the packaged YAML with Hydra-style overrides::

    raw = default_config("train", ["model=cut", "data.source_dir=renders"])
    cfg = parse_train_config(raw)

or passes only what differs to a parser (`evaluate({"a_dir": ..., "b_dir": ...})`,
`TranslationModel.parse_config({"lambda_content": 1.0})`): the rest comes from the YAML.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A config key is unknown or has an invalid value; the message names the key."""


SEED_MAX = 2**32 - 1  # numpy's legacy seeding and all derived-seed arithmetic stay in range


def is_seed_key(key: str) -> bool:
    """True for keys holding a random seed (`seed`, `*.seed`, `*.seeds`)."""
    return key.rpartition(".")[2] in ("seed", "seeds")


def require_seed(key: str, value: Any) -> None:
    """Raise ConfigError unless `value` is an integer seed in [0, SEED_MAX]."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise ConfigError(f"{key}: a seed must be an integer in [0, {SEED_MAX}], got {value!r}")


MISSING = "???"  # Hydra's mark of a mandatory value (e.g. fridge-eval's a_dir)


@functools.cache
def _packaged(config_name: str, overrides: tuple[str, ...]) -> dict:
    """`default_config` without the copy (composed once per process and arguments)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from gan.cli import CONFIG_DIR

    if GlobalHydra.instance().is_initialized():  # inside a running app: its search path has them
        cfg = compose(config_name=config_name, overrides=list(overrides))
    else:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=True)


def default_config(config_name: str = "train", overrides: Sequence[str] = ()) -> dict:
    """The packaged YAML `configs/<config_name>.yaml` composed by Hydra, as a plain dict.

    `overrides` are Hydra command-line overrides (`["model=cut", "trainer.max_steps=10"]`).
    Interpolations are resolved; mandatory values nobody gave stay `"???"` (the parsers report
    them as missing). Without `hydra`. Each call returns a fresh copy.
    """
    return copy.deepcopy(_packaged(config_name, tuple(overrides)))


def with_defaults(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict:
    """`data` with the keys it leaves out taken from `defaults` (a `default_config`), for the
    configs read key by key rather than by `from_mapping` (fridge-render, fridge-export).

    A section (a mapping in `defaults`, missing, null or a mapping in `data`) is filled key by
    key; values inside a section (such as `camera.modes`) are taken whole; mandatory values
    (`???`) are not filled, so the reader reports them as missing.
    """
    out = {k: v for k, v in defaults.items() if not (isinstance(v, str) and v == MISSING)}
    out.update(data)
    for key, value in defaults.items():
        given = data.get(key)
        if isinstance(value, Mapping) and (given is None or isinstance(given, Mapping)):
            out[key] = {**value, **(given or {})}
    return out


def _coerce(value: Any, typ: Any, key: str, defaults: Any = None) -> Any:
    """Convert a config value to the annotated type or raise ConfigError naming `key`.

    `defaults` is the packaged YAML at `key`: a nested dataclass takes the keys `value` leaves
    out from it.
    """
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(typ)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, defaults)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{key}: invalid value {value!r}")
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            if is_seed_key(key):
                require_seed(key, value)
            return value
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if typ is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):  # every float key: nan/inf are never a valid setting
                raise ConfigError(f"{key}: expected a finite number, got {value!r}")
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if typing.get_origin(typ) is list and is_seed_key(key):
        if not isinstance(value, list | tuple) or not value:
            raise ConfigError(f"{key}: expected a non-empty list of seeds, got {value!r}")
        for item in value:
            require_seed(key, item)
        return list(value)
    if typ is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if dataclasses.is_dataclass(typ):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return from_mapping(typ, value, key, defaults if isinstance(defaults, Mapping) else None)
    return value


def from_mapping(
    cls: type, data: Mapping[str, Any], prefix: str, defaults: Mapping[str, Any] | None = None
) -> Any:
    """Build dataclass `cls` from a mapping; unknown keys and bad types raise ConfigError.

    Keys `data` leaves out are taken from `defaults` (the packaged YAML's section for `cls`,
    nested sections alike); a key in neither, or still `???`, is a ConfigError.
    """
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    defaults = defaults or {}

    def full(key: str) -> str:
        return f"{prefix}.{key}" if prefix else key

    for key in data:
        if key not in names:
            raise ConfigError(f"{full(key)}: unknown config key (valid: {', '.join(names)})")
    kwargs = {}
    for name in names:
        value = data.get(name, defaults.get(name, MISSING))
        if isinstance(value, str) and value == MISSING:
            raise ConfigError(f"{full(name)}: missing value (pass {full(name)}=...)")
        kwargs[name] = _coerce(value, hints[name], full(name), defaults.get(name))
    return cls(**kwargs)


def require_choice(key: str, value: Any, options: tuple[str, ...]) -> None:
    """Raise ConfigError unless `value` is one of `options`."""
    if value not in options:
        raise ConfigError(f"{key}: must be one of {'|'.join(options)}, got {value!r}")


def require_positive(key: str, value: float | int | None, allow_zero: bool = False) -> None:
    """Raise ConfigError unless `value` is a finite positive number (or zero when allowed)."""
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{key}: must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


@dataclass
class DataConfig:
    """`data.*`: the two image domains and preprocessing."""

    source_dir: str
    target_dir: str
    image_size: int
    load_size: int | None
    preprocess: str
    flip: bool
    num_workers: int

    def validate(self) -> None:
        """Check value ranges."""
        require_positive("data.image_size", self.image_size)
        require_positive("data.load_size", self.load_size)
        require_positive("data.num_workers", self.num_workers, allow_zero=True)
        require_choice(
            "data.preprocess", self.preprocess, ("resize_and_crop", "crop", "resize", "none")
        )
        if self.load_size is not None and self.load_size < self.image_size:
            raise ConfigError(f"data.load_size: must be >= data.image_size ({self.image_size})")


@dataclass
class TrainerConfig:
    """`trainer.*`: optimisation length, logging intervals, hardware."""

    max_steps: int
    max_epochs: int | None
    batch_size: int
    lr: float
    beta1: float
    beta2: float
    lr_constant_fraction: float
    log_every: int
    eval_every: int
    image_every: int
    checkpoint_every: int
    grid_images: int
    device: str
    precision: str
    channels_last: bool | str
    compile: bool
    resume: str
    monitor: str
    deterministic: bool

    def validate(self) -> None:
        """Check value ranges and choices."""
        # max_steps=0: no optimisation step, the initial generator is saved (with
        # model.generator.frame_field_init=statistics: the frame field alone)
        require_positive("trainer.max_steps", self.max_steps, allow_zero=True)
        for key in ("batch_size", "log_every", "eval_every", "image_every"):
            require_positive(f"trainer.{key}", getattr(self, key))
        require_positive("trainer.checkpoint_every", self.checkpoint_every)
        require_positive("trainer.max_epochs", self.max_epochs)
        require_positive("trainer.lr", self.lr)
        require_choice("trainer.device", self.device, ("auto", "cpu", "cuda"))
        require_choice("trainer.precision", self.precision, ("32", "bf16"))
        if not isinstance(self.channels_last, bool) and self.channels_last != "auto":
            raise ConfigError(
                f"trainer.channels_last: must be auto, true or false, got {self.channels_last!r}"
            )
        require_choice("trainer.monitor", self.monitor, ("swd", "fid", "kid"))
        if not 0.0 <= self.lr_constant_fraction <= 1.0:
            raise ConfigError("trainer.lr_constant_fraction: must be within [0, 1]")
        for key in ("beta1", "beta2"):  # Adam's moment decays
            value = getattr(self, key)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"trainer.{key}: must be within [0, 1), got {value!r}")


@dataclass
class ContentConfig:
    """`metrics.content.*` (fridge-train) / `content.*` (fridge-eval): the content score.

    A small segmenter trained once on clean renders (cached in `cache_dir` under a hash of its
    training batch and these settings) scores how well translated images keep the labelled
    objects (mIoU). `enabled`: auto (when the renders have masks and class labels) | true
    (error without them) | false.
    """

    enabled: bool | str
    steps: int
    batch_size: int
    crop_size: int
    max_images: int
    seed: int
    cache_dir: str

    def validate(self, prefix: str) -> None:
        """Check value ranges; `prefix` is the key path of this block (e.g. metrics.content)."""
        if not isinstance(self.enabled, bool) and self.enabled != "auto":
            raise ConfigError(
                f"{prefix}.enabled: must be auto, true or false, got {self.enabled!r}"
            )
        for key in ("steps", "batch_size", "max_images"):
            require_positive(f"{prefix}.{key}", getattr(self, key))
        if self.crop_size < 16:
            raise ConfigError(f"{prefix}.crop_size: must be >= 16, got {self.crop_size}")
        if not self.cache_dir:
            raise ConfigError(f"{prefix}.cache_dir: must be a folder path")


@dataclass
class EvalContentConfig(ContentConfig):
    """`content.*` of fridge-eval: ContentConfig plus `train_dir`, the clean render batch the
    segmenter is trained on (null: a_dir itself, which flatters the scores; said in the
    report)."""

    train_dir: str | None


SWD_MIN_SIZE = 4  # coarsest Laplacian pyramid level (px); below that levels hold no patches


@dataclass
class MetricsConfig:
    """`metrics.*`: SWD settings, the optional local Inception weights for FID/KID and the
    content score (`metrics.content`)."""

    eval_images: int
    swd_patches_per_image: int
    swd_patch_size: int
    swd_projections: int
    swd_repeats: int
    swd_min_size: int
    inception_weights: str | None
    kid_subset_size: int
    content: ContentConfig

    def validate(self) -> None:
        """Check value ranges."""
        for key in ("eval_images", "swd_patches_per_image", "swd_projections", "swd_repeats"):
            require_positive(f"metrics.{key}", getattr(self, key))
        if self.swd_patch_size % 2 == 0 or self.swd_patch_size < 1:
            raise ConfigError("metrics.swd_patch_size: must be an odd positive integer")
        if self.swd_min_size < SWD_MIN_SIZE:
            raise ConfigError(
                f"metrics.swd_min_size: must be >= {SWD_MIN_SIZE} px, got {self.swd_min_size}"
            )
        self.content.validate("metrics.content")


@dataclass
class TrainConfig:
    """The whole `fridge-train` config except `model.*`, which the model class parses."""

    seed: int
    model: dict[str, Any]
    data: DataConfig
    trainer: TrainerConfig
    metrics: MetricsConfig


def parse_train_config(raw: Mapping[str, Any]) -> TrainConfig:
    """Validate a resolved `fridge-train` config dict (without `hydra`).

    Keys `raw` leaves out come from the packaged train.yaml; `model` is kept as given (the
    model class parses it, see `TranslationModel.parse_config`).
    """
    raw = {k: v for k, v in raw.items() if k != "hydra"}
    model = raw.get("model")
    if not isinstance(model, Mapping):
        raise ConfigError("model: missing model config (model=pix2pix|cyclegan|cut|fastcut)")
    cfg = from_mapping(TrainConfig, {**raw, "model": {}}, "", default_config("train"))
    cfg.model = dict(model)
    cfg.data.validate()
    cfg.trainer.validate()
    cfg.metrics.validate()
    return cfg
