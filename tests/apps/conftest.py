"""Fixtures shared by the CLI tests."""

import contextlib

import pytest
from typer.testing import CliRunner

from apps import build_cmd
from serving.fake import FakeLLM
from tests.agents.build.fixtures import SPEC


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CLI runner with its own cache root and no downloads (test files override it where
    they need more, e.g. a fixed sandbox)."""
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    return CliRunner()


@pytest.fixture
def scripted(monkeypatch):
    """`scripted(outputs)`: the build commands (build, build-bench) use a FakeLLM answering
    `outputs` in order; returns it."""

    def use(outputs):
        llm = FakeLLM(outputs)

        @contextlib.contextmanager
        def fake_open(*args, **kwargs):
            yield llm

        monkeypatch.setattr(build_cmd, "open_llm", fake_open)
        return llm

    return use


@pytest.fixture
def spec(tmp_path):
    """The build tests' calc spec, written to a file."""
    path = tmp_path / "spec.md"
    path.write_text(SPEC)
    return path
