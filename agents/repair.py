"""Repair: fixes the selected candidate from its real test report; notices when it is stuck.

The repaired code joins the pool as a new candidate instead of replacing the old one, so
a "fix" that makes things worse is simply not selected.
"""

from __future__ import annotations

import hashlib

from codetext.sanitize import candidate_code
from agents.llm_call import timed_complete
from agents.prompts import entry_point_line, layout, render
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM

MAX_FEEDBACK_CHARS = 3000  # a long report crowds out the code in a 4k context


def code_hash(code: str) -> str:
    """A short fingerprint of a candidate, ignoring surrounding whitespace."""
    return hashlib.sha256(code.strip().encode()).hexdigest()[:16]


def repair_messages(task: Task, code: str, feedback: str) -> list:
    """Shared system prompt (the cached prefix every agent shares), then the failing code."""
    user = render("repair_user", task=task.prompt, code=code, feedback=feedback[-MAX_FEEDBACK_CHARS:],
                  entry_point_line=entry_point_line(task.entry_point))
    return layout(user)


def repair_temperature(config: SolveConfig) -> float:
    """Greedy repair tends to repeat the failure it was shown; a set temperature samples."""
    return config.temperature if config.repair_temperature < 0 else config.repair_temperature


def make_repair(llm: LLM, config: SolveConfig):
    """The repair node."""

    def repair(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        parent = state.get("code", "")
        messages = repair_messages(task, parent, state.get("feedback", ""))
        completion, usage = timed_complete(llm, "repair", messages, max_tokens=config.max_tokens,
                                           temperature=repair_temperature(config))
        raw = completion.texts[0]
        code = candidate_code(raw, task.entry_point, task.prompt)
        attempts = state.get("attempts", 0) + 1
        stuck = code_hash(code) in (state.get("tried") or [])
        pending = [] if stuck else [{"code": code, "raw": raw, "origin": "repair", "copies": 1,
                                     "parent": code_hash(parent)}]
        event = {"agent": "repair", "attempt": attempts, "stuck": stuck}
        update = {"pending": pending, "attempts": attempts, "stuck": stuck, "usage": usage, "events": [event]}
        return update | ({"stop": "stuck"} if stuck else {})

    return repair
