"""Digests of the sampled item parameters of every class, to check that a refactor of the
samplers leaves every random draw where it was (pure Python: no Blender needed, a few seconds).

    python benchmarks/identical_params.py                      # this checkout
    python benchmarks/identical_params.py --repo /tmp/base     # another checkout
    python benchmarks/identical_params.py --repo A --json a.json && ... --repo B --json b.json
    python benchmarks/identical_params.py --compare a.json b.json

For every class of ``CLASS_TABLE`` and every seed: three items sampled one after the other with
``sample_params(cls, np.random.default_rng(seed))``, then one more draw of that generator; the
SHA-256 of their canonical JSON is printed per class. ``--compare`` prints the classes whose
digests differ and exits 1 when any does. ``benchmarks/identical_outputs.py`` checks the
rendered results (meshes, materials) the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run inside the checkout (its blender_scenes on the path): prints {class: digest} as JSON.
DUMP = """
import hashlib, json, sys
import numpy as np
from blender_scenes.food.classes import ALL_CLASSES, sample_params
seeds = int(sys.argv[1])
out = {}
for cls in ALL_CLASSES:
    runs = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        runs.append([sample_params(cls, rng) for _ in range(3)] + [int(rng.integers(0, 2**62))])
    out[cls] = hashlib.sha256(json.dumps(runs, sort_keys=True).encode()).hexdigest()
print(json.dumps(out))
"""


def class_digests(repo: Path, seeds: int) -> dict[str, str]:
    """class -> digest of its sampled params, computed with the code of checkout `repo`."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "-c", DUMP, str(seeds)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def compare(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Classes whose digests differ or that only one side has."""
    return sorted(c for c in set(a) | set(b) if a.get(c) != b.get(c))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", type=Path, default=ROOT, help="checkout to sample with")
    p.add_argument("--seeds", type=int, default=21, help="seeds 0..N-1 per class")
    p.add_argument("--json", type=Path, help="also write the digests to this JSON file")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = p.parse_args()
    if args.compare:
        a, b = (json.loads(f.read_text()) for f in args.compare)
        diff = compare(a, b)
        for cls in diff:
            print(f"differs: {cls}")
        print(
            f"{len(set(a) | set(b))} classes compared: "
            + ("identical" if not diff else f"{len(diff)} differ")
        )
        return 1 if diff else 0
    digests = class_digests(args.repo.resolve(), args.seeds)
    for cls, digest in digests.items():
        print(f"{digest}  {cls}")
    if args.json:
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps(digests, indent=1, sort_keys=True))
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
