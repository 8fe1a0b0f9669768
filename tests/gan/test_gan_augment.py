"""DiffAugment ops and the EMA generator: op semantics, gradients, seeding, config errors,
wiring into the models, and CLI training that resumes bit-exactly with both switched on."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from gan_testutils import (
    BIN,
    TINY,
    compose,
    make_photo_folder,
    make_render_batch,
    run_cli,
    runtime,
)

from gan import augment as aug
from gan import checkpoint as ckpt
from gan.config import ConfigError
from gan.models import create_model, model_class, rebuild_generator
from gan.models.base import ema_decay_at
from gan.trainer import run_training

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def gen(seed: int = 0) -> torch.Generator:
    """A CPU generator with a fixed seed."""
    return torch.Generator().manual_seed(seed)


def images(n: int = 8, c: int = 3, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Random images in [-1, 1]."""
    return torch.rand(n, c, size, size, generator=gen(seed)) * 2 - 1


#: Models and how many discriminator inputs (all augmented) one train_step has.
MODELS = {"pix2pix": 3, "cyclegan": 6}


def tiny_model(name: str, *overrides: str):
    """A tiny (experiment=tiny) model on the CPU, built from the composed config, seed 0."""
    raw = compose(["experiment=tiny", f"model={name}", *overrides])["model"]
    torch.manual_seed(0)  # weight init draws from the global generator
    return create_model(raw, runtime("trainer.max_steps=10"), seed=0)


def batch(step: int) -> dict[str, torch.Tensor]:
    """A fixed 32 px training batch per step."""
    return {"source": images(2, seed=100 + step), "target": images(2, seed=200 + step)}


# ------------------------------------------------------------------------------- the ops


def test_brightness_adds_one_bounded_offset_per_image():
    x = images()
    diff = aug.brightness(x, gen()) - x
    per_image = diff.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image), atol=1e-6)
    offsets = per_image[:, 0]
    assert offsets.abs().max() <= 0.5 and offsets.abs().min() > 0
    assert len(set(offsets.tolist())) == len(x)  # a fresh draw per image


def test_saturation_keeps_the_channel_mean_and_scales_the_deviation():
    x = images()
    out = aug.saturation(x, gen())
    mean = x.mean(1, keepdim=True)
    assert torch.allclose(out.mean(1, keepdim=True), mean, atol=1e-6)
    scale = ((out - mean).flatten(1) / (x - mean).flatten(1)).median(1).values
    assert torch.allclose((out - mean), (x - mean) * scale.view(-1, 1, 1, 1), atol=1e-5)
    assert scale.min() >= 0 and scale.max() <= 2 and scale.std() > 0


def test_contrast_keeps_the_image_mean_and_scales_the_deviation():
    x = images()
    out = aug.contrast(x, gen())
    mean = x.mean((1, 2, 3), keepdim=True)
    assert torch.allclose(out.mean((1, 2, 3), keepdim=True), mean, atol=1e-6)
    scale = ((out - mean).flatten(1) / (x - mean).flatten(1)).median(1).values
    assert torch.allclose((out - mean), (x - mean) * scale.view(-1, 1, 1, 1), atol=1e-5)
    assert scale.min() >= 0.5 and scale.max() <= 1.5 and scale.std() > 0


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_translation_is_a_whole_pixel_shift_of_at_most_an_eighth(padding):
    x = images(n=12, size=32)
    out = aug.translation(x, gen(), padding=padding)
    s = 4  # 32 / 8
    mode = "constant" if padding == "zeros" else "reflect"
    padded = F.pad(x, (s, s, s, s), mode=mode)
    shifts = []
    for i in range(len(x)):
        matches = [
            (dy, dx)
            for dy in range(-s, s + 1)
            for dx in range(-s, s + 1)
            if torch.equal(out[i], padded[i, :, s + dy : s + dy + 32, s + dx : s + dx + 32])
        ]
        assert matches, f"image {i} is not a shift of its input by <= {s} px"
        shifts.append(matches[0])
    assert len(set(shifts)) > 3  # per-image draws, not one shift for the batch
    if padding == "zeros":
        dy, dx = next(d for d in shifts if d[0] > 0)
        i = shifts.index((dy, dx))
        assert torch.all(out[i, :, 32 - dy :] == 0)  # the uncovered band is mid-grey (0)


