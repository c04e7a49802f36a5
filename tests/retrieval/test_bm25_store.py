"""BM25 finds a planted target; persisted indexes round-trip; re-indexing is incremental."""

from __future__ import annotations

import random

import pytest

from retrieval.bm25 import BM25Index
from retrieval.dense import DenseUnavailable
from retrieval.local import LocalIndex
from retrieval.store import Document, build_index
from retrieval.tokens import split_identifier, tokenize

WORDS = ("alpha beta gamma delta value list item record buffer stream parse render "
         "queue cache token table row column index merge split join count").split()


def distractors(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"def {rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}(x):\n    " + " ".join(rng.choices(WORDS, k=30))
            for i in range(n)]


def test_tokenizer_splits_identifiers_and_keeps_them_whole():
    assert split_identifier("HTTPServerError") == ["http", "server", "error"]
    toks = tokenize("def parse_json_file(pathName): return the JSONDecoder")
    for t in ("parse_json_file", "parse", "json", "file", "pathname", "path", "name", "jsondecoder", "decoder"):
        assert t in toks
    assert "the" not in toks


def test_bm25_finds_planted_target_among_distractors():
    texts = distractors(2000)
    target = "def levenshtein_distance(a, b):\n    # edit distance between two strings"
    texts.insert(1234, target)
    index = BM25Index.build(texts)
    top = index.top("edit distance of two strings (levenshtein)", 5)
    assert top[0][0] == 1234
    assert index.top("LevenshteinDistance", 1)[0][0] == 1234  # CamelCase query, snake_case code
    assert index.top("zzzz unknown", 5) == []


def _write(root, files):
    for name, text in files.items():
        (root / name).write_text(text)


def _docs(root):
    return [Document(str(p), p.read_text()) for p in sorted(root.iterdir())]


def test_persisted_index_round_trip(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _write(src, {"a.py": "def load_config(path):\n    'Read the TOML config.'\n", "b.md": "# Deploy\nrun the deploy script\n"})
    build_index(_docs(src), tmp_path / "ix")
    index = LocalIndex.load(tmp_path / "ix")
    assert index.mode == "bm25"
    hits = index.search("toml config loading", 3)
    assert hits[0].source == f"{src / 'a.py'}:1-2"
    assert hits[0].meta["qualname"] == "load_config" and hits[0].meta["start_line"] == 1
    again = LocalIndex.load(tmp_path / "ix").search("toml config loading", 3)
    assert [(h.source, h.text, h.score) for h in again] == [(h.source, h.text, h.score) for h in hits]


def test_incremental_reindex_touches_only_changed_files(tmp_path, counting_embedder):
    src = tmp_path / "src"
    src.mkdir()
    _write(src, {"a.py": "def alpha():\n    return 1\n", "b.py": "def beta():\n    return 2\n",
                 "c.py": "def gamma():\n    return 3\n"})
    ix = tmp_path / "ix"
    first = build_index(_docs(src), ix, counting_embedder)
    assert len(first.rechunked) == 3 and first.embedded == 3
    unchanged = build_index(_docs(src), ix, counting_embedder)
    assert unchanged.rechunked == [] and unchanged.embedded == 0
    _write(src, {"b.py": "def beta():\n    return 'changed'\n", "d.py": "def delta():\n    return 4\n"})
    (src / "c.py").unlink()
    second = build_index(_docs(src), ix, counting_embedder)
    assert sorted(second.rechunked) == [str(src / "b.py"), str(src / "d.py")]
    assert second.removed == [str(src / "c.py")]
    assert second.embedded == 2 and counting_embedder.calls == [3, 2]
    index = LocalIndex.load(ix, mode="bm25")
    assert {h.meta["qualname"] for h in index.search("alpha beta gamma delta", 10)} == {"alpha", "beta", "delta"}
    assert "changed" in index.search("beta", 1)[0].text


def test_empty_corpus_and_k_zero(tmp_path):
    build_index([], tmp_path / "ix")
    index = LocalIndex.load(tmp_path / "ix")
    assert index.search("anything", 5) == []
    build_index([Document("x.py", "def f():\n    pass\n")], tmp_path / "ix")
    assert LocalIndex.load(tmp_path / "ix").search("f", 0) == []


@pytest.mark.integration
def test_dense_query_with_another_model_is_refused(tmp_path, counting_embedder):
    pytest.importorskip("faiss", reason="needs the dense extra: pip install 'codeloop[dense]'")
    build_index([Document("a.py", "def alpha():\n    return 1\n")], tmp_path / "ix", counting_embedder)
    index = LocalIndex.load(tmp_path / "ix", mode="dense", embedder=counting_embedder)
    assert index.search("alpha", 1)[0].meta["qualname"] == "alpha"

    class Other(type(counting_embedder)):
        name = "other-model"

    with pytest.raises(DenseUnavailable, match="re-index"):
        LocalIndex.load(tmp_path / "ix", mode="dense", embedder=Other()).search("alpha", 1)
