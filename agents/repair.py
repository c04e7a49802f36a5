"""Repair: fixes the selected candidate from its real test report; notices when it is stuck.

Each round draws `repair_samples` fixes in one request, sampled (greedy repair repeats the
failure it was shown: 0 of 24 greedy repairs passed in the v1 runs), and the prompt lists
what earlier attempts already ran into so a round does not retry them. Repaired code joins
the pool as new candidates instead of replacing the old one, so a "fix" that makes things
worse is simply not selected.
"""

from __future__ import annotations

from agents.candidates import code_hash, dedupe
from agents.llm_call import first_token, timed_complete
from agents.prompts import entry_point_line, layout, render
from agents.sampling import sample_settings
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM

MAX_FEEDBACK_CHARS = 3000  # a long report crowds out the code in a 4k context
MAX_HISTORY = 3  # earlier attempts listed in the prompt


def last_line(feedback: str) -> str:
    """The most telling line of a failure report: its last non-empty line."""
    lines = [line.strip() for line in feedback.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "failed"


def history_section(pool: list[dict], current: str) -> str:
    """Earlier repair attempts that failed, one line each, for the prompt ("" if none)."""
    earlier = [c for c in pool if c.get("origin") == "repair" and c["hash"] != current
               and c["verdict"] not in ("passed", "untested")][-MAX_HISTORY:]
    if not earlier:
        return ""
    lines = [f"- attempt {i}: {last_line(c['feedback'])}" for i, c in enumerate(earlier, 1)]
    return "Earlier fixes of this code also failed; do not repeat them:\n" + "\n".join(lines) + "\n"


def repair_messages(task: Task, code: str, feedback: str, history: str = "") -> list:
    """Shared system prompt (the cached prefix every agent shares), then the failing code."""
    user = render("repair_user", task=task.prompt, code=code, feedback=feedback[-MAX_FEEDBACK_CHARS:],
                  history=history, entry_point_line=entry_point_line(task.entry_point))
    return layout(user)


def repair_temperature(config: SolveConfig) -> float:
    """The temperature fixes are drawn at (< 0 in the config: the greedy temperature)."""
    return config.temperature if config.repair_temperature < 0 else config.repair_temperature


def make_repair(llm: LLM, config: SolveConfig):
    """The repair node."""

    def repair(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        parent = state.get("code", "")
        history = history_section(state.get("pool") or [], code_hash(parent))
        messages = repair_messages(task, parent, state.get("feedback", ""), history)
        temperature = repair_temperature(config)
        n = max(1, config.repair_samples) if temperature > 0 else 1  # greedy draws would be identical
        completion, usage = timed_complete(llm, "repair", messages, n=n, max_tokens=config.max_tokens,
                                           temperature=temperature,
                                           sampling=sample_settings(config) if temperature > 0 else None)
        attempts = state.get("attempts", 0) + 1
        pending, _ = dedupe(completion, task, state.get("tried") or [], origin="repair", parent=code_hash(parent))
        stuck = not pending
        event = {"agent": "repair", "attempt": attempts, "fixes": len(completion.texts),
                 "distinct": len(pending), "stuck": stuck} | first_token(usage)
        update = {"pending": pending, "attempts": attempts, "stuck": stuck, "usage": usage, "events": [event]}
        return update | ({"stop": "stuck"} if stuck else {})

    return repair
