"""One model call with the accounting every agent needs, streamed when the run asks.

Token streaming goes through LangGraph's own channel: a run started with
`{"configurable": {STREAM_TOKENS: True}}` and `stream_mode` including "custom" (as
`solve_task(on_token=...)` does) gets, per model call, a `{"agent", "call": "start"}`
event (again when the call starts over after a server restart), `{"agent", "delta": text}`
events as the first choice is generated, and a
`{"agent", "call": "end", "first_token_s", "seconds", "completion_tokens"}` event. Other
runs (batch, invoke) make the same non-streamed requests as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from serving.base import LLM, Completion, Message, Sampling

STREAM_TOKENS = "codeloop_stream_tokens"  # the run config key that turns token streaming on


def stream_writer() -> Callable[[dict], None] | None:
    """LangGraph's custom-event writer when this node runs in a graph run that asked for
    tokens; None otherwise (outside a graph, or a run nobody streams)."""
    from langgraph.config import get_config, get_stream_writer

    try:
        if not (get_config().get("configurable") or {}).get(STREAM_TOKENS):
            return None
        return get_stream_writer()
    except (RuntimeError, KeyError):  # not inside a graph run
        return None


def timed_complete(llm: LLM, agent: str, messages: list[Message], *, n: int = 1, max_tokens: int,
                   temperature: float, sampling: Sampling | None = None,
                   logprobs: bool = False) -> tuple[Completion, dict]:
    """Call the model; return the completion and a usage update keyed by `agent`
    (`seconds` is the agent's time, here all of it `model_s`: waiting for the model; a
    streamed call adds `first_token_s` and `streamed: 1`, so their ratio is the mean)."""
    writer = stream_writer()
    extra = {} if writer is None else {"on_delta": lambda piece: writer(_token_event(agent, n, piece))}
    if writer is not None:
        writer({"agent": agent, "call": "start", "n": n})
    started = time.perf_counter()
    completion = llm.complete(messages, n=n, max_tokens=max_tokens, temperature=temperature,
                              sampling=sampling, logprobs=logprobs, **extra)
    seconds = time.perf_counter() - started
    usage = completion.usage
    stats = {
        "calls": usage.calls or 1,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_tokens": usage.cached_tokens,
        "seconds": seconds,
        "model_s": seconds,
    }
    if completion.first_token_s is not None:
        stats |= {"first_token_s": completion.first_token_s, "streamed": 1}
    if writer is not None:
        writer({"agent": agent, "call": "end", "first_token_s": completion.first_token_s, "seconds": seconds,
                "completion_tokens": usage.completion_tokens})
    return completion, {agent: stats}


def _token_event(agent: str, n: int, piece: str) -> dict:
    """The custom event for one streamed delta; an empty one (the call starts over after a
    server restart) is a new "call start", so the display drops the text it showed."""
    if not piece:
        return {"agent": agent, "call": "start", "n": n}
    return {"agent": agent, "delta": piece}


def first_token(update: dict) -> dict:
    """`{"first_token_s": x}` for a node's event when its call(s) were streamed, else {}
    (x: the mean time to the first token over the node's streamed calls)."""
    for stats in update.values():
        if stats.get("streamed"):
            return {"first_token_s": round(stats["first_token_s"] / stats["streamed"], 3)}
    return {}
