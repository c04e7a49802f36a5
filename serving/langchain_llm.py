"""Any LangChain chat model as an `LLM`: `--llm langchain:MODULE:FACTORY` (the `langchain` extra).

`load_chat_model("langchain:my_models:make")` imports `my_models` (the current directory is
searched last) and calls `make()` — or takes `make` itself when it already is a chat model.
`LangChainLLM(model)` then answers `complete(...)` through the model's `generate`:

- messages become System/Human/AI messages;
- `temperature`, `max_tokens`, `top_p`, `seed`, ... are passed as call parameters, and only
  when the model declares a field of that meaning (under its own name: `num_predict` for
  Ollama's `max_tokens`), so a provider never receives a parameter it does not know;
- `n` > 1 is one request when the model has an `n` field (the OpenAI family), otherwise
  `n` prompts in one `generate` call;
- usage comes from each answer's `usage_metadata` (cached prompt tokens from
  `input_token_details.cache_read`); a model that reports none is estimated at 4 characters
  per token, like `FakeLLM`, so token budgets still hold;
- any error the model raises becomes an `LLMError` naming the model's class.

langchain_core is imported only when a model is loaded or adapted, so this module imports
without the extra; a missing extra is a one-line `LangChainMissing` naming it.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

from serving.base import Completion, LLMError, Message, OnDelta, Sampling, Usage
from settings.errors import BadInput

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install -e '.[langchain]'"
SCHEME = "langchain"

# Our parameter -> the field names chat models use for it (first declared one wins).
PARAM_FIELDS: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",),
    "max_tokens": ("max_tokens", "max_completion_tokens", "max_output_tokens", "num_predict", "max_new_tokens"),
    "top_p": ("top_p",),
    "top_k": ("top_k",),
    "min_p": ("min_p",),
    "repeat_penalty": ("repeat_penalty", "repetition_penalty"),
    "seed": ("seed", "random_seed"),
    "logprobs": ("logprobs",),
    "n": ("n",),
}


class LangChainMissing(LLMError, BadInput):
    """langchain-core is not installed (asked for without its extra: exit code 2)."""


def _core():
    """The langchain_core pieces we use, or `LangChainMissing` naming the extra."""
    try:
        from langchain_core.language_models import BaseChatModel
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    except ImportError as exc:
        raise LangChainMissing(f"LangChain models need the langchain extra: {EXTRA_HINT}") from exc
    return BaseChatModel, {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def parse_spec(spec: str) -> tuple[str, str]:
    """`langchain:MODULE:FACTORY` -> (MODULE, FACTORY); a ValueError saying the form otherwise."""
    scheme, _, rest = spec.partition(":")
    module, _, factory = rest.rpartition(":")
    if scheme != SCHEME or not module or not factory:
        raise BadInput(f"--llm must look like langchain:MODULE:FACTORY (e.g. langchain:my_models:make), got {spec!r}")
    return module, factory


def load_chat_model(spec: str, args: dict | None = None) -> Any:
    """Import MODULE, take FACTORY from it, call it (with `args` as keyword arguments: the
    config file's `[llm] args`) unless it already is a chat model, and check that the result
    is a LangChain `BaseChatModel`."""
    base_chat_model, _ = _core()
    module_name, factory_name = parse_spec(spec)
    cwd = str(Path.cwd())
    added = cwd not in sys.path
    if added:
        sys.path.append(cwd)  # last: a module of the user's in the working directory, never shadowing
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadInput(f"--llm {spec}: cannot import {module_name!r} ({exc})") from exc
    finally:
        if added:
            sys.path.remove(cwd)
    factory = getattr(module, factory_name, None)
    if factory is None:
        raise BadInput(f"--llm {spec}: module {module_name!r} has no {factory_name!r}")
    if isinstance(factory, base_chat_model):
        if args:
            raise BadInput(f"--llm {spec}: {factory_name!r} is a chat model, not a factory: [llm] args do not apply")
        model = factory
    elif callable(factory):
        try:
            model = factory(**(args or {}))
        except Exception as exc:  # the user's factory: any failure is theirs, told in one line
            raise LLMError(f"--llm {spec}: {factory_name}() failed: {exc.__class__.__name__}: {exc}".splitlines()[0]) from exc
    else:
        raise BadInput(f"--llm {spec}: {factory_name!r} is neither a chat model nor a callable")
    if not isinstance(model, base_chat_model):
        raise BadInput(f"--llm {spec}: {factory_name} gave a {type(model).__name__}, not a LangChain BaseChatModel")
    return model


def model_id(model: Any) -> str:
    """The model's own name (`model_name`/`model`) or, failing that, its class name."""
    for attr in ("model_name", "model", "model_id"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


def _estimate(text: str) -> int:
    return len(text) // 4


def _usage(message: Any, prompt_chars: int) -> Usage:
    """One answer's usage from its `usage_metadata`, or an estimate when it has none."""
    meta = getattr(message, "usage_metadata", None)
    if not meta:
        return Usage(prompt_chars // 4, _estimate(_text(message)), 0, 1)
    details = meta.get("input_token_details") or {}
    return Usage(int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0),
                 int(details.get("cache_read") or 0), 1)


def _text(message: Any) -> str:
    """The answer's text (content blocks joined when the model returns a list)."""
    text = getattr(message, "text", None)
    if isinstance(text, str):
        return text
    if callable(text):  # older langchain_core: a method
        return text()
    content = getattr(message, "content", "")
    return content if isinstance(content, str) else str(content)


def _finish_reason(generation: Any) -> str:
    info = generation.generation_info or {}
    meta = getattr(generation.message, "response_metadata", None) or {}
    return str(info.get("finish_reason") or meta.get("finish_reason") or meta.get("stop_reason") or "")


def _logprobs(generation: Any) -> list[float]:
    """The sampled tokens' log-probabilities, where the model reports them (OpenAI format)."""
    info = generation.generation_info or {}
    meta = getattr(generation.message, "response_metadata", None) or {}
    content = ((info.get("logprobs") or meta.get("logprobs")) or {}).get("content") or []
    return [float(entry.get("logprob", 0.0)) for entry in content if isinstance(entry, dict)]


class LangChainLLM:
    """The `LLM` protocol over a LangChain `BaseChatModel`."""

    def __init__(self, chat_model: Any, *, model: str | None = None) -> None:
        _, self._roles = _core()
        self.chat_model = chat_model
        self.model = model or model_id(chat_model)
        declared = set(type(chat_model).model_fields) if hasattr(type(chat_model), "model_fields") else set()
        self._fields = {ours: next((name for name in names if name in declared), None)
                        for ours, names in PARAM_FIELDS.items()}
        # one request for n answers only where the model can (an `n` field) and is not
        # set to stream (streaming requests carry a single choice)
        self._one_request_n = self._fields["n"] is not None and not getattr(chat_model, "streaming", False)

    def close(self) -> None:
        """Nothing to release (the chat model owns its clients)."""

    def _messages(self, messages: list[Message]) -> list:
        try:
            return [self._roles[m["role"]](content=m["content"]) for m in messages]
        except KeyError as exc:
            raise ValueError(f"unknown message role {exc}") from exc

    def _params(self, *, max_tokens: int, temperature: float, sampling: Sampling | None,
                logprobs: bool) -> dict:
        """Call parameters under the model's own field names, only those it declares."""
        s = sampling or Sampling()
        wanted = {"temperature": temperature, "max_tokens": max_tokens, "top_p": s.top_p, "top_k": s.top_k,
                  "min_p": s.min_p, "repeat_penalty": s.repeat_penalty, "seed": s.seed,
                  "logprobs": True if logprobs else None}
        params = {}
        for ours, value in wanted.items():
            field = self._fields[ours]
            if value is not None and field is not None:
                params[field] = value
            elif value is not None and ours not in ("logprobs",):
                log.debug("%s has no field for %s; not sent", type(self.chat_model).__name__, ours)
        return params

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
        """`n` answers to `messages`: one request when the model takes `n`, else `n` prompts
        in one `generate`; topped up with more requests if a model returns fewer. With
        `on_delta`, one answer is streamed through the model's `stream`; several are
        generated as without it and the first one is handed out whole."""
        if n < 1:
            raise ValueError("n must be at least 1")
        prompt = self._messages(messages)
        prompt_chars = sum(len(m["content"]) for m in messages)
        params = self._params(max_tokens=max_tokens, temperature=temperature, sampling=sampling, logprobs=logprobs)
        started = time.perf_counter()
        if on_delta is not None and n == 1:
            return self._streamed(prompt, prompt_chars, params, stop, on_delta, logprobs, started)
        completion = self._generated(prompt, prompt_chars, params, n, stop, logprobs, started)
        if on_delta is not None and completion.texts[0]:
            on_delta(completion.texts[0])
            completion.first_token_s = completion.latency_s
        return completion

    def _streamed(self, prompt: list, prompt_chars: int, params: dict, stop: list[str] | None,
                  on_delta: OnDelta, logprobs: bool, started: float) -> Completion:
        """One answer through `chat_model.stream`, its chunks handed out as they come."""
        whole = None
        first_token_s = None
        try:
            for chunk in self.chat_model.stream(prompt, stop=stop or None, **params):
                piece = _text(chunk)
                if piece:
                    first_token_s = time.perf_counter() - started if first_token_s is None else first_token_s
                    on_delta(piece)
                whole = chunk if whole is None else whole + chunk
        except Exception as exc:  # the provider's own error types: all become LLMError here
            raise LLMError(f"{type(self.chat_model).__name__} failed: {exc.__class__.__name__}: {exc}") from exc
        if whole is None:
            raise LLMError(f"{type(self.chat_model).__name__} returned no answer")
        meta = getattr(whole, "response_metadata", None) or {}
        content = (meta.get("logprobs") or {}).get("content") or []
        token_logprobs = [[float(e.get("logprob", 0.0)) for e in content if isinstance(e, dict)]]
        return Completion([_text(whole)], _usage(whole, prompt_chars), time.perf_counter() - started,
                          str(meta.get("model_name") or meta.get("model") or self.model),
                          [str(meta.get("finish_reason") or "")], token_logprobs if logprobs else None, first_token_s)

    def _generated(self, prompt: list, prompt_chars: int, params: dict, n: int, stop: list[str] | None,
                   logprobs: bool, started: float) -> Completion:
        """`n` answers through `chat_model.generate` (see `complete`)."""
        texts: list[str] = []
        reasons: list[str] = []
        token_logprobs: list[list[float]] = []
        usage = Usage()
        model = self.model
        while len(texts) < n:
            want = n - len(texts)
            one_request = self._one_request_n and want > 1
            batch = [prompt] if one_request or want == 1 else [prompt] * want
            extra = {self._fields["n"]: want} if one_request else {}
            try:
                result = self.chat_model.generate(batch, stop=stop or None, **params, **extra)
            except Exception as exc:  # the provider's own error types: all become LLMError here
                raise LLMError(f"{type(self.chat_model).__name__} failed: {exc.__class__.__name__}: {exc}") from exc
            got = 0
            for generations in result.generations:
                if not generations:
                    continue
                shared_info = len(generations) > 1 and all(
                    g.generation_info is generations[0].generation_info for g in generations)
                # one request's answers carry that request's usage each (langchain-openai): count it once
                usage = usage + _usage(generations[0].message, prompt_chars)
                for index, generation in enumerate(generations[:want - got]):
                    if index:
                        usage.completion_tokens += 0 if getattr(generation.message, "usage_metadata", None) \
                            else _estimate(_text(generation.message))
                    texts.append(_text(generation.message))
                    reasons.append(_finish_reason(generation))
                    # a generation_info dict shared by all choices holds only one choice's log-probs
                    token_logprobs.append([] if shared_info else _logprobs(generation))
                    got += 1
                meta = getattr(generations[0].message, "response_metadata", None) or {}
                model = str(meta.get("model_name") or meta.get("model") or model)
            if not got:
                raise LLMError(f"{type(self.chat_model).__name__} returned no answer")
        return Completion(texts, usage, time.perf_counter() - started, model, reasons,
                          token_logprobs if logprobs else None)
