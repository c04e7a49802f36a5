"""Fixtures shared by the CLI tests."""

import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CLI runner with its own cache root and no downloads (test files override it where
    they need more, e.g. a fixed sandbox)."""
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    return CliRunner()
