"""Coder: writes a candidate for the task from a stable system prompt and the task."""

from __future__ import annotations

from agents.extract import extract_code
from agents.llm_call import timed_complete
from agents.prompts import entry_point_line, load_prompt, render
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM


def coder_messages(task: Task) -> list[dict]:
    """System prompt first and unchanging, so the server's prefix cache can serve it."""
    return [
        {"role": "system", "content": load_prompt("coder_system")},
        {"role": "user", "content": render("coder_user", task=task.prompt, entry_point_line=entry_point_line(task.entry_point))},
    ]


def make_coder(llm: LLM, config: SolveConfig):
    """The coder node."""

    def coder(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        completion, usage = timed_complete(
            llm, "coder", coder_messages(task), max_tokens=config.max_tokens, temperature=config.temperature
        )
        raw = completion.texts[0]
        code = extract_code(raw, task.entry_point)
        return {"code": code, "raw": raw, "usage": usage, "events": [{"agent": "coder", "chars": len(code)}]}

    return coder
