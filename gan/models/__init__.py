"""Translation models by config name (`model=<name>` on the `fridge-train` command line).

Map:
  base.py      TranslationModel (nets, optimisers, LR schedules, autocast, state, export) and
               ModelConfig (keys every model has: generator, discriminator, init, gan_mode).
  pix2pix.py   Pix2Pix on random pairs (U-Net G, conditional PatchGAN, L1).
  cyclegan.py  CycleGAN (two generators, two discriminators, cycle + identity, image pools).
  cut.py       CUT and FastCUT (one generator, PatchNCE on its encoder features, no cycle).

Adding a model `foo`:
  1. gan/models/foo.py: `FooConfig(ModelConfig)`, a dataclass of the model's own keys (types
     only, no default values: those live in the YAML of step 3), its `validate()` raising a one-line ConfigError naming the key; and
     `FooModel(TranslationModel)` with `name = "foo"`, `config_cls = FooConfig`, `pairing`
     ("unpaired" or "random"). In `__init__` build nets with `add_net`, optimisers with
     `add_optimizer`; implement `train_step(batch) -> dict of detached scalar losses` (they
     become `loss/*` in TensorBoard), pass every discriminator input through `self.augment`,
     and override `generator_name` / `visuals` / `extra_state` when needed (anything random
     kept across steps goes into `extra_state` so resume is exact).
  2. Register it below in MODELS: `"foo": FooModel`.
  3. configs/model/foo.yaml: `name: foo` plus a value for every dataclass field (the one place
     the values live; tests/test_config_defaults.py checks keys and fields match).
  4. Add "foo" to the parametrized `test_resume_is_exact` in tests/gan/test_gan_train.py.
"""

from __future__ import annotations

from gan.config import ConfigError
from gan.models.base import Runtime, TranslationModel, rebuild_generator
from gan.models.cut import CUTModel, FastCUTModel
from gan.models.cyclegan import CycleGANModel
from gan.models.pix2pix import Pix2PixModel

MODELS: dict[str, type[TranslationModel]] = {
    "pix2pix": Pix2PixModel,
    "cyclegan": CycleGANModel,
    "cut": CUTModel,
    "fastcut": FastCUTModel,
}


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
