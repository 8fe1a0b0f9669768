"""Defaults written twice must agree: a dataclass default and the YAML value users get.

The YAML under configs/ is what every console script runs with; the dataclasses' defaults are
what library callers get. A drift between the two (as `trainer.max_steps` 10000 vs 200000 once
was) makes the library behave unlike the CLI. Every key present in both is compared.
"""

from __future__ import annotations

import dataclasses

import pytest
from gan_testutils import compose

from blender_scenes import config as render_config
from gan import config as train_config
from gan.evaluate import EvalConfig
from gan.models import model_class
from gan.translate import TranslateConfig


def drift(obj, yaml: dict, prefix: str = "") -> list[str]:
    """`key: dataclass default != yaml value` for every shared key, nested dataclasses too."""
    out = []
    for f in dataclasses.fields(obj):
        if f.name not in yaml or f.default is dataclasses.MISSING and f.default_factory is (
            dataclasses.MISSING
        ):
            continue
        value, want = getattr(obj, f.name), yaml[f.name]
        if dataclasses.is_dataclass(value):
            if isinstance(want, dict):
                out += drift(value, want, f"{prefix}{f.name}.")
            continue
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, str) and not isinstance(want, str):
            want = str(want)  # e.g. precision: 32 in YAML, "32" in the dataclass
        if value != want:
            out.append(f"{prefix}{f.name}: dataclass {value!r} != yaml {want!r}")
    return out


def _factory(cls, name: str):
    field = {f.name: f for f in dataclasses.fields(cls)}[name]
    return field.default_factory()


@pytest.mark.parametrize("block", ["data", "trainer", "metrics"])
def test_train_defaults_match_yaml(block):
    cfg = compose([])
    assert drift(_factory(train_config.TrainConfig, block), cfg[block], f"{block}.") == []


@pytest.mark.parametrize("model", ["pix2pix", "cyclegan", "cut", "fastcut"])
def test_model_defaults_match_yaml(model):
    cfg = compose([f"model={model}"])["model"]
    assert drift(model_class(model).config_cls(), cfg, "model.") == []


@pytest.mark.parametrize(
    ("block", "cls"),
    [
        ("render", render_config.RenderSettings),
        ("placement", render_config.PlacementSettings),
        ("outputs", render_config.OutputSettings),
        ("dataset", render_config.DatasetInfo),
    ],
)
def test_render_defaults_match_yaml(block, cls):
    cfg = compose([], config_name="render")
    yaml = dict(cfg[block])
    if block == "outputs" and yaml.get("normals") is False:
        yaml["normals"] = None
    assert drift(cls(), yaml, f"{block}.") == []


def test_translate_and_eval_defaults_match_yaml():
    t = compose(["checkpoint=x", "input_dir=x", "out_dir=x"], config_name="translate")
    assert drift(TranslateConfig("x", "x", "x"), t) == []
    e = compose(["a_dir=x", "b_dir=x"], config_name="eval")
    fields = {f.name for f in dataclasses.fields(EvalConfig) if f.default is dataclasses.MISSING
              and f.default_factory is dataclasses.MISSING}  # fmt: skip
    e.pop("out_dir")  # a timestamped folder per run in the YAML; the run folder when None
    assert drift(EvalConfig(**{k: e[k] for k in fields}), e) == []


def test_drift_is_detected():
    """The checker itself: a changed default is reported with its key."""
    changed = dataclasses.replace(_factory(train_config.TrainConfig, "trainer"), max_steps=7)
    assert drift(changed, compose([])["trainer"], "trainer.") == [
        "trainer.max_steps: dataclass 7 != yaml 200000"
    ]
