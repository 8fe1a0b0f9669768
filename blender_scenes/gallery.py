"""Look at procedural classes: line items up in a plain fridge box, render, label, contact sheet.

    python -m blender_scenes.gallery --classes beef eggs --per-class 4 --out outputs/gallery
    python -m blender_scenes.gallery --set aicook --top --out outputs/gallery_top

Each class gets one image (``--per-class`` items with different seeds side by side, seen from
the front and a little above); ``--top`` instead puts one item of every class on a grid seen
from above in a single image (what the tests use). Images, masks, meta/ and annotations.json
are written like a `fridge-render` batch, plus ``contact_sheet.png`` with the class names.
Descriptions are pure (`lineup_description`, `grid_description`); rendering needs Blender.
"""

from __future__ import annotations

import argparse
import logging
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from fridge_batch import layout

from .description import (
    CameraSpec,
    FridgeSpec,
    LightSpec,
    ObjectSpec,
    SceneDescription,
    SurfaceMaterial,
    WorldSpec,
)
from .food.classes import CLASS_SETS, sample_params
from .food.params import r5
from .geometry import WALL_THICKNESS

log = logging.getLogger(__name__)

GAP = 0.03  # metres between items in a line-up


def item_params(cls: str, seed: int, k: int) -> dict:
    """Params of the k-th gallery item of a class (depends only on seed and k)."""
    return sample_params(cls, np.random.default_rng([int(seed), int(k), 0x47414C]))


def box_fridge(width: float, depth: float, height: float) -> FridgeSpec:
    """A plain white fridge box without shelves, drawers or door (items stand on its floor)."""
    walls = SurfaceMaterial("plastic", [0.78, 0.78, 0.79], 0.35)
    return FridgeSpec(width=r5(width), depth=r5(depth), height=r5(height), wall_thickness=WALL_THICKNESS,
                      walls=walls, shelves=[], drawers=[], drawer_cover_z=0.0, door=None)  # fmt: skip


def studio_lights(fridge: FridgeSpec, fill_at: list[float]) -> list[LightSpec]:
    """A ceiling panel as in a fridge plus a soft fill lamp near the camera."""
    w, d, h = fridge.width, fridge.depth, fridge.height
    panel = LightSpec("area", [0.0, r5(d * 0.4), r5(h - 0.01)], [0, 0, -1], r5(w * 0.6), r5(d * 0.5),
                      r5(14.0 * w * d), 5000.0, [1.0, 1.0, 1.0])  # fmt: skip
    fill = LightSpec("point", [r5(v) for v in fill_at], [0, 1, 0], 0.15, 0.15, r5(4.0 * h * h), 5000.0,
                     [1.0, 1.0, 1.0])  # fmt: skip
    return [panel, fill]


def lineup_description(
    items: list[tuple[str, dict]], index: int = 0, seed: int = 0
) -> SceneDescription:
    """Items side by side on the floor of a box, seen from the front and a little above."""
    widths = [max(p["size"][0], 0.05) for _, p in items]
    total = sum(widths) + GAP * (len(items) - 1)
    depth = max(max(p["size"][1] for _, p in items) + 0.2, 0.4)
    tall = max(p["size"][2] for _, p in items)
    fridge = box_fridge(total + 0.3, depth, max(0.6, tall + 0.35))
    x = -total / 2
    objects = []
    for k, ((cls, p), w) in enumerate(zip(items, widths, strict=True)):
        objects.append(ObjectSpec(instance_id=k + 1, cls=cls, params=p, location=[r5(x + w / 2), r5(depth * 0.55), 0.0],
                                  yaw_deg=0.0, support="shelf:0"))  # fmt: skip
        x += w + GAP
    hfov = 40.0
    dist = (total / 2 + 0.03) / math.tan(math.radians(hfov / 2))
    target = [0.0, depth * 0.55, tall * 0.4]
    loc = [
        0.0,
        target[1] - dist * math.cos(math.radians(25)),
        target[2] + dist * math.sin(math.radians(25)),
    ]
    camera = CameraSpec("front", [r5(v) for v in loc], [r5(v) for v in target], 0.0, hfov)
    return SceneDescription(seed=seed, index=index, fridge=fridge, lights=studio_lights(fridge, loc),
                            camera=camera, world=WorldSpec([0.5, 0.5, 0.5], 0.4, 0.0), objects=objects)  # fmt: skip


