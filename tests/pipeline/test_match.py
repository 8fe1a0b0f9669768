"""fridge-match: the searched render config keys, the preset, a tiny real search, resumption and
one-line errors."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import make_photo_folder, run_cli
from PIL import Image
from testutils import SHARED, compose

from blender_scenes.config import ConfigError as RenderConfigError
from blender_scenes.config import default_sampler, validate
from blender_scenes.sampling import SamplerConfig, sample_scene, white_balance_gains
from pipeline import match

LOOK = {"wall_kinds": "fridge.walls", "wall_color": "fridge.wall_color",
        "trim_color": "fridge.trim_color", "drawer_color": "fridge.drawer_color",
        "light_kelvin": "lights.temperature_k", "light_power": "lights.power",
        "front_fov": "camera.front_fov", "builtin_fov": "camera.builtin_fov",
        "front_height": "camera.front_height", "front_cover": "camera.front_cover",
        "pitch_deg": "camera.pitch_deg", "exposure": "camera.exposure",
        "white_balance_k": "camera.white_balance_k",
        "view_transform": "camera.view_transform",
        "pixel_aspect": "camera.pixel_aspect",
        "auto_exposure": "camera.auto_exposure"}  # sampler field: render config key  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def render_cfg(tmp_path: Path, *overrides: str):
    return validate(compose([f"out_dir={tmp_path / 'r'}", *overrides], config_name="render"))


def test_each_look_key_is_read_into_its_sampler_field(tmp_path):
    """A changed YAML value lands in its own field and nowhere else."""
    base = render_cfg(tmp_path).sampler
    changed = {"fridge.walls": "{white:1,grey:0,steel:0}", "lights.power": "1.5",
               "lights.temperature_k": "[4000,4100]", "camera.pitch_deg": "5",
               "camera.white_balance_k": "[3000,3100]", "camera.front_fov": "[50,51]",
               "camera.builtin_fov": "[90,91]", "camera.front_height": "[0.5,0.51]",
               "camera.front_cover": "[0.7,0.8]", "camera.exposure": "[0.1,0.2]",
               "camera.view_transform": "Standard", "camera.pixel_aspect": "0.667",
               "camera.auto_exposure": "0.2"}  # fmt: skip
    changed |= {key: "[0.5,0.6,0.7]" for key in LOOK.values() if key.endswith("_color")}
    fields = [f.name for f in dataclasses.fields(SamplerConfig)]
    for field, key in LOOK.items():
        sampler = render_cfg(tmp_path, f"{key}={changed[key]}").sampler
        diff = [f for f in fields if getattr(sampler, f) != getattr(base, f)]
        assert diff == [field], (key, diff)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("camera.front_fov=[70,50]", "camera.front_fov"),
        ("camera.front_cover=[0.5]", "camera.front_cover"),
        ("camera.pitch_deg=90", "camera.pitch_deg"),
        ("camera.white_balance_k=[300,400]", "camera.white_balance_k"),
        ("camera.exposure=[a,b]", "camera.exposure"),
        ("camera.view_transform=Vivid", "camera.view_transform"),
        ("camera.pixel_aspect=0", "camera.pixel_aspect"),
        ("camera.auto_exposure=5", "camera.auto_exposure"),
        ("lights.temperature_k=[6500,3000]", "lights.temperature_k"),
        ("lights.power=-1", "lights.power"),
        ("+lights.colour=1", "lights.colour"),
        ("fridge.wall_color=[1,2]", "fridge.wall_color"),
        ("fridge.trim_color=[1,1,9]", "fridge.trim_color"),
        ("fridge.walls={white:0,grey:0,steel:0}", "fridge.walls"),
        ("+fridge.walls.gold=1", "fridge.walls.gold"),
    ],
)
def test_bad_look_values_are_one_line_errors_naming_the_key(tmp_path, override, key):
    with pytest.raises(RenderConfigError) as err:
        render_cfg(tmp_path, override)
    assert str(err.value).startswith(f"{key}:") and "\n" not in str(err.value)


def test_look_keys_steer_the_sampled_scenes():
    base = default_sampler(placement="rows", density=0.5, camera_modes={"front": 1.0})
    fixed = dataclasses.replace(
        base, front_fov=(50.0, 50.0), light_kelvin=(4000.0, 4000.0), exposure=(1.0, 1.0),
        wall_kinds={"steel": 1.0}, light_power=2.0,
    )  # fmt: skip
    for i in range(3):
        a, b = sample_scene(7, i, base), sample_scene(7, i, fixed)
        assert b.camera.fov_deg == pytest.approx(50.0, abs=1e-4)  # square image: h = v fov
        assert {light.temperature_k for light in b.lights} == {4000.0}
        assert b.world.exposure == 1.0 and b.fridge.walls.kind == "steel"
        assert b.lights[0].power_w > a.lights[0].power_w * 0.5
    # pitch lowers the target only; every other draw stays where it was
    tilted = dataclasses.replace(base, pitch_deg=10.0)
    a, b = sample_scene(7, 0, base), sample_scene(7, 0, tilted)
    assert a.camera.location == b.camera.location and a.objects == b.objects
    assert b.camera.target[2] < a.camera.target[2] - 0.05
    # white balance: drawn last, absent from the description when off
    assert "white_balance" not in a.to_dict()["world"]
    wb = sample_scene(7, 0, dataclasses.replace(base, white_balance_k=(3000.0, 3000.0)))
    assert wb.objects == a.objects and wb.world.white_balance == white_balance_gains(3000.0)
    r, g, b_ = wb.world.white_balance
    assert r < g == 1.0 < b_  # a warm white point makes the image bluer
    assert white_balance_gains(6500.0) == [1.0, 1.0, 1.0]
    # the tone curve: no draw, absent from the description at the default
    assert "view_transform" not in a.to_dict()["world"]
    std = sample_scene(7, 0, dataclasses.replace(base, view_transform="Standard"))
    assert std.objects == a.objects and std.world.view_transform == "Standard"
    # non-square pixels: no draw, absent at 1; the vertical field is kept, the horizontal one
    # follows the view's aspect (a 2:3 portrait view in a square image)
    assert "pixel_aspect" not in a.to_dict()["camera"]
    b = sample_scene(7, 0, fixed)
    tall = sample_scene(7, 0, dataclasses.replace(fixed, pixel_aspect=2 / 3))
    assert tall.lights == b.lights and tall.fridge == b.fridge
    assert tall.camera.pixel_aspect == pytest.approx(2 / 3, abs=1e-4)
    hfov = 2 * math.degrees(math.atan(math.tan(math.radians(25.0)) * 2 / 3))
    assert tall.camera.fov_deg == pytest.approx(hfov, abs=1e-3)


def test_default_trial_reproduces_the_render_defaults(tmp_path):
    photos = make_photo_folder(tmp_path / "photos", 3)
    cfg = match.check_config(
        {
            **compose([], "match"),
            "target_dir": str(photos),
            "out": str(tmp_path / "cfg" / "render_preset" / "m" / "x.yaml"),
        }  # fmt: skip
    )
    values = match.preset_values(match.defaults(cfg), cfg)
    matched = render_cfg(tmp_path, "placement=rows", *match.overrides_of(values)).sampler
    plain = render_cfg(tmp_path, "placement=rows").sampler
    for f in dataclasses.fields(SamplerConfig):
        if f.name not in ("white_balance_k", "class_weights"):  # checked below
            assert getattr(matched, f.name) == getattr(plain, f.name), f.name
    assert matched.white_balance_k == (6500.0, 6500.0)  # neutral: gains of exactly 1
    assert {c: matched.class_weights.get(c, 1.0) for c in plain.classes} == {
        c: plain.class_weights.get(c, 1.0) for c in plain.classes
    }
    assert cfg.preset_name == "m/x"
    assert match.usage(cfg).endswith("+render_preset=m/x")


def test_spread_narrows_every_sampled_range_around_its_centre(tmp_path):
    """`spread` scales the widths of the sampled ranges; alone it keeps today's centres."""
    photos = make_photo_folder(tmp_path / "photos", 2)
    out = str(tmp_path / "cfg" / "render_preset" / "x.yaml")
    cfg = match.check_config(compose([f"target_dir={photos}", f"out={out}"], "match"))
    wide = match.preset_values(match.defaults(cfg), cfg)
    narrow = match.preset_values(match.defaults(cfg) | {"spread": 0.25}, cfg)
    keys = [("camera", "front_height"), ("camera", "front_cover"), ("camera", "front_fov"),
            ("camera", "builtin_fov"), ("camera", "exposure"), ("lights", "temperature_k")]  # fmt: skip
    for group, key in keys:
        (a, b), (c, d) = wide[group][key], narrow[group][key]
        assert d - c == pytest.approx((b - a) / 4, abs=1e-3), key
        assert (c + d) / 2 == pytest.approx((a + b) / 2, abs=1e-3), key
    only = dataclasses.replace(cfg, params=("spread",))
    alone = match.preset_values({"spread": 0.25}, only)
    assert alone["camera"]["exposure"] == narrow["camera"]["exposure"] == [-0.1, 0.1]
    assert alone["lights"] == {"temperature_k": narrow["lights"]["temperature_k"]}
    validate(compose([f"out_dir={tmp_path / 'r'}", *match.overrides_of(alone)], "render"))


