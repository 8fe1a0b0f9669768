"""Render a batch: pick this shard's images, skip finished ones, fan out to workers, rebuild COCO."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any

from tqdm import tqdm

from . import writer
from .config import RenderConfig

log = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """What a batch run did."""

    planned: int
    skipped: int
    rendered: int
    annotations: int
    images_total: int
    timings: list[dict[str, Any]] = field(default_factory=list)


def shard_indices(count: int, shard_index: int, shard_count: int) -> list[int]:
    """Every shard_count-th image starting at shard_index."""
    return list(range(shard_index, count, shard_count))


def pending_indices(cfg: RenderConfig) -> tuple[list[int], int]:
    """Images of this shard still to render, and how many are already done."""
    planned = shard_indices(cfg.count, cfg.shard_index, cfg.shard_count)
    todo = [i for i in planned if not writer.is_done(cfg.out_dir, i)]
    return todo, len(planned) - len(todo)


def threads_per_worker(cfg: RenderConfig, workers: int) -> int:
    """Split the cores between worker processes unless threads are set explicitly."""
    if cfg.render.threads > 0:
        return cfg.render.threads
    return 0 if workers <= 1 else max(1, (os.cpu_count() or 1) // workers)


def run_in_process(cfg: RenderConfig, todo: Iterable[int]) -> Iterator[dict[str, Any]]:
    """Render in this process (debugging, small batches)."""
    from .worker import render_one

    for i in todo:
        yield render_one(cfg, i)


def pool_task(args: tuple[RenderConfig, int]) -> dict[str, Any]:
    """Pool entry point. bpy is imported here, not while unpickling the task: bpy's import
    bootstraps itself and fails when first triggered from inside pickle's module loading."""
    from .worker import render_one

    return render_one(*args)


def run_in_pool(cfg: RenderConfig, todo: list[int], workers: int) -> Iterator[dict[str, Any]]:
    """Render in fresh processes, each recycled after `worker_max_scenes` images.

    A worker that dies (out of memory, a crash inside Blender) stops the batch with an error
    instead of hanging; finished images are kept and a re-run resumes.
    """
    if mp.get_start_method(allow_none=True) not in (None, "spawn", "fork", "forkserver"):
        # e.g. inside a joblib/loky launcher job: spawned children would inherit "loky" and fail
        mp.set_start_method("spawn", force=True)
    ctx = mp.get_context("spawn")
    wcfg = replace(cfg, render=replace(cfg.render, threads=threads_per_worker(cfg, workers)))
    with ProcessPoolExecutor(workers, mp_context=ctx, max_tasks_per_child=cfg.worker_max_scenes) as ex:
        futures = [ex.submit(pool_task, (wcfg, i)) for i in todo]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BrokenProcessPool as err:
            raise RuntimeError(
                f"a render worker died; {cfg.out_dir} keeps every finished image, re-run to resume"
            ) from err
        finally:
            for fut in futures:
                fut.cancel()


def run_batch(cfg: RenderConfig) -> BatchSummary:
    """Render every pending image of this shard, then rebuild annotations.json from meta/."""
    writer.prepare(cfg.out_dir)
    todo, skipped = pending_indices(cfg)
    if skipped:
        log.info("%d of %d images already finished in %s: skipping them",
                 skipped, skipped + len(todo), cfg.out_dir)
    workers = min(cfg.workers, len(todo))
    stream = run_in_pool(cfg, todo, workers) if workers >= 1 else run_in_process(cfg, todo)
    timings = []
    for t in tqdm(stream, total=len(todo), desc="render", unit="img", disable=not todo):
        timings.append(t)
    coco = writer.rebuild_annotations(cfg.out_dir)
    return BatchSummary(
        planned=len(todo) + skipped,
        skipped=skipped,
        rendered=len(timings),
        annotations=len(coco["annotations"]),
        images_total=len(coco["images"]),
        timings=sorted(timings, key=lambda t: t["index"]),
    )