def grid_description(
    items: list[tuple[str, dict]], index: int = 0, seed: int = 0, cell: float = 0.36
) -> SceneDescription:
    """One item per cell of a square grid on the floor of a box, seen from straight above."""
    n = len(items)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    width, depth = cols * cell, rows * cell
    fridge = box_fridge(width + 0.1, depth + 0.1, 1.2)
    objects = []
    for k, (cls, p) in enumerate(items):
        x = -width / 2 + (k % cols + 0.5) * cell
        y = 0.05 + (rows - 1 - k // cols + 0.5) * cell
        objects.append(ObjectSpec(instance_id=k + 1, cls=cls, params=p, location=[r5(x), r5(y), 0.0],
                                  yaw_deg=0.0, support="shelf:0"))  # fmt: skip
    centre = [0.0, 0.05 + depth / 2]
    hfov = 70.0
    height = (max(width, depth) / 2 + 0.05) / math.tan(math.radians(hfov / 2)) + 0.15
    loc = [centre[0], centre[1] - 0.001, height]
    camera = CameraSpec(
        "builtin", [r5(v) for v in loc], [r5(centre[0]), r5(centre[1]), 0.0], 0.0, hfov
    )
    fridge = replace(fridge, height=r5(height + 0.1))
    return SceneDescription(seed=seed, index=index, fridge=fridge, lights=studio_lights(fridge, loc),
                            camera=camera, world=WorldSpec([0.5, 0.5, 0.5], 0.4, 0.0), objects=objects)  # fmt: skip


def render_descriptions(
    descs: list[SceneDescription], out_dir: Path, resolution: tuple[int, int], samples: int = 16
) -> None:
    """Render described scenes as a labelled batch in out_dir (images/, masks/, meta/, COCO)."""  # fmt: skip
    from . import writer
    from .config import validate
    from .worker import render_description

    width, height = resolution
    cfg = validate({"out_dir": str(out_dir), "count": len(descs), "seed": 0,
                    "resolution": [width, height], "workers": 0, "worker_max_scenes": 1000,
                    "render": {"samples": samples, "denoise": samples >= 8},
                    "placement": {"mode": "rows"}})  # fmt: skip
    writer.prepare(cfg.out_dir)
    for desc in descs:
        render_description(cfg, desc)
    writer.rebuild_annotations(cfg.out_dir)


def contact_sheet(
    out_dir: Path, titles: list[str], cols: int = 2, path: Path | None = None
) -> Path:
    """Paste images/000000.png... of a batch into one PNG with a title above each."""
    from PIL import Image, ImageDraw

    from .food.label_art import font

    ims = [Image.open(layout.image_path(out_dir, k)).convert("RGB") for k in range(len(titles))]
    w, h = ims[0].size
    bar = 18
    rows = math.ceil(len(ims) / cols)
    sheet = Image.new("RGB", (cols * w, rows * (h + bar)), (25, 25, 25))
    draw = ImageDraw.Draw(sheet)
    for k, (im, title) in enumerate(zip(ims, titles, strict=True)):
        x, y = (k % cols) * w, (k // cols) * (h + bar)
        draw.text((x + 4, y + 2), title, fill=(255, 230, 120), font=font(13))
        sheet.paste(im, (x, y + bar))
    path = Path(path or Path(out_dir) / "contact_sheet.png")
    return layout.atomic_write(path, lambda p: sheet.save(p, format="PNG"))


def main(argv: list[str] | None = None) -> None:
    """Command line: render a gallery of classes."""
    ap = argparse.ArgumentParser(
        prog="python -m blender_scenes.gallery", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--classes", nargs="*", default=[], help="class names")
    ap.add_argument("--set", choices=sorted(CLASS_SETS), help="all classes of a class set")
    ap.add_argument("--per-class", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--top", action="store_true", help="one grid image of every class, seen from above"
    )
    ap.add_argument("--size", default="480x200", help="WxH of each image")
    ap.add_argument("--samples", type=int, default=24)
    ap.add_argument("--cols", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    classes = list(args.classes) + (list(CLASS_SETS[args.set]) if args.set else [])
    if not classes:
        ap.error("name classes (--classes) or a class set (--set)")
    w, h = (int(v) for v in args.size.lower().split("x"))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.top:
        descs = [
            grid_description([(c, item_params(c, args.seed, 0)) for c in classes], 0, args.seed)
        ]
        titles = [f"{len(classes)} classes from above"]
    else:
        descs = [lineup_description([(c, item_params(c, args.seed, k)) for k in range(args.per_class)], i, args.seed)
                 for i, c in enumerate(classes)]  # fmt: skip
        titles = classes
    render_descriptions(descs, args.out, (w, h), args.samples)
    print(contact_sheet(args.out, titles, args.cols if not args.top else 1))


if __name__ == "__main__":
    main()
