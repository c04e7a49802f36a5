"""A scripted LLM for tests: returns the given outputs in order, fails loudly when spent.

It never looks at the prompt (fakes that inspect prompt text couple tests to wording);
tests assert on what the system does with the answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from serving.base import Completion, LLMError, Message, OnDelta, Sampling, Usage

# A "token" of a scripted text when it is streamed: a word with the whitespace before it.
_PIECE = re.compile(r"\s*\S+|\s+")


def pieces(text: str) -> list[str]:
    """`text` cut where a tokenizer roughly would (they concatenate back to `text`)."""
    return _PIECE.findall(text)


class FakeLLMExhausted(LLMError):
    """The test asked for more completions than it scripted."""


class FakeLLM:
    """Hands out `outputs` one text per sample: a call with n=3 consumes three outputs.

    Usage is counted roughly (4 characters per token) so accounting code has numbers to add.
    `calls` keeps every request's messages for tests that check what was sent.
    """

    def __init__(self, outputs: Sequence[str], model: str = "fake",
                 logprobs: Sequence[float] | None = None) -> None:
        """`logprobs`, when given, is one scripted mean log-probability per output, handed
        out (as a one-token list) to calls that ask for log-probabilities."""
        self._outputs = list(outputs)
        self._logprobs = list(logprobs) if logprobs is not None else None
        self._next = 0
        self.model = model
        self.calls: list[list[Message]] = []

    @property
    def remaining(self) -> int:
        """How many scripted outputs are still unused."""
        return len(self._outputs) - self._next

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        max_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        sampling: Sampling | None = None,
        logprobs: bool = False,
        on_delta: OnDelta | None = None,
    ) -> Completion:
        """Return the next `n` scripted outputs (with their scripted log-probabilities when
        asked for and scripted); with `on_delta`, the first one is handed out in pieces
        (`pieces`) first, as a streaming server would."""
        if self.remaining < n:
            raise FakeLLMExhausted(
                f"FakeLLM ran out of scripted outputs: asked for {n}, {self.remaining} left "
                f"after {len(self.calls)} calls"
            )
        texts = self._outputs[self._next : self._next + n]
        scripted = self._logprobs[self._next : self._next + n] if self._logprobs is not None else None
        self._next += n
        self.calls.append(list(messages))
        prompt_tokens = sum(len(m["content"]) for m in messages) // 4
        usage = Usage(prompt_tokens, sum(len(t) for t in texts) // 4, 0, 1)
        token_logprobs = [[value] for value in scripted] if logprobs and scripted is not None else None
        for piece in pieces(texts[0]) if on_delta is not None else []:
            on_delta(piece)
        return Completion(texts=texts, usage=usage, latency_s=0.0, model=self.model, finish_reasons=["stop"] * n,
                          logprobs=token_logprobs, first_token_s=0.0 if on_delta is not None else None)
