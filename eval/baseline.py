"""The baseline solver: one plain chat call to the model, code taken from its answer.

This is the anchor every pipeline gain is compared against (docs/ARCHITECTURE.md, Evaluation rules): same model, same
problems, no planning, tests or repair. The answer goes through the pipeline's own
extraction and sanitiser (`codetext.sanitize.answer_code`), so the two modes differ only
in what happens between prompt and answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from codetext.prompts import complete_function_prompt, complete_function_template
from codetext.sanitize import answer_code
from eval.problems import Problem
from serving.base import LLM, Message

def baseline_messages(problem: Problem, template: str | None = None) -> list[Message]:
    """The single user message sent for `problem` (codetext's "complete the function" prompt)."""
    return [{"role": "user", "content": complete_function_prompt(problem.prompt, template)}]


def make_baseline_solver(llm: LLM, *, temperature: float = 0.0, max_tokens: int = 768) -> Callable[[Problem], dict]:
    """A solver (Problem -> record dict) making one call per problem. Use temperature 0 for
    pass@1 and a positive one when drawing several samples per problem."""
    template = complete_function_template()

    def solve(problem: Problem) -> dict:
        start = time.monotonic()
        result = llm.complete(baseline_messages(problem, template), max_tokens=max_tokens, temperature=temperature)
        raw = result.texts[0] if result.texts else ""
        seconds = time.monotonic() - start
        u = result.usage
        usage = {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                 "cached_tokens": u.cached_tokens, "calls": u.calls or 1}
        return {
            "completion": answer_code(raw, problem.entry_point),
            "raw": raw,
            "usage": usage,
            "agents": {"baseline": {**usage, "seconds": round(seconds, 3), "model_s": round(seconds, 3)}},
            "model": result.model,
        }

    return solve
