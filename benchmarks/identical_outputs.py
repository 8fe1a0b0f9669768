"""Digests of a tiny render batch, to check that a refactor leaves the outputs byte-identical.

    python benchmarks/identical_outputs.py                       # this checkout
    python benchmarks/identical_outputs.py --repo /tmp/base      # another checkout (e.g. a
                                                                 # `git worktree` of main)
    python benchmarks/identical_outputs.py --repo A --json a.json && ... --repo B --json b.json
    python benchmarks/identical_outputs.py --compare a.json b.json

Renders three small batches with ``fridge-render`` (``blender_scenes.cli`` in a subprocess whose
working directory and PYTHONPATH are the checkout, rendering in that process: ``workers=0``):

- ``procedural-physics``: every procedural class (``classes=all``), physics placement, depth,
  camera normals and amodal masks;
- ``procedural-rows``: every procedural class, packed rows;
- ``mixed``: the default classes plus a catalog class built from a hand-written OBJ cube (through
  the catalog importers).

Each is 2 scenes at 64x64 with 1 sample. Printed per file: the SHA-256 of

- ``meta/*.json``, ``annotations.json``, ``dataset.json`` and ``README.md`` (the dataset card)
  without the fields that legitimately vary between runs (see `VOLATILE`: software versions,
  the COCO creation date and year) and with the render folder replaced by ``<work>``;
- ``masks/*``, ``depth/*``, ``normals/*`` (raw bytes);
- ``images/*`` (raw bytes; informational: Cycles on several threads need not be bit-exact).

``--compare`` prints the files whose digests differ and exits 1 when any non-image file does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Fields that record when and with which software a file was written, not what was rendered:
# (file name or "*" for meta/*.json, key path). Nothing else is dropped; the folder the batch was
# rendered into is replaced by "<work>" wherever it occurs (out_dir, catalog paths).
VOLATILE = (
    ("meta", ("software",)),                    # versions and the Cycles device
    ("annotations.json", ("info", "date_created")),
    ("annotations.json", ("info", "year")),
    ("dataset.json", ("software",)),
)  # fmt: skip

CUBE_OBJ = """\
v -0.5 -0.5 0.0
v 0.5 -0.5 0.0
v 0.5 0.5 0.0
v -0.5 0.5 0.0
v -0.5 -0.5 1.0
v 0.5 -0.5 1.0
v 0.5 0.5 1.0
v -0.5 0.5 1.0
f 1 4 3 2
f 5 6 7 8
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""

COMMON = ["count=2", "seed=3", "resolution=[64,64]", "render.samples=1", "render.denoise=false",
          "render.threads=1", "workers=0", "preview=false"]  # fmt: skip

# fridge-render with bpy imported first: `fridge-render assets=mixed` run as a plain command
# measures the catalog before anything has imported bpy, so `mathutils` is not importable yet.
LAUNCH = (
    "import runpy, sys; import bpy; sys.argv = ['fridge-render', *sys.argv[1:]]; "
    "runpy.run_module('blender_scenes.cli', run_name='__main__')"
)

RUNS: dict[str, list[str]] = {
    "procedural-physics": [
        "classes=all",
        "placement=physics",
        "outputs.normals=camera",
        "outputs.amodal=true",
    ],  # fmt: skip
    "procedural-rows": ["classes=all", "placement=rows"],
    "mixed": ["assets=mixed", "assets.catalog={catalog}", "classes=[milk_carton,egg,apple,cube]"],
}


def digest_json(path: Path, kind: str, work: Path) -> str:
    """SHA-256 of a JSON file's canonical form without its `VOLATILE` fields."""
    doc = json.loads(path.read_text().replace(str(work), "<work>"))
    for name, keys in VOLATILE:
        if name == kind:
            parent = doc
            for key in keys[:-1]:
                parent = parent.get(key, {})
            parent.pop(keys[-1], None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def digest_bytes(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(out: Path, run: str, work: Path) -> dict[str, str]:
    """`run/relative path` -> digest for every compared file of one batch."""
    found: dict[str, str] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        top = rel.split("/", 1)[0]
        if not path.is_file():
            continue
        if rel in ("annotations.json", "dataset.json"):
            found[f"{run}/{rel}"] = digest_json(path, rel, work)
        elif top == "meta" and path.suffix == ".json":
            found[f"{run}/{rel}"] = digest_json(path, "meta", work)
        elif rel == "README.md":
            text = path.read_text().replace(str(work), "<work>")
            found[f"{run}/{rel}"] = hashlib.sha256(text.encode()).hexdigest()
        elif top in ("masks", "depth", "normals", "images"):
            found[f"{run}/{rel}"] = digest_bytes(path)
    return found


def write_catalog(folder: Path) -> Path:
    """A one-class catalog (`cube`) over a hand-written OBJ cube."""
    (folder / "cube.obj").write_text(CUBE_OBJ)
    path = folder / "catalog.yaml"
    path.write_text(f"classes:\n  cube:\n    - {{file: {folder / 'cube.obj'}, height: 0.08}}\n")
    return path


def render(repo: Path, work: Path) -> dict[str, str]:
    """Render every batch of `RUNS` with the code in `repo`; the digests of all of them."""
    catalog = write_catalog(work)
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"}
    found: dict[str, str] = {}
    for run, overrides in RUNS.items():
        out = work / run
        args = [o.format(catalog=catalog) for o in overrides]
        argv = [f"out_dir={out}", *COMMON, *args, f"hydra.run.dir={work / 'hydra' / run}"]
        cmd = [sys.executable, "-c", LAUNCH, *argv]
        proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{run}: fridge-render exited {proc.returncode}:\n{proc.stderr[-3000:]}")
        found.update(digests(out, run, work))
    return found


def compare(a: dict[str, str], b: dict[str, str]) -> int:
    """Print the differing files; 1 when any non-image file differs or is missing."""
    bad = 0
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            image = "/images/" in key
            bad += not image
            print(f"{'differs (image, informational)' if image else 'DIFFERS'}: {key}")
    n_img = sum("/images/" in k for k in a)
    print(f"{len(a)} files compared ({len(a) - n_img} ground-truth, {n_img} images): "
          f"{'identical' if not bad else f'{bad} ground-truth files differ'}")  # fmt: skip
    return 1 if bad else 0


def main() -> int:
    """Command line: render and print digests, or compare two digest files."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", type=Path, default=ROOT, help="checkout to render with")
    p.add_argument("--json", type=Path, help="also write the digests to this JSON file")
    p.add_argument("--keep", type=Path, help="render into this folder and keep it (inspection)")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"),
                   help="compare two digest files written with --json")  # fmt: skip
    args = p.parse_args()
    if args.compare:
        a, b = (json.loads(f.read_text()) for f in args.compare)
        return compare(a, b)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        found = render(args.repo.resolve(), args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="identical-") as tmp:
            found = render(args.repo.resolve(), Path(tmp))
    for key, value in found.items():
        print(f"{value}  {key}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
