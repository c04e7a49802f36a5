"""Coder: candidates for the task, all sampled from one prompt so the server's prefix
cache serves every sample; identical code is kept once (with its count, which is
agreement evidence for the selector)."""

from __future__ import annotations

from codetext.sanitize import candidate_code
from agents.llm_call import timed_complete
from agents.planner import plan_section
from agents.prompts import context_section, entry_point_line, layout, render
from agents.repair import code_hash
from agents.retriever import context_text
from agents.state import SolveConfig, SolveState
from agents.task import Task
from serving.base import LLM, Message


def coder_messages(task: Task, context: str = "", plan: list[dict] | None = None) -> list[Message]:
    """Shared system prompt, then retrieved context and the task.

    No few-shot example here: on HumanEval/0 the 1.5B model's greedy answer with the
    example forgot an import and failed, without it passed (measured; the example also
    costs ~160 prompt tokens per call). The test writer keeps its example, whose format
    is less natural to the model."""
    user = render("coder_user", context=context_section(context), task=task.prompt,
                  plan=plan_section(plan or []), entry_point_line=entry_point_line(task.entry_point))
    return layout(user)


def sample(llm: LLM, messages: list[Message], config: SolveConfig) -> tuple[list[str], list[dict]]:
    """`config.candidates` texts for one prompt, with one usage update per request.

    The first sample is greedy (the single best guess a small model makes); the others
    are drawn at `sample_temperature` in one `n` request on the very same prompt."""
    completion, usage = timed_complete(llm, "coder", messages, max_tokens=config.max_tokens,
                                       temperature=config.temperature)
    texts, usages = list(completion.texts[:1]), [usage]
    extra = config.candidates - 1
    if extra > 0:
        more, usage = timed_complete(llm, "coder", messages, n=extra, max_tokens=config.max_tokens,
                                     temperature=config.sample_temperature)
        texts += more.texts[:extra]
        usages.append(usage)
    return texts, usages


def dedupe(raws: list[str], task: Task, tried: list[str]) -> list[dict]:
    """One pending candidate per distinct code (whitespace-insensitive), counting copies;
    code tested before is left out."""
    by_hash: dict[str, dict] = {}
    for raw in raws:
        code = candidate_code(raw, task.entry_point, task.prompt)
        key = code_hash(code)
        if key in tried:
            continue
        if key in by_hash:
            by_hash[key]["copies"] += 1
        else:
            by_hash[key] = {"code": code, "raw": raw, "origin": "coder", "copies": 1, "parent": ""}
    return list(by_hash.values())


def make_coder(llm: LLM, config: SolveConfig):
    """The coder node."""

    def coder(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        messages = coder_messages(task, context_text(state), state.get("plan"))
        raws, usages = sample(llm, messages, config)
        pending = dedupe(raws, task, state.get("tried") or [])
        usage: dict = {}
        for update in usages:  # two requests → add their counters
            for key, value in update["coder"].items():
                usage[key] = usage.get(key, 0) + value
        event = {"agent": "coder", "samples": len(raws), "distinct": len(pending)}
        return {"pending": pending, "usage": {"coder": usage}, "events": [event]}

    return coder
