"""Render a batch: pick this shard's images, skip finished ones, fan out to workers, merge COCO."""

from __future__ import annotations

import ctypes
import importlib.machinery
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from fridge_batch import layout

from . import writer
from .config import RenderConfig

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # prctl option: signal sent to this process when its parent dies


class WorkerDied(RuntimeError):
    """A render worker process died (out of memory, a crash inside Blender); one-line message."""


@dataclass
class BatchSummary:
    """What a batch run did."""

    planned: int
    skipped: int
    rendered: int
    annotations: int
    images_total: int
    merged: bool = True  # annotations.json rebuilt (False: a sharded run waits for other shards)
    timings: list[dict[str, Any]] = field(default_factory=list)


shard_indices = layout.shard_indices  # every shard_count-th image starting at shard_index


def pending_indices(cfg: RenderConfig) -> tuple[list[int], int]:
    """Images of this shard still to render, and how many are already done."""
    planned = shard_indices(cfg.count, cfg.shard_index, cfg.shard_count)
    todo = [i for i in planned if not writer.is_done(cfg.out_dir, i, cfg.outputs)]
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


def drop_blender_script_paths() -> list[str]:
    """Remove Blender's script folders from `sys.path` before `import bpy`; returns them.

    Importing bpy puts its bundled script folders in front of `sys.path`, among them
    ``bpy/<version>/scripts/modules``, which holds a pure-Python ``bpy`` package that needs the
    not-yet-loaded ``_bpy``. Spawned processes copy the parent's `sys.path`, so a worker of a parent
    that had imported bpy (to measure a catalog, in tests, in a benchmark) would import that package
    and fail with "No module named '_bpy'". Dropping every entry inside the compiled bpy package
    lets the real one load; it puts its folders back itself.
    """
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    roots = []
    for entry in sys.path:
        pkg = Path(entry or ".") / "bpy"
        if any((pkg / f"__init__{suf}").is_file() for suf in suffixes):
            roots.append(pkg.resolve())
    if "bpy" in sys.modules or not roots:
        return []
    dropped = [
        e for e in sys.path if any(Path(e or ".").resolve().is_relative_to(r) for r in roots)
    ]
    sys.path[:] = [e for e in sys.path if e not in dropped]
    return dropped


def exit_with_parent(parent: int) -> None:
    """Ask Linux to end this process when its parent dies (no-op elsewhere).

    A render killed with SIGTERM or SIGKILL cannot shut its pool down; without this its workers
    would keep rendering the images already queued to them, as orphans.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # no prctl: keep the default behaviour
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def init_worker(parent: int) -> None:
    """Pool initializer: die with `parent` (its pid), then make `import bpy` work in the child."""
    exit_with_parent(parent)
    drop_blender_script_paths()


def pool_task(args: tuple[RenderConfig, int]) -> dict[str, Any]:
    """Pool entry point. bpy is imported here, not while unpickling the task: bpy's import
    bootstraps itself and fails when first triggered from inside pickle's module loading."""
    from .worker import render_one

    return render_one(*args)


def run_in_pool(
    cfg: RenderConfig, todo: list[int], workers: int, task: Callable[[tuple], dict] = pool_task
) -> Iterator[dict[str, Any]]:
    """Render in fresh processes: a new pool for every `workers * worker_max_scenes` images, so
    each process renders about `worker_max_scenes` images before it is replaced.

    (The pool's own `max_tasks_per_child` is not used: on Python 3.11 the executor hangs once a
    worker retires with work still queued, CPython gh-115634.) A worker that dies (out of
    memory, a crash inside Blender) stops the batch with an error instead of hanging; finished
    images are kept and a re-run resumes. `task` is called with (config, image index).
    """
    if mp.get_start_method(allow_none=True) not in (None, "spawn", "fork", "forkserver"):
        # e.g. inside a joblib/loky launcher job: spawned children would inherit "loky" and fail
        mp.set_start_method("spawn", force=True)
    ctx = mp.get_context("spawn")
    wcfg = replace(cfg, render=replace(cfg.render, threads=threads_per_worker(cfg, workers)))
    size = workers * cfg.worker_max_scenes
    for start in range(0, len(todo), size):
        part = todo[start : start + size]
        with ProcessPoolExecutor(min(workers, len(part)), mp_context=ctx,
                                 initializer=init_worker, initargs=(os.getpid(),)) as ex:  # fmt: skip
            futures = [ex.submit(task, (wcfg, i)) for i in part]
            try:
                for fut in as_completed(futures):
                    yield fut.result()
            except BrokenProcessPool as err:
                raise WorkerDied(
                    f"a render worker died; {cfg.out_dir} keeps every finished image, re-run to resume"
                ) from err
            finally:
                for fut in futures:
                    fut.cancel()


def run_batch(cfg: RenderConfig) -> BatchSummary:
    """Render every pending image of this shard, then rebuild annotations.json and the dataset
    card (README.md, dataset.json) from meta/. A sharded run writes its own COCO part first and
    rebuilds only when every shard's part is complete (`fridge_batch.layout.finish_shard`).

    Stale temporary files of earlier (killed or failed) runs are removed first (see
    `writer.clean_stale_temps` for which ones are safe to remove next to other shards). A failed
    write raises `files.OutputError`; finished images stay and a re-run resumes.
    """
    started = time.time()
    writer.prepare(cfg.out_dir, cfg.outputs)
    writer.clean_stale_temps(cfg.out_dir, cfg.shard_index, cfg.shard_count, started)
    todo, skipped = pending_indices(cfg)
    if skipped:
        log.info(
            "%d of %d images already finished in %s: skipping them",
            skipped,
            skipped + len(todo),
            cfg.out_dir,
        )
    workers = min(cfg.workers, len(todo))
    stream = run_in_pool(cfg, todo, workers) if workers >= 1 else run_in_process(cfg, todo)
    timings = []
    bar = tqdm(total=len(todo), desc="render", unit="img", disable=not todo)
    try:
        for t in stream:
            timings.append(t)
            bar.update(1)
    except BaseException:
        bar.leave = False  # clear the bar: the error line stands alone
        raise
    finally:
        bar.close()
    coco, merged = layout.finish_shard(
        cfg.out_dir, cfg.count, cfg.shard_index, cfg.shard_count, cfg.dataset, cfg
    )
    return BatchSummary(
        planned=len(todo) + skipped,
        skipped=skipped,
        rendered=len(timings),
        annotations=len(coco["annotations"]),
        images_total=len(coco["images"]),
        merged=merged,
        timings=sorted(timings, key=lambda t: t["index"]),
    )
