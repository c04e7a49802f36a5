"""Fixtures for eval tests: the benchmark data directory, a process sandbox, a scratch cache."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark files (CI and tests use ../shared/data/benchmarks). Skips on a
    checkout without ../shared; fails when $CODELOOP_DATA_DIR (set by CI) names a directory
    without them — a misconfiguration must not pass as skipped tests."""
    path = Path(os.environ.get("CODELOOP_DATA_DIR") or REPO.parent / "shared" / "data" / "benchmarks")
    if not (path / "mbpp.jsonl").exists():
        if os.environ.get("CODELOOP_DATA_DIR"):
            pytest.fail(f"CODELOOP_DATA_DIR={path} holds no benchmark data (mbpp.jsonl)", pytrace=False)
        pytest.skip(f"benchmark data not found in {path}")
    return path


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
