"""Core retrieval types: a search hit, the Retriever protocol and the empty retriever.

These are the only names the agent graph needs (docs/ARCHITECTURE.md, Interfaces); everything else in
`retrieval/` builds retrievers that satisfy this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass
class Hit:
    """One retrieved chunk: its text, where it came from, its score and free-form metadata.

    `meta` carries e.g. `path`, `start_line`, `end_line`, `kind`, and for solved examples
    `benchmark` and `task_id` (used by the leakage guard).
    """

    text: str
    source: str
    score: float
    meta: dict = field(default_factory=dict)


@runtime_checkable
class Retriever(Protocol):
    """Anything that returns the `k` best hits for a free-text query, best first."""

    def search(self, query: str, k: int) -> list[Hit]: ...


class NullRetriever:
    """A retriever that never finds anything (retrieval switched off, or for tests)."""

    def search(self, query: str, k: int) -> list[Hit]:
        """Return no hits."""
        return []
