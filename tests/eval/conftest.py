"""Fixtures for eval tests: a process sandbox, a scratch cache (the benchmark data directory: tests/conftest.py)."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sandbox():
    """The process backend: present everywhere the tests run."""
    from sandbox import make_sandbox

    box = make_sandbox("process")
    yield box
    box.close()


@pytest.fixture(scope="session")
def gt_cache(tmp_path_factory) -> Path:
    """A ground-truth cache private to this test session (never the user's cache)."""
    return tmp_path_factory.mktemp("groundtruth")


@pytest.fixture()
def evaluator(sandbox, gt_cache):
    from eval.evaluate import Evaluator

    return Evaluator(sandbox, cache_dir=gt_cache)
