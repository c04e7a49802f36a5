"""Per-task budgets (LLM calls, tokens, seconds) read from the accumulated usage.

Seconds are the sum of the agents' own measured time, not a wall-clock timestamp in the
state: a run resumed from a checkpoint hours later is not charged for the gap.
"""

from __future__ import annotations

from agents.state import SolveConfig, SolveState


def spent(state: SolveState) -> dict:
    """Calls, total tokens and seconds used so far, summed over agents."""
    usage = state.get("usage") or {}
    total = {"calls": 0, "tokens": 0, "seconds": 0.0}
    for stats in usage.values():
        total["calls"] += int(stats.get("calls", 0))
        total["tokens"] += int(stats.get("prompt_tokens", 0)) + int(stats.get("completion_tokens", 0))
        total["seconds"] += float(stats.get("seconds", 0.0))
    return total


def budget_exhausted(state: SolveState, config: SolveConfig) -> str:
    """The budget that is spent ("calls", "tokens", "seconds"), or "" while all remain.

    Tokens count as spent when less than one more completion's worth is left, because
    the next call could not finish inside the budget."""
    used = spent(state)
    if config.max_llm_calls and used["calls"] >= config.max_llm_calls:
        return "calls"
    if config.max_total_tokens and used["tokens"] + config.max_tokens > config.max_total_tokens:
        return "tokens"
    if config.max_wall_s and used["seconds"] >= config.max_wall_s:
        return "seconds"
    return ""
