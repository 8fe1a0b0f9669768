"""Architectures, initialisation, losses and metrics on real tensors."""

from __future__ import annotations

import logging

import pytest
import torch
from gan_testutils import discriminator_spec, generator_spec, make_photo_folder

from gan import losses, metrics
from gan.networks import (
    GeneratorSpec,
    build_discriminator,
    build_generator,
    init_weights,
    size_multiple,
)
from gan.translate import translate_tensor

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("upsample", ["deconv", "resize"])
@pytest.mark.parametrize(
    "spec",
    [
        generator_spec(arch="unet", ngf=4, num_downs=5, norm="batch", dropout=True),
        generator_spec(arch="unet", ngf=4, num_downs=6, norm="instance", dropout=True),
        generator_spec(arch="resnet", ngf=4, n_blocks=6, norm="instance", dropout=False),
        generator_spec(arch="resnet", ngf=4, n_blocks=9, norm="batch", dropout=True),
    ],
)
def test_generators_keep_shape_and_range(spec, upsample):
    from dataclasses import replace

    net = build_generator(replace(spec, upsample=upsample))
    x = torch.randn(2, 3, 64, 64)
    y = net(x)
    assert y.shape == x.shape
    assert y.abs().max() <= 1.0
    y.mean().backward()


def test_unet_dropout_layers_follow_reference():
    deep = build_generator(generator_spec(arch="unet", ngf=2, num_downs=8, dropout=True))
    drops = [m for m in deep.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(drops) == 3  # the three innermost 8*ngf decoder blocks, as in unet_256
    plain = build_generator(generator_spec(arch="unet", ngf=2, num_downs=8, dropout=False))
    assert not [m for m in plain.modules() if isinstance(m, torch.nn.Dropout)]


@pytest.mark.parametrize("n_layers", [1, 3])
@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_patch_discriminator(n_layers, norm):
    d = build_discriminator(discriminator_spec(ndf=8, n_layers=n_layers, norm=norm), 6)
    out = d(torch.randn(2, 6, 64, 64))
    assert out.shape[:2] == (2, 1) and out.shape[-1] > 1


def test_pixel_discriminator_one_logit_per_pixel():
    d = build_discriminator(discriminator_spec(arch="pixel", ndf=8, n_layers=1), 3)
    assert d(torch.randn(2, 3, 16, 20)).shape == (2, 1, 16, 20)


@pytest.mark.parametrize("kind", ["normal", "xavier", "kaiming"])
def test_init_weights(kind):
    net = build_generator(generator_spec(arch="resnet", ngf=8, n_blocks=1, norm="batch"))
    init_weights(net, kind, 0.02)
    conv = net.model[0]
    if kind == "normal":
        assert abs(conv.weight.std().item() - 0.02) < 0.01
    assert conv.bias is None or torch.all(conv.bias == 0)


def test_unknown_choices_raise():
    with pytest.raises(ValueError, match="unknown generator arch"):
        build_generator(generator_spec(arch="vit"))
    with pytest.raises(ValueError, match="unknown init"):
        init_weights(torch.nn.Conv2d(1, 1, 1), "uniform")


@pytest.mark.parametrize("mode", losses.GAN_MODES)
def test_gan_losses_prefer_correct_logits(mode):
    good_real, good_fake = torch.full((4, 1, 3, 3), 3.0), torch.full((4, 1, 3, 3), -3.0)
    d_good = sum(losses.discriminator_loss(mode, good_real, good_fake))
    d_bad = sum(losses.discriminator_loss(mode, good_fake, good_real))
    assert d_good < d_bad
    assert losses.generator_loss(mode, good_real) < losses.generator_loss(mode, good_fake)


def test_translate_any_resolution_pads_and_crops():
    spec = generator_spec(arch="unet", ngf=4, num_downs=5, norm="instance")
    net = build_generator(spec).eval()
    assert size_multiple(spec) == 32
    for h, w in [(40, 48), (17, 90), (64, 64)]:
        out = translate_tensor(net, spec, torch.rand(1, 3, h, w) * 2 - 1)
        assert out.shape == (1, 3, h, w)


def test_laplacian_pyramid_levels():
    x = torch.rand(2, 3, 64, 64)
    levels = metrics.laplacian_pyramid(x, min_size=16)
    assert [lv.shape[-1] for lv in levels] == [64, 32, 16]
    # Reconstruct: collapse the pyramid back to the image.
    cur = levels[-1]
    for band in reversed(levels[:-1]):
        cur = band + metrics.pyramid_up(cur, band.shape[-2:])
    assert torch.allclose(cur, x, atol=1e-5)


def test_swd_separates_distributions():
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(16, 3, 32, 32, generator=gen) * 2 - 1
    b = torch.rand(16, 3, 32, 32, generator=gen) * 2 - 1
    smooth = torch.nn.functional.avg_pool2d(a, 5, 1, 2)
    same = metrics.swd(a, b, seed=1)
    diff = metrics.swd(a, smooth, seed=1)
    assert len(same.levels) == 2
    assert 0 <= same.mean < diff.mean
    assert metrics.swd(a, b, seed=1) == same  # deterministic given the seed


def test_swd_joint_normalization_sees_a_colour_cast():
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(16, 3, 32, 32, generator=gen) * 2 - 1
    b = torch.rand(16, 3, 32, 32, generator=gen) * 2 - 1
    warm = (b * 0.7 + torch.tensor([0.25, 0.05, -0.25]).view(1, 3, 1, 1)).clamp(-1, 1)
    each = metrics.SWDSettings(normalize="each")
    # Per-set normalization (Karras et al.) cancels a global cast and contrast change ...
    assert metrics.swd(a, warm, each, 1).mean < 1.5 * metrics.swd(a, b, each, 1).mean
    # ... joint normalization measures it.
    assert metrics.swd(a, warm, seed=1).mean > 3 * metrics.swd(a, b, seed=1).mean
    with pytest.raises(ValueError, match="normalize"):
        metrics.swd(a, b, metrics.SWDSettings(normalize="bogus"))


def test_swd_folders(tmp_path):
    a = make_photo_folder(tmp_path / "a", count=4, seed=1)
    b = make_photo_folder(tmp_path / "b", count=4, seed=2)
    res = metrics.swd_folders(a, b, image_size=32)
    assert res.mean > 0 and len(res.levels) == 2


def test_fid_kid_from_local_weights(tmp_path, caplog):
    from torchvision.models import inception_v3

    with caplog.at_level(logging.INFO, logger="gan.metrics"):
        assert metrics.load_inception(None) is None
        assert metrics.load_inception(tmp_path / "missing.pt") is None
    assert "FID/KID disabled" in caplog.text and "missing.pt" in caplog.text
    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False)
    torch.save(net.state_dict(), tmp_path / "inception.pt")
    inception = metrics.load_inception(tmp_path / "inception.pt")
    assert inception is not None
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(4, 3, 32, 32, generator=gen) * 2 - 1
    b = torch.rand(4, 3, 32, 32, generator=gen) * 2 - 1
    out = metrics.fid_kid(a, b, inception, subset_size=3)
    assert set(out) == {"fid", "kid"} and all(v == v for v in out.values())


