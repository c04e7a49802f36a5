"""Retriever node: queries from the task and its plan → `Retriever.search` → hits in state.

Hits are stored as plain data (the state is checkpointed) and rendered for prompts only
by `retrieval.format_context`, which quotes them as data.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from agents.state import SolveConfig, SolveState
from agents.task import Task
from retrieval.base import Hit, Retriever
from retrieval.context import format_context

MAX_QUERY_CHARS = 400  # BM25/embedding queries gain little from more, and cost time
MAX_HIT_CHARS = 1200  # per hit in a prompt: a 4k context must still hold task and code


def queries(task: Task, plan: list[dict]) -> list[str]:
    """One query for the task, plus one per extra instruction of a multi-step plan."""
    found = [" ".join(task.prompt.split())[:MAX_QUERY_CHARS]]
    if len(plan) > 1:
        found += [step["instruction"][:MAX_QUERY_CHARS] for step in plan]
    return [q for q in found if q.strip()]


def search_all(retriever: Retriever, texts: list[str], k: int) -> list[Hit]:
    """Hits of every query, best score first, without repeating a chunk, at most `k`."""
    seen, hits = set(), []
    for query in texts:
        for hit in retriever.search(query, k):
            key = (hit.source, hit.text)
            if key not in seen:
                seen.add(key)
                hits.append(hit)
    return sorted(hits, key=lambda h: -h.score)[:k]


def make_retriever_node(retriever: Retriever, config: SolveConfig):
    """The retriever node."""

    def retrieve(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        started = time.perf_counter()
        hits = search_all(retriever, queries(task, state.get("plan") or []), config.retrieval_k) if config.retrieval_k else []
        seconds = time.perf_counter() - started
        return {
            "hits": [asdict(h) for h in hits],
            "usage": {"retriever": {"calls": 0, "seconds": seconds}},
            "events": [{"agent": "retriever", "hits": len(hits)}],
        }

    return retrieve


def context_text(state: SolveState) -> str:
    """The state's hits rendered as quoted, delimited data ("" when there are none)."""
    hits = [Hit(**h) for h in state.get("hits") or []]
    return format_context(hits, max_chars=MAX_HIT_CHARS)
