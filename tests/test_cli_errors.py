"""Config errors of every console script: one line, exit status 2, nothing written.

Hydra's own errors are multi-line, exit with 1 and come after Hydra created its run folder;
`gan.cli.compose_from_cli` composes first so that none of that happens.
"""

from __future__ import annotations

import importlib
import sys

import pytest
from render_testutils import assert_one_line_error, run_cli, tree

# console script -> (module with main(), an unknown group option, a path key)
CLIS = {
    "fridge-render": ("blender_scenes.cli", "placement=nosuch", "out_dir"),
    "fridge-train": ("gan.train", "model=nosuch", "data.source_dir"),
    "fridge-translate": ("gan.translate", "hydra/launcher=nosuch", "input_dir"),
    "fridge-eval": ("gan.evaluate", "hydra/launcher=nosuch", "a_dir"),
    "fridge-demo": ("pipeline.cli", "hydra/launcher=nosuch", "demo.data_dir"),
    "fridge-match": ("pipeline.match", "hydra/launcher=nosuch", "target_dir"),
}


def cases(prog: str) -> list[tuple[list[str], tuple[str, ...]]]:
    """(arguments, words the error line must contain) for one console script."""
    _, group, path_key = CLIS[prog]
    return [
        (["bogus_key=1"], ("bogus_key", "unknown config key")),
        ([group], (group.split("=")[0], "unknown option 'nosuch'", "available:")),
        ([f"{path_key}=/data/K\u00e4se/fr\u00fchst\u00fcck"], (path_key, "non-ASCII", "quote")),
        (["hydra.bogus=1"], ("hydra.bogus", "unknown config key")),
        (["hydra/launcher=nosuch"], ("hydra/launcher", "nosuch")),
        (["count=[1,"], ("count", "bad override syntax")),
        (["--no-such-flag"], ("--no-such-flag",)),
    ]


ALL = [(prog, args, words) for prog in CLIS for args, words in cases(prog)]


@pytest.mark.parametrize(("prog", "args", "words"), ALL,
                         ids=[f"{p}-{a[0][:24]}" for p, a, _ in ALL])  # fmt: skip
def test_config_error_in_process(tmp_path, monkeypatch, capfd, prog, args, words):
    module = importlib.import_module(CLIS[prog][0])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [prog, *args])
    with pytest.raises(SystemExit) as ex:
        module.main()
    assert ex.value.code == 2
    assert_one_line_error(capfd.readouterr().err, prog, *words)
    assert tree(tmp_path) == set()


@pytest.mark.parametrize("prog", list(CLIS))
def test_config_error_subprocess(tmp_path, prog):
    """The real console script: exit 2, one line, no outputs/ folder (one case per script)."""
    args, words = cases(prog)[list(CLIS).index(prog) % 3]
    proc = run_cli(prog, args, cwd=tmp_path, timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr, prog, *words)
    assert tree(tmp_path) == set()


def test_quoted_non_ascii_path_is_accepted(tmp_path, monkeypatch):
    """The quoting the error suggests works: the value reaches validation intact."""
    from gan.cli import compose_from_cli

    monkeypatch.chdir(tmp_path)
    raw = compose_from_cli(
        "fridge-render", "render", ["-m", 'out_dir="/data/K\u00e4se"', "seed=1,2"]
    )
    assert raw["out_dir"] == "/data/K\u00e4se" and raw["seed"] == 1


def test_help_and_cfg_are_left_to_hydra(tmp_path, monkeypatch):
    from gan.cli import compose_from_cli

    monkeypatch.chdir(tmp_path)
    assert compose_from_cli("fridge-render", "render", ["--help"]) is None
    assert compose_from_cli("fridge-render", "render", ["--cfg", "job", "count=3"]) is None
    with pytest.raises(SystemExit):  # but the overrides of --cfg are checked
        compose_from_cli("fridge-render", "render", ["--cfg", "job", "bogus=3"])


@pytest.mark.parametrize("prog", ["fridge-render", "fridge-demo"])
def test_missing_bpy_is_one_line(tmp_path, monkeypatch, capfd, prog):
    """On a Python without the bpy wheel: one line naming bpy==5.0.1 and Python 3.11, exit 2,
    nothing written; importing a Blender-driving module says the same instead of a bare
    "No module named 'bpy'"."""
    module = importlib.import_module(CLIS[prog][0])
    monkeypatch.setitem(sys.modules, "bpy", None)  # makes `import bpy` fail
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [prog])
    with pytest.raises(SystemExit) as ex:
        module.main()
    assert ex.value.code == 2
    assert_one_line_error(capfd.readouterr().err, prog, "bpy==5.0.1", "3.11", "[render]")
    assert tree(tmp_path) == set()
    from blender_scenes import blender

    monkeypatch.delitem(blender.__dict__, "bpy", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r"bpy==5\.0\.1.*CPython 3\.11"):
        blender.__getattr__("bpy")
