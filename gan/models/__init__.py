"""Translation models by config name."""

from __future__ import annotations

from gan.config import ConfigError
from gan.models.base import Runtime, TranslationModel, rebuild_generator
from gan.models.cyclegan import CycleGANModel
from gan.models.pix2pix import Pix2PixModel

MODELS: dict[str, type[TranslationModel]] = {"pix2pix": Pix2PixModel, "cyclegan": CycleGANModel}


def model_class(name: object) -> type[TranslationModel]:
    """Model class for `model.name`, or ConfigError."""
    if name not in MODELS:
        raise ConfigError(f"model.name: must be one of {'|'.join(MODELS)}, got {name!r}")
    return MODELS[name]


def create_model(raw_cfg: dict, rt: Runtime, seed: int) -> TranslationModel:
    """Parse `model.*` and build the model on the runtime's device."""
    cls = model_class(raw_cfg.get("name"))
    return cls(cls.parse_config(raw_cfg), rt, seed)


__all__ = [
    "MODELS",
    "Runtime",
    "TranslationModel",
    "create_model",
    "model_class",
    "rebuild_generator",
]
