"""Render benchmark: seconds per image, where the time goes, memory over many scenes, scaling.

    python benchmarks/render_bench.py                  # 24 timed images at 256x256 and at 640x640
                                                       # (the configured render settings), 200 cheap
                                                       # ones for memory,
                                                       # 16 x 2 for workers (at 256x256)
    python benchmarks/render_bench.py --resolution 640 --images 6 --skip-workers --skip-memory
                                                       # only the training resolution
    python benchmarks/render_bench.py --images 8 --memory-images 50 --parallel-images 6   # quicker
    python benchmarks/render_bench.py --device gpu     # Cycles on CUDA/OptiX when present

    python benchmarks/render_bench.py --placement rows # without the physics settling

    python benchmarks/render_bench.py --outputs-images 6 --skip-serial --skip-workers --skip-memory
                                                       # cost of depth (and normals + amodal masks)
    python benchmarks/render_bench.py --skip-serial --skip-workers --memory-worker \
        --memory-images 500 --memory-size 64 --memory-samples 1
                                                       # memory of one worker process over 500 scenes

Prints: mean seconds per image; the share spent in the Cycles render call itself versus scene
building, physics settling (placement=physics), labels (silhouettes, masks, RLE) and I/O; the
settling time per scene against the render time (target < 25 %); resident memory along the run
(it must stay flat); and the throughput of workers=2 against workers=1. Quality against speed of
the Cycles settings: benchmarks/render_quality.py.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from blender_scenes.config import RenderConfig, validate  # noqa: E402
from gan.cli import CONFIG_DIR  # noqa: E402


def make_config(
    out_dir: Path, args: argparse.Namespace, count: int, workers: int, *extra: str
) -> RenderConfig:
    """The render config of one benchmark run (`extra`: more overrides)."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            config_name="render",
            overrides=[
                f"out_dir={out_dir}",
                f"count={count}",
                f"seed={args.seed}",
                f"resolution=[{args.size},{args.size}]",
                *([f"render.samples={args.samples}"] if args.samples else []),
                f"render.device={args.device}",
                f"workers={workers}",
                f"placement={args.placement}",
                f"render.threads={args.threads}",
                *extra,
            ],
        )
    return validate(OmegaConf.to_container(cfg, resolve=True))