def test_frechet_distance_of_shifted_gaussians():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 4, generator=gen, dtype=torch.float64)
    b = a + 2.0
    assert metrics.frechet_distance(a, b) == pytest.approx(16.0, rel=1e-3)
    assert metrics.kernel_inception_distance(a, a.clone(), subset_size=100) == pytest.approx(
        0.0, abs=0.05
    )


def test_residual_generator_starts_as_identity_and_learns():
    from gan.models.base import rebuild_generator

    spec = generator_spec(
        arch="resnet", ngf=8, n_blocks=1, norm="instance", dropout=False, residual=True
    )
    net = init_weights(build_generator(spec), "normal", 0.02)
    x = torch.rand(2, 3, 16, 16) * 1.8 - 0.9
    assert torch.allclose(net(x), x, atol=1e-5)  # identity at init
    out, taps = net.forward_with_taps(x, [0, 4])
    assert torch.equal(out, net(x)) and torch.equal(taps[0], x)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(5):  # a correction is learnt: pull the output towards a brighter image
        opt.zero_grad()
        loss = (net(x) - (x + 0.3).clamp(-1, 1)).abs().mean()
        loss.backward()
        opt.step()
    assert not torch.allclose(net(x), x, atol=1e-3)
    export = {"spec": spec.to_dict(), "state_dict": net.state_dict()}
    rebuilt, rspec = rebuild_generator(export)
    assert rspec.residual and torch.allclose(rebuilt(x), net.eval()(x))


def test_residual_needs_a_resnet():
    from gan.config import ConfigError
    from gan.models import model_class

    with pytest.raises(ConfigError, match="model.generator.residual: needs"):
        model_class("pix2pix").parse_config({"generator": {"residual": True}})


