"""Image folders for render-to-photo translation: loading, preprocessing, random pairing."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset, Sampler

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


class DataError(ValueError):
    """A data folder or image file cannot be used."""


@dataclass(frozen=True)
class TransformConfig:
    """How a loaded image becomes a training tensor."""

    image_size: int = 256
    load_size: int | None = None
    preprocess: str = "resize_and_crop"
    flip: bool = True


def resolve_image_dir(path: str | Path) -> Path:
    """Return the folder holding images: `path/images` for a render batch, else `path`."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: image folder does not exist")
    images = root / "images"
    return images if images.is_dir() else root


def list_images(path: str | Path) -> list[Path]:
    """Sorted image files (PNG/JPEG/WebP) of a folder or render batch; error if none."""
    folder = resolve_image_dir(path)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise DataError(f"{folder}: no PNG/JPEG/WebP images in folder")
    return files


def _to_8bit(img: Image.Image) -> Image.Image:
    """Convert 16/32-bit integer and float single-channel images to 8-bit grayscale."""
    arr = np.asarray(img)
    if arr.dtype == np.uint8:
        return img
    arr = arr.astype(np.float64)
    if img.mode.startswith("I;16") or (img.mode == "I" and arr.max(initial=0) > 255):
        arr = arr / 65535.0 * 255.0
    elif img.mode == "F" and arr.max(initial=0) <= 1.0:
        arr = arr * 255.0
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode="L")


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image as 8-bit RGB with EXIF orientation applied; raise DataError if unreadable."""
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            img.load()
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
                img = _to_8bit(img)
            if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from exc


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image to a float tensor in [-1, 1], shape (3, H, W)."""
    arr = np.asarray(img, dtype=np.uint8).copy()
    return torch.from_numpy(arr).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def tensor_to_uint8(x: torch.Tensor) -> np.ndarray:
    """A (3, H, W) tensor in [-1, 1] to an HxWx3 uint8 array."""
    arr = (x.detach().float().clamp(-1, 1).add(1).mul(127.5)).round().byte()
    return arr.permute(1, 2, 0).cpu().numpy()


def sample_rng(seed: int, epoch: int, index: int, stream: int) -> np.random.Generator:
    """A generator fixed by (seed, epoch, index, stream): same inputs, same draws."""
    return np.random.default_rng([seed & 0xFFFFFFFF, epoch, index, stream])


def transform_image(
    img: Image.Image, cfg: TransformConfig, rng: np.random.Generator | None
) -> torch.Tensor:
    """Resize/crop/flip an image per config; rng=None means deterministic center crop, no flip."""
    size = cfg.image_size
    load = cfg.load_size or int(round(size * 286 / 256))
    if cfg.preprocess in ("resize_and_crop", "resize"):
        target = load if cfg.preprocess == "resize_and_crop" else size
        w, h = img.size
        scale = target / min(w, h)
        img = img.resize(
            (max(target, round(w * scale)), max(target, round(h * scale))), Image.BICUBIC
        )
    elif cfg.preprocess == "crop":
        w, h = img.size
        if min(w, h) < size:
            scale = size / min(w, h)
            img = img.resize((math.ceil(w * scale), math.ceil(h * scale)), Image.BICUBIC)
    elif cfg.preprocess != "none":
        raise DataError(f"data.preprocess: unknown mode {cfg.preprocess!r}")
    w, h = img.size
    if cfg.preprocess != "none":
        if rng is None:
            left, top = (w - size) // 2, (h - size) // 2
        else:
            left = int(rng.integers(0, w - size + 1))
            top = int(rng.integers(0, h - size + 1))
        img = img.crop((left, top, left + size, top + size))
    if cfg.flip and rng is not None and rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return pil_to_tensor(img)


