"""Kill trials: interrupt training and rendering at random moments and check nothing is lost.

    python benchmarks/kill_trials.py --trials 20 --what render,train [--seed 0]

For each target (training with data.num_workers 0 and 2, rendering with workers 1 and 2; all
tiny) an uninterrupted reference run is made first. Each trial then starts the same command in
its own process group, sends SIGKILL or SIGTERM (alternating) to the whole group at a random
moment (seeded by --seed) within the reference's duration, re-runs the command until it
finishes and checks:

- nothing finished is lost: training's last.pt after the kill loads and holds at least the last
  step logged as saved (SIGTERM: exit 143 with last.pt at the reported step); rendering keeps
  every image that was complete at the kill;
- the resumed result equals the reference: training's networks, optimizer and scheduler states
  are bitwise equal; rendering's meta/*.json and masks/* are identical;
- no temp files (`.*.tmp`) are left.

Prints one row per target: trials, passed, and the failures' reasons.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

RENDER_TINY = ["resolution=[48,48]", "render.samples=4", "render.denoise=false", "placement=rows",
               "objects.total=[3,6]", "objects.per_shelf=[1,4]", "fridge.shelves=[1,2]",
               "fridge.drawers=[0,1]", "camera.modes={front: 1}", "preview=false", "count=4"]  # fmt: skip


def env() -> dict:
    """Environment of the child runs: this checkout first on the import path, one thread."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "HYDRA_FULL_ERROR": "0",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}  # fmt: skip


def run(args: list[str], cwd: Path, kill_after: float | None = None, sig: int = 0):
    """Run `args` in its own process group; optionally signal the group after `kill_after` s.

    Returns (exit status, output, seconds).
    """
    start = time.time()
    proc = subprocess.Popen(args, cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
    try:
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, sig)
        out, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with_children_gone(proc.pid)
    return proc.returncode, out, time.time() - start


