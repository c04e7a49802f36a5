"""Per-task budgets (LLM calls, tokens, seconds) read from the accumulated usage.

Seconds are the sum of the agents' own measured time, not a wall-clock timestamp in the
state: a run resumed from a checkpoint hours later is not charged for the gap.
"""

from __future__ import annotations

from agents.state import SolveConfig, SolveState
from agents.usage import spent as spent_usage


def spent(state: SolveState) -> dict:
    """Calls, total tokens and seconds used so far, summed over agents."""
    return spent_usage(state.get("usage"))


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
