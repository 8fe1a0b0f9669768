"""Render workers end with their parent (a render killed hard leaves no orphan rendering on) and
are replaced by fresh ones after `worker_max_scenes` images without hanging."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blender_scenes import batch

REPO = Path(__file__).resolve().parents[2]

PARENT = """
import os, sys, time
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from blender_scenes.batch import init_worker
ex = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker,
                         initargs=(os.getpid(),))
print(ex.submit(os.getpid).result(), flush=True)
ex.submit(time.sleep, 120)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_worker_ends_when_parent_is_killed():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        worker = int(proc.stdout.readline())
        assert alive(worker)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker), "the worker outlived its killed parent"
    finally:
        proc.kill()
        proc.wait()


def test_worker_of_a_dead_parent_exits_at_once():
    # the parent pid given to the initializer is not this process's parent: it exits at once
    code = "from blender_scenes.batch import exit_with_parent; exit_with_parent(-5); print('ran')"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 1 and "ran" not in out.stdout
    assert batch.PR_SET_PDEATHSIG == 1


RECYCLE = """
import json, os, sys
from testutils import compose
from blender_scenes import batch
from blender_scenes.config import validate


def pid_of(args):
    return {"index": args[1], "pid": os.getpid()}


if __name__ == "__main__":
    cfg = validate(compose([f"out_dir={sys.argv[1]}", "worker_max_scenes=2"], "render"))
    print(json.dumps(list(batch.run_in_pool(cfg, list(range(7)), workers=2, task=pid_of))))
"""


def test_workers_are_recycled_without_hanging(tmp_path):
    """More images than a pool's processes may render: fresh processes take over and every
    image is done (Python 3.11's own max_tasks_per_child hangs here, CPython gh-115634)."""
    script = tmp_path / "recycle.py"
    script.write_text(RECYCLE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "r")], capture_output=True,
                         text=True, env=env, cwd=REPO, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    done = json.loads(out.stdout)
    assert sorted(d["index"] for d in done) == list(range(7))
    pids = [d["pid"] for d in done]
    # a new pool of 2 processes for every 4 images: at least two processes, none with more
    assert len(set(pids)) >= 2 and max(pids.count(p) for p in set(pids)) <= 4
