"""Render speed against quality: Cycles settings side by side on the same settled scenes.

    python benchmarks/render_quality.py                   # 2 scenes at 640x640, reference 512 samples
    python benchmarks/render_quality.py --threads 2 --reference-samples 256 --out table.md
    python benchmarks/render_quality.py --only default,"samples 16"   # a few of the candidates
    python benchmarks/render_quality.py --extra "fast combo=render.samples=16,render.denoise_quality=balanced"
    python benchmarks/render_quality.py --work /tmp/rq --only default            # keep the renders
    python benchmarks/render_quality.py --reference-dir /tmp/rq/reference ...     # reuse its reference

Each scene is sampled from (seed, index) with the default config (physics placement), settled
once by a full default render (which also times the whole pipeline, settling included), and its
settled description is then rendered again with a high-sample reference and with every candidate
setting, so only render settings vary. Quality is PSNR and SSIM (`gan.metrics`) of the 8-bit
display image against the reference. Candidates are rendered scene by scene in a rotating order
with the default measured first and last, so drifting machine load hits them alike; compare
settings by their time ratio to the default of the same run.

Prints a markdown table (setting | Cycles s/image | Cycles CPU s | x BASELINE | s/image | PSNR dB
| dPSNR | worst dPSNR: the largest loss on one scene | SSIM), the machine's load average, and
the overhead: the share of an image's time spent outside the Cycles render call (scene
building, physics settling, labels, I/O). `x BASELINE` is
the baseline's Cycles CPU time (all threads) over the setting's: on a loaded machine CPU time
drifts far less than wall-clock time. The baseline is `--baseline` (default: `default`); the
candidate `old default` holds the defaults before adaptive sampling was made to act:

    python benchmarks/render_quality.py --only default,"old default" --baseline "old default"
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from blender_scenes.config import RenderConfig, validate  # noqa: E402
from gan.cli import CONFIG_DIR  # noqa: E402
from gan.metrics import psnr, ssim  # noqa: E402

STAGES = ("t_build", "t_render", "t_label", "t_io")  # per-image stages of a settled scene

# name -> render overrides on top of configs/render.yaml (the default is the empty tuple)
CANDIDATES: dict[str, tuple[str, ...]] = {
    "default": (),
    # the defaults of the speed issue, before adaptive sampling was made to act; every setting
    # pinned, so lowering a default does not move this baseline (the README's speed table)
    "old default": (
        "render.samples=32",
        "render.adaptive_threshold=0.02",
        "render.adaptive_min_samples=0",
        "render.light_tree=true",
        "render.denoise_prefilter=fast",
        "render.denoise_guides=albedo_normal",
        "render.denoise_quality=high",
    ),
    # the defaults before the sample cap came down to 24 (the README's speed / quality table)
    "32 samples": ("render.samples=32", "render.adaptive_threshold=0.07"),
    "blue noise": ("render.sampling_pattern=blue_noise",),
    "samples 16": ("render.samples=16",),
    "samples 8": ("render.samples=8",),
    "threshold 0.05": ("render.adaptive_threshold=0.05",),
    "threshold 0.1": ("render.adaptive_threshold=0.1",),
    "prefilter none": ("render.denoise_prefilter=none",),
    "prefilter accurate": ("render.denoise_prefilter=accurate",),
    "guides albedo": ("render.denoise_guides=albedo",),
    "OIDN balanced": ("render.denoise_quality=balanced",),
    "OIDN fast": ("render.denoise_quality=fast",),
    "no light tree": ("render.light_tree=false",),
    "fewer bounces": (
        "render.max_bounces=6",
        "render.diffuse_bounces=2",
        "render.glossy_bounces=2",
        "render.transmission_bounces=4",
        "render.transparent_bounces=4",
    ),
    "no denoise": ("render.denoise=false",),
    "samples 16 + threshold 0.05": ("render.samples=16", "render.adaptive_threshold=0.05"),
    "samples 16 + OIDN balanced": ("render.samples=16", "render.denoise_quality=balanced"),
    "fast GI replace 1": ("render.fast_gi=replace", "render.ao_bounces=1"),
    "fast GI replace 2": ("render.fast_gi=replace", "render.ao_bounces=2"),
}


@dataclass
class Result:
    """Timings and quality of one setting over the scenes."""

    name: str
    rows: list[dict] = field(default_factory=list)  # render_description summaries
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)

    def mean(self, key: str) -> float:
        """Mean of a timing key over the scenes."""
        return statistics.mean(r[key] for r in self.rows)

    @property
    def cycles_s(self) -> float:
        """Mean seconds in the Cycles render call."""
        return self.mean("t_render")

    @property
    def cycles_cpu_s(self) -> float:
        """Mean CPU seconds (all threads) in the Cycles render call: the cost under load."""
        return self.mean("cpu_render")

    @property
    def total_s(self) -> float:
        """Mean seconds per image of a settled scene (building, render, labels, I/O)."""
        return statistics.mean(sum(r[k] for k in STAGES) for r in self.rows)

    @property
    def mean_psnr(self) -> float:
        """Mean PSNR in dB (inf when every image equals the reference)."""
        return statistics.mean(self.psnr) if self.psnr else math.nan

    @property
    def mean_ssim(self) -> float:
        """Mean SSIM."""
        return statistics.mean(self.ssim) if self.ssim else math.nan


def make_config(
    out_dir: Path,
    size: int,
    seed: int,
    threads: int,
    overrides: tuple[str, ...],
    base: tuple[str, ...] = (),
) -> RenderConfig:
    """The default render config at size x size with `base` and then `overrides` applied."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            config_name="render",
            overrides=[
                f"out_dir={out_dir}",
                f"seed={seed}",
                f"resolution=[{size},{size}]",
                "workers=0",
                f"render.threads={threads}",
                "preview=false",
                *base,
                *overrides,
            ],
        )
    return validate(OmegaConf.to_container(cfg, resolve=True))