def test_stretched_start_searches_non_square_pixels(tmp_path):
    """`pixel_aspect` is searched by default; the `front_stretched` start renders 2:3 views
    stretched to the square image."""
    photos = make_photo_folder(tmp_path / "photos", 2)
    out = str(tmp_path / "cfg" / "render_preset" / "x.yaml")
    cfg = match.check_config(compose([f"target_dir={photos}", f"out={out}"], "match"))
    assert "front_stretched" in cfg.starts and "pixel_aspect" in [p.name for p in match.space(cfg)]
    values = match.preset_values(match.defaults(cfg) | match.STARTS["front_stretched"], cfg)
    assert values["camera"]["pixel_aspect"] == 0.6667
    sampler = render_cfg(tmp_path, *match.overrides_of(values)).sampler
    assert sampler.pixel_aspect == 0.6667 and sampler.camera_modes == {"front": 1.0, "builtin": 0.0}


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("params=[camera_modes,bogus]", "params"),
        ("trials=0", "trials"),
        ("render.placement=stacked", "render.placement"),
        ("render.extra=[oops]", "render.extra"),
        ("timeout_min=-1", "timeout_min"),
        ("kid_weights=/no/such/inception.pth", "kid_weights"),
        ("classes=[unicorn]", "classes"),
        ("starts=[default,sideways]", "starts"),
        ("validate.top_k=0", "validate.top_k"),
        ("validate.images=1", "validate.images"),
    ],
)
def test_bad_match_settings_name_the_key(tmp_path, override, key):
    photos = make_photo_folder(tmp_path / "photos", 2)
    out = tmp_path / "render_preset" / "x.yaml"
    raw = compose([f"target_dir={photos}", f"out={out}", override], "match")
    with pytest.raises(match.ConfigError, match=f"^{key}: "):
        match.check_config(raw)


