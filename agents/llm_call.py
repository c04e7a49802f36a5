"""One model call with the accounting every agent needs."""

from __future__ import annotations

import time

from agents.state import SolveConfig
from serving.base import LLM, Completion, Message, Sampling


def timed_complete(llm: LLM, agent: str, messages: list[Message], *, n: int = 1, max_tokens: int,
                   temperature: float, sampling: Sampling | None = None,
                   logprobs: bool = False) -> tuple[Completion, dict]:
    """Call the model; return the completion and a usage update keyed by `agent`
    (`seconds` is the agent's time, here all of it `model_s`: waiting for the model)."""
    started = time.perf_counter()
    completion = llm.complete(messages, n=n, max_tokens=max_tokens, temperature=temperature,
                              sampling=sampling, logprobs=logprobs)
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


def sample_settings(config: SolveConfig) -> Sampling:
    """The sampler knobs for drawn (non-greedy) candidates and repairs."""
    return Sampling(top_p=config.sample_top_p, top_k=config.sample_top_k,
                    repeat_penalty=config.sample_repeat_penalty)


def add_usage(updates: list[dict]) -> dict:
    """Several usage updates of one node, summed per agent (one dict for the state)."""
    total: dict = {}
    for update in updates:
        for agent, stats in update.items():
            slot = total.setdefault(agent, {})
            for key, value in stats.items():
                slot[key] = slot.get(key, 0) + value
    return total