def read_rgb(cfg: RenderConfig, index: int) -> np.ndarray:
    """The written 8-bit display image of `index` as a float64 (h, w, 3) array."""
    from PIL import Image

    from fridge_batch import layout

    with Image.open(cfg.out_dir / layout.image_file(index)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64)


def compare(image: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(PSNR dB, SSIM) of an image against the reference (both 8-bit RGB values as floats)."""
    return psnr(image, reference), ssim(image, reference)


def render(cfg: RenderConfig, desc) -> dict:
    """Render a settled description with `cfg` (a copy of it: rendering may annotate it)."""
    from blender_scenes.worker import render_description

    return render_description(cfg, copy.deepcopy(desc))


def sweep(
    size: int,
    scenes: int,
    seed: int,
    threads: int,
    reference: tuple[str, ...],
    candidates: dict[str, tuple[str, ...]],
    work: Path,
    base: tuple[str, ...] = (),
    on_scene: Callable[[dict[str, Result], list[dict]], None] | None = None,
    reference_dir: Path | None = None,
) -> tuple[dict[str, Result], list[dict]]:
    """Render `scenes` scenes with the reference and every candidate; results by name and the
    full-pipeline rows (settling included) of the settling renders. `on_scene(results,
    settling)` is called after each scene (partial reports of long runs). A reference image
    found in `reference_dir` (images/NNNNNN.png, rendered with the same reference settings by an
    earlier run) is used instead of rendering it again."""
    from blender_scenes import writer
    from blender_scenes.sampling import sample_scene
    from fridge_batch import layout

    names = list(candidates)
    cfgs = {
        n: make_config(work / f"c{j}", size, seed, threads, o, base)
        for j, (n, o) in enumerate(candidates.items())
    }
    ref_cfg = make_config(work / "reference", size, seed, threads, reference, base)
    settle_cfg = make_config(work / "settle", size, seed, threads, (), base)
    for cfg in (*cfgs.values(), ref_cfg, settle_cfg):
        writer.prepare(cfg.out_dir, cfg.outputs)
    results = {n: Result(n) for n in names}
    settling = []
    for i in range(scenes):
        desc = sample_scene(seed, i, settle_cfg.sampler)
        settling.append(render(settle_cfg, desc) if desc.needs_settling else {})
        if desc.needs_settling:
            desc = _settled(settle_cfg, desc)
        if reference_dir is not None and (reference_dir / layout.image_file(i)).is_file():
            ref = read_rgb(replace(ref_cfg, out_dir=reference_dir), i)
        else:
            render(ref_cfg, desc)
            ref = read_rgb(ref_cfg, i)
        for n, cfg in render_order(names, i):
            results.setdefault(n, Result(n)).rows.append(render(cfgs[cfg], desc))
            p, s = compare(read_rgb(cfgs[cfg], i), ref)
            results[n].psnr.append(p)
            results[n].ssim.append(s)
            row = results[n].rows[-1]
            print(
                f"scene {i} {n}: Cycles {row['t_render']:.2f} s ({row['cpu_render']:.2f} s CPU), "
                f"PSNR {p:.2f} dB, SSIM {s:.4f}",
                file=sys.stderr,
                flush=True,
            )
        if on_scene is not None:
            on_scene(results, settling)
    return results, settling


def render_order(names: list[str], scene: int) -> list[tuple[str, str]]:
    """(result name, candidate) in render order for one scene: the candidates rotated by the
    scene's index; with a `default`, it goes first and again last (`default, again`: how much
    the timing drifted during one scene)."""
    rest = [n for n in names if n != "default"]
    k = scene % len(rest) if rest else 0
    rest = rest[k:] + rest[:k]
    if "default" not in names:
        return [(n, n) for n in rest]
    return [("default", "default"), *((n, n) for n in rest), ("default, again", "default")]


def _settled(cfg: RenderConfig, desc):
    """The settled description of a physics scene as its meta file recorded it."""
    import json

    from blender_scenes.description import SceneDescription
    from fridge_batch import layout

    meta = json.loads(layout.meta_path(cfg.out_dir, desc.index).read_text())
    settled = SceneDescription.from_dict(meta["scene"])
    assert not settled.needs_settling
    return settled


def markdown_table(results: dict[str, Result], baseline: str = "default") -> str:
    """The speed / quality table; speed-ups and PSNR differences relative to `baseline`.

    `worst dPSNR` is the largest loss on any one scene (the settings are compared scene by
    scene: "equal quality" means within 0.5 dB on every scene, not on average)."""
    base = results.get(baseline)
    lines = [
        f"| setting | Cycles s/image | Cycles CPU s | x {baseline} | s/image | PSNR dB | dPSNR "
        "| worst dPSNR | SSIM |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.values():
        speed = base.cycles_cpu_s / r.cycles_cpu_s if base else math.nan
        dpsnr = r.mean_psnr - base.mean_psnr if base else math.nan
        worst = min(p - q for p, q in zip(r.psnr, base.psnr, strict=True)) if base else math.nan
        lines.append(
            f"| {r.name} | {r.cycles_s:.2f} | {r.cycles_cpu_s:.2f} | {speed:.2f} | "
            f"{r.total_s:.2f} | {r.mean_psnr:.2f} | {dpsnr:+.2f} | {worst:+.2f} | "
            f"{r.mean_ssim:.4f} |"
        )
    return "\n".join(lines)


def overhead_lines(result: Result, settling: list[dict]) -> list[str]:
    """Share of an image's time outside the Cycles render call, without and with settling;
    wall-clock and CPU time (all threads)."""
    render_s, total = result.cycles_s, result.total_s
    cpu = 1 - result.cycles_cpu_s / result.mean("cpu_total")
    parts = ", ".join(f"{k[2:]} {result.mean(k):.2f} s" for k in STAGES if k != "t_render")
    out = [
        f"overhead of `{result.name}` (settled scenes): {100 * (1 - render_s / total):.1f} % "
        f"of {total:.2f} s/image ({parts}); CPU time: {100 * cpu:.1f} %"
    ]
    rows = [r for r in settling if r]
    if rows:
        s = statistics.mean(r["t_settle"] for r in rows)
        cpu = 1 - sum(r["cpu_render"] for r in rows) / sum(r["cpu_total"] for r in rows)
        out.append(
            f"with physics settling ({s:.2f} s/scene, timed once per scene): "
            f"{100 * (1 - render_s / (total + s)):.1f} %; CPU time of the settling renders "
            f"(whole pipeline): {100 * cpu:.1f} %"
        )
    return out


def parse_extra(items: list[str]) -> dict[str, tuple[str, ...]]:
    """`name=override,override` arguments as candidates."""
    out = {}
    for item in items:
        name, _, overrides = item.partition("=")
        if not name or not overrides:
            raise SystemExit(f"--extra: expected NAME=override[,override...], got {item!r}")
        out[name] = tuple(o for o in overrides.split(",") if o)
    return out


def main() -> None:
    """Parse flags, run the sweep, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=640, help="square image size in pixels")
    ap.add_argument("--scenes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="Cycles threads (0: all cores)")
    ap.add_argument("--reference-samples", type=int, default=512)
    ap.add_argument(
        "--reference-threshold",
        type=float,
        default=0.005,
        help="adaptive threshold of the reference (denoised, accurate prefilter)",
    )
    ap.add_argument("--only", default="", help="comma-separated candidate names (default: all)")
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        help="another candidate: NAME=override[,override...]",
    )
    ap.add_argument("--base", default="", help="comma-separated overrides applied to every render")
    ap.add_argument(
        "--baseline",
        default="default",
        help="the candidate that speed-ups and PSNR differences are relative to",
    )
    ap.add_argument("--out", type=Path, help="also write the report (markdown) here")
    ap.add_argument(
        "--reference-dir",
        type=Path,
        help="reuse reference renders (images/NNNNNN.png) of an earlier run",
    )
    ap.add_argument(
        "--work",
        type=Path,
        help="keep every render here (the reference in WORK/reference, for --reference-dir) "
        "instead of a temporary folder",
    )
    args = ap.parse_args()
    candidates = dict(CANDIDATES)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",")]
        unknown = [n for n in wanted if n not in candidates]
        if unknown:
            raise SystemExit(
                f"--only: unknown candidate {unknown[0]!r} (known: {', '.join(candidates)})"
            )
        candidates = {n: candidates[n] for n in wanted}
    candidates.update(parse_extra(args.extra))
    reference = (
        f"render.samples={args.reference_samples}",
        f"render.adaptive_threshold={args.reference_threshold}",
        "render.denoise=true",
        "render.denoise_prefilter=accurate",
        "render.denoise_quality=high",
        "render.denoise_guides=albedo_normal",
    )
    base = tuple(o for o in args.base.split(",") if o)
    t0 = time.perf_counter()

    def report(results: dict[str, Result], settling: list[dict]) -> str:
        load = os.getloadavg()
        first = next(iter(results))
        baseline = args.baseline if args.baseline in results else first
        timed = "default" if "default" in results else first
        lines = [
            f"## Render speed / quality, {args.resolution}x{args.resolution}, "
            f"{len(settling)} scene(s), seed {args.seed}, Cycles threads {args.threads or 'all'}",
            "",
            f"reference: {args.reference_samples} samples, adaptive threshold "
            f"{args.reference_threshold}, OIDN (albedo + normal guides, accurate prefilter, high "
            "quality)",
            f"load average (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on "
            f"{os.cpu_count()} cores; {time.perf_counter() - t0:.0f} s so far",
            "",
            markdown_table(results, baseline),
            "",
            *overhead_lines(results[timed], settling),
        ]
        return "\n".join(lines) + "\n"

    def partial(results: dict[str, Result], settling: list[dict]) -> None:
        if args.out:
            args.out.write_text(report(results, settling))

    def run(work: Path) -> tuple[dict[str, Result], list[dict]]:
        return sweep(
            args.resolution,
            args.scenes,
            args.seed,
            args.threads,
            reference,
            candidates,
            work,
            base,
            partial,
            args.reference_dir,
        )

    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        results, settling = run(args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="render_quality_") as d:
            results, settling = run(Path(d))
    text = report(results, settling)
    print(text, end="")
    partial(results, settling)


if __name__ == "__main__":
    main()