def test_preset_text_is_a_global_package_config():
    text = match.preset_text({"camera": {"pitch_deg": 3.0}}, ["note"])
    assert text.splitlines()[:2] == ["# @package _global_", "# note"]
    assert "pitch_deg: 3.0" in text


def _match_config(photos: Path, tmp_path: Path, trials: int) -> match.MatchConfig:
    """A tiny search: 2 renders of 32 px at 1 sample per trial, four parameter groups."""
    overrides = [
        f"target_dir={photos}", f"trials={trials}", f"run_dir={tmp_path / 'run'}",
        f"out={tmp_path / 'cfg' / 'render_preset' / 'matched' / 'tiny.yaml'}",
        "image_size=32", "render.images=2", "render.samples=1", "final.images=2",
        "panel_rows=2", "panel_cell=32", "swd.patches_per_image=16", "swd.repeats=1",
        "validate.top_k=2", "validate.images=2",
        "params=[camera_modes,exposure,light_power,fov]",
    ]  # fmt: skip
    return match.check_config(compose(overrides, "match"))


def test_study_starts_with_the_enqueued_informed_trials(tmp_path):
    """A new study holds the starts as its first trials, in order (duplicates once)."""
    cfg = _match_config(make_photo_folder(tmp_path / "photos", 2), tmp_path, 5)
    cfg = dataclasses.replace(cfg, starts=("default", "front_only", "front_only", "front_whole"))
    study = match.open_study(cfg)
    queued = [t.system_attrs["fixed_params"] for t in study.trials]
    base = match.defaults(cfg)
    # front_whole's cover, height and pitch are not searched here: it equals front_only
    assert queued == [base, base | {"front_share": 1.0}]
    assert set(base) == {p.name for p in match.space(cfg)} and base["front_share"] == 0.6
    # the same settings resume the study: nothing is enqueued again
    assert len(match.open_study(cfg).trials) == 2
    with pytest.raises(match.ConfigError, match="^run_dir: "):
        match.open_study(dataclasses.replace(cfg, starts=("default",)))


