"""Config values have one source: the YAML under configs/.

The config dataclasses declare keys, types and checks only; every value comes from the packaged
YAML (`gan.config.default_config`), for the console scripts and library callers alike. So a
default cannot drift: no dataclass field has one (checked here), every YAML key is a field and
every field a YAML key (checked here), and a caller that leaves keys out gets the YAML's values.
"""

from __future__ import annotations

import dataclasses
import typing

import pytest
from gan_testutils import compose

from blender_scenes import config as render_config
from blender_scenes.assets.catalog import Catalog
from blender_scenes.export import ExportConfig
from blender_scenes.sampling import SamplerConfig
from gan import config as train_config
from gan.config import ConfigError, from_mapping
from gan.evaluate import EvalConfig, parse_eval_config
from gan.models import MODELS, model_class
from gan.translate import TranslateConfig, parse_translate_config

# Reached through SamplerConfig.catalog, but the loaded model catalog (a user's YAML file, its
# measured sizes added later), not config values.
NOT_CONFIG = (Catalog,)
RENDER_BLOCKS = {
    "render": render_config.RenderSettings,
    "placement": render_config.PlacementSettings,
    "outputs": render_config.OutputSettings,
    "dataset": render_config.DatasetInfo,
}


def config_classes() -> list[type]:
    """Every config dataclass reachable from the apps' top-level configs."""
    roots = [
        train_config.TrainConfig,
        EvalConfig,
        TranslateConfig,
        *(cls.config_cls for cls in MODELS.values()),
        *RENDER_BLOCKS.values(),
        render_config.RenderConfig,
        ExportConfig,
    ]
    seen: list[type] = []
    while roots:
        cls = roots.pop()
        if cls in seen or cls in NOT_CONFIG:
            continue
        seen.append(cls)
        for hint in typing.get_type_hints(cls).values():
            for arg in (hint, *typing.get_args(hint)):
                if dataclasses.is_dataclass(arg):
                    roots.append(arg)
    return seen


def with_defaults(cls: type) -> list[str]:
    """`Class.field` for every field of `cls` that has a default value."""
    return [
        f"{cls.__name__}.{f.name}"
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]


