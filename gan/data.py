"""Image folders for render-to-photo translation: loading, preprocessing, random pairing."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset, Sampler

from fridge_batch import layout

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
# What opening or decoding a bad image file raises; DecompressionBombError (a header claiming
# more than twice PIL's MAX_IMAGE_PIXELS) is no OSError, so it is listed explicitly.
IMAGE_ERRORS = (
    OSError,
    UnidentifiedImageError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
)


class DataError(ValueError):
    """A data folder or image file cannot be used."""


def image_error(path: str | Path, exc: BaseException, what: str = "image") -> DataError:
    """A one-line DataError naming `path` for an exception from opening/decoding it."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, Image.DecompressionBombError):
        return DataError(f"{path}: {what} too large to open safely ({reason})")
    return DataError(f"{path}: cannot read {what} ({reason})")


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the file header; DataError naming the file when unreadable or
    when the header claims a size too large to open (decompression bomb)."""
    try:
        with Image.open(path) as img:
            return img.size
    except IMAGE_ERRORS as exc:
        raise image_error(path, exc) from exc


def check_headers(files: list[Path]) -> list[tuple[int, int]]:
    """Sizes of all `files` from their headers; the first unreadable or oversized one is a
    DataError naming it (cheap: nothing is decoded)."""
    return [image_size(f) for f in files]


def check_uniform_sizes(files: list[Path], key: str) -> None:
    """DataError naming `key` and two files unless all images have the same size (needed
    when `data.preprocess=none` stacks images as they are). Unreadable files are ignored
    (they are skipped when training)."""
    first: tuple[Path, tuple[int, int]] | None = None
    for file in files:
        try:
            size = image_size(file)
        except DataError:
            continue
        if first is None:
            first = (file, size)
        elif size != first[1]:
            raise DataError(
                f"{key}: data.preprocess=none needs images of one size, but {file} is "
                f"{size[0]}x{size[1]} and {first[0]} is {first[1][0]}x{first[1][1]} "
                f"(use data.preprocess=resize_and_crop|crop|resize)"
            )


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
    images = root / layout.IMAGES
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
    except IMAGE_ERRORS as exc:
        raise image_error(path, exc) from exc


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


@dataclass(frozen=True)
class Geometry:
    """Where a loaded image goes: optional resize (w, h), optional crop box, optional flip."""

    resize: tuple[int, int] | None
    box: tuple[int, int, int, int] | None
    flip: bool


def plan_geometry(
    size: tuple[int, int], cfg: TransformConfig, rng: np.random.Generator | None
) -> Geometry:
    """The resize/crop/flip for an image of `size` (w, h); rng=None: center crop, no flip.

    The only random draws are the crop offsets (left, then top) and the flip, in that order.
    """
    out = cfg.image_size
    load = cfg.load_size or int(round(out * 286 / 256))
    w, h = size
    resize = None
    if cfg.preprocess in ("resize_and_crop", "resize"):
        target = load if cfg.preprocess == "resize_and_crop" else out
        scale = target / min(w, h)
        resize = (max(target, round(w * scale)), max(target, round(h * scale)))
    elif cfg.preprocess == "crop":
        if min(w, h) < out:
            scale = out / min(w, h)
            resize = (math.ceil(w * scale), math.ceil(h * scale))
    elif cfg.preprocess != "none":
        raise DataError(f"data.preprocess: unknown mode {cfg.preprocess!r}")
    w, h = resize or (w, h)
    box = None
    if cfg.preprocess != "none":
        if rng is None:
            left, top = (w - out) // 2, (h - out) // 2
        else:
            left = int(rng.integers(0, w - out + 1))
            top = int(rng.integers(0, h - out + 1))
        box = (left, top, left + out, top + out)
    flip = bool(cfg.flip and rng is not None and rng.random() < 0.5)
    return Geometry(resize, box, flip)


def frame_box(size: tuple[int, int], geom: Geometry) -> torch.Tensor:
    """Where the transformed image lies in its frame: (x0, y0, x1, y1) in [0, 1] frame units,
    float32 (4,). A whole image is (0, 0, 1, 1); a mirrored one has x0 > x1. A resize keeps
    frame units, a crop selects part of the frame."""
    w, h = geom.resize or size
    x0, y0, x1, y1 = (0, 0, w, h) if geom.box is None else geom.box
    box = [x0 / w, y0 / h, x1 / w, y1 / h]
    if geom.flip:
        box[0], box[2] = box[2], box[0]
    return torch.tensor(box, dtype=torch.float32)


def apply_geometry(img: Image.Image, geom: Geometry, resample: int) -> Image.Image:
    """Apply a planned resize (with `resample`), crop and flip to a PIL image."""
    if geom.resize is not None:
        img = img.resize(geom.resize, resample)
    if geom.box is not None:
        img = img.crop(geom.box)
    if geom.flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return img


def mask_to_image(mask: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """An instance-id array as a 32-bit PIL image of `size` (w, h), nearest-resized if needed."""
    img = Image.fromarray(np.ascontiguousarray(mask, dtype=np.int32), mode="I")
    if img.size != size:
        log.warning("mask size %s differs from its image %s: resized (nearest)", img.size, size)
        img = img.resize(size, Image.NEAREST)
    return img


def transform_image(
    img: Image.Image, cfg: TransformConfig, rng: np.random.Generator | None
) -> torch.Tensor:
    """Resize/crop/flip an image per config; rng=None means deterministic center crop, no flip."""
    return pil_to_tensor(apply_geometry(img, plan_geometry(img.size, cfg, rng), Image.BICUBIC))


MASK_SUFFIXES = (".png", ".tif", ".tiff")


def resolve_mask_dir(path: str | Path) -> Path | None:
    """`path/masks` when `path` is a render batch (has `images/` and `masks/`), else None."""
    root = Path(path).expanduser()
    return root / layout.MASKS if layout.is_render_batch(root) else None


def mask_file(mask_dir: Path, image: str | Path) -> Path | None:
    """The instance mask of an image (same stem, PNG/TIFF) in `mask_dir`, or None."""
    stem = Path(image).stem
    for suffix in MASK_SUFFIXES:
        candidate = mask_dir / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def load_instance_mask(path: str | Path) -> np.ndarray:
    """A 16-bit instance-id mask (H, W) as int64 (0 = background); DataError if unreadable."""
    try:
        with Image.open(path) as img:
            arr = np.asarray(img)
    except IMAGE_ERRORS as exc:
        raise image_error(path, exc, "mask") from exc
    if arr.ndim == 3:
        arr = arr.max(axis=2)
    return arr.astype(np.int64)


class ImageFolder:
    """A checked list of image files; unreadable files are skipped with one warning each.

    When the folder is a render batch whose `masks/` holds a mask for every image,
    `mask_files[i]` is the instance mask of `files[i]` (else `mask_files` is None).
    """

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
        self.mask_files = self._find_masks(path)

    def _find_masks(self, path: str | Path) -> list[Path] | None:
        """Mask file per image for a render batch with complete `masks/`, else None."""
        mask_dir = resolve_mask_dir(path)
        if mask_dir is None:
            return None
        masks = [mask_file(mask_dir, f) for f in self.files]
        missing = [f for f, m in zip(self.files, masks, strict=True) if m is None]
        if missing:
            log.warning(
                "%s: %d image(s) without a mask in %s (e.g. %s): masks not used",
                self.name,
                len(missing),
                mask_dir,
                missing[0].name,
            )
            return None
        return masks  # type: ignore[return-value]

    @property
    def has_masks(self) -> bool:
        """True when every image has an instance mask."""
        return self.mask_files is not None

    def __len__(self) -> int:
        return len(self.files)

    def load(
        self, index: int, cfg: TransformConfig, rng: np.random.Generator | None
    ) -> torch.Tensor:
        """Load file `index`; on a late read error warn once and fall back to the next file."""
        return self._load(index, cfg, rng, with_mask=False)[0]

    def load_item(
        self, index: int, cfg: TransformConfig, rng: np.random.Generator | None, with_mask: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """(image, mask or None, `frame_box`) of file `index`: the image equals what `load`
        returns for the same rng state."""
        if with_mask and self.mask_files is None:
            raise DataError(f"{self.name}: folder has no instance masks")
        return self._load(index, cfg, rng, with_mask)

    def load_with_mask(
        self, index: int, cfg: TransformConfig, rng: np.random.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`load` plus the image's instance mask transformed alike: ((3, S, S), int64 (S, S)).

        The image tensor equals what `load` returns for the same rng state.
        """
        image, mask, _ = self.load_item(index, cfg, rng, with_mask=True)
        assert mask is not None
        return image, mask

    def _load(
        self, index: int, cfg: TransformConfig, rng: np.random.Generator | None, with_mask: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Image (and mask) of file `index` and its frame box, falling back to the next
        readable file."""
        for attempt in range(len(self.files)):
            pos = (index + attempt) % len(self.files)
            file = self.files[pos]
            try:
                img = load_rgb(file)
                geom = plan_geometry(img.size, cfg, rng)
                frame = frame_box(img.size, geom)
                image = pil_to_tensor(apply_geometry(img, geom, Image.BICUBIC))
                if not with_mask:
                    return image, None, frame
                mask = load_instance_mask(self.mask_files[pos])  # type: ignore[index]
                m = apply_geometry(mask_to_image(mask, img.size), geom, Image.NEAREST)
                return image, torch.from_numpy(np.asarray(m, dtype=np.int64).copy()), frame
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
        """Source (and its `source_mask` for a render batch with masks), target, their
        `frame_box`es ("source_frame", "target_frame"), indices."""
        rng = sample_rng(self.seed, self.epoch, index, 1)
        src, mask, src_frame = self.source.load_item(
            self.source_index(index), self.cfg, rng, self.source.has_masks
        )
        item: dict[str, torch.Tensor | int] = {"source": src, "source_frame": src_frame}
        if mask is not None:
            item["source_mask"] = mask
        t_idx = self.target_index(index)
        tgt, _, tgt_frame = self.target.load_item(
            t_idx, self.cfg, sample_rng(self.seed, self.epoch, index, 2), False
        )
        return {
            **item,
            "target": tgt,
            "target_frame": tgt_frame,
            "index": index,
            "target_index": t_idx,
        }


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


def eval_frames(folder: ImageFolder, cfg: TransformConfig, count: int) -> torch.Tensor:
    """`frame_box` of every `eval_batch` image (N, 4): where its center crop lies."""
    n = min(count, len(folder))
    return torch.stack([folder.load_item(i, cfg, None, False)[2] for i in range(n)])


def frame_means(folder: ImageFolder, cells: int, side: int = 64) -> torch.Tensor:
    """The folder's mean colour per cell of an n x n grid over the whole frame, (3, n, n) in
    [0, 1]: every image resized to `side` px squares (its frame units), averaged."""
    whole_frames = TransformConfig(side, None, "none", False)
    total = torch.zeros(3, cells, cells, dtype=torch.float64)
    for i in range(len(folder)):
        image = folder.load(i, whole_frames, None)[None]
        small = F.interpolate(image, size=(side, side), mode="area")
        total += F.adaptive_avg_pool2d((small + 1) / 2, cells)[0].double()
    return (total / len(folder)).float()


def eval_mask_batch(folder: ImageFolder, cfg: TransformConfig, count: int) -> torch.Tensor | None:
    """Instance masks matching `eval_batch` (int64 (N, S, S)), or None without masks."""
    if not folder.has_masks:
        return None
    n = min(count, len(folder))
    return torch.stack([folder.load_with_mask(i, cfg, None)[1] for i in range(n)])


def load_folder_tensor(path: str | Path, image_size: int, limit: int | None = None) -> torch.Tensor:
    """Images of a folder resized (shorter side) and center-cropped to `image_size`, in [-1, 1]."""
    cfg = TransformConfig(image_size=image_size, preprocess="resize", flip=False)
    folder = ImageFolder(path, Path(path).name)
    return eval_batch(folder, cfg, limit or len(folder))


# ----------------------------------------------------------------------------- class labels
IGNORE_INDEX = 255  # semantic-map value of pixels whose class is unknown (left out of scores)


@dataclass(frozen=True)
class RenderLabels:
    """The class of every labelled instance of a render batch.

    `classes[k]` is the name of class index k + 1 (0 is background). `instances` maps an image
    stem (e.g. "000003") to {instance id: class index}; instance ids found in a mask but not
    here, and classes missing from `classes`, become IGNORE_INDEX.
    """

    classes: tuple[str, ...]
    instances: dict[str, dict[int, int]]

    def semantic(self, stem: str, mask: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Class index per pixel for an instance mask of image `stem` (same type and shape;
        uint8 for arrays, int64 for tensors)."""
        table = self.instances.get(stem, {})
        is_tensor = isinstance(mask, torch.Tensor)
        ids = mask.cpu().numpy() if is_tensor else np.asarray(mask)
        if ids.min(initial=0) < 0:
            raise DataError(f"{stem}: negative instance id in mask")
        lut = np.full(max(int(ids.max(initial=0)), *table, 0) + 1, IGNORE_INDEX, np.uint8)
        lut[0] = 0
        for iid, cls in table.items():
            lut[iid] = cls
        out = lut[ids]
        return torch.from_numpy(out.astype(np.int64)) if is_tensor else out


def batch_classes(root: str | Path) -> tuple[str, ...] | None:
    """A render batch's class list: COCO categories of `annotations.json` sorted by id, else
    the sorted class names in `meta/`; None when the batch has neither."""
    root = Path(root).expanduser()
    coco = _read_json(root / layout.ANNOTATIONS)
    return _class_list(coco, None if _coco_classes(coco) else _read_metas(root))


def render_labels(root: str | Path, classes: tuple[str, ...] | None = None) -> RenderLabels | None:
    """Instance-to-class tables of a render batch (from `meta/*.json`, else the COCO file's
    `instance_id`s), with class indices into `classes` (default: `batch_classes(root)`).

    Each meta file and the COCO file are read once. None when the batch has no class labels.
    """
    root = Path(root).expanduser()
    metas = _read_metas(root)
    coco = _read_json(root / layout.ANNOTATIONS)
    classes = tuple(classes) if classes else _class_list(coco, metas)
    if not classes:
        return None
    index = {name: k + 1 for k, name in enumerate(classes)}
    instances: dict[str, dict[int, int]] = {}
    for stem, meta in metas.items():
        anns = meta.get("annotations")
        if anns is None:
            continue
        file_name = (meta.get("image") or {}).get("file_name")
        key = Path(file_name).stem if file_name else stem
        instances[key] = {
            int(a["instance_id"]): index.get(a["cls"], IGNORE_INDEX)
            for a in anns
            if "instance_id" in a and "cls" in a
        }
    if not instances and coco:
        cat_name = {c["id"]: c["name"] for c in coco.get("categories", [])}
        stems = {im["id"]: Path(im["file_name"]).stem for im in coco.get("images", [])}
        for ann in coco.get("annotations", []):
            if "instance_id" not in ann or ann.get("image_id") not in stems:
                continue
            cls = index.get(cat_name.get(ann.get("category_id")), IGNORE_INDEX)
            instances.setdefault(stems[ann["image_id"]], {})[int(ann["instance_id"])] = cls
    return RenderLabels(classes, instances) if instances else None


def _coco_classes(coco: dict | None) -> tuple[str, ...]:
    """Category names of a COCO dict sorted by id (empty without categories)."""
    cats = sorted((coco or {}).get("categories") or [], key=lambda c: c["id"])
    return tuple(str(c["name"]) for c in cats)


def _class_list(coco: dict | None, metas: dict[str, dict] | None) -> tuple[str, ...] | None:
    """COCO categories by id, else the sorted class names found in the meta records."""
    names = _coco_classes(coco)
    if names:
        return names
    found = {a["cls"] for m in (metas or {}).values() for a in m.get("annotations") or []}
    return tuple(sorted(found)) or None


def semantic_maps(
    root: str | Path,
    classes: tuple[str, ...] | None = None,
    names: list[str] | None = None,
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """Per-pixel class maps (uint8 (H, W): 0 background, k + 1 = classes[k], IGNORE_INDEX
    unknown) of a render batch's images, keyed by image file name; each mask read once.

    `names`: only these image file names (default: every image with a mask). DataError when
    the batch has no masks or no class labels.
    """
    root = Path(root).expanduser()
    mask_dir = resolve_mask_dir(root)
    if mask_dir is None:
        raise DataError(f"{root}: not a render batch with images/ and masks/")
    labels = render_labels(root, classes)
    if labels is None:
        raise DataError(f"{root}: no class labels (meta/*.json or annotations.json)")
    if names is None:
        names = [f.name for f in list_images(root)]
    out = {}
    for name in names:
        path = mask_file(mask_dir, name)
        if path is None:
            raise DataError(f"{mask_dir}: no mask for {name}")
        out[name] = labels.semantic(Path(name).stem, load_instance_mask(path))
    return labels.classes, out


def _read_json(path: Path) -> dict | None:
    """A JSON file as a dict, None when absent; DataError when unreadable."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read JSON ({exc})") from exc


def _read_metas(root: Path) -> dict[str, dict]:
    """Every `meta/*.json` of a batch keyed by file stem (empty without meta/)."""
    return {p.stem: _read_json(p) or {} for p in layout.meta_paths(root)}
