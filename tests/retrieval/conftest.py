"""Shared fixtures: isolated index/data dirs, a tiny synthetic MBPP, a counting embedder."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = Path(os.environ.get("CODELOOP_DATA_DIR") or REPO.parent / "shared" / "data" / "benchmarks")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Never touch the user's cache: indexes go to a temp dir."""
    monkeypatch.setenv("CODELOOP_INDEX_DIR", str(tmp_path / "indexes"))
    return tmp_path


@pytest.fixture
def fake_mbpp(tmp_path) -> Path:
    """A data dir with MBPP-shaped rows for ids 1-12, 509-512, 600-604 and an MBPP+ list."""
    d = tmp_path / "data"
    d.mkdir()
    ids = list(range(1, 13)) + [509, 510, 511, 512, 600, 601, 602, 603, 604]
    with open(d / "mbpp.jsonl", "w") as fh:
        for i in ids:
            fh.write(json.dumps({"task_id": i, "text": f"Write a function to compute widget number {i}.",
                                 "code": f"def widget_{i}(x):\n\treturn x + {i}",
                                 "test_list": [f"assert widget_{i}(1) == {1 + i}"]}) + "\n")
    with gzip.open(d / "MbppPlus-v0.2.0.jsonl.gz", "wt") as fh:
        for i in (2, 11, 602):  # MBPP+ evaluates task 602, which sits in MBPP's train split
            fh.write(json.dumps({"task_id": f"Mbpp/{i}"}) + "\n")
    return d


class CountingEmbedder:
    """Deterministic bag-of-hashed-words vectors; counts how many texts it embedded."""

    name = "counting-test-embedder"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts):
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.fixture
def counting_embedder():
    return CountingEmbedder()