def test_cutout_zeroes_one_clipped_half_size_square_per_image():
    x = images(n=16) + 3.0  # no zeros in the input
    out = aug.cutout(x, gen())
    full = 0
    for i in range(len(x)):
        hole = out[i] == 0
        assert torch.equal(hole[0], hole[1]) and torch.equal(hole[0], hole[2])
        rows, cols = hole[0].any(1).nonzero().flatten(), hole[0].any(0).nonzero().flatten()
        assert len(rows) and len(cols)
        h, w = len(rows), len(cols)
        assert rows[-1] - rows[0] + 1 == h and cols[-1] - cols[0] + 1 == w  # contiguous
        assert hole[0].sum() == h * w  # a rectangle
        assert h <= 16 and w <= 16  # half of 32, clipped at the border
        full += h == 16 and w == 16
        assert torch.equal(out[i][~hole], x[i][~hole])
    assert full > 0


def test_colour_only_on_the_image_half_geometry_on_both_halves():
    half = images(n=6)
    pair = torch.cat([half, half], 1)
    out = aug.DiffAugment("translation,cutout", seed=0)(pair, color_start=3)
    assert not torch.equal(out, pair)
    assert torch.equal(out[:, :3], out[:, 3:])  # both halves moved and cut identically
    recolour_only = aug.DiffAugment("color", seed=0)(pair, color_start=3)
    assert torch.equal(recolour_only[:, :3], pair[:, :3])  # the condition keeps its colours
    assert not torch.equal(recolour_only[:, 3:], pair[:, 3:])


@pytest.mark.parametrize(
    "policy", ["color", "translation", "translation_reflect", "cutout", "color,translation,cutout"]
)
def test_ops_are_differentiable(policy):
    def apply(x: torch.Tensor) -> torch.Tensor:
        return aug.DiffAugment(policy, seed=5)(x)  # same draws on every call

    x = images(n=2, size=8).double().requires_grad_(True)
    assert torch.autograd.gradcheck(apply, (x,), eps=1e-6, atol=1e-5)
    weights = torch.rand(2, 3, 8, 8, generator=gen(1), dtype=torch.float64)
    (apply(x) * weights).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_same_seed_same_draws_and_saved_state_continues_the_stream():
    policy = "color,translation,cutout"
    x = images()
    a, b, other = aug.DiffAugment(policy, 3), aug.DiffAugment(policy, 3), aug.DiffAugment(policy, 4)
    first = a(x)
    assert torch.equal(first, b(x)) and not torch.equal(first, other(x))
    assert not torch.equal(a(x), first)  # each call draws anew
    assert not torch.equal(aug.DiffAugment(policy, 3, rank=1)(x), first)  # DDP ranks differ
    state = a.state_dict()
    expected = a(x)
    resumed = aug.DiffAugment(policy, 3)
    resumed.load_state_dict(state)
    assert resumed.calls == 2 and torch.equal(resumed(x), expected)


def test_off_is_identity_and_adds_no_state():
    model = tiny_model("cyclegan")
    x = images(n=2)
    assert model.augmenter is None and model.augment(x) is x
    assert "augment" not in model.extra_state() and "ema" not in model.state_dict()
    assert model.eval_generator() is model.raw["G_A"]
    assert aug.DiffAugment("", seed=0)(x) is x


# ------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("diffaug", "colour", "unknown augmentation 'colour'"),
        ("diffaug", "color,zoom", "unknown augmentation 'zoom'"),
        ("diffaug", "color,color", "listed twice"),
        ("diffaug", "translation,translation_reflect", "not both"),
        ("diffaug", ["cutout", "blur"], "unknown augmentation 'blur'"),
        ("diffaug", True, "expected a comma list"),
        ("diffaug", {"color": 1}, "expected a comma list"),
        ("ema_decay", 1.0, "[0, 1)"),
        ("ema_decay", -0.1, "[0, 1)"),
        ("ema_decay", float("nan"), "finite number"),
        ("ema_decay", "high", "expected a number"),
    ],
)
@pytest.mark.parametrize("name", ["pix2pix", "cyclegan"])
def test_bad_values_are_one_line_errors_naming_the_key(name, key, value, needle):
    raw = compose([f"model={name}"])["model"]
    with pytest.raises(ConfigError) as exc:
        model_class(name).parse_config({**raw, key: value})
    message = str(exc.value)
    assert "\n" not in message and message.startswith(f"model.{key}:") and needle in message