def test_rerank_picks_the_validation_best_of_the_top_k():
    """Only the k best trials are re-scored (equal values once); the pick is the validation best."""
    import optuna

    study = optuna.create_study(direction="minimize")
    for value, attrs in [(5.0, {"x": 1}), (1.0, {"x": 2}), (2.0, {"x": 3}), (1.5, {"x": 2}),
                         (3.0, {"x": 4})]:  # fmt: skip
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs={"values": attrs}))
    validation = {1: 40.0, 2: 10.0, 4: 20.0, 0: 1.0}  # trial number: validation SWD
    asked = []

    def score(trial):
        asked.append(trial.number)
        return {"swd": validation[trial.number]}

    rows = match.rerank(study.trials, 3, score)
    assert asked == [1, 2, 4]  # trial 3 repeats trial 1's values; trial 0 is not in the top 3
    assert [r["trial"] for r in rows] == [2, 4, 1]  # the trial best (1) loses on new scenes
    assert rows[0] == {"trial": 2, "trial_swd": 2.0, "validation": {"swd": 10.0}}
    assert match.rerank(study.trials, 1, score) == [
        {"trial": 1, "trial_swd": 1.0, "validation": None}
    ]
    assert asked == [1, 2, 4]  # k = 1 renders nothing


@pytest.mark.slow
def test_tiny_search_writes_a_preset_fridge_render_loads_and_resumes(tmp_path, caplog):
    import optuna
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    photos = make_photo_folder(tmp_path / "photos", 4)
    result = match.run_match(_match_config(photos, tmp_path, 2))
    assert result.preset.read_text().startswith("# @package _global_\n# fridge-match: ")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary == result.summary and summary["trials"] == 2
    assert summary["kid"].startswith("off")
    assert summary["final"]["default"]["swd"] > 0 and summary["final"]["matched"]["swd"] > 0
    panel = Image.open(result.panel)
    assert panel.width == 3 * (32 + 4) + 4  # default | matched | photos
    acc = EventAccumulator(str(tmp_path / "run" / "tb")).Reload()
    assert [e.step for e in acc.Scalars("match/swd")] == [0, 1]
    # the two starts (today's values, front views only), re-ranked on two validation scenes
    ranking = summary["validation"]["ranking"]
    assert sorted(r["trial"] for r in ranking) == [0, 1]
    assert ranking[0]["validation"]["swd"] <= ranking[1]["validation"]["swd"]
    assert summary["best_trial"] == summary["validation"]["chosen_trial"] == ranking[0]["trial"]
    assert (
        summary["trial_swd"]["default"] == next(r for r in ranking if r["trial"] == 0)["trial_swd"]
    )
    assert sorted(e.step for e in acc.Scalars("validate/swd")) == [0, 1]
    assert len(list((tmp_path / "run" / "validate").iterdir())) == 2
    # resume: the study continues at trial 2, with values of its own
    with caplog.at_level("INFO", logger="pipeline.match"):
        again = match.run_match(_match_config(photos, tmp_path, 3))
    assert "resuming the study" in caplog.text and again.summary["trials"] == 3
    storage = f"sqlite:///{tmp_path / 'run' / 'study.db'}"
    trials = optuna.load_study(study_name="match", storage=storage).get_trials()
    assert [t.number for t in trials if t.state.is_finished()] == [0, 1, 2]
    assert trials[2].params != trials[1].params
    # fridge-render takes the preset as a config group
    rendered = run_cli(
        [sys.executable, "-m", "blender_scenes.cli", "--config-dir", str(tmp_path / "cfg"),
         "+render_preset=matched/tiny", f"out_dir={tmp_path / 'r'}", "count=1",
         "resolution=[32,32]", "render.samples=1", "placement=rows", "outputs.depth=false",
         "preview=false", f"hydra.run.dir={tmp_path / 'hydra'}"], ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    used = json.loads((tmp_path / "r" / "dataset.json").read_text())["config"]["sampler"]
    values = again.summary["values"]
    assert used["front_fov"] == values["camera"]["front_fov"]
    assert used["exposure"] == values["camera"]["exposure"]
    assert used["light_power"] == values["lights"]["power"]


@pytest.mark.parametrize(
    ("target", "out", "message"),
    [
        ("missing", "cfg/render_preset/x.yaml", "target_dir: {tmp}/missing: no such folder"),
        ("empty", "cfg/render_preset/x.yaml", "target_dir: "),
        ("photos", "cfg/presets/x.yaml", "out: "),
        (None, "cfg/render_preset/x.yaml", "target_dir: missing value"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, target, out, message
):
    (tmp_path / "empty").mkdir()
    make_photo_folder(tmp_path / "photos", 2)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)  # Hydra's run folder would land under ./outputs
    args = [f"out={tmp_path / out}", "trials=2", f"run_dir={tmp_path / 'run'}"]
    args += [f"target_dir={tmp_path / target}"] if target else []
    monkeypatch.setattr(sys, "argv", ["fridge-match", *args])
    with pytest.raises(SystemExit) as stop:
        match.main()
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fridge-match: error: ")
    assert message.format(tmp=tmp_path) in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no run folder, no outputs/


def test_scores_prefer_the_photos_themselves():
    """SWD of a photo subset against the set is lower than that of unrelated images."""
    real = SHARED / "aicook_fridge" / "train" / "images"
    if not real.is_dir():
        pytest.skip(f"no shared photos at {real}")
    cfg = match.check_config(
        {
            **compose([], "match"),
            "target_dir": str(real),
            "photos": 8,
            "image_size": 32,
            "out": "configs/render_preset/matched/x.yaml",
        }  # fmt: skip
    )
    scorer = match.Scorer(cfg)
    assert scorer.photos.shape == (8, 3, 32, 32) and scorer.inception is None
    same = scorer.photos[:4]
    noise = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (4, 3, 32, 32))).float()
    from gan.metrics import swd

    assert swd(same, scorer.photos, cfg.swd).mean < swd(noise, scorer.photos, cfg.swd).mean


