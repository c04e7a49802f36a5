"""Reciprocal rank fusion (RRF) of ranked lists, and a retriever that fuses retrievers.

RRF (Cormack et al., 2009) scores an item by sum(1 / (k0 + rank)) over the lists it
appears in. It needs no score calibration between BM25 and cosine similarity, which live
on unrelated scales, and k0 = 60 is the value from the paper that works well untuned.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from retrieval.base import Hit, Retriever

RRF_K0 = 60


def rrf(rankings: Sequence[Sequence[Hashable]], k0: int = RRF_K0) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of ids (best first) into one list of (id, fused score), best first.

    Ties keep the order in which ids were first seen, so results are deterministic.
    """
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k0 + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class FusedRetriever:
    """Searches several retrievers (e.g. repo, stdlib docs, solved examples) and fuses by RRF.

    Hits are identified by (source, text); the fused hit keeps the first retriever's copy
    with the RRF score and records the original score in `meta["raw_score"]`.
    """

    def __init__(self, retrievers: Sequence[Retriever], depth: int = 1) -> None:
        self.retrievers = list(retrievers)
        self.depth = depth  # each retriever is asked for depth * k candidates

    def search(self, query: str, k: int) -> list[Hit]:
        """Fused top-`k` hits over all retrievers."""
        if k <= 0:
            return []
        seen: dict[tuple[str, str], Hit] = {}
        rankings = []
        for retriever in self.retrievers:
            ranking = []
            for hit in retriever.search(query, k * self.depth):
                key = (hit.source, hit.text)
                seen.setdefault(key, hit)
                ranking.append(key)
            rankings.append(ranking)
        fused = []
        for key, score in rrf(rankings)[:k]:
            hit = seen[key]
            fused.append(Hit(hit.text, hit.source, score, {**hit.meta, "raw_score": hit.score}))
        return fused