def with_children_gone(pgid: int) -> None:
    """Kill what is left of a process group (e.g. workers of a SIGKILLed parent)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    time.sleep(0.2)


def temps(root: Path) -> list[Path]:
    """Temp files left anywhere below `root` (`*.tmp` files, files in a `.tmp` folder; the
    renderer's empty `.tmp` work folder, which an uninterrupted run keeps too, is no leftover)."""
    return [p for p in root.rglob("*") if p.is_file() and (p.name.endswith(".tmp")
            or ".tmp" in p.relative_to(root).parts[:-1])]  # fmt: skip


# ----------------------------------------------------------------------------- training
class TrainTarget:
    """Tiny Pix2Pix run with checkpoints every step."""

    def __init__(self, workers: int, data: Path, root: Path) -> None:
        self.name, self.root = f"train workers={workers}", root
        self.max_steps = 8
        self.extra = ["experiment=tiny", f"data.source_dir={data / 'src'}",
                      f"data.target_dir={data / 'tgt'}", f"data.num_workers={workers}",
                      f"trainer.max_steps={self.max_steps}", "trainer.checkpoint_every=1", "trainer.eval_every=4",
                      "metrics.eval_images=4", "metrics.content.enabled=false"]  # fmt: skip

    def command(self, run_dir: Path) -> list[str]:
        return [str(BIN / "fridge-train"), *self.extra, f"hydra.run.dir={run_dir}"]

    def reference(self) -> float:
        code, out, secs = run(self.command(self.root / "ref"), self.root)
        assert code == 0, out[-2000:]
        return secs

    def trial(self, i: int, delay: float, sig: int) -> str | None:
        import torch

        from gan import checkpoint as ckpt

        run_dir = self.root / f"trial{i}"
        code, out, _ = run(self.command(run_dir), self.root, delay, sig)
        last = run_dir / "checkpoints" / "last.pt"
        saved = [int(s) for s in re.findall(r"saved \S*last\.pt \(step (\d+)\)", out)]
        # -15: the signal came before Python installed its handler (start-up), nothing saved,
        # or after the run had finished (its final step saved, during interpreter teardown);
        # the checks below still verify that nothing was lost either way.
        finished = bool(saved) and max(saved) == self.max_steps
        if code not in (0, 143, -9, 137) and not (code == -sig and (not saved or finished)):
            return f"exit {code} after {signal.Signals(sig).name}: {out.strip()[-300:]}"
        if saved:
            try:
                step = ckpt.load(last)["step"]
            except ckpt.CheckpointError as exc:
                return f"last.pt unreadable after the kill: {exc}"
            if step < max(saved):
                return f"lost steps: last.pt at {step}, step {max(saved)} was saved"
        if code == 143:
            stopped = re.search(r"stopped by SIGTERM at step (\d+)", out)
            if not stopped or ckpt.load(last)["step"] != int(stopped.group(1)):
                return "SIGTERM: last.pt is not at the reported step"
        code, out, _ = run(self.command(run_dir), self.root)
        if code != 0:
            return f"resume failed ({code}): {out.strip()[-300:]}"
        a = ckpt.load(self.root / "ref" / "checkpoints" / "last.pt")
        b = ckpt.load(last)
        ta, tb = dict(ckpt.iter_tensors(a["model"])), dict(ckpt.iter_tensors(b["model"]))
        if a["step"] != b["step"] or ta.keys() != tb.keys():
            return "resumed run differs in step or state keys"
        diff = [k for k in ta if not torch.equal(ta[k], tb[k])]
        if diff:
            return f"resumed weights/optimizer differ from the reference: {diff[0]}"
        if temps(run_dir):
            return f"temp files left: {temps(run_dir)[0]}"
        return None


# ----------------------------------------------------------------------------- rendering
class RenderTarget:
    """Tiny render batch (4 images at 48x48, 4 samples)."""

    def __init__(self, workers: int, root: Path) -> None:
        self.name, self.root, self.workers = f"render workers={workers}", root, workers

    def command(self, out_dir: Path) -> list[str]:
        return [str(BIN / "fridge-render"), *RENDER_TINY, f"workers={self.workers}",
                f"out_dir={out_dir}"]  # fmt: skip

    def reference(self) -> float:
        code, out, secs = run(self.command(self.root / "ref"), self.root)
        assert code == 0, out[-2000:]
        return secs

    @staticmethod
    def files(out_dir: Path) -> dict[str, bytes]:
        return {f"{sub}/{p.name}": p.read_bytes() for sub in ("meta", "masks")
                for p in sorted((out_dir / sub).glob("*")) if p.is_file()}  # fmt: skip

    def trial(self, i: int, delay: float, sig: int) -> str | None:
        out_dir = self.root / f"trial{i}"
        code, out, _ = run(self.command(out_dir), self.root, delay, sig)
        if code not in (0, 1, 143, -9, 137, -15):
            return f"exit {code} after {signal.Signals(sig).name}: {out.strip()[-300:]}"
        kept = self.files(out_dir) if out_dir.is_dir() else {}
        code, out, _ = run(self.command(out_dir), self.root)
        if code != 0:
            return f"resume failed ({code}): {out.strip()[-300:]}"
        now, ref = self.files(out_dir), self.files(self.root / "ref")
        lost = [k for k, v in kept.items() if k.startswith("meta/") and now.get(k) != v]
        if lost:
            return f"finished file changed or lost: {lost[0]}"
        if now != ref:
            bad = sorted(set(now) ^ set(ref)) or [k for k in ref if now[k] != ref[k]]
            return f"resumed batch differs from the reference: {bad[0]}"
        if temps(out_dir):
            return f"temp files left: {temps(out_dir)[0]}"
        return None


def make_data(root: Path) -> Path:
    from gan_testutils import make_photo_folder, make_render_batch

    make_render_batch(root / "src", count=4, size=(40, 40))
    make_photo_folder(root / "tgt", count=4)
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20, help="trials per target")
    ap.add_argument("--what", default="render,train", help="comma list: render, train")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    what = {w.strip() for w in args.what.split(",") if w.strip()}
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kill_trials_"))
    rows = []
    try:
        targets = []
        if "train" in what:
            data = make_data(work / "data")
            targets += [TrainTarget(w, data, work / f"train{w}") for w in (0, 2)]
        if "render" in what:
            targets += [RenderTarget(w, work / f"render{w}") for w in (1, 2)]
        for target in targets:
            target.root.mkdir(parents=True)
            secs = target.reference()
            failures = []
            for i in range(args.trials):
                sig = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
                delay = rng.uniform(0.2, 1.0) * secs
                reason = target.trial(i, delay, sig)
                status = "ok" if reason is None else f"FAIL {reason}"
                print(f"{target.name}: trial {i} {sig.name} at {delay:.1f}s: {status}", flush=True)
                if reason:
                    failures.append(reason)
            rows.append((target.name, args.trials, args.trials - len(failures), secs))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'target':<20} {'trials':>6} {'passed':>6} {'reference s':>11}")
    for name, n, ok, secs in rows:
        print(f"{name:<20} {n:>6} {ok:>6} {secs:>11.1f}")
    if any(ok < n for _, n, ok, _ in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
