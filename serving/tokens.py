"""The one token counter: how many tokens a text is for the serving model, shared by the
build's context budget, chat's `/tokens` and anything else that must fit a context window.

In order of preference: the server's own tokenizer over HTTP (`/extras/tokenize/count` on
llama-cpp-python's server, `/tokenize` on upstream llama-server); else the tokenizer inside the
model's GGUF file; else an estimate from characters.

A GGUF file carries its tokenizer (vocabulary, merges, special tokens) in its metadata;
`transformers` rebuilds a fast tokenizer from it (`AutoTokenizer.from_pretrained(folder,
gguf_file=name)`, reading the metadata with the `gguf` package), with no download. Both are
the `tokenizer` extra. When the extra is missing or the file's tokenizer cannot be rebuilt,
counting falls back to the character estimate, said once in the log.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import httpx

from serving.models import ModelError, resolve
from serving.server_keys import auth_headers

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install -e '.[tokenizer]'"


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


class TokenizerUnavailable(Exception):
    """The GGUF's tokenizer cannot be loaded here (extra missing, or an unsupported file)."""


def load_gguf_tokenizer(path: Path):
    """A transformers tokenizer rebuilt from the GGUF file at `path`, offline."""
    try:
        import gguf  # noqa: F401  (transformers reads the GGUF metadata with it)
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise TokenizerUnavailable(f"counting with the model's own tokenizer needs the tokenizer extra: "
                                   f"{EXTRA_HINT}") from exc
    try:
        return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name, local_files_only=True)
    except Exception as exc:  # transformers raises many kinds for a GGUF it cannot read
        raise TokenizerUnavailable(f"cannot rebuild the tokenizer of {path.name}: "
                                   f"{exc.__class__.__name__}: {exc}".splitlines()[0]) from exc


class GGUFTokenCounter:
    """Counts tokens with the tokenizer inside a GGUF file (loaded on the first count, which
    takes seconds); `fallback` answers when it cannot be loaded. Counts exclude the BOS and
    other special tokens, as llama-server's `/tokenize` does by default."""

    def __init__(self, path: str | Path, fallback=None) -> None:
        self.path = Path(path)
        self.fallback = fallback or CharCounter()
        self._tokenizer = None
        self._failed = False

    def count(self, text: str) -> int:
        """Tokens in `text` by the GGUF's tokenizer (the fallback's estimate without it)."""
        if self._tokenizer is None and not self._failed:
            try:
                self._tokenizer = load_gguf_tokenizer(self.path)
            except TokenizerUnavailable as exc:
                log.info("%s; estimating tokens from characters", exc)
                self._failed = True
        if self._tokenizer is None:
            return self.fallback.count(text)
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])


def gguf_counter(model: str | Path | None) -> GGUFTokenCounter | None:
    """The counter for a model name or .gguf path whose file is on this machine, or None
    (nothing is downloaded for counting)."""
    if not model:
        return None
    try:
        return GGUFTokenCounter(resolve(str(model), download=False))
    except ModelError as exc:
        log.info("no local GGUF for %s (%s): no tokenizer to count with", model, exc)
        return None


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
    file is local and the `tokenizer` extra installed; else the character estimate."""
    local = gguf_counter(model) or CharCounter()
    return ServerCounter(base_url, fallback=local) if base_url else local


def count_tokens(text: str, base_url: str | None = None, model: str | None = None) -> int:
    """Tokens of `text` as the model served at `base_url` (or `model`) counts them (see `token_counter`).
    On the 200 agent prompts of benchmarks/token_estimate.py the character estimates were
    off by 8-25 % on average and up to 40 % on one prompt (token-estimate-2026-11-27.md)."""
    return token_counter(base_url, model).count(text)
