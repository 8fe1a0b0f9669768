"""The mask-aware structure term: free to recolour, costly to blur, move or erase objects."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from gan_testutils import runtime

from gan.preserve import masked_structure_loss


def _scene(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A textured image with two labelled objects on a flat background."""
    g = torch.Generator().manual_seed(seed)
    img = torch.full((1, 3, 64, 64), -0.2)
    mask = torch.zeros(1, 64, 64, dtype=torch.int64)
    for k, (y, x) in enumerate([(8, 8), (30, 34)], start=1):
        tex = torch.rand(1, 3, 8, 8, generator=g) * 1.6 - 0.8
        img[:, :, y : y + 24, x : x + 24] = F.interpolate(tex, size=(24, 24), mode="nearest")
        mask[:, y : y + 24, x : x + 24] = k
    return img, mask


def test_identity_and_colour_cast_cost_nothing():
    img, mask = _scene()
    assert masked_structure_loss(img, img, mask) < 0.01
    cast = (img * 0.6 + torch.tensor([0.3, 0.1, -0.2]).view(1, 3, 1, 1)).clamp(-1, 1)
    assert masked_structure_loss(img, cast, mask) < 0.05


def test_blur_shift_and_erase_cost_more_than_a_cast():
    img, mask = _scene()
    cast = (img * 0.6 + 0.2).clamp(-1, 1)
    base = float(masked_structure_loss(img, cast, mask))
    blurred = F.avg_pool2d(F.pad(img, (3, 3, 3, 3), mode="reflect"), 7, stride=1)
    shifted = torch.roll(img, shifts=(6, 6), dims=(2, 3))
    erased = torch.full_like(img, -0.2)
    for bad in (blurred, shifted, erased):
        assert float(masked_structure_loss(img, bad, mask)) > base + 0.2


def test_background_is_free_and_gradients_reach_the_translation():
    img, mask = _scene()
    other = img.clone()
    other[:, :, :, 63:] = torch.rand(1, 3, 64, 1)  # change only pixels far from any object
    assert (
        abs(masked_structure_loss(img, other, mask) - masked_structure_loss(img, img, mask)) < 1e-6
    )
    fake = (img + 0.1 * torch.randn_like(img)).requires_grad_(True)
    masked_structure_loss(img, fake, mask).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_no_objects_gives_zero_with_a_graph():
    img, _ = _scene()
    fake = img.clone().requires_grad_(True)
    loss = masked_structure_loss(img, fake, torch.zeros(1, 64, 64, dtype=torch.int64))
    assert float(loss) == 0.0
    loss.backward()


def test_models_add_the_term_only_when_on_and_masked():
    from gan.models import create_model

    img, mask = _scene()
    batch = {"source": img, "target": torch.flip(img, dims=(3,)), "source_mask": mask}
    small = {"generator": {"ngf": 8, "n_blocks": 1, "num_downs": 3}, "discriminator": {"ndf": 8}}
    for name in ("cyclegan", "pix2pix"):
        rt = runtime("trainer.max_steps=2")
        on = create_model({"name": name, **small, "lambda_content": 5.0}, rt, seed=0)
        assert "content" in on.train_step(batch)
        assert "content" not in on.train_step({k: batch[k] for k in ("source", "target")})
        off = create_model({"name": name, **small}, rt, seed=0)
        assert "content" not in off.train_step(batch)
