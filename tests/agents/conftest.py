"""Fixtures shared by the agent tests."""

import pytest

from sandbox.process import ProcessSandbox


@pytest.fixture(scope="module")
def sandbox():
    """The process sandbox (no isolation needed for scripted candidates), one per module."""
    box = ProcessSandbox()
    yield box
    box.close()
