"""Planner: the task → an ordered list of instructions with acceptance criteria.

A task with a single entry point gets one instruction without any model call: small
models gain nothing from planning one function and it costs a call. Only multi-part tasks
(no single function named) ask the model, and its list is parsed leniently, falling back
to one instruction when nothing usable comes back.
"""

from __future__ import annotations

import re

from agents.llm_call import timed_complete
from agents.prompts import layout, render
from agents.sampling import GREEDY_TEMPERATURE
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM

MAX_STEPS = 6
_STEP_RE = re.compile(r"^\s*(?:step\s*)?\d+\s*[.):]\s+(.+)$", re.IGNORECASE)
_DONE_RE = re.compile(r"\s*\|?\s*done when\s*:\s*", re.IGNORECASE)


def single_instruction(task: Task) -> list[dict]:
    """The one-instruction plan: write what the task asks, accepted by its own tests."""
    what = f"Write the function `{task.entry_point}` as the task describes." if task.entry_point else (
        "Write the code the task describes.")
    accept = "passes the task's own tests" if task.has_tests else "imports cleanly and does what the task says"
    return [{"step": 1, "instruction": what, "acceptance": accept}]


def parse_plan(text: str, max_steps: int = MAX_STEPS) -> list[dict]:
    """Numbered lines (`1. do X | done when: Y`, `2) ...`) → steps; [] when none parse."""
    steps = []
    for line in text.splitlines():
        match = _STEP_RE.match(line.replace("*", "").strip("#> \t"))  # markdown bold/headings
        if not match:
            continue
        parts = _DONE_RE.split(match.group(1).strip(), maxsplit=1)
        instruction = parts[0].strip(" |*`")
        if instruction:
            accept = parts[1].strip(" *`") if len(parts) > 1 else ""
            steps.append({"step": len(steps) + 1, "instruction": instruction, "acceptance": accept})
        if len(steps) == max_steps:
            break
    return steps


def needs_llm_plan(task: Task, config: SolveConfig) -> bool:
    """Only multi-part tasks (no single entry point) are worth a planning call."""
    return config.plan_multi_part and not task.entry_point


def make_planner(llm: LLM, config: SolveConfig):
    """The planner node."""

    def planner(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        if not needs_llm_plan(task, config):
            plan = single_instruction(task)
            return {"plan": plan, "events": [{"agent": "planner", "steps": 1, "llm": False}]}
        messages = layout(render("planner_user", task=task.prompt, max_steps=str(MAX_STEPS)))
        completion, usage = timed_complete(llm, "planner", messages, max_tokens=min(config.max_tokens, 384),
                                           temperature=GREEDY_TEMPERATURE)
        plan = parse_plan(completion.texts[0]) or single_instruction(task)
        return {"plan": plan, "usage": usage, "events": [{"agent": "planner", "steps": len(plan), "llm": True}]}

    return planner


def plan_section(plan: list[dict]) -> str:
    """The plan as text for the coder's prompt; "" for a one-step plan (it adds nothing)."""
    if len(plan) < 2:
        return ""
    lines = [f"{s['step']}. {s['instruction']}" + (f" (done when: {s['acceptance']})" if s.get("acceptance") else "")
             for s in plan]
    return "\nPlan:\n" + "\n".join(lines) + "\n"
