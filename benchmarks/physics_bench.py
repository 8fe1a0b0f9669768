"""Physics settling benchmark: how many items the simulation removes, and what settling costs.

    python benchmarks/physics_bench.py                     # 100 default scenes (seed 0, images 0..99)
    python benchmarks/physics_bench.py --scenes 20 --first 40 --render 3
    python benchmarks/physics_bench.py --override fridge.glass_shelf_prob=1 --verbose

Each scene is sampled, built and settled exactly as `fridge-render` does it
(`worker.build_description` on the default render config), without rendering. Prints every
removed item (image, class, pose, support, reason), the removal counts by reason and by class,
and the settling seconds per scene (mean, median, max) and frames. With `--render K` it also
renders K of the scenes with the configured Cycles settings (default 256x256, 32 samples) and
prints settling time as a share of the render time (target: at most 15 %).
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from blender_scenes.config import RenderConfig, validate  # noqa: E402
from gan.cli import CONFIG_DIR  # noqa: E402


def make_config(out_dir: Path, seed: int, count: int, overrides: list[str]) -> RenderConfig:
    """The default render config (in-process rendering) plus `overrides`."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            config_name="render",
            overrides=[
                f"out_dir={out_dir}",
                f"count={count}",
                f"seed={seed}",
                "workers=0",
                *overrides,
            ],
        )
    return validate(OmegaConf.to_container(cfg, resolve=True))


def reason_key(reason: str) -> str:
    """A removal reason without its support index ("fell below shelf:1" -> "fell below shelf")."""
    return re.sub(r":\d+$", "", reason)


def support_kind(desc, support: str) -> str:
    """ "glass shelf", "wire/plastic shelf", "floor", "drawer" or "door bin" for a support name."""
    kind, k = support.split(":")
    if kind == "drawer":
        return "drawer"
    if kind == "door":
        return "door bin"
    shelves = desc.fridge.shelves
    k = int(k) - (0 if desc.fridge.drawers else 1)
    if k < 0:
        return "floor"
    return "glass shelf" if shelves[k].glass else "solid shelf"


def kept_quality(desc, objects) -> tuple[int, int]:
    """Kept items that sit 3-10 mm deep in their support (not removed, but visibly sunk) and
    items of the cabinet that ended at its front opening (leaning on the closed door's plane)."""
    from blender_scenes.physics import support_z, world_bounds

    sunk = at_front = 0
    for spec in desc.objects:
        lo, _ = world_bounds(objects[spec.instance_id])
        sunk += bool(lo[2] < support_z(desc, spec.support) - 0.003)
        at_front += bool(not spec.support.startswith("door") and lo[1] < 0.0)
    return sunk, at_front


def settle_scenes(cfg: RenderConfig, indices: list[int], verbose: bool) -> list[dict]:
    """Sample, build and settle each scene; one record per scene."""
    from blender_scenes.sampling import sample_scene
    from blender_scenes.worker import build_description

    rows = []
    for i in indices:
        desc = sample_scene(cfg.seed, i, cfg.sampler)
        n = len(desc.objects)
        t = time.perf_counter()
        objects, result = build_description(cfg, desc)
        wall = time.perf_counter() - t
        if result is None:
            raise SystemExit(f"image {i}: the scene needs no settling (placement is not physics?)")
        gone = [
            {
                "index": i,
                "cls": s.cls,
                "pose": s.pose,
                "support": s.support,
                "support_kind": support_kind(desc, s.support),
                "reason": reason_key(why),
                "size": [round(v, 3) for v in s.params.get("size", [])],
            }
            for s, why in result.removed_specs
        ]
        rows.append(
            {
                "index": i,
                "items": n,
                "frames": result.frames,
                "settle_s": result.seconds,
                "build_s": wall - result.seconds,
                "removed": gone,
                **dict(zip(("sunk", "at_front"), kept_quality(desc, objects), strict=True)),
            }
        )
        if verbose:
            print(
                f"image {i:3d}: {n:2d} items, {result.frames:3d} frames, {result.seconds:.2f} s settle, "
                f"{len(gone)} removed",
                flush=True,
            )
    return rows


def render_scenes(cfg: RenderConfig, indices: list[int]) -> list[dict]:
    """Render scenes with the worker (the first one twice: a warm-up); their timing summaries."""
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    writer.prepare(cfg.out_dir, cfg.outputs)
    render_one(cfg, indices[0])
    return [render_one(cfg, i) for i in indices]


def report(rows: list[dict], renders: list[dict]) -> None:
    """Print removals (each, by reason, by class, by support) and settling time."""
    gone = [g for r in rows for g in r["removed"]]
    print(
        f"\n== {len(rows)} scenes, {sum(r['items'] for r in rows)} items sampled, {len(gone)} removed =="
    )
    for g in gone:
        print(
            f"  image {g['index']:3d}: {g['cls']:14s} {g['pose']:8s} on {g['support']:8s} "
            f"({g['support_kind']}), size {g['size']}: {g['reason']}"
        )
    for title, key in (
        ("reason", "reason"),
        ("class", "cls"),
        ("support", "support_kind"),
        ("pose", "pose"),
    ):
        counts = collections.Counter(g[key] for g in gone)
        if counts:
            print(f"removed by {title}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    print(
        f"kept items sunk 3-10 mm into their support: {sum(r['sunk'] for r in rows)}; "
        f"cabinet items at the front opening (on the door plane): {sum(r['at_front'] for r in rows)}"
    )
    settle = [r["settle_s"] for r in rows]
    print(
        f"settling per scene: mean {statistics.mean(settle):.3f} s, median {statistics.median(settle):.3f} s, "
        f"max {max(settle):.3f} s; frames mean {statistics.mean(r['frames'] for r in rows):.1f}, "
        f"max {max(r['frames'] for r in rows)}; building (not settling) mean "
        f"{statistics.mean(r['build_s'] for r in rows):.3f} s"
    )
    if renders:
        render_s = statistics.mean(r["t_render"] for r in renders)
        print(
            f"Cycles render over {len(renders)} scenes: mean {render_s:.3f} s; settling mean / render mean: "
            f"{100 * statistics.mean(settle) / render_s:.1f} % (target <= 15 %)"
        )


def main() -> None:
    """Parse flags, settle the scenes, optionally render some, print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=100, help="number of scenes")
    ap.add_argument("--first", type=int, default=0, help="index of the first scene")
    ap.add_argument(
        "--indices", type=str, default="", help="comma-separated image indices (instead of a range)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--render", type=int, default=0, help="also render this many of the scenes (0: none)"
    )
    ap.add_argument(
        "--override", action="append", default=[], help="a render config override (repeatable)"
    )
    ap.add_argument("--verbose", action="store_true", help="one line per scene as it goes")
    args = ap.parse_args()
    indices = list(range(args.first, args.first + args.scenes))
    if args.indices:
        indices = [int(v) for v in args.indices.split(",")]
    with tempfile.TemporaryDirectory(prefix="physics_bench_") as d:
        cfg = make_config(Path(d), args.seed, max(indices) + 1, args.override)
        t = time.perf_counter()
        rows = settle_scenes(cfg, indices, args.verbose)
        print(f"settled {len(rows)} scenes in {time.perf_counter() - t:.1f} s wall")
        renders = render_scenes(cfg, indices[: args.render]) if args.render else []
    report(rows, renders)


if __name__ == "__main__":
    main()
