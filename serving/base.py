"""The LLM protocol and its value types (docs/ARCHITECTURE.md, Interfaces).

Every agent talks to a model only through `LLM.complete`. Backends: the OpenAI-compatible
HTTP client (llama-server, vLLM, Ollama, llama-cpp-python) and the scripted `FakeLLM` for tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict

# Receives each streamed text delta of the first choice; an empty delta says the call starts
# over (its server was restarted mid-answer), so the text handed out so far is void.
OnDelta = Callable[[str], None]


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMError(Exception):
    """The model could not produce a completion (server down, bad answer, retries spent)."""


class ServerLost(LLMError):
    """The model server stopped answering and could not be brought back (not ours to
    restart, or its restarts are spent): a batch stops here, keeping its finished records."""


@dataclass
class Usage:
    """Token accounting for one or more calls. `cached_tokens` are prompt tokens the
    server reports as served from its prefix cache (0 when it does not report them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    calls: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            self.calls + other.calls,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Sampling:
    """Sampler settings beyond temperature; None leaves the server's default in place.

    `repeat_penalty` is llama.cpp's name (vLLM calls it `repetition_penalty`; the client
    translates). A fixed `seed` with n > 1 still gives n different samples on llama-server
    (each child slot adds its index to the seed)."""

    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None
    seed: int | None = None


@dataclass
class Completion:
    """The texts of one request (n of them) with usage, latency and the serving model id.

    `logprobs` (only when asked for) holds, per text, the log-probabilities of its sampled
    tokens; `mean_logprob(i)` is the selector's tie-break. `first_token_s` is the time to the
    first streamed text (only for calls made with `on_delta`)."""

    texts: list[str]
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    finish_reasons: list[str] = field(default_factory=list)
    logprobs: list[list[float]] | None = None
    first_token_s: float | None = None

    def mean_logprob(self, index: int) -> float | None:
        """Mean log-probability of text `index`'s tokens, or None when not reported."""
        if not self.logprobs or index >= len(self.logprobs) or not self.logprobs[index]:
            return None
        values = self.logprobs[index]
        return sum(values) / len(values)


class LLM(Protocol):
    """A chat model. `n` > 1 asks for several samples of one prompt (one request where the
    server can share the prompt between them); `sampling` sets the other sampler knobs;
    `logprobs=True` asks for per-token log-probabilities.

    `on_delta` (None: not streamed) is called with each piece of the first choice's text as
    it is generated; the call still returns the whole `Completion`. Only the first choice
    is streamed: with n > 1 the samples arrive interleaved, and one readable text is what a
    person watching wants, while the request itself (and its n) stays as it would be."""

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
    ) -> Completion: ...
