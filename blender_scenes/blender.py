"""The one import of Blender's Python modules, with a one-line reason when they are absent.

Modules that drive Blender import from here: `from .blender import bpy, bmesh` and the
`mathutils` names they use (`Matrix`, `Vector`, `Euler`, `Quaternion`, `geometry`, `BVHTree`).
`bpy` is always imported first: `mathutils` and `bmesh` only load once it has. On a Python
without the `bpy` wheel (it exists for CPython 3.11 only) `import blender_scenes.render` then
fails with a `ModuleNotFoundError` that says why and what to install, instead of a bare
"No module named 'bpy'". The CLIs check with `bpy_available()` before they start, so a user sees
one line and exit status 2. Nothing is imported until a name is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

BPY_REQUIREMENT = "bpy==5.0.1"


def bpy_missing_message() -> str:
    """Why the renderer cannot run here, and what to install (one line)."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"the renderer needs Blender as a Python module ({BPY_REQUIREMENT}), which is not "
        f"installed in this Python {here}; its wheel exists for CPython 3.11 only: "
        "install the project with its render extra on Python 3.11 (pip install '.[render]')"
    )


def bpy_available() -> bool:
    """Whether `import bpy` can work, without importing it (cheap, no side effects)."""
    if "bpy" in sys.modules:
        return sys.modules["bpy"] is not None
    try:
        return importlib.util.find_spec("bpy") is not None
    except (ImportError, ValueError):
        return False


# name -> (module, attribute or None for the module itself)
_NAMES = {
    "bpy": ("bpy", None),
    "bmesh": ("bmesh", None),
    "mathutils": ("mathutils", None),
    "Matrix": ("mathutils", "Matrix"),
    "Vector": ("mathutils", "Vector"),
    "Euler": ("mathutils", "Euler"),
    "Quaternion": ("mathutils", "Quaternion"),
    "geometry": ("mathutils", "geometry"),
    "BVHTree": ("mathutils.bvhtree", "BVHTree"),
}


def __getattr__(name: str):
    """`from .blender import bpy, Matrix` imports bpy (then the module asked for) on first use."""
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attr = _NAMES[name]
    try:
        importlib.import_module("bpy")  # first: mathutils and bmesh need it loaded
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name not in ("bpy", "bmesh", "_bpy", "mathutils"):
            raise
        raise ModuleNotFoundError(bpy_missing_message(), name="bpy") from None
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


__all__ = ["BPY_REQUIREMENT", "bpy_available", "bpy_missing_message"]
