"""One model call with the accounting every agent needs."""

from __future__ import annotations

import time

from serving.base import LLM, Completion, Message


def timed_complete(llm: LLM, agent: str, messages: list[Message], *, n: int = 1, max_tokens: int, temperature: float) -> tuple[Completion, dict]:
    """Call the model; return the completion and a usage update keyed by `agent`
    (`seconds` is the agent's time, here all of it `model_s`: waiting for the model)."""
    started = time.perf_counter()
    completion = llm.complete(messages, n=n, max_tokens=max_tokens, temperature=temperature)
    seconds = time.perf_counter() - started
    usage = completion.usage
    update = {
        agent: {
            "calls": usage.calls or 1,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cached_tokens": usage.cached_tokens,
            "seconds": seconds,
            "model_s": seconds,
        }
    }
    return completion, update
