"""`fridge-translate`: run a trained generator over a render batch (writing a labelled batch)
or over a plain folder of images (writing a plain folder), with a preview sheet.

`direction=AtoB` (default) uses the source-to-target generator (renders to photos);
`direction=BtoA` the target-to-source one, which only CycleGAN trains (photos to renders).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import torch
import torch.nn.functional as F
from omegaconf import DictConfig
from PIL import Image
from tqdm import tqdm

from fridge_batch import layout
from gan import checkpoint as ckpt
from gan import cli
from gan import io as gio
from gan.cli import CONFIG_DIR, compose_from_cli
from gan.config import (
    ConfigError,
    default_config,
    from_mapping,
    require_choice,
    require_positive,
)
from gan.data import (
    DataError,
    check_headers,
    list_images,
    load_rgb,
    pil_to_tensor,
    tensor_to_uint8,
)
from gan.devices import select_device
from gan.models.base import rebuild_generator
from gan.networks import GeneratorSpec, size_multiple

log = logging.getLogger(__name__)

PROG = "fridge-translate"
SAVE_OPTIONS = {
    ".png": {},
    ".jpg": {"quality": 95},
    ".jpeg": {"quality": 95},
    ".webp": {"quality": 95},
}


@dataclass
class TranslateConfig:
    """`fridge-translate` options: types and checks; the values are in configs/translate.yaml
    (build one with `parse_translate_config`)."""

    checkpoint: str  # last.pt / best.pt, or the generator.safetensors export beside them
    input_dir: str
    out_dir: str
    batch_size: int
    device: str
    precision: str
    overwrite: bool
    direction: str
    preview: int

    def validate(self) -> None:
        """Check choices and ranges."""
        require_positive("batch_size", self.batch_size)
        require_positive("preview", self.preview, allow_zero=True)
        require_choice("device", self.device, ("auto", "cpu", "cuda"))
        require_choice("precision", self.precision, ("32", "bf16"))
        require_choice("direction", self.direction, ("AtoB", "BtoA"))


def parse_translate_config(raw: Mapping[str, Any]) -> TranslateConfig:
    """A TranslateConfig from a config dict (without `hydra`), keys it leaves out taken from
    the packaged translate.yaml: `{"checkpoint": ..., "input_dir": ..., "out_dir": ...}` is
    enough. Values are checked by `check_translate`."""
    raw = {k: v for k, v in raw.items() if k != "hydra"}
    return from_mapping(TranslateConfig, raw, "", default_config("translate"))


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right so H and W are multiples of `multiple` (reflect when possible)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not ph and not pw:
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


@torch.no_grad()
def translate_tensor(
    net: torch.nn.Module, spec: GeneratorSpec, x: torch.Tensor, bf16: bool = False
) -> torch.Tensor:
    """Translate (N, 3, H, W) in [-1, 1] at any size: pad for the network, crop back."""
    h, w = x.shape[-2:]
    device = next(net.parameters()).device
    padded = pad_to_multiple(x.to(device), size_multiple(spec))
    # Each image is a whole frame; the padding lies past its right and bottom edges.
    ph, pw = padded.shape[-2:]
    frame = torch.tensor([[0.0, 0.0, pw / w, ph / h]], device=device).expand(len(x), 4)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        out = net(padded, frame=frame)
    return out[..., :h, :w].float().cpu()


def save_image(array, path: Path, shown: Path | None = None) -> None:
    """Write an HxWx3 uint8 array in the format given by the file suffix; a failed write is
    a one-line `gan.io.OutputError` naming `shown` (default `path`)."""
    try:
        Image.fromarray(array).save(path, **SAVE_OPTIONS.get(path.suffix.lower(), {}))
    except OSError as exc:
        raise gio.OutputError(gio.describe_os_error(exc, shown or path)) from exc


def translate_files(
    net: torch.nn.Module,
    spec: GeneratorSpec,
    files: list[Path],
    out_dir: Path,
    batch_size: int,
    bf16: bool,
    shown_dir: Path | None = None,
) -> None:
    """Translate image files into `out_dir` under the same names, batching equal sizes
    (`shown_dir`: the folder named in write errors, e.g. the final one for a temp folder)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(
        total=len(files), desc="translate", unit="img", dynamic_ncols=True, leave=False
    ) as bar:
        for start in range(0, len(files), batch_size):
            chunk = files[start : start + batch_size]
            groups: dict[tuple[int, int], list[tuple[Path, torch.Tensor]]] = defaultdict(list)
            for file in chunk:
                t = pil_to_tensor(load_rgb(file))
                groups[tuple(t.shape[-2:])].append((file, t))
            for items in groups.values():
                out = translate_tensor(net, spec, torch.stack([t for _, t in items]), bf16)
                for (file, _), img in zip(items, out, strict=True):
                    save_image(
                        tensor_to_uint8(img),
                        out_dir / file.name,
                        (shown_dir or out_dir) / file.name,
                    )
            bar.update(len(chunk))


