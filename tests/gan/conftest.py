"""Fixtures of the gan tests (helpers: tests/gan_testutils.py)."""

import pytest
from gan_testutils import single_thread


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for the whole module (tiny models run faster, and timings are stable
    while other jobs share the CPU). Modules opt in with
    `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    with single_thread():
        yield