def test_food_preset_loads_as_written(tmp_path):
    cfg = render_cfg(tmp_path, "+render_preset=food/aicook")
    s = cfg.sampler
    assert s.view_transform == "Standard" and s.camera_modes == {"front": 1.0, "builtin": 0.0}
    assert s.front_cover == (0.45, 0.7) and s.exposure == (-1.2, -0.4)
    assert s.light_kelvin == (3500.0, 5500.0) and tuple(cfg.resolution) == (320, 320)
    assert cfg.render.samples == 8 and not cfg.outputs.depth and "beef" in s.classes
    r = cfg.render  # pinned to the settings its batches were rendered with
    assert (r.adaptive_threshold, r.adaptive_min_samples, r.light_tree) == (0.02, 0, True)
    assert r.denoise_prefilter == "fast"
    assert s.pixel_aspect == 0.667 and s.view_aspect == pytest.approx(2 / 3, abs=1e-3)
    w = s.class_weights  # the aicook set's weights, then the preset's own on top
    assert (w["milk_carton"], w["milk_bottle"], w["beef"], w["ground_beef"]) == (0.8, 0.2, 2.5, 2.0)
    assert w["chicken_breast"] == 2.0 and w["apple"] == 0.5 and w["chicken"] == 1.0
    assert (w["butter_tub"], w["butter_pack"]) == (1.6, 0.4)


def test_whole_fridge_food_preset_changes_only_the_framing(tmp_path):
    """food/aicook_whole is food/aicook with the photos' whole-fridge wide view at 480 px."""
    close = render_cfg(tmp_path, "+render_preset=food/aicook")
    whole = render_cfg(tmp_path, "+render_preset=food/aicook_whole")
    assert tuple(whole.resolution) == (480, 480)
    framing = {"front_cover": (0.85, 1.1), "front_fov": (60.0, 80.0), "front_height": (0.7, 0.85)}
    assert whole.sampler == dataclasses.replace(close.sampler, **framing)
    assert whole.render == close.render and whole.outputs == close.outputs


def test_food_presets_look_down_on_the_shelves_as_the_photos_do(tmp_path):
    """The AICook photos were taken from about the top shelf's height, tilted down, so their
    lower shelves are seen from above: both food presets place the camera high (close-ups at
    0.55-0.8 of the fridge's height, whole views at 0.7-0.85) and tilt it down, by 14 degrees
    give or take the pose jitter."""
    for preset, low in (("food/aicook", 0.55), ("food/aicook_whole", 0.7)):
        cfg = render_cfg(tmp_path, f"+render_preset={preset}")
        for i in range(12):
            desc = sample_scene(3, i, cfg.sampler)
            loc, target = np.array(desc.camera.location), np.array(desc.camera.target)
            reach = math.hypot(*(target - loc)[:2])
            down = math.degrees(math.atan2(loc[2] - target[2], reach))
            assert 10 < down < 19, (preset, i, down)
            assert loc[2] > (low - 0.01) * desc.fridge.height, (preset, i)
