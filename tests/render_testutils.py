"""Helpers for the render-side robustness tests: bad-input checks, primitives, catalogs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ["resolution=[48,36]", "render.samples=2", "render.denoise=false", "placement=rows",
        "objects.total=[3,6]", "objects.per_shelf=[1,4]", "fridge.shelves=[1,2]",
        "fridge.drawers=[0,1]", "camera.modes={front: 1}", "preview=false"]  # fmt: skip


def tree(root: Path) -> set[str]:
    """Every path below `root`, relative, as text (to compare before and after a command)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def error_lines(stderr: str) -> list[str]:
    """The non-empty lines a terminal shows for `stderr` (a progress bar redraws after \\r)."""
    shown = [ln.rsplit("\r", 1)[-1] for ln in stderr.split("\n")]
    return [ln for ln in shown if ln.strip()]


def assert_one_line_error(stderr: str, prog: str, *needles: str) -> str:
    """stderr is exactly one `prog: error: ...` line containing every needle; returns it."""
    lines = error_lines(stderr)
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    line = lines[0]
    assert "Traceback" not in stderr and line.startswith(f"{prog}: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def run_cli(
    name: str, args: list[str], cwd: Path, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Run an installed console script in `cwd` with this checkout first on the import path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))  # fmt: skip
    exe = str(Path(sys.executable).with_name(name))
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def export_primitives(folder: Path) -> dict[str, str]:
    """A cube (OBJ), cylinder (GLB), sphere (PLY) and cone (STL) built with bpy; class -> file."""
    import bmesh
    import bpy

    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    shapes = {
        "cube": ("obj", lambda bm: bmesh.ops.create_cube(bm, size=0.08)),
        "cylinder": ("glb", lambda bm: bmesh.ops.create_cone(
            bm, cap_ends=True, segments=16, radius1=0.03, radius2=0.03, depth=0.1)),
        "sphere": ("ply", lambda bm: bmesh.ops.create_uvsphere(
            bm, u_segments=12, v_segments=8, radius=0.04)),
        "cone": ("stl", lambda bm: bmesh.ops.create_cone(
            bm, cap_ends=True, segments=16, radius1=0.04, radius2=0.0, depth=0.1)),
    }  # fmt: skip
    for name, (ext, build) in shapes.items():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bm = bmesh.new()
        build(bm)
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        ob = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(ob)
        path = folder / f"{name}.{ext}"
        if ext == "obj":
            bpy.ops.wm.obj_export(filepath=str(path), forward_axis="Y", up_axis="Z")
        elif ext == "glb":
            bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB")
        elif ext == "ply":
            bpy.ops.wm.ply_export(filepath=str(path), forward_axis="Y", up_axis="Z")
        else:
            bpy.ops.wm.stl_export(filepath=str(path), forward_axis="Y", up_axis="Z")
        made[name] = path.name
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return made