def test_color_head_starts_as_identity_and_learns_a_global_cast():
    """The colour head learns a global colour change (here: a warm cast) in a few steps, and
    the generator with taps, the rebuilt export and the plain forward agree."""
    from gan.models.base import rebuild_generator

    spec = generator_spec(
        arch="resnet",
        ngf=8,
        n_blocks=1,
        norm="instance",
        dropout=False,
        residual=True,
        color_head=True,
    )
    net = init_weights(build_generator(spec), "xavier", 0.02)
    x = torch.rand(2, 3, 16, 16) * 1.6 - 0.8
    assert torch.allclose(net(x), x, atol=1e-5)  # identity at init, the head included
    cast = torch.tensor([0.15, 0.0, -0.2]).view(1, 3, 1, 1)
    opt = torch.optim.Adam(net.color.parameters(), lr=2e-2)  # the head alone
    for _ in range(60):
        opt.zero_grad()
        loss = (net(x) - (x + cast)).abs().mean()
        loss.backward()
        opt.step()
    shift = (net(x) - x).mean(dim=(0, 2, 3))
    assert torch.allclose(shift, cast.view(3), atol=0.05), shift
    out, taps = net.forward_with_taps(x, [0, 4])
    assert torch.allclose(out, net(x), atol=1e-6) and torch.equal(taps[0], x)
    export = {"spec": spec.to_dict(), "state_dict": net.state_dict()}
    rebuilt, rspec = rebuild_generator(export)
    assert rspec.color_head and torch.allclose(rebuilt(x), net.eval()(x), atol=1e-6)


def test_color_head_needs_a_residual_generator():
    from gan.config import ConfigError
    from gan.models import model_class

    with pytest.raises(ConfigError, match="model.generator.color_head: needs"):
        model_class("cut").parse_config({"generator": {"arch": "resnet", "color_head": True}})
    with pytest.raises(ValueError, match="colour head needs a residual"):
        build_generator(generator_spec(arch="resnet", ngf=8, n_blocks=1, color_head=True))


def test_multiscale_discriminator_sees_pooled_inputs_and_losses_average_scales():
    """num_scales=3: three PatchGANs on the input at full, 1/2 and 1/4 size (the coarsest
    sees the whole crop); the GAN losses are the mean of the per-scale losses."""
    spec = discriminator_spec(ndf=8, n_layers=2, norm="instance", num_scales=3)
    net = init_weights(build_discriminator(spec, 3), "normal", 0.02)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    out = net(x)
    assert [o.shape[-1] for o in out] == [14, 6, 2]  # finest first
    single = net.scales[1]
    pooled = torch.nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
    assert torch.allclose(out[1], single(pooled))
    d_real, d_fake = losses.discriminator_loss("lsgan", out, [o - 1 for o in out])
    per_scale = [losses.discriminator_loss("lsgan", o, o - 1) for o in out]
    assert torch.allclose(d_real, torch.stack([p[0] for p in per_scale]).mean())
    assert torch.allclose(d_fake, torch.stack([p[1] for p in per_scale]).mean())
    g = losses.generator_loss("hinge", out)
    assert torch.allclose(g, torch.stack([-o.mean() for o in out]).mean())


def test_generator_exports_of_older_versions_still_load():
    """An export written before `residual` and `color_head` existed rebuilds the same spec;
    exports keep naming the RGB channel counts."""
    spec = generator_spec(ngf=4, num_downs=5)
    old = {k: v for k, v in spec.to_dict().items() if k not in ("residual", "color_head")}
    assert (old["in_channels"], old["out_channels"]) == (3, 3)
    assert GeneratorSpec.from_dict(old) == spec
    with pytest.raises(ValueError, match="only RGB to RGB"):
        GeneratorSpec.from_dict({**old, "in_channels": 4})


def test_lr_schedules():
    """GANs: constant, then linear to ~0; measuring nets: 5 % linear warm-up, then a cosine."""
    from gan.schedules import LinearDecay, WarmupCosine

    decay = LinearDecay(constant=4, total=8)
    assert [decay(s) for s in (0, 4, 5, 8)] == pytest.approx([1.0, 1.0, 0.8, 0.2])
    cosine = WarmupCosine(total=40)  # warm-up: 2 steps
    assert [cosine(s) for s in (0, 1, 2)] == [0.5, 1.0, 1.0]
    assert cosine(21) == pytest.approx(0.5) and cosine(40) == pytest.approx(0.0, abs=1e-12)
    assert WarmupCosine(total=3)(0) == 1.0  # at least one warm-up step
