"""Streamed chat completions (`stream: true`, server-sent events) put back together.

An OpenAI-compatible server streams `chat.completion.chunk` events: per choice `index`, a
`delta.content` piece (llama-server: one token each, with its `logprobs.content` entry when
asked), then a `finish_reason`, and — with `stream_options.include_usage` — a last event
with no choices but the `usage` (llama-server adds its `timings`). `StreamAssembler` turns
those events back into the body a non-streamed request would have returned, so the
client's one response path (texts, usage, cached tokens, log-probabilities) serves both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator

from serving.base import LLMError, OnDelta


class StreamCutOff(LLMError):
    """The event stream ended without `[DONE]`: the server stopped mid-answer. Over HTTP/1.0 or
    `Connection: close` without chunking, a server killed mid-stream looks like a clean end of
    the body, so this is the only sign that the text is partial."""


def sse_payloads(lines: Iterable[str]) -> Iterator[dict]:
    """The JSON payloads of `data:` lines, up to `[DONE]` (comments and blank lines skipped);
    `StreamCutOff` if the lines end before it."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        try:
            yield json.loads(payload)
        except ValueError as exc:
            raise LLMError(f"bad streamed event: {payload[:200]}") from exc
    raise StreamCutOff("the stream ended before its [DONE] event: the server stopped mid-answer")


class StreamAssembler:
    """Collects streamed chunks into a non-streamed response body; hands the first choice's
    text pieces to `on_delta` as they come and notes when the first one came."""

    def __init__(self, on_delta: OnDelta | None = None, started: float | None = None) -> None:
        self.on_delta = on_delta
        self.started = time.perf_counter() if started is None else started
        self.first_token_s: float | None = None
        self._texts: dict[int, list[str]] = {}
        self._reasons: dict[int, str] = {}
        self._logprobs: dict[int, list[dict]] = {}
        self._top: dict = {}  # model, usage, timings: whatever the events carry outside choices

    def feed(self, chunk: dict) -> None:
        """One parsed event."""
        for key in ("model", "usage", "timings"):
            if chunk.get(key):
                self._top[key] = chunk[key]
        for choice in chunk.get("choices") or []:
            index = int(choice.get("index") or 0)
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                self._texts.setdefault(index, []).append(piece)
                if index == 0:
                    self._first_piece(piece)
            entries = (choice.get("logprobs") or {}).get("content")
            if entries:
                self._logprobs.setdefault(index, []).extend(entries)
            if choice.get("finish_reason"):
                self._reasons[index] = choice["finish_reason"]

    def _first_piece(self, piece: str) -> None:
        if self.first_token_s is None:
            self.first_token_s = time.perf_counter() - self.started
        if self.on_delta is not None:
            self.on_delta(piece)

    def response(self) -> dict:
        """The body a non-streamed request would have returned."""
        indexes = sorted(set(self._texts) | set(self._reasons) | set(self._logprobs))
        choices = []
        for index in indexes:
            choice = {"index": index, "message": {"role": "assistant", "content": "".join(self._texts.get(index, []))},
                      "finish_reason": self._reasons.get(index, "")}
            if index in self._logprobs:
                choice["logprobs"] = {"content": self._logprobs[index]}
            choices.append(choice)
        return self._top | {"choices": choices}


def assemble(lines: Iterable[str], on_delta: OnDelta | None = None,
             started: float | None = None) -> tuple[dict, float | None]:
    """A whole event stream → (the non-streamed body, seconds to the first text of choice 0)."""
    assembler = StreamAssembler(on_delta, started)
    for chunk in sse_payloads(lines):
        assembler.feed(chunk)
    return assembler.response(), assembler.first_token_s
