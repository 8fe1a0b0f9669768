"""The frame field: a generator's smooth gain/offset over frame positions, trained on crops that
carry their place in the frame (`gan.data.frame_box`) and applied to whole frames."""

from __future__ import annotations

import numpy as np
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
from PIL import Image

from gan import checkpoint as ckpt
from gan.config import ConfigError
from gan.data import (
    Geometry,
    ImageFolder,
    RandomPairDataset,
    TransformConfig,
    frame_box,
    frame_means,
)
from gan.models import create_model, model_class
from gan.networks import build_generator, init_weights
from gan.translate import translate_batch

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY_LAYERS = "model.nce_layers=[0,1,4,7,10]"


def field_net(n: int = 3) -> torch.nn.Module:
    spec = generator_spec(
        "cut", ngf=8, n_blocks=1, norm="instance", dropout=False, residual=True, frame_field=n
    )
    return init_weights(build_generator(spec), "xavier", 0.02)


def test_frame_box_of_resize_crop_and_flip():
    assert frame_box((640, 480), Geometry(None, None, False)).tolist() == [0, 0, 1, 1]
    box = frame_box((512, 512), Geometry(None, (128, 256, 256, 384), False))
    assert box.tolist() == [0.25, 0.5, 0.5, 0.75]
    flipped = frame_box((512, 512), Geometry(None, (128, 256, 256, 384), True))
    assert flipped.tolist() == [0.5, 0.5, 0.25, 0.75]
    # a resize keeps frame units: the crop box is in resized pixels
    resized = frame_box((100, 50), Geometry((200, 100), (50, 0, 150, 100), False))
    assert resized.tolist() == [0.25, 0.0, 0.75, 1.0]


