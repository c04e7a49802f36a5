"""Coder: candidates for the task, all sampled from one prompt so the server's prefix
cache serves every sample; identical code is kept once (with its count, which is
agreement evidence for the selector).

Two nodes share the prompt. `coder` writes the greedy candidate (the single best guess a
small model makes). After the tester has run it, `sampler` spends more samples where
they help (issue 13): a few when greedy passes every visible test — enough to confirm or
outvote it — and many when it fails or there is nothing to test it on.
"""

from __future__ import annotations

from agents.candidates import dedupe
from agents.llm_call import first_token, timed_complete
from agents.planner import plan_section
from agents.prompts import context_section, entry_point_line, layout, render
from agents.retriever import context_text
from agents.sampling import sample_settings
from agents.state import SolveConfig, SolveState
from agents.task import Task
from agents.usage import add_usage
from codetext.prompts import complete_function_prompt
from serving.base import LLM, Completion, Message


def coder_messages(task: Task, context: str = "", plan: list[dict] | None = None) -> list[Message]:
    """The coder's prompt: retrieved context and plan (when there are any), then the task.

    A task written as code (a signature with its docstring, a docstring with examples: the
    benchmark shape) is asked as "complete this function" in one user message, without the
    shared system prompt: on all 317 mbpp-dev tasks that prompt's greedy answer passed 175
    against 167 for the system prompt + `<task>` tags (won 10, lost 18; the held-out set and
    the first HumanEval+ tasks leaned the same way; benchmarks/reports/agents-2026-11-27.md). With
    no context and no plan it is the baseline's own prompt, so the pipeline starts from the
    same answer the single call gives. Tasks written as prose keep the tagged prompt.

    No few-shot example: on HumanEval/0 the 1.5B model's greedy answer with the example
    forgot an import and failed, without it passed (measured; the example also costs ~160
    prompt tokens per call)."""
    plan_text = plan_section(plan or [])
    if task.is_code():
        preamble = context_section(context) + (plan_text.lstrip("\n") + "\n" if plan_text else "")
        return [{"role": "user", "content": complete_function_prompt(task.prompt, preamble=preamble)}]
    return layout(render("coder_user", context=context_section(context), task=task.prompt, plan=plan_text,
                         entry_point_line=entry_point_line(task.entry_point)))


def draw(llm: LLM, messages: list[Message], config: SolveConfig, n: int) -> tuple[Completion, dict]:
    """`n` sampled texts of one prompt in one request, with their log-probabilities."""
    return timed_complete(llm, "coder", messages, n=n, max_tokens=config.max_tokens,
                          temperature=config.sample_temperature, sampling=sample_settings(config), logprobs=True)


def greedy(llm: LLM, messages: list[Message], config: SolveConfig) -> tuple[Completion, dict]:
    """The temperature-`config.temperature` candidate."""
    return timed_complete(llm, "coder", messages, max_tokens=config.max_tokens,
                          temperature=config.temperature, logprobs=True)


def extra_samples(greedy_verdict: str, config: SolveConfig) -> tuple[int, str]:
    """How many samples to draw after the greedy candidate was tested, and why."""
    if greedy_verdict == "passed":
        return config.confirm_samples, "greedy passed the visible tests: confirm"
    if greedy_verdict == "untested":
        return config.explore_samples, "no visible tests to trust greedy on: explore"
    return config.explore_samples, f"greedy {greedy_verdict}: explore"


def make_coder(llm: LLM, config: SolveConfig):
    """The coder node: the greedy candidate (adaptive), or `config.candidates` at once."""

    def coder(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        messages = coder_messages(task, context_text(state), state.get("plan"))
        calls = [greedy(llm, messages, config)]
        if not config.adaptive and config.candidates > 1:
            calls.append(draw(llm, messages, config, config.candidates - 1))
        completions = [completion for completion, _ in calls]
        merged = Completion(texts=[t for c in completions for t in c.texts],
                            logprobs=[lp for c in completions for lp in (c.logprobs or [[] for _ in c.texts])])
        pending, _ = dedupe(merged, task, state.get("tried") or [])
        if pending:  # the greedy text comes first, so the first candidate is greedy's code
            pending[0]["greedy"] = True
        usage = add_usage([usage for _, usage in calls])
        event = {"agent": "coder", "samples": len(merged.texts), "distinct": len(pending)} | first_token(usage)
        return {"pending": pending, "usage": usage, "events": [event],
                "sampled": not config.adaptive}

    return coder


def make_sampler(llm: LLM, config: SolveConfig):
    """The sampler node: more samples of the coder's prompt, as many as greedy's test result calls for."""

    def sampler(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        first = (state.get("pool") or [{"verdict": "invalid"}])[0]
        n, why = extra_samples(first["verdict"], config)
        event = {"agent": "sampler", "greedy": first["verdict"], "samples": n, "why": why}
        if n <= 0:
            return {"sampled": True, "events": [event | {"distinct": 0}]}
        messages = coder_messages(task, context_text(state), state.get("plan"))
        completion, usage = draw(llm, messages, config, n)
        pending, repeats = dedupe(completion, task, state.get("tried") or [], origin="sample")
        event |= {"distinct": len(pending), "repeats": sum(repeats.values())} | first_token(usage)
        return {"pending": pending, "repeats": repeats, "usage": usage, "events": [event], "sampled": True}

    return sampler
