"""Retrieval: chunkers, BM25 and dense (FAISS) indexes, RRF fusion, corpora, leakage guard.

Importing this package is cheap: bm25s, torch and faiss load only when an index is used.
"""

from retrieval.base import Hit, NullRetriever, Retriever
from retrieval.context import format_context

__all__ = ["Hit", "NullRetriever", "Retriever", "format_context"]
