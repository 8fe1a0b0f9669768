"""Shared helpers for the gan tests: tiny image fixtures, config composition, CLI runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from testutils import compose  # noqa: F401  (the one compose helper, re-exported)

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REAL_PHOTOS = REPO / ".." / "shared" / "data" / "fridge_photos"

TINY = [
    "experiment=tiny",
    "trainer.log_every=1",
]


def noise_image(
    rng: np.random.Generator, w: int, h: int, tint: tuple[int, int, int]
) -> Image.Image:
    """Smooth-ish random RGB image with a colour cast (so domains differ)."""
    base = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize((w, h), Image.BILINEAR)
    arr = np.asarray(img).astype(np.int16) + np.array(tint, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def make_render_batch(
    root: Path, count: int = 6, size: tuple[int, int] = (48, 40), seed: int = 0
) -> Path:
    """A fake render batch: images/, 16-bit masks/, meta/ and a COCO annotations.json."""
    rng = np.random.default_rng(seed)
    for sub in ("images", "masks", "meta"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        name = f"{i:06d}.png"
        noise_image(rng, *size, (-40, 0, 40)).save(root / "images" / name)
        mask = np.zeros(size[::-1], dtype=np.uint16)
        mask[5:15, 5:20] = i + 1
        Image.fromarray(mask).save(root / "masks" / name)
        (root / "meta" / f"{i:06d}.json").write_text(json.dumps({"index": i}))
        images.append({"id": i, "file_name": f"images/{name}", "width": size[0], "height": size[1]})
        annotations.append(
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [5, 5, 15, 10],
                "area": 150,
                "iscrowd": 0,
            }
        )
    coco = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "milk"}]}
    (root / "annotations.json").write_text(json.dumps(coco))
    return root


def translate_config(checkpoint, input_dir, out_dir, **options):
    """A `fridge-translate` config: the packaged translate.yaml with these values."""
    from gan.translate import parse_translate_config

    paths = {"checkpoint": str(checkpoint), "input_dir": str(input_dir), "out_dir": str(out_dir)}
    return parse_translate_config({**paths, **options})


def runtime(*overrides: str):
    """The CPU `Runtime` of the packaged train.yaml with these Hydra overrides
    (e.g. "trainer.max_steps=10", "trainer.precision=bf16")."""
    from gan.config import parse_train_config
    from gan.distributed import DistInfo
    from gan.trainer import make_runtime

    cfg = parse_train_config(compose(list(overrides)))
    return make_runtime(cfg, torch.device("cpu"), DistInfo())


def generator_spec(model: str = "pix2pix", **changes):
    """The `model.generator` section of configs/model/<model>.yaml, with `changes` (unchecked,
    so tests can build specs the config checks would reject)."""
    import dataclasses

    from gan.models import model_class

    return dataclasses.replace(model_class(model).parse_config({}).generator, **changes)


def discriminator_spec(model: str = "pix2pix", **changes):
    """The `model.discriminator` section of configs/model/<model>.yaml, with `changes`."""
    import dataclasses

    from gan.models import model_class

    return dataclasses.replace(model_class(model).parse_config({}).discriminator, **changes)


def make_photo_folder(root: Path, count: int = 5, seed: int = 1) -> Path:
    """Target photos of mixed sizes and formats (JPEG, PNG, WebP)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    sizes = [(50, 40), (40, 56), (64, 64), (45, 45), (60, 38)]
    suffixes = [".jpg", ".png", ".jpeg", ".webp", ".JPG"]
    for i in range(count):
        img = noise_image(rng, *sizes[i % len(sizes)], (40, 10, -30))
        img.save(root / f"photo{i}{suffixes[i % len(suffixes)]}")
    return root


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread: tiny nets gain nothing from more, and a busy machine loses."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_cli(
    args: list[str], cwd: Path, timeout: float = 180, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run a console script / command from the venv and capture its output."""
    full_env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env
    )