def test_policy_forms_are_normalised():
    raw = compose(["model=pix2pix"])["model"]
    parse = model_class("pix2pix").parse_config
    assert parse({**raw, "diffaug": " color , cutout "}).diffaug == "color,cutout"
    assert parse({**raw, "diffaug": ["translation_reflect", "color"]}).diffaug == (
        "translation_reflect,color"
    )
    cfg = parse({**raw, "diffaug": "", "ema_decay": 0.999})
    assert (cfg.diffaug, cfg.ema_decay) == ("", 0.999)


# ------------------------------------------------------------------------------- wiring


@pytest.mark.parametrize(("name", "calls"), MODELS.items())
def test_every_discriminator_input_is_augmented(name, calls):
    model = tiny_model(name, "model.diffaug='color,translation,cutout'")
    assert model.augmenter is not None and model.augmenter.ops == ("color", "translation", "cutout")
    produced: list[torch.Tensor] = []
    seen: list[torch.Tensor] = []
    original = model.augment

    def spy(x, **kwargs):
        out = original(x, **kwargs)
        produced.append(out)
        return out

    model.augment = spy
    discriminators = [net for key, net in model.raw.items() if key.startswith("D")]
    hooks = [
        d.register_forward_pre_hook(lambda _m, args: seen.append(args[0])) for d in discriminators
    ]
    model.train_step(batch(0))
    for h in hooks:
        h.remove()
    assert len(seen) == len(produced) == calls
    assert all(any(s is p for p in produced) for s in seen)
    assert model.augmenter.calls == calls


def test_augmentation_changes_training():
    def first_losses(*overrides):
        return tiny_model("cyclegan", *overrides).train_step(batch(0))

    plain = first_losses()
    again = first_losses()
    augmented = first_losses("model.diffaug=cutout")
    assert all(torch.equal(plain[k], again[k]) for k in plain)
    assert not torch.equal(plain["G_A"], augmented["G_A"])  # D saw cut-out fakes
    assert torch.equal(plain["cycle_A"], augmented["cycle_A"])  # G's own terms untouched


# ------------------------------------------------------------------------------- EMA


def test_ema_decay_warm_up():
    assert ema_decay_at(0.999, 0) == pytest.approx(0.1)
    assert ema_decay_at(0.999, 90) == pytest.approx(0.91)
    assert ema_decay_at(0.999, 100_000) == 0.999
    assert ema_decay_at(0.15, 1) == 0.15


def test_ema_is_the_hand_computed_running_average():
    decay = 0.15  # warm-up decay 0.1 at the first update, then 0.15
    model = tiny_model("pix2pix", f"model.ema_decay={decay}")  # U-Net with BatchNorm
    live, ema = model.raw["G"], model.ema
    assert ema is not None and model.eval_generator() is ema
    expected = {k: p.detach().clone() for k, p in live.named_parameters()}
    assert all(torch.equal(p, expected[k]) for k, p in ema.named_parameters())
    assert not any(p.requires_grad for p in ema.parameters())
    optimised = {
        id(p) for opt in model.optimizers.values() for g in opt.param_groups for p in g["params"]
    }
    assert not any(id(p) in optimised for p in ema.parameters())
    for t in range(4):
        model.train_step(batch(t))
        model.update_ema()
        d = min(decay, (1 + t) / (10 + t))
        for k, p in live.named_parameters():
            expected[k] = d * expected[k] + (1 - d) * p.detach()
    assert model.ema_updates == 4
    for k, p in ema.named_parameters():
        assert torch.allclose(p, expected[k], rtol=0, atol=1e-6), k
    assert any(
        not torch.allclose(p, q) for p, q in zip(ema.parameters(), live.parameters(), strict=True)
    )
    buffers = dict(live.named_buffers())
    assert buffers and all(torch.equal(b, buffers[k]) for k, b in ema.named_buffers())
    assert any("running_mean" in k for k in buffers)


