"""Fixtures for every test package. Helpers live in testutils.py (and gan_testutils.py,
render_testutils.py); tests import those, never this file."""

import pytest


@pytest.fixture
def fresh_blender():
    """An empty Blender scene."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield bpy


@pytest.fixture(autouse=True)
def _restore_root_logging():
    """In-process CLI runs (Hydra) add root handlers bound to pytest's captured streams; drop
    them after each test so later tests do not log into a closed stream."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