def test_dataset_items_carry_the_frames_of_their_crops(tmp_path):
    """Each item's frame boxes describe the crop it holds: cutting the same box out of the
    whole image (and mirroring when x0 > x1) gives the item's pixels."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(2):
        arr = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"{i}.png")
    images = ImageFolder(folder, "source")
    cfg = TransformConfig(image_size=16, preprocess="crop", flip=True)
    ds = RandomPairDataset(images, images, cfg, seed=3)
    seen_flip = set()
    for epoch in range(4):
        ds.set_epoch(epoch)
        for k in range(len(ds)):
            item = ds[k]
            x0, y0, x1, y1 = item["source_frame"].tolist()
            whole = np.asarray(Image.open(images.files[ds.source_index(k)]).convert("RGB"))
            left, right = sorted((x0, x1))
            crop = whole[round(y0 * 48) : round(y1 * 48), round(left * 64) : round(right * 64)]
            if x0 > x1:
                crop = crop[:, ::-1]
            seen_flip.add(x0 > x1)
            got = ((item["source"] + 1) * 127.5).round().permute(1, 2, 0).numpy()
            assert np.array_equal(got.astype(np.uint8), crop)
            assert item["target_frame"].shape == (4,)
    assert seen_flip == {True, False}


def test_field_starts_as_identity_and_a_crop_translates_like_its_place_in_the_frame():
    """Zero-initialised: the identity. With a trained field (the conv path zeroed), translating
    a crop with its frame box gives exactly that crop of the whole frame's translation, also
    mirrored; without the box the crop would be treated as a whole frame."""
    net = field_net()
    x = torch.rand(1, 3, 32, 48) * 1.6 - 0.8
    assert torch.allclose(net(x), x, atol=1e-5)
    with torch.no_grad():
        net.field.copy_(torch.randn_like(net.field) * 0.1)
    whole = net(x)
    assert not torch.allclose(whole, x, atol=1e-3)
    crop = x[..., 8:24, 12:36]
    box = torch.tensor([[12 / 48, 8 / 32, 36 / 48, 24 / 32]])
    assert torch.allclose(net(crop, frame=box), whole[..., 8:24, 12:36], atol=1e-5)
    mirrored = net(crop.flip(3), frame=box[:, [2, 1, 0, 3]])
    assert torch.allclose(mirrored.flip(3), whole[..., 8:24, 12:36], atol=1e-5)
    assert not torch.allclose(net(crop), whole[..., 8:24, 12:36], atol=1e-3)
    out, _ = net.forward_with_taps(crop, [0, 4], box)
    assert torch.allclose(out, net(crop, frame=box), atol=1e-6)


def test_field_learns_a_vignette_from_crops():
    """Fitting crops (with their boxes) of a vignetted target teaches the field the vignette:
    the whole frame, never seen whole, comes out darker at the corners than at the centre."""
    net = field_net(4)
    h = w = 64
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    vignette = torch.exp(-0.8 * (xx**2 + yy**2))
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam([net.field], lr=2e-2)
    for _ in range(150):
        x = torch.rand(4, 3, h, w, generator=gen) * 1.4 - 0.7
        target = ((x + 1) / 2 * vignette) * 2 - 1
        tops = torch.randint(0, h - 24 + 1, (4,), generator=gen).tolist()
        lefts = torch.randint(0, w - 24 + 1, (4,), generator=gen).tolist()
        crops = torch.stack(
            [
                x[i, :, t : t + 24, s : s + 24]
                for i, (t, s) in enumerate(zip(tops, lefts, strict=True))
            ]
        )
        wants = torch.stack(
            [
                target[i, :, t : t + 24, s : s + 24]
                for i, (t, s) in enumerate(zip(tops, lefts, strict=True))
            ]
        )
        boxes = torch.tensor(
            [[s / w, t / h, (s + 24) / w, (t + 24) / h] for t, s in zip(tops, lefts, strict=True)]
        )
        opt.zero_grad()
        (net(crops, frame=boxes) - wants).abs().mean().backward()
        opt.step()
    flat = torch.full((1, 3, h, w), 0.6)
    out = (net(flat) + 1) / 2
    ratio = out[0, 0] / 0.8
    assert ratio[28:36, 28:36].mean() > 0.9  # centre kept
    # corners darkened (a 4x4 grid reaches its outer cell centres at 1/8 and 7/8 of the frame)
    assert ratio[:6, :6].mean() < 0.75 and ratio[-6:, -6:].mean() < 0.75


def test_frame_field_needs_a_residual_generator_and_no_cycle():
    with pytest.raises(ConfigError, match="model.generator.frame_field: needs"):
        model_class("cut").parse_config({"generator": {"arch": "resnet", "frame_field": 4}})
    with pytest.raises(ConfigError, match="model.generator.frame_field: must be >= 0"):
        model_class("cut").parse_config({"generator": {"frame_field": -1}})
    with pytest.raises(ConfigError, match="frame_field: this model does not support it"):
        model_class("cyclegan").parse_config(
            {"generator": {"arch": "resnet", "residual": True, "frame_field": 4}}
        )
    with pytest.raises(ValueError, match="frame field needs a residual"):
        build_generator(generator_spec("cut", ngf=8, n_blocks=1, frame_field=2))


@pytest.mark.parametrize("name", ["cut", "pix2pix"])
def test_training_steps_move_the_field_with_the_batch_frames(name):
    raw = (
        compose([*TINY, f"model={name}", TINY_LAYERS])["model"]
        if name == "cut"
        else compose([*TINY, f"model={name}"])["model"]
    )
    raw["generator"].update(arch="resnet", residual=True, frame_field=3, n_blocks=2)
    torch.manual_seed(0)
    model = create_model(raw, runtime("trainer.max_steps=10"), seed=0)
    gen = torch.Generator().manual_seed(0)
    batch = {k: torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1 for k in ("source", "target")}
    batch["source_frame"] = torch.tensor([[0.0, 0.0, 0.5, 0.5], [1.0, 0.5, 0.5, 1.0]])
    batch["target_frame"] = torch.tensor([[0.5, 0.0, 1.0, 0.5], [0.0, 0.5, 0.5, 1.0]])
    for _ in range(2):
        losses = model.train_step(batch)
        assert all(torch.isfinite(v) for v in losses.values())
    assert model.raw["G"].field.abs().sum() > 0


def train_cut_with_field(tmp_path, *overrides: str):
    """fridge-train a tiny residual CUT on 48 px renders and photos (native crops) with these
    overrides; returns (render batch, photo folder, run folder)."""
    src = make_render_batch(tmp_path / "renders", count=3, size=(48, 48))
    photos = make_photo_folder(tmp_path / "photos", count=3)
    run = tmp_path / "run"
    args = [str(BIN / "fridge-train"), *TINY, "model=cut", TINY_LAYERS]
    args += [f"data.source_dir={src}", f"data.target_dir={photos}", "data.preprocess=crop"]
    args += ["model.generator.residual=true", *overrides, f"hydra.run.dir={run}"]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return src, photos, run


def test_cli_trains_exports_and_translates_whole_frames(tmp_path):
    """A CUT run with a frame field trains on crops, its export rebuilds the field, and
    fridge-translate applies it to whole frames (identical with the checkpoint or export)."""
    src, _, run = train_cut_with_field(
        tmp_path, "model.generator.frame_field=3", "trainer.max_steps=3"
    )
    payload = ckpt.load(run / "checkpoints" / "last.pt")
    assert payload["model"]["nets"]["G"]["field"].abs().sum() > 0
    outs = []
    for name in ("last.pt", "generator.safetensors"):
        cfg = translate_config(run / "checkpoints" / name, src, tmp_path / name)
        out = translate_batch(cfg)
        outs.append([np.asarray(Image.open(p)) for p in sorted((out / "images").iterdir())])
    assert all(np.array_equal(a, b) for a, b in zip(*outs, strict=True))


def test_discriminator_frame_coords_see_where_each_pixel_sits():
    """`discriminator.frame_coords`: D gets two channels of frame position in front of the
    image (here checked for a mirrored crop), and CUT trains with them; the models whose D
    input is a pair or a cycle refuse the key in one line."""
    raw = compose([*TINY, "model=cut", TINY_LAYERS])["model"]
    raw["generator"].update(residual=True, frame_field=2, n_blocks=2)
    raw["discriminator"].update(frame_coords=True, num_scales=2)
    torch.manual_seed(0)
    model = create_model(raw, runtime("trainer.max_steps=10"), seed=0)
    image = torch.zeros(1, 3, 8, 8)
    seen = model.d_input(image, torch.tensor([[0.75, 0.0, 0.25, 0.5]]))
    assert seen.shape == (1, 5, 8, 8) and torch.equal(seen[:, 2:], image)
    x, y = (seen[0, 0] + 1) / 2, (seen[0, 1] + 1) / 2  # back to frame units
    assert torch.allclose(x[0], 0.75 - 0.5 * (torch.arange(8) + 0.5) / 8)
    assert torch.allclose(y[:, 0], 0.5 * (torch.arange(8) + 0.5) / 8)
    gen = torch.Generator().manual_seed(0)
    batch = {k: torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1 for k in ("source", "target")}
    batch["source_frame"] = torch.tensor([[0.0, 0.0, 0.5, 0.5], [1.0, 0.5, 0.5, 1.0]])
    batch["target_frame"] = torch.tensor([[0.5, 0.0, 1.0, 0.5], [0.0, 0.5, 0.5, 1.0]])
    d_before = [p.detach().clone() for p in model.raw["D"].parameters()]
    losses = model.train_step(batch)
    assert all(torch.isfinite(v) for v in losses.values())
    moved = [
        not torch.equal(a, b) for a, b in zip(d_before, model.raw["D"].parameters(), strict=True)
    ]
    assert all(moved)
    for name in ("pix2pix", "cyclegan"):
        with pytest.raises(ConfigError, match="frame_coords: this model does not support it"):
            model_class(name).parse_config({"discriminator": {"frame_coords": True}})


def test_statistics_init_starts_the_field_at_the_domains_mean_colour_ratio(tmp_path):
    """frame_field_init=statistics: per frame cell, the gain between the folders' mean colours;
    a source image translated as a whole frame then has the target's mean look per place."""
    src_dir, tgt_dir = tmp_path / "src", tmp_path / "tgt"
    src_dir.mkdir()
    tgt_dir.mkdir()
    for i in range(3):
        Image.new("RGB", (80, 60), (128, 128, 128)).save(src_dir / f"{i}.png")
        dark_left = np.full((30, 40, 3), 128, dtype=np.uint8)
        dark_left[:, :20] = 26  # the left half of every target frame is dark
        Image.fromarray(dark_left).save(tgt_dir / f"{i}.png")
    src_mean = frame_means(ImageFolder(src_dir, "source"), 2)
    tgt_mean = frame_means(ImageFolder(tgt_dir, "target"), 2)
    assert torch.allclose(tgt_mean[:, :, 0], torch.full((3, 2), 26 / 255), atol=0.01)
    assert torch.allclose(tgt_mean[:, :, 1], src_mean[:, :, 1], atol=0.01)
    net = field_net(2)
    net.init_field(src_mean, tgt_mean)
    out = (net(torch.full((1, 3, 32, 32), 128 / 127.5 - 1)) + 1) / 2
    assert abs(out[0, 0, 16, 2].item() - 26 / 255) < 0.02  # left cell centre column: dark
    assert abs(out[0, 0, 16, 29].item() - 128 / 255) < 0.02  # right: unchanged
    with pytest.raises(ConfigError, match="model.generator.frame_field_init"):
        model_class("cut").parse_config(
            {"generator": {"residual": True, "frame_field": 2, "frame_field_init": "mean"}}
        )


def test_zero_steps_save_the_statistics_field_alone(tmp_path):
    """trainer.max_steps=0 with frame_field_init=statistics: no optimisation step; the saved
    generator is the identity network plus the field started from the domains' mean colours,
    and fridge-translate applies it."""
    src, photos, run = train_cut_with_field(
        tmp_path,
        "model.generator.frame_field=2",
        "model.generator.frame_field_init=statistics",
        "model.generator.color_head=true",
        "trainer.max_steps=0",
    )
    payload = ckpt.load(run / "checkpoints" / "last.pt")
    assert payload["step"] == 0
    field = payload["generator"]["state_dict"]["field"]
    src_mean = frame_means(ImageFolder(src, "source"), 2)
    tgt_mean = frame_means(ImageFolder(photos, "target"), 2)
    gain = (tgt_mean / src_mean).log().clamp(-3, 3)
    assert torch.allclose(field[0, :3] * 8.0, gain, atol=1e-5)
    out = translate_batch(translate_config(run / "checkpoints" / "last.pt", src, tmp_path / "t"))
    assert len(list((out / "images").iterdir())) == 3