def test_export_and_translation_use_the_ema_weights():
    model = tiny_model("cyclegan", "model.ema_decay=0.5")
    for t in range(2):
        model.train_step(batch(t))
        model.update_ema()
    export = model.export_generator()["state_dict"]
    ema, live = model.ema.state_dict(), model.raw["G_A"].state_dict()
    assert export.keys() == ema.keys()
    assert all(torch.equal(export[k], ema[k]) for k in ema)
    assert any(not torch.equal(export[k], live[k]) for k in live)
    net, _ = rebuild_generator(model.export_generator())
    src = images(n=3, seed=9)
    with torch.no_grad():
        assert torch.allclose(net(src), model.translate(src), atol=1e-6)
        assert torch.allclose(model.visuals(src)["translated"], net(src), atol=1e-6)
    off = tiny_model("cyclegan")
    off.train_step(batch(0))
    plain = off.export_generator()["state_dict"]
    assert all(torch.equal(v, off.raw["G_A"].state_dict()[k]) for k, v in plain.items())


def test_resume_without_saved_ema_starts_from_the_generator():
    source = tiny_model("pix2pix")
    source.train_step(batch(0))
    state = source.state_dict()
    target = tiny_model("pix2pix", "model.ema_decay=0.9")
    target.load_state_dict(state)
    assert all(
        torch.equal(p, q)
        for p, q in zip(target.ema.parameters(), source.raw["G"].parameters(), strict=True)
    )
    assert target.ema_updates == 0


# ------------------------------------------------------------------------------- CLI resume


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> tuple[Path, Path]:
    """A small render batch and photo folder."""
    root = tmp_path_factory.mktemp("aug_domains")
    return make_render_batch(root / "renders", count=4), make_photo_folder(root / "photos", count=4)


def _state(run_dir: Path) -> dict:
    return ckpt.load(run_dir / "checkpoints" / "last.pt")


def _flat(tree, prefix=""):
    """Nested dicts/lists of tensors and plain values -> {path: value}."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list | tuple):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    out = {}
    for k, v in items:
        out.update(_flat(v, f"{prefix}/{k}"))
    return out


def test_cli_training_with_diffaug_and_ema_resumes_exactly(domains, tmp_path):
    """Both models: 4 straight steps == 2 steps + a `fridge-train` resume to step 4."""
    common = [*TINY, f"data.source_dir={domains[0]}", f"data.target_dir={domains[1]}"]
    common += ["model.diffaug='color,translation,cutout'", "model.ema_decay=0.99"]
    common += ["trainer.batch_size=2", "trainer.lr_constant_fraction=1.0", "trainer.eval_every=100"]
    sweep = tmp_path / "split"
    for job, name in enumerate(MODELS):
        cfg = compose([*common, f"model={name}", "trainer.max_steps=4"])
        assert run_training(cfg, tmp_path / "straight" / name).step == 4
        cfg = compose([*common, f"model={name}", "trainer.max_steps=2"])
        assert run_training(cfg, sweep / str(job)).step == 2
    # One process resumes both runs (Hydra job n continues in sweep/n).
    args = [str(BIN / "fridge-train"), "--multirun", f"model={','.join(MODELS)}", *common]
    args += [
        "trainer.max_steps=4",
        f"hydra.sweep.dir={sweep}",
        "hydra.sweep.subdir=${hydra.job.num}",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for job, name in enumerate(MODELS):
        assert "at step 2" in (sweep / str(job) / "train.log").read_text()  # it resumed
        a, b = _state(tmp_path / "straight" / name), _state(sweep / str(job))
        assert b["step"] == 4
        cfg = model_class(name).parse_config(b["config"]["model"])
        assert (cfg.diffaug, cfg.ema_decay) == ("color,translation,cutout", 0.99)
        ma, mb = a["model"], b["model"]
        assert ma["ema"]["updates"] == mb["ema"]["updates"] == 4
        assert mb["extra"]["augment"]["calls"] == 4 * MODELS[name]  # D inputs per step
        fa, fb = _flat(ma), _flat(mb)
        assert fa.keys() == fb.keys()
        for key in fa:
            va, vb = fa[key], fb[key]
            same = torch.equal(va, vb) if isinstance(va, torch.Tensor) else va == vb
            assert same, f"{name}: {key}"
        export = b["generator"]["state_dict"]
        assert all(torch.equal(export[k], v) for k, v in mb["ema"]["state_dict"].items())
