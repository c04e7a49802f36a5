"""Fixtures shared by the build tests (the process sandbox comes from tests/agents/conftest.py)."""

import pytest

from tests.agents.build.fixtures import SPEC


@pytest.fixture
def spec(tmp_path):
    """The two-requirement calc spec, written to a file."""
    path = tmp_path / "spec.md"
    path.write_text(SPEC)
    return path