def rewrite_annotations(src: Path, dst: Path, names: set[str], provenance: dict) -> None:
    """Copy COCO annotations, pointing every image at `images/<name>` and noting provenance."""
    try:
        coco = json.loads(src.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{src}: cannot read COCO annotations ({exc})") from exc
    for entry in coco.get("images", []):
        name = Path(entry["file_name"]).name
        if name not in names:
            raise DataError(f"{src}: image {entry['file_name']!r} has no file in images/")
        entry["file_name"] = f"{layout.IMAGES}/{name}"
    info = coco.get("info") if isinstance(coco.get("info"), dict) else {}
    info["translation"] = provenance
    coco["info"] = info
    dst.write_text(json.dumps(coco, indent=1))


def copy_labels(src: Path, dst: Path) -> None:
    """Copy everything of a batch except images/ and annotations.json (masks, meta, ...)."""
    for entry in src.iterdir():
        if entry.name in (layout.IMAGES, layout.ANNOTATIONS):
            continue
        if entry.is_dir():
            shutil.copytree(entry, dst / entry.name)
        else:
            shutil.copy2(entry, dst / entry.name)


PREVIEW_NAME = "translation_preview.png"
PREVIEW_TILE = 256


def load_translator(
    path: str | Path, device: torch.device, direction: str = "AtoB"
) -> tuple[torch.nn.Module, GeneratorSpec, dict]:
    """The generator of `direction` from a checkpoint, plus a provenance record."""
    if direction == "AtoB":  # a checkpoint or a generator.safetensors export
        export, info = ckpt.load_generator_export(path)
    else:
        if Path(path).suffix == ".safetensors":
            raise ConfigError(
                f"direction: BtoA needs the training checkpoint; {path} holds only the "
                "source-to-target generator"
            )
        payload = ckpt.load(path)
        if "generator_BtoA" not in payload:
            raise ConfigError(
                f"direction: {direction} needs a model with a target-to-source generator "
                f"(cyclegan); {path} holds a {payload.get('model_name')} model"
            )
        export = payload["generator_BtoA"]
        info = {"model": payload.get("model_name"), "step": payload.get("step")}
    net, spec = rebuild_generator(export)
    info = {"checkpoint": str(path), **info, "direction": direction}
    return net.to(device), spec, info


def _tile(img: Image.Image, size: int = PREVIEW_TILE) -> torch.Tensor:
    """The image fitted into a size x size tile (aspect kept, black bars), as (3, s, s) in [0,1]."""
    img = img.convert("RGB")
    img.thumbnail((size, size), Image.BICUBIC)
    canvas = Image.new("RGB", (size, size))
    canvas.paste(img, ((size - img.width) // 2, (size - img.height) // 2))
    return pil_to_tensor(canvas).add(1).div(2)


def write_preview(inputs: list[Path], out_dir: Path, path: Path, count: int) -> Path | None:
    """A sheet of the first `count` images: input | translation per row (256 px tiles)."""
    from torchvision.utils import make_grid

    tiles = []
    for file in inputs[:count]:
        tiles += [_tile(load_rgb(file)), _tile(load_rgb(out_dir / file.name))]
    if not tiles:
        return None
    grid = make_grid(torch.stack(tiles), nrow=2, padding=4, pad_value=1.0)
    save_image(tensor_to_uint8(grid * 2 - 1), path)
    return path


def is_batch(folder: Path) -> bool:
    """A render batch (images/ beside labels) rather than a plain folder of images."""
    return (folder / layout.IMAGES).is_dir()


def check_translate(cfg: TranslateConfig) -> list[Path]:
    """Everything checkable before work starts (nothing is written): values, the input
    (a render batch or a plain image folder) and its image headers (unreadable or oversized
    files), and that `out_dir` can be written (not a file, not under a file, its folder
    writable, empty unless overwrite). Returns the image files."""
    cfg.validate()
    src, out = Path(cfg.input_dir).expanduser(), Path(cfg.out_dir).expanduser()
    if not src.is_dir():
        raise DataError(f"input_dir: {src} is not a folder")
    gio.check_output_dir("out_dir", out)
    if out.resolve() == src.resolve():
        raise ConfigError("out_dir: must differ from input_dir")
    if out.exists() and any(out.iterdir()) and not cfg.overwrite:
        raise ConfigError(f"out_dir: {out} already exists and is not empty (set overwrite=true)")
    if out.exists():
        gio.check_output_dir("out_dir", out.parent)  # out is replaced by a sibling folder
    try:
        files = list_images(src / layout.IMAGES if is_batch(src) else src)
    except DataError as exc:
        raise DataError(f"input_dir: {exc} (a render batch or a folder of images)") from exc
    check_headers(files)
    return files


def translate_batch(cfg: TranslateConfig | Mapping[str, Any]) -> Path:
    """Translate a render batch into a new batch (labels copied, COCO re-pointed), or a plain
    image folder into a plain folder; either gets `translation_preview.png` (input |
    translation). Nothing is left half-written. `cfg` is a TranslateConfig or a dict for
    `parse_translate_config`.

    The output is built in a hidden sibling folder `.<out>.<pid>.tmp` (created with the umask's
    permissions) and renamed into place; temp folders of killed runs are removed first. A
    failed write (e.g. a full disk) removes the temp folder and raises `gan.io.OutputError`.
    """
    if not isinstance(cfg, TranslateConfig):
        cfg = parse_translate_config(cfg)
    files = check_translate(cfg)
    src, out = Path(cfg.input_dir).expanduser(), Path(cfg.out_dir).expanduser()
    device = select_device(cfg.device)
    net, spec, provenance = load_translator(cfg.checkpoint, device, cfg.direction)
    provenance["source_batch"] = str(src)
    batch = is_batch(src)
    images = layout.IMAGES if batch else "."
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):
        if stale.is_dir():
            log.info("removing %s, left by an interrupted run", stale)
            shutil.rmtree(stale, ignore_errors=True)
    tmp = gio.temp_name(out)
    tmp.mkdir()
    try:
        translate_files(
            net,
            spec,
            files,
            tmp / images,
            cfg.batch_size,
            cfg.precision == "bf16",
            out / images,
        )
        if batch:
            copy_labels(src, tmp)
        if cfg.preview:
            write_preview(files, tmp / images, tmp / PREVIEW_NAME, cfg.preview)
        if batch and (src / layout.ANNOTATIONS).is_file():
            rewrite_annotations(
                src / layout.ANNOTATIONS,
                tmp / layout.ANNOTATIONS,
                {f.name for f in files},
                provenance,
            )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise gio.OutputError(gio.describe_os_error(exc, out)) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("translated %d images from %s into %s", len(files), src, out)
    return out


INPUT_ERRORS = (ConfigError, DataError, ckpt.CheckpointError)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="translate")
def hydra_main(cfg: DictConfig) -> None:
    """Hydra task for `fridge-translate`."""
    raw = cli.resolve_or_fail(PROG, cfg)
    with cli.one_line_errors(PROG, INPUT_ERRORS, "; nothing written to out_dir"):
        translate_batch(parse_translate_config(raw))


def prevalidate(args: list[str]) -> None:
    """Compose and check the command line before any work: config values, the checkpoint
    file, the input batch and its image headers, and the output folder."""
    raw = compose_from_cli(PROG, "translate", args)
    if raw is None:
        return
    with cli.one_line_errors(PROG, INPUT_ERRORS):
        cfg = parse_translate_config(raw)
        if not Path(cfg.checkpoint).expanduser().is_file():
            raise ckpt.CheckpointError(f"checkpoint: {cfg.checkpoint} is not a file")
        check_translate(cfg)


def main() -> None:
    """Console script `fridge-translate`."""
    prevalidate(sys.argv[1:])
    hydra_main()


if __name__ == "__main__":
    main()
