"""The control unit's context budget: what enters each model call, and what happens when
it would not fit.

A step's prompt is built from sections in priority order (the instruction and its
requirements always whole; the files it names, the file index, the spec overview and the
previous summary excerpted as needed) so that prompt + answer + a reserve (~15 % of the
context) never exceed the server's context. Tokens are counted with the server's own
tokenizer when it has one (`/extras/tokenize/count` on llama-cpp-python's server,
`/tokenize` on upstream llama-server), else with the tokenizer inside the model's GGUF
file (memory/gguf_tokenizer.py), and estimated from characters only without either.

Within a step, each repair adds an exchange (answer, test report). When the conversation
no longer fits, `fit_exchanges` drops the oldest exchanges; the build graph then asks for a
progress summary and restarts the step from a fresh context (bounded restarts), as L2MAC
does.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import httpx

from serving.base import Message
from serving.server_keys import auth_headers

log = logging.getLogger(__name__)

MESSAGE_OVERHEAD = 8  # chat-template tokens around each message (role markers, newlines)
OMITTED = "… ({n} lines omitted to fit the context) …"
MARKER_CHARS = len(OMITTED) + 8


class ContextOverflow(Exception):
    """Even with every flexible section cut, the required parts do not fit the budget."""


class TokenCounter(Protocol):
    """Counts the tokens of a text as the serving model would."""

    def count(self, text: str) -> int: ...


class CharCounter:
    """An estimate from characters (code averages ~3.5 characters per token on Qwen's
    tokenizer); used with FakeLLM and when the server cannot tokenize."""

    def __init__(self, chars_per_token: float = 3.5) -> None:
        self.chars_per_token = chars_per_token

    def count(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token)


class ServerCounter:
    """The server's tokenizer over HTTP, with a character estimate as the fallback.

    Nothing touches the network until the first `count`. A server without a tokenize
    endpoint is asked once; afterwards the fallback answers. Counts are cached by text."""

    def __init__(self, base_url: str, fallback: TokenCounter | None = None, timeout_s: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        root = base_url.rstrip("/")
        self.root = root[: -len("/v1")] if root.endswith("/v1") else root
        self.fallback = fallback or CharCounter()
        self._timeout_s = timeout_s
        self._transport = transport
        self._route: str | None = None  # "" once known to be missing
        self._cache: OrderedDict[str, int] = OrderedDict()

    def count(self, text: str) -> int:
        if text in self._cache:
            self._cache.move_to_end(text)
            return self._cache[text]
        n = self._ask(text)
        self._cache[text] = n
        if len(self._cache) > 512:
            self._cache.popitem(last=False)
        return n

    def _ask(self, text: str) -> int:
        routes = [self._route] if self._route else ["/extras/tokenize/count", "/tokenize"]
        if self._route == "":
            return self.fallback.count(text)
        for route in routes:
            try:
                # the embedded server wants its API key on /tokenize too (serving/server_keys.py)
                with httpx.Client(timeout=self._timeout_s, transport=self._transport,
                                  headers=auth_headers(self.root)) as http:
                    body = {"input": text} if route.startswith("/extras") else {"content": text}
                    reply = http.post(self.root + route, json=body)
                if reply.status_code == 200:
                    data = reply.json()
                    self._route = route
                    return int(data["count"]) if "count" in data else len(data["tokens"])
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                log.debug("tokenize via %s failed: %s", route, exc)
        log.info("the server at %s cannot tokenize; estimating tokens from characters", self.root)
        self._route = ""
        return self.fallback.count(text)


@functools.cache
def token_counter(base_url: str | None = None, model: str | None = None) -> TokenCounter:
    """One shared counter per server: its tokenizer (counts cached, asked over HTTP). When it
    cannot tokenize, or without a server: the tokenizer inside `model`'s GGUF file, if that
    file is local and the `tokenizer` extra installed (memory/gguf_tokenizer.py); else the
    character estimate."""
    from memory.gguf_tokenizer import gguf_counter

    local = gguf_counter(model) or CharCounter()
    return ServerCounter(base_url, fallback=local) if base_url else local


def count_tokens(text: str, base_url: str | None = None, model: str | None = None) -> int:
    """Tokens of `text` as the model served at `base_url` (or `model`) counts them (see `token_counter`).
    On the 200 agent prompts of benchmarks/token_estimate.py the character estimates were
    off by 8-25 % on average and up to 40 % on one prompt (token-estimate-2026-11-27.md)."""
    return token_counter(base_url, model).count(text)


@dataclass(frozen=True)
class Budget:
    """The context window split: prompt + answer room + reserve = n_ctx."""

    n_ctx: int = 4096
    max_tokens: int = 1024  # room kept for the answer
    reserve_frac: float = 0.15  # margin for tokenizer/template differences

    @property
    def prompt_limit(self) -> int:
        """The most prompt tokens one call may send."""
        return self.n_ctx - self.max_tokens - int(self.n_ctx * self.reserve_frac)


@dataclass
class Section:
    """One part of a step prompt. `shrink` orders what is cut first (higher first);
    0 means never cut (the instruction, its requirements)."""

    title: str
    text: str
    shrink: int = 0
    fence: str = ""  # e.g. "python": the text is shown as a fenced block

    def render(self) -> str:
        body = f"```{self.fence}\n{self.text.rstrip()}\n```" if self.fence else self.text.rstrip()
        return f"## {self.title}\n{body}\n" if self.title else body + "\n"


def messages_tokens(counter: TokenCounter, messages: list[Message]) -> int:
    """Prompt tokens of a chat, template overhead included."""
    return sum(counter.count(m["content"]) + MESSAGE_OVERHEAD for m in messages) + MESSAGE_OVERHEAD


def excerpt(text: str, max_chars: int) -> str:
    """`text` cut to about `max_chars`: its head and tail lines with a marker between
    (the head holds imports and docstrings, the tail the latest definitions)."""
    if len(text) <= max_chars:
        return text
    lines = text.splitlines()
    head: list[str] = []
    tail: list[str] = []
    max_chars -= MARKER_CHARS  # the marker line counts too: the result stays within max_chars
    room = max_chars // 2
    for line in lines:
        if len(line) + 1 > room:
            break
        head.append(line)
        room -= len(line) + 1
    room += max_chars - max_chars // 2
    for line in reversed(lines[len(head):]):
        if len(line) + 1 > room:
            break
        tail.append(line)
        room -= len(line) + 1
    omitted = len(lines) - len(head) - len(tail)
    return "\n".join([*head, OMITTED.format(n=omitted), *reversed(tail)])


def compose(counter: TokenCounter, sections: list[Section], allowance: int) -> tuple[str, list[str]]:
    """Render `sections` within `allowance` tokens; returns the text and the titles cut.

    Flexible sections are cut (highest `shrink` first), each down to nothing if needed;
    counting is repeated after each cut because the tokens per character vary."""
    cut: list[str] = []
    work = [Section(s.title, s.text, s.shrink, s.fence) for s in sections]
    limits = {id(s): len(s.text) for s in work}  # chars each section may keep; cut from its original
    originals = {id(s): s.text for s in work}
    for _ in range(8):
        text = "\n".join(s.render() for s in work if s.text.strip())
        used = counter.count(text)
        if used <= allowance:
            return text, cut
        # characters to remove: the excess at this text's own chars/token, plus 10 % margin
        need = int((used - allowance) * len(text) / max(used, 1) * 1.1) + 1
        flexible = sorted((s for s in work if s.shrink and s.text), key=lambda s: -s.shrink)
        if not flexible:
            raise ContextOverflow(f"the step's required parts need {used} tokens, the budget is {allowance}")
        for section in flexible:
            if need <= 0:
                break
            keep = max(0, min(limits[id(section)], len(section.text)) - need)
            keep = keep if keep >= 200 else 0  # a tiny excerpt helps no one
            need -= len(section.text) - keep
            limits[id(section)] = keep
            section.text = excerpt(originals[id(section)], keep) if keep else ""
            if section.title not in cut:
                cut.append(section.title)
    raise ContextOverflow(f"could not fit the step into {allowance} tokens")


def fit_exchanges(counter: TokenCounter, budget: Budget, messages: list[Message], head: int) -> tuple[list[Message], int]:
    """Drop the oldest exchanges (assistant answer + user report pairs after the first
    `head` messages) until the chat fits; returns the chat and how many were dropped.

    The last user message always stays. ContextOverflow when even that does not fit."""
    kept = list(messages)
    dropped = 0
    while messages_tokens(counter, kept) > budget.prompt_limit:
        if len(kept) - head < 3:  # only the final request is left after the head
            raise ContextOverflow(f"the step's context does not fit {budget.prompt_limit} prompt tokens")
        del kept[head:head + 2]
        dropped += 1
    return kept, dropped