class ImageFolder:
    """A checked list of image files; unreadable files are skipped with one warning each."""

    def __init__(self, path: str | Path, name: str) -> None:
        self.name = name
        self.skipped: list[Path] = []
        good = []
        for file in list_images(path):
            try:
                with Image.open(file) as img:
                    img.verify()
                good.append(file)
            except Exception as exc:  # noqa: BLE001 - PIL raises many types on bad files
                log.warning("skipping corrupt %s image %s (%s)", name, file, exc)
                self.skipped.append(file)
        if not good:
            raise DataError(f"{resolve_image_dir(path)}: no readable images in folder")
        self.files = good

    def __len__(self) -> int:
        return len(self.files)

    def load(
        self, index: int, cfg: TransformConfig, rng: np.random.Generator | None
    ) -> torch.Tensor:
        """Load file `index`; on a late read error warn once and fall back to the next file."""
        for attempt in range(len(self.files)):
            file = self.files[(index + attempt) % len(self.files)]
            try:
                return transform_image(load_rgb(file), cfg, rng)
            except DataError as exc:
                if file not in self.skipped:
                    log.warning("skipping corrupt %s image: %s", self.name, exc)
                    self.skipped.append(file)
        raise DataError(f"{self.name}: no readable images left")


class RandomPairDataset(Dataset):
    """Each source image paired with a target image drawn afresh every epoch (Pix2Pix)."""

    def __init__(
        self, source: ImageFolder, target: ImageFolder, cfg: TransformConfig, seed: int
    ) -> None:
        self.source, self.target, self.cfg, self.seed = source, target, cfg, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose pairing and augmentations __getitem__ returns."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.source)

    def source_index(self, index: int) -> int:
        """Index into the source folder for dataset item `index`."""
        return index % len(self.source)

    def target_index(self, index: int, epoch: int | None = None) -> int:
        """Target paired with item `index` in `epoch` (default: current epoch)."""
        ep = self.epoch if epoch is None else epoch
        return int(sample_rng(self.seed, ep, index, 0).integers(0, len(self.target)))

    def pairing(self, epoch: int) -> list[int]:
        """Target index for every item in `epoch`."""
        return [self.target_index(i, epoch) for i in range(len(self))]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        src = self.source.load(
            self.source_index(index), self.cfg, sample_rng(self.seed, self.epoch, index, 1)
        )
        t_idx = self.target_index(index)
        tgt = self.target.load(t_idx, self.cfg, sample_rng(self.seed, self.epoch, index, 2))
        return {"source": src, "target": tgt, "index": index, "target_index": t_idx}


class UnpairedDataset(RandomPairDataset):
    """Unaligned domains A (renders) and B (photos) for CycleGAN; length is the larger domain."""

    def __len__(self) -> int:
        return max(len(self.source), len(self.target))


class EpochSampler(Sampler[int]):
    """Seeded per-epoch shuffle, sharded over ranks, able to skip already-seen items on resume."""

    def __init__(
        self, n: int, seed: int, rank: int = 0, world_size: int = 1, shuffle: bool = True
    ) -> None:
        self.n, self.seed, self.rank, self.world = n, seed, rank, world_size
        self.shuffle = shuffle
        self.epoch = 0
        self.skip = 0
        self.per_rank = max(1, math.ceil(n / world_size))

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        """Select epoch and how many of this rank's items to skip."""
        self.epoch, self.skip = epoch, skip

    def indices(self) -> list[int]:
        """This rank's item order for the current epoch, before skipping."""
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            order = torch.randperm(self.n, generator=gen).tolist()
        else:
            order = list(range(self.n))
        total = self.per_rank * self.world
        order = (order * math.ceil(total / self.n))[:total]
        return order[self.rank : total : self.world]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices()[self.skip :])

    def __len__(self) -> int:
        return max(0, self.per_rank - self.skip)


def eval_batch(folder: ImageFolder, cfg: TransformConfig, count: int) -> torch.Tensor:
    """First `count` images of a folder, center-cropped, stacked as (N, 3, S, S)."""
    n = min(count, len(folder))
    return torch.stack([folder.load(i, cfg, None) for i in range(n)])


def load_folder_tensor(path: str | Path, image_size: int, limit: int | None = None) -> torch.Tensor:
    """Images of a folder resized (shorter side) and center-cropped to `image_size`, in [-1, 1]."""
    cfg = TransformConfig(image_size=image_size, preprocess="resize", flip=False)
    folder = ImageFolder(path, Path(path).name)
    return eval_batch(folder, cfg, limit or len(folder))
