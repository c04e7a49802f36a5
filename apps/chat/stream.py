"""Streamed replies: token deltas from an OpenAI-compatible server (`stream: true`, SSE),
or from any `LLM` by chunking its completion (FakeLLM in tests, `--no-stream`).

A generator (closing it closes the connection, which stops the server generating), where the
agents' client streams through a callback (`LLM.complete(on_delta=...)`); both read the
events with serving/sse.py. A server that ignores `stream` and answers with one JSON body is
handled too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from serving.base import LLM, LLMError, Message
from serving.server_keys import auth_headers
from serving.sse import sse_payloads


@dataclass
class ReplyStats:
    """What the last reply cost: tokens (server-reported or counted) and seconds to the
    first streamed token."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_s: float | None = None


class HTTPStreamer:
    """Streams chat completions from `base_url` (…/v1)."""

    def __init__(self, base_url: str, model: str, *, timeout_s: float = 600.0,
                 revive: Callable[[], None] | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.revive = revive  # restarts the embedded server if it died since the last turn
        self.model = model
        self.timeout = httpx.Timeout(timeout_s, connect=10.0)
        self.stats = ReplyStats()

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        """Yield text deltas; `self.stats` is filled as they arrive. Closing the generator
        (Ctrl-C) closes the connection, which makes the server stop generating."""
        self.stats = ReplyStats()
        if self.revive is not None:
            self.revive()
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
                "stream": True, "stream_options": {"include_usage": True}}
        try:
            with httpx.stream("POST", self.url, json=body, timeout=self.timeout,
                              headers=auth_headers(self.url)) as response:
                if response.status_code != 200:
                    response.read()
                    raise LLMError(f"the model server answered {response.status_code}: {response.text[:200]}")
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    yield from self._whole(json.loads(response.read()))
                    return
                yield from self._events(response.iter_lines())
        except httpx.HTTPError as exc:
            raise LLMError(f"streaming from {self.url} failed: {exc}") from exc

    def _whole(self, data: dict) -> Iterator[str]:
        usage = data.get("usage") or {}
        self.stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        self.stats.completion_tokens = int(usage.get("completion_tokens") or 0)
        text = (data.get("choices") or [{}])[0].get("message", {}).get("content") or ""
        yield text

    def _events(self, lines: Iterator[str]) -> Iterator[str]:
        counted = 0  # llama.cpp sends one token per event; used when no usage is reported
        for event in sse_payloads(lines):  # the same event parsing as the agents' client
            if event.get("usage"):
                self.stats.prompt_tokens = int(event["usage"].get("prompt_tokens") or 0)
                self.stats.completion_tokens = int(event["usage"].get("completion_tokens") or 0)
            for choice in event.get("choices") or []:
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    counted += 1
                    yield delta
        self.stats.completion_tokens = self.stats.completion_tokens or counted


class LLMStreamer:
    """Any `LLM` as a stream: one request, the text handed out in small pieces."""

    def __init__(self, llm: LLM, chunk_chars: int = 24) -> None:
        self.llm = llm
        self.chunk_chars = chunk_chars
        self.stats = ReplyStats()

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        """Yield the completion's text in `chunk_chars` pieces."""
        completion = self.llm.complete(messages, max_tokens=max_tokens, temperature=0.0)
        self.stats = ReplyStats(completion.usage.prompt_tokens, completion.usage.completion_tokens,
                                completion.latency_s)
        text = completion.texts[0] if completion.texts else ""
        for start in range(0, len(text), self.chunk_chars):
            yield text[start:start + self.chunk_chars]
