"""Repair: fixes the current candidate from the real test report; notices when it is stuck."""

from __future__ import annotations

import hashlib

from agents.coder import coder_messages
from agents.extract import extract_code
from agents.llm_call import timed_complete
from agents.prompts import entry_point_line, render
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM

MAX_FEEDBACK_CHARS = 3000  # a long report crowds out the code in a 4k context


def code_hash(code: str) -> str:
    """A short fingerprint of a candidate, ignoring surrounding whitespace."""
    return hashlib.sha256(code.strip().encode()).hexdigest()[:16]


def make_repair(llm: LLM, config: SolveConfig):
    """The repair node."""

    def repair(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        # Same system prompt as the coder: the cached prefix is shared between the two.
        messages = coder_messages(task)[:1] + [
            {
                "role": "user",
                "content": render(
                    "repair_user",
                    task=task.prompt,
                    code=state.get("code", ""),
                    feedback=state.get("feedback", "")[-MAX_FEEDBACK_CHARS:],
                    entry_point_line=entry_point_line(task.entry_point),
                ),
            }
        ]
        completion, usage = timed_complete(
            llm, "repair", messages, max_tokens=config.max_tokens, temperature=config.temperature
        )
        raw = completion.texts[0]
        code = extract_code(raw, task.entry_point)
        attempts = state.get("attempts", 0) + 1
        stuck = code_hash(code) in state.get("tried", [])
        event = {"agent": "repair", "attempt": attempts, "stuck": stuck}
        return {"code": code, "raw": raw, "attempts": attempts, "stuck": stuck, "usage": usage, "events": [event]}

    return repair
