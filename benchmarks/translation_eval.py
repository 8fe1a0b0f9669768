"""Measure trained translators the way `fridge-demo` does, on batches you already have.

    python benchmarks/translation_eval.py --source datasets/exp/src512 \\
        --heldout datasets/exp/held512 --target ../shared/data/aicook_fridge/train/images \\
        --real-test ../shared/data/aicook_fridge/test \\
        --model "CUT + content term=outputs/exp/content/checkpoints/last.pt" \\
        --model "CUT without content term=outputs/exp/nocontent/checkpoints/last.pt" \\
        --out outputs/exp/report

Translates the held-out and source batches with each checkpoint (reused when done), then prints
and writes the demo's table (realism at training scale, detail, content mIoU, crop accuracy on
the real test split), report.json and a panel with 256 px tiles.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from gan.data import list_images
from gan.io import write_json, write_text
from pipeline import measure
from pipeline.report import Method, findings, make_panel, report_text, table
from pipeline.stages import compose_config, deep_merge, translate


def main() -> None:
    """Translate, measure, report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", required=True, help="clean render batch the models trained on")
    p.add_argument("--heldout", required=True, help="clean held-out render batch")
    p.add_argument("--target", required=True, help="target domain images (real photos)")
    p.add_argument("--real-test", default=None, help="labelled YOLO split for usefulness")
    p.add_argument("--model", action="append", default=[], help="TITLE=CHECKPOINT, repeatable")
    p.add_argument("--out", default="outputs/translation_eval")
    p.add_argument("--crop-size", type=int, default=128)
    p.add_argument("--content-steps", type=int, default=500)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--panel-rows", type=int, default=6)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    out = Path(args.out)
    cfg = compose_config("demo", ["demo_profile=real_photos", f"demo.target_dir={args.target}"])
    cfg = deep_merge(
        cfg,
        {
            "measure": {
                "crop_size": args.crop_size,
                "content": {"steps": args.content_steps},
                "usefulness": {"real_dir": args.real_test, "seeds": args.seeds},
            }
        },
    )
    measure.check_settings(cfg)
    t0 = time.perf_counter()
    source, heldout = Path(args.source), Path(args.heldout)
    methods = [Method("render", "render (untranslated)", heldout)]
    sources = {}
    for i, spec in enumerate(args.model):
        title, _, path = spec.partition("=")
        key = f"m{i}"
        methods.append(Method(key, title, translate(Path(path), heldout, out / "data", key)))
        if measure.wants_source_translation(cfg):
            sources[key] = translate(Path(path), source, out / "data", key)
    t1 = time.perf_counter()
    ctx = measure.Context(
        cfg, source, Path(args.target), heldout, None, sources, Path("outputs/cache")
    )
    ctx.cfg["measure"]["content"]["enabled"] = True
    rows = measure.measure_all(methods, ctx)
    t2 = time.perf_counter()
    names = [f.name for f in list_images(heldout)][: args.panel_rows]
    make_panel(methods, names, out / "panel.png", 256)
    timings = {"translate": t1 - t0, "measure": t2 - t1}
    settings = [f"Source {source}, held-out {heldout}, target {args.target}."]
    write_text(out / "report.md", report_text(rows, methods, settings, timings, {}))
    write_json(out / "report.json", {"rows": rows, "titles": {m.key: m.title for m in methods}})
    print("\n" + table(methods, rows) + "\n")
    for line in findings(methods, rows):
        print(f"- {line}")
    print(f"\n{out / 'report.md'}\n{out / 'panel.png'}")


if __name__ == "__main__":
    main()
