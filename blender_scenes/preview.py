"""Contact sheets of a batch: renders, optionally with their instance masks and boxes drawn on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fridge_batch import layout

from .files import atomic_write


def id_colors(n: int = 65536, seed: int = 7) -> np.ndarray:
    """A fixed random palette for instance ids (0 stays black)."""
    pal = np.random.default_rng(seed).integers(60, 256, size=(n, 3), dtype=np.uint8)
    pal[0] = 0
    return pal


def overlay(image: Image.Image, mask: np.ndarray, boxes: list[list[int]]) -> Image.Image:
    """The render with coloured instance masks blended in and visible boxes drawn."""
    colors = id_colors()[mask]
    blend = np.where(
        mask[..., None] > 0, 0.45 * np.asarray(image) + 0.55 * colors, np.asarray(image)
    )
    out = Image.fromarray(blend.astype(np.uint8))
    draw = ImageDraw.Draw(out)
    for x, y, w, h in boxes:
        draw.rectangle([x, y, x + w - 1, y + h - 1], outline=(255, 255, 0))
    return out


def contact_sheet(batch: Path, out: Path, n: int = 16, cols: int = 4, labels: bool = False) -> Path:
    """Tile the first n renders of a batch (with mask overlays when `labels`) into one PNG."""
    metas = layout.meta_paths(batch)[:n]
    if not metas:
        raise FileNotFoundError(f"{batch}: no finished images (meta/*.json) to preview")
    tiles = []
    for p in metas:
        meta = json.loads(p.read_text())
        img = Image.open(batch / meta["image"]["file_name"]).convert("RGB")
        if labels:
            mask = np.asarray(Image.open(batch / meta["image"]["mask_file"]), dtype=np.int64)
            boxes = [a["bbox"] for a in meta["annotations"] if a["visible_pixels"] > 0]
            img = overlay(img, mask, boxes)
        tiles.append(img)
    w, h = tiles[0].size
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * w, rows * h), (20, 20, 20))
    for k, t in enumerate(tiles):
        sheet.paste(t, ((k % cols) * w, (k // cols) * h))
    out.parent.mkdir(parents=True, exist_ok=True)
    # the batch's temp folder (cleaned of stale temps on every run), else beside `out`
    tmp = layout.tmp_path(batch, out.name) if (batch / layout.TMP_DIR).is_dir() else None
    return atomic_write(out, lambda p: sheet.save(p, format="PNG"), tmp)
