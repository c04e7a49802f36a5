"""Usage accounting, one way for every agent loop (the solve pipeline and the build).

A usage update is `{agent: {calls, prompt_tokens, completion_tokens, cached_tokens,
seconds, model_s, ...}}`, as `agents.llm_call.timed_complete` returns it. Updates add up
per agent and per counter: `merge_usage` is the graphs' state reducer, `add_usage` sums a
node's several updates, `spent` is what the budgets and the build's per-step totals read.
"""

from __future__ import annotations

from collections.abc import Iterable


def add_counts(left: dict | None, right: dict | None) -> dict:
    """Add per-key counts: {key: n}."""
    merged = dict(left or {})
    for key, value in (right or {}).items():
        merged[key] = merged.get(key, 0) + value
    return merged


def merge_usage(left: dict | None, right: dict | None) -> dict:
    """Add per-agent counters: {agent: {calls, prompt_tokens, ..., seconds}}. Sums are
    rounded to 4 places, so float seconds do not grow long tails in saved records."""
    merged = {agent: dict(stats) for agent, stats in (left or {}).items()}
    for agent, stats in (right or {}).items():
        merged[agent] = {key: round(value, 4) for key, value in add_counts(merged.get(agent), stats).items()}
    return merged


def add_usage(updates: Iterable[dict | None]) -> dict:
    """Several usage updates (one node's calls), summed per agent into one."""
    total: dict = {}
    for update in updates:
        total = merge_usage(total, update)
    return total


def spent(usage: dict | None) -> dict:
    """Calls, total tokens (prompt + completion) and seconds in `usage`, summed over agents."""
    total = {"calls": 0, "tokens": 0, "seconds": 0.0}
    for stats in (usage or {}).values():
        total["calls"] += int(stats.get("calls", 0))
        total["tokens"] += int(stats.get("prompt_tokens", 0)) + int(stats.get("completion_tokens", 0))
        total["seconds"] += float(stats.get("seconds", 0.0))
    return total
