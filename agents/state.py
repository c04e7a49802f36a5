"""The graph's state: one TypedDict, with reducers for what accumulates."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict


def merge_usage(left: dict | None, right: dict | None) -> dict:
    """Add per-agent counters: {agent: {calls, prompt_tokens, ..., seconds}}."""
    merged = {agent: dict(stats) for agent, stats in (left or {}).items()}
    for agent, stats in (right or {}).items():
        slot = merged.setdefault(agent, {})
        for key, value in stats.items():
            slot[key] = round(slot.get(key, 0) + value, 4)
    return merged


class SolveState(TypedDict, total=False):
    task: dict  # agents.task.Task as plain data (the state is checkpointed)
    code: str  # the current candidate
    raw: str  # the model's raw text for the current candidate
    verdict: str  # "passed" | "failed" | "invalid" | "untested" | "error"
    feedback: str  # the real failure output, for repair
    tests_passed: int
    tests_failed: int
    attempts: int  # repair attempts used
    stuck: bool  # repair produced code already tried
    tried: Annotated[list[str], operator.add]  # hashes of every candidate tested
    usage: Annotated[dict, merge_usage]  # per-agent LLM and time accounting
    events: Annotated[list[dict], operator.add]  # one line per node run, for display/records


@dataclass(frozen=True)
class SolveConfig:
    """Bounds and sampling for one solve."""

    max_repairs: int = 2
    max_tokens: int = 768
    temperature: float = 0.0
    test_timeout_s: float = 10.0
    test_memory_mb: int = 1024
