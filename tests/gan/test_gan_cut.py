"""CUT / FastCUT: PatchNCE loss, encoder taps, projection head, config checks, CLI training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from gan_testutils import (
    BIN,
    TINY,
    compose,
    generator_spec,
    make_photo_folder,
    make_render_batch,
    run_cli,
    runtime,
    translate_config,
)

from gan import checkpoint as ckpt
from gan.config import ConfigError
from gan.evaluate import evaluate
from gan.losses import patch_nce
from gan.models import create_model, model_class
from gan.networks import (
    PatchSampleMLP,
    build_generator,
    resnet_tap_channels,
)
from gan.train import prevalidate
from gan.translate import translate_batch

# Tiny fixtures use 2 residual blocks: taps 0..11, so the middle-block tap 14 is out of range.
TINY_LAYERS = "model.nce_layers=[0,1,4,7,10]"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> tuple[Path, Path]:
    """A render batch (source) and a photo folder (target)."""
    root = tmp_path_factory.mktemp("cut_domains")
    return make_render_batch(root / "renders", count=4), make_photo_folder(root / "photos", count=4)


def unit_patches(n: int, p: int, d: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, p, d, generator=gen), dim=-1)


# ----------------------------------------------------------------------------- PatchNCE


def test_patch_nce_prefers_matching_patches_and_reaches_both_inputs():
    key = unit_patches(2, 64, 32, seed=0)
    same = patch_nce(key.clone(), key)
    shuffled = patch_nce(key[:, torch.randperm(64)], key)
    assert same < 0.1 < math.log(64) - 1 < shuffled
    # Unrelated features score about log(P): the positive is one of P look-alikes.
    unrelated = patch_nce(unit_patches(2, 64, 32, seed=1), key, temperature=1.0)
    assert unrelated.item() == pytest.approx(math.log(64), rel=0.05)
    q = unit_patches(2, 16, 8, seed=2).requires_grad_()
    k = unit_patches(2, 16, 8, seed=3).requires_grad_()
    patch_nce(q, k).backward()
    assert q.grad.abs().sum() > 0 and k.grad.abs().sum() > 0


def test_patch_nce_negatives_come_from_the_same_image_only():
    a, b = unit_patches(1, 32, 16, seed=0), unit_patches(1, 32, 16, seed=1)
    q = torch.cat([a, b]) + 0.3 * unit_patches(2, 32, 16, seed=2)
    k = torch.cat([a, b])
    both = patch_nce(q, k)
    separate = 0.5 * (patch_nce(q[:1], k[:1]) + patch_nce(q[1:], k[1:]))
    assert torch.allclose(both, separate, atol=1e-6)


def test_patch_nce_is_fp32_under_bf16_autocast():
    q, k = unit_patches(2, 48, 16, seed=0), unit_patches(2, 48, 16, seed=1)
    exact = patch_nce(q, k)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = patch_nce(q.bfloat16(), k.bfloat16())
        fp32_inputs = patch_nce(q, k)
    assert inside.dtype == torch.float32 and fp32_inputs.dtype == torch.float32
    assert torch.equal(fp32_inputs, exact)  # no bf16 matmul inside the loss
    with pytest.raises(ValueError, match=r"\(N, P, D\)"):
        patch_nce(q[0], k[0])


# ----------------------------------------------------------------------------- networks


@pytest.mark.parametrize(
    "spec",
    [
        generator_spec(arch="resnet", ngf=4, n_blocks=2, norm="instance", dropout=False),
        generator_spec(arch="resnet", ngf=6, n_blocks=6, norm="batch", upsample="resize"),
    ],
)
def test_encode_taps_have_documented_shapes_and_leave_forward_alone(spec):
    torch.manual_seed(0)
    net = build_generator(spec).train(spec.norm != "batch")
    keys = list(net.state_dict())
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    before = net(x)
    channels = resnet_tap_channels(spec)
    assert len(channels) == 10 + spec.n_blocks
    ids = list(range(len(channels)))
    feats = net.encode(x, ids)
    sides = [32] * 4 + [16] * 3 + [8] * (3 + spec.n_blocks)
    assert [tuple(f.shape) for f in feats] == [
        (2, c, s, s) for c, s in zip(channels, sides, strict=True)
    ]
    assert torch.equal(feats[0], x)
    # Tap 2 enters an in-place ReLU: the stored activation must keep its negative values.
    assert (feats[2] < 0).any()
    assert torch.equal(net.encode(x, [9, 1])[1], feats[1])  # order follows the request
    assert torch.equal(net(x), before) and list(net.state_dict()) == keys
    out, taps = net.forward_with_taps(x, [11, 4])
    assert torch.equal(out, before)
    assert torch.equal(taps[0], feats[11]) and torch.equal(taps[1], feats[4])
    with pytest.raises(ValueError, match="must lie in"):
        net.encode(x, [len(channels)])


def test_patch_sample_mlp_shares_positions_and_normalises():
    head = PatchSampleMLP([3, 8], dim=16)
    feats = [torch.randn(2, 3, 8, 8), torch.randn(2, 8, 4, 4)]
    ids = PatchSampleMLP.sample_ids(feats, 20, torch.Generator().manual_seed(0))
    assert [len(i) for i in ids] == [20, 16]  # capped at H*W, all distinct
    assert all(len(set(i.tolist())) == len(i) for i in ids)
    again = PatchSampleMLP.sample_ids(feats, 20, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(ids, again, strict=True))
    out = head(feats, ids)
    assert [tuple(o.shape) for o in out] == [(2, 20, 16), (2, 16, 16)]
    assert torch.allclose(out[0].norm(dim=-1), torch.ones(2, 20))
    # Position j of image n is the MLP of feature column ids[j] of image n.
    pos = ids[1][3].item()
    column = feats[1][1, :, pos // 4, pos % 4]
    expected = torch.nn.functional.normalize(head.mlps[1](column), dim=0)
    assert torch.allclose(out[1][1, 3], expected, atol=1e-6)


# ----------------------------------------------------------------------------- config


def test_reference_defaults_and_fastcut_differences():
    cut = model_class("cut").parse_config(compose(["model=cut"])["model"])
    fast = model_class("fastcut").parse_config(compose(["model=fastcut"])["model"])
    g = cut.generator
    assert (g.arch, g.norm, g.dropout, g.n_blocks) == ("resnet", "instance", False, 9)
    assert (cut.discriminator.arch, cut.discriminator.norm) == ("patch", "instance")
    assert (cut.gan_mode, cut.init_type, cut.lambda_GAN, cut.lambda_NCE) == (
        "lsgan",
        "xavier",
        1.0,
        1.0,
    )
    assert (cut.nce_idt, cut.nce_T, cut.num_patches, cut.nce_mlp_dim) == (True, 0.07, 256, 256)
    assert cut.nce_layers == [0, 1, 4, 7, 14] and not cut.flip_equivariance
    assert (fast.lambda_NCE, fast.nce_idt, fast.flip_equivariance) == (10.0, False, True)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("model.generator.arch=unet", "model.generator.arch"),
        ("model.nce_layers=[0,1,99]", "model.nce_layers"),
        ("model.nce_layers=[]", "model.nce_layers"),
        ("model.nce_layers=[1,1]", "model.nce_layers"),
        ("model.nce_T=0", "model.nce_T"),
        ("model.num_patches=-4", "model.num_patches"),
        ("model.lambda_NCE=-1", "model.lambda_NCE"),
    ],
)
def test_bad_cut_values_are_one_line_errors(domains, capsys, override, key):
    data = [f"data.source_dir={domains[0]}", f"data.target_dir={domains[1]}"]
    with pytest.raises(SystemExit) as exc:
        prevalidate([*TINY, *data, "model=cut", TINY_LAYERS, override])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and key in err[0], err


def test_tiny_experiment_needs_shallower_nce_layers():
    raw = compose([*TINY, "model=cut"])["model"]
    with pytest.raises(ConfigError, match=r"model.nce_layers: \[14\] out of range 0..11"):
        model_class("cut").parse_config(raw)


# ----------------------------------------------------------------------------- training


def tiny_model(name: str, bf16: bool = False, **overrides):
    raw = compose([*TINY, f"model={name}", TINY_LAYERS])["model"]
    raw.update(overrides)
    torch.manual_seed(0)
    rt = runtime("trainer.max_steps=10", f"trainer.precision={'bf16' if bf16 else 32}")
    return create_model(raw, rt, seed=0)


def tiny_batch(seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1 for k in ("source", "target")}


@pytest.mark.parametrize("bf16", [False, True])
def test_one_step_updates_generator_head_and_discriminator(bf16):
    model = tiny_model("cut", bf16=bf16)
    before = {n: [p.detach().clone() for p in net.parameters()] for n, net in model.raw.items()}
    losses = model.train_step(tiny_batch())
    assert set(losses) == {"G_GAN", "NCE", "NCE_Y", "G", "D_real", "D_fake", "D"}
    assert all(torch.isfinite(v) and v.dtype == torch.float32 for v in losses.values())
    assert losses["NCE"] > 0 and losses["NCE_Y"] > 0
    for name, params in before.items():
        changed = any(
            not torch.equal(a, b) for a, b in zip(params, model.raw[name].parameters(), strict=True)
        )
        assert changed, name


@pytest.mark.parametrize("name", ["cut", "fastcut"])
def test_keys_from_the_forward_pass_equal_a_separate_encoding(name):
    reused, separate = tiny_model(name), tiny_model(name)
    separate.reuse_keys = False  # what a DDP / compiled generator does
    for step in range(3):  # FastCUT: flipped and unflipped steps
        la, lb = reused.train_step(tiny_batch(step)), separate.train_step(tiny_batch(step))
        for k in la:
            assert torch.allclose(la[k], lb[k], rtol=1e-4, atol=1e-5), (step, k)


def test_fastcut_steps_draw_from_the_models_own_generator():
    model = tiny_model("fastcut")
    losses = model.train_step(tiny_batch())
    assert set(losses) == {"G_GAN", "NCE", "G", "D_real", "D_fake", "D"}
    # Same seed, same state: identical steps regardless of the global torch RNG.
    a, b = tiny_model("fastcut"), tiny_model("fastcut")
    state = a.extra_state()["rng"].clone()
    torch.manual_seed(123)
    la = a.train_step(tiny_batch(1))
    torch.manual_seed(456)
    lb = b.train_step(tiny_batch(1))
    assert all(torch.equal(la[k], lb[k]) for k in la)
    assert not torch.equal(a.extra_state()["rng"], state)  # patches / flip consumed it


def test_nce_disabled_trains_adversarially_only():
    model = tiny_model("cut", lambda_NCE=0.0)
    assert set(model.train_step(tiny_batch())) == {"G_GAN", "G", "D_real", "D_fake", "D"}


def read_scalar_tags(run_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return set(acc.Tags()["scalars"])


@pytest.mark.parametrize("model", ["cut", "fastcut"])
def test_cli_train_logs_nce_then_translate_and_evaluate(domains, tmp_path, model):
    run = tmp_path / "run"
    args = [str(BIN / "fridge-train"), *TINY, f"model={model}", TINY_LAYERS]
    args += [f"data.source_dir={domains[0]}", f"data.target_dir={domains[1]}"]
    args += ["trainer.max_steps=3", "trainer.precision=bf16", f"hydra.run.dir={run}"]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tags = read_scalar_tags(run)
    expected = {"loss/G_GAN", "loss/NCE", "loss/G", "loss/D", "lr/G", "lr/F", "lr/D"}
    assert expected <= tags and "metrics/swd" in tags
    assert ("loss/NCE_Y" in tags) == (model == "cut")
    payload = ckpt.load(run / "checkpoints" / "last.pt")
    assert payload["model_name"] == model and set(payload["model"]["nets"]) == {"G", "D", "F"}
    assert "rng" in payload["model"]["extra"]
    out = translate_batch(
        translate_config(str(run / "checkpoints" / "last.pt"), str(domains[0]), str(tmp_path / "t"))
    )
    names = sorted(p.name for p in (domains[0] / "images").iterdir())
    assert sorted(p.name for p in (out / "images").iterdir()) == names
    info = json.loads((out / "annotations.json").read_text())["info"]["translation"]
    assert info["model"] == model
    report = evaluate(
        {"a_dir": str(domains[0]), "b_dir": str(out), "image_size": 32, "device": "cpu"}
    )
    assert report["counts"]["paired"] == len(names) and report["metrics"]["swd"] > 0