def rss_mb() -> float:
    """Current resident memory of this process in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def render_serial(cfg: RenderConfig, n: int) -> tuple[list[dict], list[float]]:
    """Render n images in this process; per-image timings and resident memory after each."""
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    writer.prepare(cfg.out_dir)
    rows, mem = [], []
    for i in range(n):
        rows.append(render_one(cfg, i))
        mem.append(rss_mb())
    return rows, mem


def bench_memory(args: argparse.Namespace, tmp: Path) -> None:
    """Memory over many scenes in one process (cheap renders: memory does not depend on samples)."""
    small = argparse.Namespace(
        **{**vars(args), "size": args.memory_size, "samples": args.memory_samples}
    )
    cfg = make_config(tmp / "memory", small, args.memory_images, 0)
    _, mem = render_serial(cfg, args.memory_images)
    print(
        f"\n== memory, {args.memory_images} scenes in one process "
        f"({args.memory_size}x{args.memory_size}, {args.memory_samples} samples) =="
    )
    marks = sorted({min(len(mem), m) for m in (1, 10, 50, 100, 150, 200, len(mem))})
    print(
        "resident memory (MiB) after image: " + ", ".join(f"{m}: {mem[m - 1]:.0f}" for m in marks)
    )
    if len(mem) >= 20:
        half = len(mem) // 2
        slope = (statistics.mean(mem[half:]) - statistics.mean(mem[:half])) / half
        print(f"memory growth, second half vs first half: {slope:+.3f} MiB per image")
    print(
        f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def proc_memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of process `pid` in MiB (VmRSS, VmHWM)."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def worker_pids() -> list[int]:
    """Process ids of this process's pool workers (spawned children, not the resource tracker)."""
    me, out = str(os.getpid()), []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = (d / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == me and b"spawn_main" in cmd:
            out.append(int(d.name))
    return sorted(out)


def bench_worker_memory(args: argparse.Namespace, tmp: Path) -> None:
    """Memory of one render worker (workers=1, never recycled) over many scenes: its resident
    memory read from /proc after every `--memory-every` finished images (the worker is then
    on the next image)."""
    from blender_scenes import writer
    from blender_scenes.batch import run_in_pool

    n = args.memory_images
    small = argparse.Namespace(
        **{**vars(args), "size": args.memory_size, "samples": args.memory_samples}
    )
    cfg = replace(make_config(tmp / "worker_memory", small, n, 1), worker_max_scenes=n + 1)
    writer.prepare(cfg.out_dir, cfg.outputs)
    marks: list[tuple[int, int, float, float]] = []  # (images done, pid, RSS, peak RSS)
    t = time.perf_counter()
    for done, _ in enumerate(run_in_pool(cfg, list(range(n)), 1), 1):
        if done == 1 or done % args.memory_every == 0 or done == n:
            for pid in worker_pids():
                with contextlib.suppress(OSError, KeyError):  # it exited between list and read
                    marks.append((done, pid, *proc_memory_mb(pid)))
    elapsed = time.perf_counter() - t
    print(
        f"\n== memory of one worker process, {n} scenes ({args.memory_size}x{args.memory_size}, "
        f"{args.memory_samples} samples, workers=1, worker_max_scenes={cfg.worker_max_scenes}), "
        f"{elapsed / n:.2f} s/image =="
    )
    print("images done | worker pid | RSS MiB | peak RSS MiB")
    for done, pid, rss, hwm in marks:
        print(f"{done:11d} | {pid:10d} | {rss:7.0f} | {hwm:12.0f}")
    pids = {m[1] for m in marks}
    if marks:
        first, last = marks[0], marks[-1]
        print(
            f"worker processes seen: {len(pids)}; RSS first {first[2]:.0f} MiB (after {first[0]}), "
            f"last {last[2]:.0f} MiB (after {last[0]}): {last[2] - first[2]:+.0f} MiB; "
            f"peak {max(m[3] for m in marks):.0f} MiB"
        )


def bench_serial(args: argparse.Namespace, tmp: Path) -> None:
    """Render images in this process; report seconds per image and where the time goes."""
    cfg = make_config(tmp / "serial", args, args.images, 0)
    rows, _ = render_serial(cfg, args.images)
    warm = rows[2:] if len(rows) > 4 else rows
    keys = ("t_render", "t_build", "t_settle", "t_label", "t_io")
    total = sum(sum(r[k] for k in keys) for r in warm)
    per = total / len(warm)
    print(
        f"\n== serial, {args.size}x{args.size}, {cfg.render.samples} samples, device={args.device}, "
        f"{args.images} images =="
    )
    print(
        f"seconds per image: {per:.3f} (median {statistics.median(sum(r[k] for k in keys) for r in warm):.3f})"
    )
    for k, name in zip(
        keys, ("Cycles render", "scene building", "physics settling", "labels", "I/O"), strict=True
    ):
        share = sum(r[k] for r in warm) / total
        print(f"  {name:17s} {share * 100:5.1f} %  ({sum(r[k] for r in warm) / len(warm):.3f} s)")
    overhead = 1 - sum(r["t_render"] for r in warm) / total
    print(f"overhead beyond the Cycles render: {overhead * 100:.1f} % (target <= 10 %)")
    cpu = 1 - sum(r["cpu_render"] for r in warm) / sum(r["cpu_total"] for r in warm)
    print(
        f"  in CPU time (all threads; what a loaded machine shows best): {cpu * 100:.1f} % of "
        f"{statistics.mean(r['cpu_total'] for r in warm):.2f} CPU s/image"
    )
    if args.placement == "physics":
        settle = [r["t_settle"] for r in warm]
        share = sum(settle) / sum(r["t_render"] for r in warm)
        print(
            f"physics settling per scene: mean {statistics.mean(settle):.3f} s, median "
            f"{statistics.median(settle):.3f} s, max {max(settle):.3f} s; "
            f"{statistics.mean(r['settle_frames'] for r in warm):.0f} frames on average, "
            f"{sum(r['removed'] for r in rows)} item(s) removed in {len(rows)} scenes"
        )
        print(f"settling time / Cycles render time: {share * 100:.1f} % (target < 25 %)")


def bench_workers(args: argparse.Namespace, tmp: Path) -> None:
    """Throughput of workers=1 vs workers=2 (separate processes, same images)."""
    from blender_scenes.batch import run_batch

    times = {}
    for label, w, threads in (
        ("workers=1 (all cores)", 1, 0),
        ("workers=1, 1 thread", 1, 1),
        ("workers=2", 2, 0),
    ):
        cfg = make_config(tmp / f"w{w}t{threads}", args, args.parallel_images, w)
        cfg = replace(cfg, worker_max_scenes=1000, render=replace(cfg.render, threads=threads))
        t = time.perf_counter()
        run_batch(cfg)
        times[label] = time.perf_counter() - t
    n = args.parallel_images
    print(f"\n== workers, {n} images, {os.cpu_count()} cores ==")
    for label, t in times.items():
        print(f"{label:22s} {t:7.1f} s, {n / t:.3f} images/s")
    print(
        f"speed-up workers=2 / workers=1: {times['workers=1 (all cores)'] / times['workers=2']:.2f}x "
        f"(target >= 1.7x); vs a single-threaded worker: "
        f"{times['workers=1, 1 thread'] / times['workers=2']:.2f}x"
    )


def bench_outputs(args: argparse.Namespace, tmp: Path) -> None:
    """Seconds per image without depth, with depth (the default) and with every output.

    The variants render the same scenes in turn (image by image, rotating which goes first),
    so drifting machine load hits them alike; the first image of each is a warm-up.
    """
    from blender_scenes import writer
    from blender_scenes.worker import render_one

    variants = {
        "no depth": ("outputs.depth=false",),
        "depth (png16)": ("outputs.depth=true",),
        "depth + normals + amodal": (
            "outputs.depth=true",
            "outputs.normals=camera",
            "outputs.amodal=true",
        ),
    }
    n = args.outputs_images
    cfgs = {
        k: make_config(tmp / f"out{j}", args, n, 0, *o) for j, (k, o) in enumerate(variants.items())
    }
    for cfg in cfgs.values():
        writer.prepare(cfg.out_dir, cfg.outputs)
    keys = ("t_render", "t_build", "t_settle", "t_label", "t_io")
    rows: dict[str, list[dict]] = {k: [] for k in variants}
    names = list(variants)
    for i in range(n + 1):
        for k in names[i % len(names) :] + names[: i % len(names)]:
            r = render_one(cfgs[k], i)
            if i:
                rows[k].append(r)
    print(
        f"\n== ground-truth outputs, {args.size}x{args.size}, {cfgs[names[0]].render.samples} samples, "
        f"{n} images each (after a warm-up) =="
    )
    base = None
    for k in names:
        total = [sum(r[x] for x in keys) for r in rows[k]]
        per, render_s = statistics.mean(total), statistics.mean(r["t_render"] for r in rows[k])
        io = statistics.mean(r["t_io"] + r["t_label"] for r in rows[k])
        base = per if base is None else base
        print(
            f"{k:26s} {per:6.3f} s/image (Cycles {render_s:6.3f} s, labels + I/O {io:5.3f} s)"
            f"  {100 * (per / base - 1):+5.1f} %"
        )


def main() -> None:
    """Parse flags and run the selected parts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=24, help="timed images at --size/--samples")
    ap.add_argument("--memory-images", type=int, default=200)
    ap.add_argument("--memory-size", type=int, default=96)
    ap.add_argument("--memory-samples", type=int, default=2)
    ap.add_argument(
        "--memory-worker",
        action="store_true",
        help="measure memory in one pool worker (workers=1) instead of in this process",
    )
    ap.add_argument(
        "--memory-every",
        type=int,
        default=25,
        help="--memory-worker: read the worker's memory after every N images",
    )
    ap.add_argument("--parallel-images", type=int, default=16)
    ap.add_argument(
        "--resolution",
        "--size",
        dest="sizes",
        type=int,
        nargs="+",
        default=[256, 640],
        help="square image sizes of the serial timing (workers and outputs: the first)",
    )
    ap.add_argument(
        "--samples", type=int, default=0, help="Cycles samples (0: configs/render.yaml)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="Cycles threads of the serial, memory and outputs parts (0: all cores)",
    )
    ap.add_argument("--placement", choices=("physics", "rows"), default="physics")
    ap.add_argument("--skip-serial", action="store_true")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--outputs-images",
        type=int,
        default=0,
        help="also time depth/normals/amodal outputs on this many images (0: skip)",
    )
    args = ap.parse_args()
    args.size = args.sizes[0]
    with tempfile.TemporaryDirectory(prefix="render_bench_") as d:
        if not args.skip_workers:
            bench_workers(args, Path(d))
        if not args.skip_serial:
            for size in args.sizes:
                bench_serial(
                    argparse.Namespace(**{**vars(args), "size": size}), Path(d) / str(size)
                )
        if not args.skip_memory:
            (bench_worker_memory if args.memory_worker else bench_memory)(args, Path(d))
        if args.outputs_images:
            bench_outputs(args, Path(d))


if __name__ == "__main__":
    main()
