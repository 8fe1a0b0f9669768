"""Food accuracy from renders alone: a crop classifier trained on render batches, tested on photos.

Trains the crop classifier of `gan.usefulness` on crops of one or more render batches (boxes and
classes from their meta/) and tests it on the crops of a real YOLO split, over all classes of
the class map that the split holds (30 for aicook) and over the eight classes the default
procedural food shares with aicook. Prints overall and per-class accuracy, mean and spread over
classifier seeds, and writes everything to --json.

    python benchmarks/food_accuracy.py datasets/food/a320 \
        --real ../shared/data/aicook_fridge/test --json outputs/food/a320.json

`--recipe` picks the classifier recipe:

- ``compare``: the fixed `fridge-eval` usefulness recipe (400 steps, mild colour jitter), the
  one translation reports use;
- ``randomised``: longer training with domain randomisation (per-channel gains, blur, noise,
  random erasing), chosen on `aicook_fridge/train` photos, never on `test/`;
- ``standardised``: ``randomised`` with every crop standardised per channel before the network
  (`usefulness.standardise`), so exposure and colour casts, which differ between renders and
  photos, carry no class; also chosen on `train/`;
- ``warped`` (default): ``standardised`` with warped crops (`usefulness.crop=warp`): each box
  plus a narrow margin (`usefulness.margin=0.05`, a twentieth of each side) stretched to the
  square, as a detector's RoI pooling sees it, instead of a square around the box's longer side
  with 0.15 of it on each side; both chosen on `train/` (six batches: warping +0.02, the narrower
  margin +0.02 more).

`--ensemble K` lets K classifiers per seed vote (their mean softmax): one classifier's accuracy
swings by several points between seeds. Compare mixes over four seeds or more, with the same
number of torch threads; `--jobs J` trains J classifiers at once, in separate processes that
share the CPU threads (on two cores not faster than one process: for bigger machines).

A second table compares how renders and photos frame each class (`usefulness.box_shapes`): the
median box aspect (width / height) and size (longer side over the image's) of the boxes that
are cropped. With square crops (around a box's longer side) a class whose render boxes are much
wider than the photos' (marked `*`: more than 1.3x apart) shows as a thin band among its
neighbours in the render crops; warped crops fill the square with it, but stretch it unlike the
photos' items: look at those classes' layout and viewpoint first.

Choose recipes and content against a validation split (``--real .../train``); keep `test/` for
the figures you report.

A batch's own draw moves the score as much as the classifier's seed does: four whole-fridge
batches of one preset (seeds 34-37), each beside the same close-ups, scored 0.244-0.289 on
`train/`. So compare settings over several batches too: `--each B1 B2 ...` scores the positional
batches together with each `Bi` in turn and reports the mean over batches and seeds, each
batch's figure and the spread between them:

    python benchmarks/food_accuracy.py datasets/food/r320 --each datasets/food/t480 \
        datasets/food/u480 --real ../shared/data/aicook_fridge/train --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blender_scenes.food.classes import load_class_map  # noqa: E402
from gan.config import ConfigError  # noqa: E402
from gan.usefulness import (  # noqa: E402
    CROP_SHAPES,
    DEFAULT_CLASS_MAP,
    CropSet,
    UsefulnessSettings,
    aggregate_runs,
    box_shapes,
    load_crops,
    read_yolo_names,
    score_seeds,
    spread,
)

RECIPES = {
    "compare": UsefulnessSettings(),
    "randomised": UsefulnessSettings(
        steps=1500,
        colour_jitter=0.3,
        channel_jitter=0.15,
        blur=0.5,
        noise=0.03,
        erase=0.5,
    ),
}
RECIPES["standardised"] = replace(RECIPES["randomised"], standardise=True)
RECIPES["warped"] = replace(RECIPES["standardised"], crop="warp", margin=0.05)
SHARED = tuple(sorted(set(DEFAULT_CLASS_MAP.values())))  # the eight classes of the default food


def concat(sets: list[CropSet]) -> CropSet:
    """One crop set of several with the same classes."""
    return CropSet(
        torch.cat([s.images for s in sets]),
        torch.cat([s.labels for s in sets]),
        sets[0].classes,
        "+".join(s.source for s in sets),
    )


def seed_runs(
    train: CropSet,
    test: CropSet,
    classes: list[str],
    s: UsefulnessSettings,
    seeds: list[int],
    jobs: int = 1,
) -> list[dict]:
    """One `score_crops` run per seed over `classes` (`jobs` seeds at a time)."""
    return score_seeds(train.subset(classes), test.subset(classes), s, seeds, jobs)


def mixes_of(batches: list[str], each: list[str]) -> list[list[str]]:
    """The batch sets to train on: `batches` with each of `each` in turn, or `batches` alone."""
    return [[*batches, b] for b in each] if each else [list(batches)]


def pooled(mix_runs: list[list[dict]]) -> dict:
    """Scores over every run of every mix (mean over mixes and seeds), plus the spread between
    the mixes' own means (`between_batches`), which is what a different batch draw moves."""
    out = aggregate_runs([r for runs in mix_runs for r in runs])
    if len(mix_runs) > 1:
        means = [sum(r["accuracy"] for r in runs) / len(runs) for runs in mix_runs]
        out["between_batches"] = spread(means)
        out["counts"] = {"test": out["counts"]["test"]}  # train: one per mix, in "replicates"
    return out


