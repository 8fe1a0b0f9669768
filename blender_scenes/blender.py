"""The one import of Blender's Python modules (`bpy`, `bmesh`), with a one-line reason when absent.

Modules that drive Blender import it from here (`from .blender import bpy`), so that on a Python
without the `bpy` wheel (it exists for CPython 3.11 only) `import blender_scenes.render` fails
with a `ModuleNotFoundError` that says why and what to install, instead of a bare
"No module named 'bpy'". `mathutils` is importable once `bpy` is. The CLIs check with
`bpy_available()` before they start, so a user sees one line and exit status 2.
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


def __getattr__(name: str):
    """`from .blender import bpy` (or bmesh) imports it on first use: checking
    `bpy_available()` imports nothing."""
    if name not in ("bpy", "bmesh"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in ("bpy", "bmesh", "_bpy"):
            raise
        raise ModuleNotFoundError(bpy_missing_message(), name="bpy") from None
    globals()[name] = module
    return module


__all__ = ["BPY_REQUIREMENT", "bpy_available", "bpy_missing_message"]
