"""A corpus of bad `fridge-render` inputs: each stops with one line naming the key or file.

Every case runs the console script's own checking step (`blender_scenes.cli.prevalidate`, which
composes the command line with Hydra and validates it before Hydra runs) in-process, in an empty
working folder, and must exit non-zero with exactly one stderr line, no traceback and no new file.
A few cases also run the real console script.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from render_testutils import assert_one_line_error, run_cli, tree

from blender_scenes import cli

CATALOG_OK_ENTRY = "classes:\n  thing:\n    - {file: models/cube.obj, height: 0.1}\n"
CATALOG_FILES = {  # name -> content, created in the working folder
    "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x80\x81",
    "latin1.yaml": "classes:\n  k\xe4se: []\n".encode("latin-1"),
    "empty.yaml": b"",
    "list.yaml": b"- a\n- b\n",
    "noclasses.yaml": b"food: {}\n",
    "broken.yaml": b"classes: [unclosed\n",
    "nulls.yaml": b"classes:\n  a\x00b: []\n",
    "missing_model.yaml": b"classes:\n  thing:\n    - {file: models/nope.obj, height: 0.1}\n",
    "bad_pose.yaml": b"classes:\n  thing:\n    - {file: models/cube.obj, height: 0.1, poses: [flying]}\n",
    "absurd.yaml": b"classes:\n  thing:\n    - {file: models/cube.obj, height: 40}\n",
    "garbage_model.yaml": b"classes:\n  thing:\n    - {file: models/garbage.stl, height: 0.1}\n",
}

C = [  # (case id, arguments, words the error line must contain)
    ("res-zero", ["resolution=[0,120]"], ["resolution"]),
    ("res-one-number", ["resolution=[160]"], ["resolution"]),
    ("res-scalar", ["resolution=160"], ["resolution"]),
    ("res-text", ["resolution=160x120"], ["resolution"]),
    ("res-float", ["resolution=[160.5,120]"], ["resolution"]),
    ("res-huge", ["resolution=[99999,120]"], ["resolution"]),
    ("res-three", ["resolution=[160,120,3]"], ["resolution"]),
    ("count-zero", ["count=0"], ["count"]),
    ("count-negative", ["count=-3"], ["count"]),
    ("count-huge", ["count=100000000000"], ["count", "<="]),
    ("count-text", ["count=many"], ["count"]),
    ("count-bool", ["count=true"], ["count"]),
    ("seed-negative", ["seed=-1"], ["seed"]),
    ("seed-float", ["seed=1.5"], ["seed"]),
    ("workers-negative", ["workers=-1"], ["workers"]),
    ("workers-huge", ["workers=100000"], ["workers"]),
    ("worker-max-zero", ["worker_max_scenes=0"], ["worker_max_scenes"]),
    ("shard-index-too-big", ["shard.count=4", "shard.index=4"], ["shard.index"]),
    ("shard-index-negative", ["shard.index=-1"], ["shard.index"]),
    ("shard-count-zero", ["shard.count=0"], ["shard.count"]),
    ("shard-not-mapping", ["shard=3"], ["shard"]),
    ("class-unknown", ["classes=[milk_carton,unicorn]"], ["classes", "unicorn"]),
    ("class-empty-list", ["classes=[]"], ["classes"]),
    ("class-string", ["classes=milk_carton"], ["classes"]),
    ("weight-negative", ["class_weights={egg: -1}"], ["class_weights.egg"]),
    ("weight-unknown", ["class_weights={unicorn: 1}"], ["class_weights.unicorn"]),
    ("weight-text", ["class_weights={egg: lots}"], ["class_weights.egg"]),
    ("weight-list", ["class_weights=[1,2]"], ["class_weights"]),
    ("weights-all-zero", ["classes=[egg]", "class_weights={egg: 0}"], ["class_weights"]),
    ("per-shelf-negative", ["objects.per_shelf=[-1,3]"], ["objects.per_shelf"]),
    ("total-reversed", ["objects.total=[5,2]"], ["objects.total"]),
    ("shelves-zero", ["fridge.shelves=[0,2]"], ["fridge.shelves"]),
    ("glass-prob", ["fridge.glass_shelf_prob=2"], ["fridge.glass_shelf_prob"]),
    ("placement-unknown", ["placement=nosuch"], ["placement", "nosuch", "available"]),
    ("placement-mode", ["placement.mode=magic"], ["placement.mode"]),
    ("placement-density", ["placement.density=1.5"], ["placement.density"]),
    ("placement-density-text", ["placement.density=dense"], ["placement.density"]),
    ("placement-tries", ["placement.max_tries=0"], ["placement.max_tries"]),
    ("placement-rest", ["placement.rest_speed=0"], ["placement.rest_speed"]),
    ("camera-unknown", ["+camera.modes.fisheye=1"], ["camera.modes.fisheye"]),
    ("camera-no-weight", ["camera.modes={front: 0, builtin: 0}"], ["camera.modes"]),
    ("camera-negative", ["camera.modes.front=-1"], ["camera.modes.front"]),
    ("camera-list", ["camera.modes=[front]"], ["camera.modes"]),
    ("style", ["style=film"], ["style"]),
    ("render-samples", ["render.samples=0"], ["render.samples"]),
    ("render-device", ["render.device=tpu"], ["render.device"]),
    ("render-denoise", ["render.denoise=maybe"], ["render.denoise"]),
    ("render-threads", ["render.threads=-1"], ["render.threads"]),
    ("save-blend", ["save_blend=yes"], ["save_blend"]),
    ("assets-mode", ["assets.mode=magic"], ["assets.mode"]),
    ("assets-group", ["assets=nosuch"], ["assets", "nosuch"]),
    ("catalog-unset", ["assets=catalog"], ["assets.catalog"]),
    ("catalog-absent", ["assets=catalog", "assets.catalog=absent.yaml"], ["absent.yaml"]),
    ("catalog-folder", ["assets=mixed", "assets.catalog=models"], ["assets.catalog", "models"]),
    *[
        (
            f"catalog-{n.split('.')[0]}",
            ["assets=catalog", f"assets.catalog={n}"],
            ["assets.catalog", n],
        )
        for n in CATALOG_FILES
    ],  # fmt: skip
    (
        "validate-binary",
        ["validate_only=true", "assets=catalog", "assets.catalog=binary.yaml"],
        ["assets.catalog", "binary.yaml"],
    ),
    (
        "validate-folder",
        ["validate_only=true", "assets=catalog", "assets.catalog=models"],
        ["assets.catalog", "models"],
    ),
    ("validate-procedural", ["validate_only=true"], ["assets.catalog", "nothing to validate"]),
    ("out-dir-under-file", ["out_dir=afile.txt/batch"], ["out_dir", "afile.txt"]),
    ("out-dir-is-file", ["out_dir=afile.txt"], ["out_dir", "afile.txt"]),
    ("out-dir-empty", ["out_dir="], ["out_dir"]),
    ("out-dir-non-ascii", ["out_dir=renders/k\u00e4se"], ["out_dir", "non-ASCII"]),
    ("catalog-non-ascii", ["assets=catalog", "assets.catalog=k\u00e4se.yaml"], ["assets.catalog"]),
    ("unknown-key", ["bogus=1"], ["bogus", "unknown config key"]),
    ("unknown-nested-key", ["render.bogus=1"], ["render.bogus"]),
    ("unknown-hydra-key", ["hydra.bogus=1"], ["hydra.bogus"]),
    ("unknown-launcher", ["hydra/launcher=nosuch"], ["hydra/launcher", "nosuch"]),
    ("bad-syntax", ["count=[1,"], ["count", "syntax"]),
    ("interpolation", ["count=${nosuch}"], ["count", "nosuch"]),
    ("multirun-bad-first", ["-m", "count=0,5"], ["count", ">= 1"]),
    ("intermixed-flag", ["count=2", "-m", "seed=1,2"], ["unrecognized arguments"]),
    ("bad-flag", ["--frobnicate"], ["--frobnicate"]),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty working folder with the catalog files of the corpus and a plain file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "cube.obj").write_text(
        "v 0 0 0\nv 0.1 0 0\nv 0 0.1 0\nv 0 0 0.1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    )
    (tmp_path / "models" / "garbage.stl").write_bytes(os.urandom(40))
    for name, content in CATALOG_FILES.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "afile.txt").write_text("not a folder")
    return tmp_path


def test_corpus_is_big_enough():
    assert len(C) >= 30 and len({c[0] for c in C}) == len(C)


@pytest.mark.parametrize(("args", "words"), [c[1:] for c in C], ids=[c[0] for c in C])
def test_bad_input(workdir, capfd, args, words):
    before = tree(workdir)
    with pytest.raises(SystemExit) as ex:
        cli.prevalidate(args if any(a.startswith("out_dir") for a in args)
                        else [*args, "out_dir=batch"])  # fmt: skip
    assert ex.value.code not in (0, None)
    assert_one_line_error(capfd.readouterr().err, "fridge-render", *words)
    assert tree(workdir) == before


def test_unwritable_out_dir(workdir, capfd):
    locked = workdir / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as a user who can write anywhere (root)")
    before = tree(workdir)
    with pytest.raises(SystemExit) as ex:
        cli.prevalidate([f"out_dir={locked / 'batch'}"])
    assert ex.value.code == 2
    assert_one_line_error(capfd.readouterr().err, "fridge-render", "out_dir", "not writable")
    assert tree(workdir) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [(["count=-1"], ["count"]),
     (["assets=catalog", "assets.catalog=latin1.yaml"], ["latin1.yaml"]),
     (["out_dir=afile.txt/batch"], ["out_dir"])],
    ids=["count", "catalog", "out_dir"],
)  # fmt: skip
def test_bad_input_console_script(workdir, args, words):
    before = tree(workdir)
    proc = run_cli("fridge-render", args, cwd=workdir, timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr, "fridge-render", *words)
    assert tree(workdir) == before
