"""Prefix-cache accounting from the embedded server's log.

llama-cpp-python's server does not report cached prompt tokens in its responses, but with
its default verbose logging it prints, per request, how many prompt tokens it reused from
the previous request's KV state and how many it evaluated. This module reads those lines,
so a batch can report the share of prompt tokens served from the cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# "Llama.generate: 255 prefix-match hit, remaining 1 prompt tokens to eval"
_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit")
# "llama_perf_context_print: prompt eval time = 12.3 ms / 45 tokens (...)": one per request
_EVAL = re.compile(r"llama_perf_context_print: +prompt eval time = +[\d.]+ ms / +(\d+) tokens")


@dataclass(frozen=True)
class PrefixReuse:
    """Prompt tokens over a stretch of server log: reused from the KV state vs. evaluated."""

    requests: int = 0
    reused_tokens: int = 0
    evaluated_tokens: int = 0

    @property
    def share(self) -> float:
        """Fraction of all prompt tokens that were served from the cache (0 when none)."""
        total = self.reused_tokens + self.evaluated_tokens
        return self.reused_tokens / total if total else 0.0


def prefix_reuse(text: str) -> PrefixReuse:
    """Sum the per-request prefix hits and evaluated prompt tokens found in `text`."""
    reused = sum(int(m.group(1)) for m in _HIT.finditer(text))
    evaluated = [int(m.group(1)) for m in _EVAL.finditer(text)]
    return PrefixReuse(len(evaluated), reused, sum(evaluated))


def prefix_reuse_from_file(path: Path, offset: int = 0) -> PrefixReuse:
    """`prefix_reuse` over the log file from byte `offset` (where a run started appending)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return prefix_reuse(handle.read().decode("utf-8", errors="replace"))