def shape_table(classes: list[str], renders: dict, real: dict, flag: float = 1.3) -> str:
    """Box aspect and size per class, renders against photos; `*` marks aspects more than
    `flag` times apart."""
    lines = [
        f"{'box shapes':16s} {'aspect render':>13s} {'real':>6s} {'x':>5s}  "
        f"{'size render':>11s} {'real':>6s}"
    ]
    for c in classes:
        r, p = renders.get(c), real.get(c)
        if r is None or p is None:
            continue
        ratio = r.aspect / p.aspect
        mark = "*" if max(ratio, 1 / ratio) > flag else " "
        lines.append(
            f"{c:16s} {r.aspect:13.2f} {p.aspect:6.2f} {ratio:5.2f}{mark} "
            f"{r.size:11.2f} {p.size:6.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "batches", nargs="*", help="render batch folders (meta/ with boxes), trained on together"
    )
    ap.add_argument(
        "--each", nargs="+", default=[], metavar="BATCH",
        help="score the batches above with each of these in turn (batches of one setting drawn "
        "with different seeds): the mean over them and the spread between them",
    )  # fmt: skip
    ap.add_argument("--real", required=True, help="real YOLO split (images/, labels/)")
    ap.add_argument("--class-map", default=str(REPO / "configs/class_maps/aicook.yaml"))
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="warped")
    ap.add_argument("--steps", type=int, default=None, help="override the recipe's steps")
    ap.add_argument(
        "--ensemble", type=int, default=None, help="classifiers per seed that vote (recipe's: 1)"
    )
    ap.add_argument(
        "--crop", choices=CROP_SHAPES, default=None, help="override the recipe's crop shape"
    )
    ap.add_argument(
        "--margin", type=float, default=None,
        help="override the recipe's context margin (a fraction of the box's longer side; warp: "
        "of each side)",
    )  # fmt: skip
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument(
        "--jobs", type=int, default=1,
        help="classifiers trained at once, in separate processes sharing the CPU threads",
    )  # fmt: skip
    ap.add_argument("--json", default=None, help="write all scores here")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs: expected 1 or more, got {args.jobs}")
    if not args.batches and not args.each:
        ap.error("give render batches, --each batches, or both")

    s = RECIPES[args.recipe]
    if args.steps:
        s = replace(s, steps=args.steps)
    if args.ensemble:
        s = replace(s, ensemble=args.ensemble)
    if args.crop:
        s = replace(s, crop=args.crop)
    if args.margin is not None:
        s = replace(s, margin=args.margin)
    try:
        s.validate()
    except ConfigError as err:
        ap.error(str(err))
    cmap = load_class_map(args.class_map)
    names = read_yolo_names(args.real)
    started = time.perf_counter()
    test = load_crops(args.real, cmap, s, classes=names)
    present = [c for c, n in test.counts().items() if n > 0]
    shared = [c for c in SHARED if c in present]
    mixes = mixes_of(args.batches, args.each)
    crops: dict[str, CropSet] = {}  # each batch loaded once, however many mixes hold it
    runs: dict[str, list[list[dict]]] = {"all": [], "shared": []}
    replicates, train_counts = [], {c: 0.0 for c in names}
    for mix in mixes:
        for b in mix:
            crops.setdefault(b, load_crops(b, cmap, s, classes=names))
        train = concat([crops[b] for b in mix])
        for c, n in train.counts().items():
            train_counts[c] += n / len(mixes)
        rep: dict = {"batches": mix, "train_counts": train.counts()}
        for key, classes in (("all", present), ("shared", shared)):
            runs[key].append(seed_runs(train, test, classes, s, args.seeds, args.jobs))
            rep[key] = spread([r["accuracy"] for r in runs[key][-1]])
        replicates.append(rep)
    result = {"recipe": args.recipe, "settings": asdict(s), "batches": args.batches}
    result["each"] = args.each
    result["all"], result["shared"] = pooled(runs["all"]), pooled(runs["shared"])
    result["replicates"] = replicates
    result["seconds"] = round(time.perf_counter() - started, 1)

    test_counts = test.counts()
    print(f"recipe {args.recipe}, seeds {args.seeds}, real {args.real}")
    for key, title in (("all", f"{len(present)} classes"), ("shared", f"{len(shared)} shared")):
        r = result[key]
        print(
            f"{title}: accuracy {r['accuracy']['mean']:.3f} +- {r['accuracy']['std']:.3f}, "
            f"balanced {r['balanced_accuracy']['mean']:.3f}, macro-F1 {r['macro_f1']['mean']:.3f},"
            f" chance {r['chance']:.3f}"
        )
        if len(mixes) > 1:
            between = r["between_batches"]
            each = ", ".join(
                f"{Path(m['batches'][-1]).name} {m[key]['mean']:.3f}" for m in replicates
            )
            print(f"  per batch: {each}; between batches +- {between['std']:.3f}")
    print(
        f"{'class':16s} {'render crops':>12s} {'real crops':>10s} {'acc (all)':>9s} {'acc (8)':>8s}"
    )
    for c in present:
        acc8 = result["shared"]["per_class_accuracy"].get(c)
        print(
            f"{c:16s} {round(train_counts[c]):12d} {test_counts[c]:10d} "
            f"{result['all']['per_class_accuracy'][c]:9.3f} "
            + (f"{acc8:8.3f}" if acc8 is not None else f"{'':8s}")
        )
    real_shapes = box_shapes(args.real, cmap, s, names)
    render_shapes = box_shapes(list(crops), cmap, s, names)
    result["boxes"] = {
        "real": {c: asdict(v) for c, v in real_shapes.items()},
        "renders": {c: asdict(v) for c, v in render_shapes.items()},
    }
    print(shape_table(present, render_shapes, real_shapes))
    print(f"{result['seconds']} s")
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
