"""Leakage guard: a benchmark's own evaluation problems are never retrieved while solving it."""

from __future__ import annotations

import pytest

from retrieval import api
from retrieval.base import Hit
from retrieval.corpora import mbpp_example_documents
from retrieval.leakage import LeakageGuard, evaluation_ids
from tests.retrieval.conftest import REAL_DATA


def test_pool_holds_only_prompt_and_train_tasks(fake_mbpp):
    ids = {d.meta["task_id"] for d in mbpp_example_documents(fake_mbpp)}
    assert ids == set(range(1, 11)) | {601, 602, 603, 604}
    doc = next(iter(mbpp_example_documents(fake_mbpp)))
    assert doc.meta["benchmark"] == "mbpp" and "Solution:" in doc.text and "assert" in doc.text


def test_pool_for_mbpp_plus_drops_its_evaluation_tasks(fake_mbpp):
    banned = evaluation_ids("mbpp+", fake_mbpp)
    ids = {d.meta["task_id"] for d in mbpp_example_documents(fake_mbpp, banned)}
    assert 602 not in ids and 2 not in ids and 601 in ids


def test_guard_drops_banned_hits_and_still_fills_k():
    class Leaky:
        def search(self, query, k):
            hits = [Hit(f"t{i}", f"mbpp:{i}", 1.0 / i, {"benchmark": "mbpp", "task_id": i}) for i in range(11, 31)]
            hits += [Hit("doc", "stdlib:json", 0.01, {})]
            return hits[:k]

    guard = LeakageGuard(Leaky(), evaluation_ids("mbpp"))
    got = guard.search("anything", 3)
    assert [h.source for h in got] == ["stdlib:json"]  # all MBPP test tasks removed
    assert LeakageGuard(Leaky(), evaluation_ids("humaneval")).search("x", 3)[0].source == "mbpp:11"


def test_examples_retriever_never_returns_evaluation_problem_even_for_its_exact_text(fake_mbpp):
    for benchmark, forbidden in (("mbpp+", 602), ("mbpp+", 2), ("mbpp", 11)):
        retriever = api.examples_retriever(benchmark, fake_mbpp, mode="bm25")
        query = f"Write a function to compute widget number {forbidden}. widget_{forbidden}"
        hits = retriever.search(query, 50)
        assert hits, "pool should still answer"
        assert all(h.meta["task_id"] != forbidden for h in hits)
        assert not any(h.meta["task_id"] in range(11, 511) for h in hits)


def test_guard_catches_an_index_built_without_exclusions(fake_mbpp, tmp_path):
    # an "all" pool contains 602; the search-time guard for mbpp+ must still hide it
    api.index_examples(None, fake_mbpp, name="pool-all", dense=False)
    raw = api.open_index("pool-all", mode="bm25")
    assert raw.search("widget number 602 widget_602", 1)[0].meta["task_id"] == 602
    guarded = LeakageGuard(raw, evaluation_ids("mbpp+", fake_mbpp))
    assert all(h.meta["task_id"] != 602 for h in guarded.search("widget number 602 widget_602", 20))


def test_unknown_benchmark_is_an_error():
    with pytest.raises(ValueError, match="unknown benchmark"):
        evaluation_ids("nope")


@pytest.mark.skipif(not (REAL_DATA / "mbpp.jsonl").exists(), reason="benchmark data not available")
def test_real_mbpp_plus_overlaps_the_train_pool_and_is_excluded():
    banned = evaluation_ids("mbpp+", REAL_DATA)
    train_overlap = {i for _, i in banned if i >= 601 or i <= 10}
    assert train_overlap, "MBPP+ evaluates some prompt/train-split tasks"
    ids = {d.meta["task_id"] for d in mbpp_example_documents(REAL_DATA, banned)}
    assert not ids & {i for _, i in banned}
    assert len(ids) == 384 - len(train_overlap)


def test_make_retriever_fuses_corpora_and_stays_guarded(fake_mbpp, tmp_path):
    src = tmp_path / "repo"
    src.mkdir()
    (src / "widgets.py").write_text("def widget_helper(x):\n    'Shared widget number helper.'\n")
    api.index_paths([src], name="repo", dense=False)
    retriever = api.make_retriever("mbpp+", fake_mbpp, repo="repo", stdlib=False, mode="bm25")
    hits = retriever.search("widget number 602 widget_602 helper", 30)
    sources = {h.source for h in hits}
    assert "mbpp:601" in sources and any("widgets.py" in s for s in sources)
    assert "mbpp:602" not in sources
    assert api.make_retriever(stdlib=False, examples=False).search("x", 3) == []


def test_make_retriever_builds_stdlib_docs_on_first_use():
    retriever = api.make_retriever(examples=False, mode="bm25")
    hits = retriever.search("serialize obj to a JSON formatted str", 5)
    assert "stdlib:json.dumps" in {h.source for h in hits}
    assert hits[0].meta["kind"] == "doc"