def key_mismatches(cls: type, yaml: dict, prefix: str = "") -> list[str]:
    """Keys of `yaml` that are not fields of `cls` and fields without a YAML key, nested too."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    out = [f"{prefix}{k}: YAML key without a field" for k in yaml if k not in names]
    for name in names:
        if name not in yaml:
            out.append(f"{prefix}{name}: field without a YAML key")
        elif dataclasses.is_dataclass(hints[name]) and isinstance(yaml[name], dict):
            out += key_mismatches(hints[name], yaml[name], f"{prefix}{name}.")
    return out


def test_no_config_field_has_a_default():
    classes = config_classes()
    assert len(classes) >= 15  # the walk reaches the nested sections (generator, content, ...)
    assert SamplerConfig in classes  # the sampler's view of several render groups, too
    assert [name for cls in classes for name in with_defaults(cls)] == []


@pytest.mark.parametrize("block", ["data", "trainer", "metrics"])
def test_train_keys_match_fields(block):
    hints = typing.get_type_hints(train_config.TrainConfig)
    assert key_mismatches(hints[block], compose([])[block], f"{block}.") == []


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_keys_match_fields(model):
    yaml = compose([f"model={model}"])["model"]
    assert yaml.pop("name") == model
    assert key_mismatches(model_class(model).config_cls, yaml, "model.") == []


@pytest.mark.parametrize("block", sorted(RENDER_BLOCKS))
def test_render_keys_match_fields(block):
    yaml = compose([], config_name="render")[block]
    assert key_mismatches(RENDER_BLOCKS[block], yaml, f"{block}.") == []


def test_default_sampler_is_the_sampler_of_the_render_yaml(tmp_path):
    """Tests and library callers get the sampler `fridge-render` uses, with their changes."""
    yaml = compose([f"out_dir={tmp_path}"], config_name="render")
    assert render_config.default_sampler() == render_config.validate(yaml).sampler
    rows = render_config.default_sampler(placement="rows", density=0.5)
    assert (rows.placement, rows.density) == ("rows", 0.5)
    assert rows.total == tuple(yaml["objects"]["total"])  # the rest stays the YAML's
    with pytest.raises(TypeError, match="densty"):
        render_config.default_sampler(densty=0.5)


def test_eval_and_translate_keys_match_fields():
    assert key_mismatches(EvalConfig, compose([], config_name="eval")) == []
    assert key_mismatches(TranslateConfig, compose([], config_name="translate")) == []


def test_left_out_keys_come_from_the_yaml():
    """Library callers give only what differs; the rest is the YAML's, nested sections too."""
    yaml = compose(["model=fastcut"])["model"]
    cfg = model_class("fastcut").parse_config({"generator": {"n_blocks": 6}})
    assert cfg.generator.n_blocks == 6 and cfg.generator.norm == yaml["generator"]["norm"]
    assert (cfg.lambda_NCE, cfg.nce_idt) == (yaml["lambda_NCE"], yaml["nce_idt"])
    assert cfg == model_class("fastcut").parse_config({**yaml, "generator": {"n_blocks": 6}})

    ecfg = parse_eval_config({"a_dir": "a", "b_dir": "b", "content": {"steps": 3}})
    eval_yaml = compose(["a_dir=a", "b_dir=b", "content.steps=3"], config_name="eval")
    full = parse_eval_config({**eval_yaml, "out_dir": ecfg.out_dir})
    assert ecfg == full and ecfg.content.cache_dir == eval_yaml["content"]["cache_dir"]

    tcfg = parse_translate_config({"checkpoint": "c", "input_dir": "i", "out_dir": "o"})
    assert tcfg.batch_size == compose(["checkpoint=c", "input_dir=i", "out_dir=o"],
                                      config_name="translate")["batch_size"]  # fmt: skip


def test_a_value_in_neither_place_is_a_one_line_error():
    """A mandatory YAML value (`???`) left out, or a key the defaults lack, names the key."""
    with pytest.raises(ConfigError, match=r"^b_dir: missing value \(pass b_dir=\.\.\.\)$"):
        parse_eval_config({"a_dir": "a"})
    with pytest.raises(ConfigError, match=r"^trainer\.max_steps: missing value"):
        from_mapping(train_config.TrainerConfig, {}, "trainer")  # no defaults given
    with pytest.raises(ConfigError, match=r"^model\.generator\.ngf: expected an integer"):
        model_class("cut").parse_config({"generator": {"ngf": "wide"}})


def test_mismatch_is_detected():
    """The checkers themselves: a YAML key without a field and a field with a default."""
    yaml = {**compose([])["trainer"], "max_stepz": 1}
    assert key_mismatches(train_config.TrainerConfig, yaml, "trainer.") == [
        "trainer.max_stepz: YAML key without a field"
    ]

    @dataclasses.dataclass
    class Drifting:
        steps: int = 7

    assert with_defaults(Drifting) == ["Drifting.steps"]


def test_key_by_key_readers_fill_sections_from_the_yaml():
    """fridge-render / fridge-export configs: a section is filled key by key, a value inside
    it (camera.modes) is taken whole, a mandatory value is left for the reader to report."""
    from gan.config import with_defaults

    render = compose([], config_name="render")
    filled = with_defaults({"render": {"samples": 3}, "camera": {"modes": {"front": 1}}}, render)
    assert filled["render"] == {**render["render"], "samples": 3}
    assert filled["camera"]["modes"] == {"front": 1} and filled["objects"] == render["objects"]
    assert "batch" not in with_defaults({}, compose([], config_name="export"))
    with pytest.raises(render_config.ConfigError, match=r"^render\.samples: must be >= 1"):
        render_config.validate({"out_dir": "x", "render": {"samples": 0}})
