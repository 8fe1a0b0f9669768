"""The first 20 training losses of every model, to check that a refactor leaves training identical.

    python benchmarks/identical_training.py                      # this checkout
    python benchmarks/identical_training.py --repo /tmp/base     # another checkout (e.g. a
                                                                 # `git worktree` of an older commit)
    python benchmarks/identical_training.py --repo A --json a.json && ... --repo B --json b.json
    python benchmarks/identical_training.py --compare a.json b.json

In a subprocess whose working directory and PYTHONPATH are the checkout, each model (pix2pix,
cyclegan, cut) trains `--steps` steps (default 20) on the CPU in fp32 with one thread, on two
small generated image folders (seeded: identical for every checkout), with the tiny test preset.
Every loss of every step is recorded as the exact float (`float.hex`); `--compare` prints the
first step and loss where two runs differ and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = {
    "pix2pix": ["model.generator.num_downs=5"],
    "cyclegan": ["model.pool_size=2"],
    "cut": ["model.nce_layers=[0,1,4,7,10]", "model.num_patches=16"],
}

# Runs inside the checkout under test: only APIs that exist before and after the refactors.
CHILD = r"""
import json, sys
from pathlib import Path
# An editable install of another checkout must not supply modules: only this checkout's code.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "").lower()]
import numpy as np
import torch
from PIL import Image
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from gan.cli import CONFIG_DIR
from gan.config import parse_train_config
try:
    from gan.trainer import Trainer
    from gan.distributed import DistInfo
except ImportError:  # before gan.train was split
    from gan.train import DistInfo, Trainer

import gan
assert Path(gan.__file__).resolve().is_relative_to(Path.cwd().resolve()), gan.__file__
torch.set_num_threads(1)
work, steps, models = Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
rng = np.random.default_rng(7)
for name, tint in (("a", (30, 0, -20)), ("b", (-20, 10, 30))):
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(6):
        base = rng.integers(0, 256, (17, 17, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((64, 64), Image.BILINEAR)
        arr = np.clip(np.asarray(img).astype(np.int16) + np.array(tint), 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"{i:03d}.png")
out = {}
for model, extra in models.items():
    overrides = ["experiment=tiny", f"model={model}", *extra, f"data.source_dir={work / 'a'}",
                 f"data.target_dir={work / 'b'}", f"trainer.max_steps={steps}",
                 "trainer.precision=32", "trainer.device=cpu", f"trainer.eval_every={steps}",
                 f"trainer.checkpoint_every={steps}", f"trainer.image_every={steps}"]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        raw = OmegaConf.to_container(compose(config_name="train", overrides=overrides), resolve=True)
    raw.pop("hydra", None)
    trainer = Trainer(parse_train_config(raw), raw, work / f"run_{model}", DistInfo())
    step, losses = trainer.model.train_step, []

    def recording(batch, step=step, losses=losses):
        result = step(batch)
        losses.append({k: float(v).hex() for k, v in sorted(result.items())})
        return result

    trainer.model.train_step = recording
    trainer.fit()
    out[model] = losses
print("LOSSES " + json.dumps(out))
"""


def run(repo: Path, steps: int) -> dict:
    """Per model, per step: {loss name: float.hex} from training in `repo`."""
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1", "HYDRA_FULL_ERROR": "1"}
    with tempfile.TemporaryDirectory() as work:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, work, str(steps), json.dumps(MODELS)],
            cwd=repo, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("LOSSES ")]
    if proc.returncode or not lines:
        sys.exit(f"training in {repo} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("LOSSES ") :])


def compare(a: dict, b: dict) -> int:
    """Print the first difference per model; 1 if any model differs."""
    status = 0
    for model in sorted(set(a) | set(b)):
        sa, sb = a.get(model), b.get(model)
        if sa == sb:
            print(f"{model}: {len(sa)} steps identical")
            continue
        status = 1
        if sa is None or sb is None:
            print(f"{model}: only in one run")
            continue
        for i, (x, y) in enumerate(zip(sa, sb, strict=False)):
            if x != y:
                keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                print(f"{model}: step {i + 1} differs in {', '.join(keys)}")
                break
        else:
            print(f"{model}: {len(sa)} vs {len(sb)} steps")
    return status


def main() -> int:
    """Train, print or compare."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", type=Path, default=ROOT, help="checkout to train with")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--json", type=Path, help="also write the losses to this JSON file")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = p.parse_args()
    if args.compare:
        return compare(*(json.loads(f.read_text()) for f in args.compare))
    losses = run(args.repo.resolve(), args.steps)
    if args.json:
        args.json.write_text(json.dumps(losses, indent=1))
    for model, steps in losses.items():
        first = ", ".join(f"{k}={float.fromhex(v):.6f}" for k, v in steps[0].items())
        print(f"{model}: {len(steps)} steps; step 1: {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
