"""An `LLM` over any OpenAI-compatible chat-completions server (llama-server, vLLM, Ollama).

Plain httpx rather than the openai SDK: we need a few server-specific behaviours the SDK
hides — how many choices one request may ask for (llama-server caps `n` at its slot count,
llama-cpp-python's server returns one choice whatever `n` says), sampler fields outside
the OpenAI schema (`top_k`, `min_p`, the repeat penalty's two spellings), and cached-token
counts read from the several places servers report them. `ServerTraits` holds those
differences; each engine (serving/engines.py) supplies its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from serving import server_keys
from serving.base import Completion, LLMError, Message, OnDelta, Sampling, Usage
from serving.sse import StreamCutOff, assemble

log = logging.getLogger(__name__)

# Status codes worth retrying: overload and transient server trouble, not bad requests.
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class ServerUnreachable(LLMError):
    """Nothing answers at the base URL."""


class _Transient(Exception):
    """An answer worth asking again for (overload, transient server trouble)."""


@dataclass(frozen=True)
class ServerTraits:
    """What a server does with a chat request, beyond the OpenAI schema.

    max_n: most choices one request may ask for (llama-server: its slot count; requests
        beyond are split). Servers that return fewer choices than asked are topped up anyway.
    repeat_penalty_key: the body field for `Sampling.repeat_penalty`.
    usage_counts_first_choice: the server's `usage.completion_tokens` covers only the first
        choice when n > 1 (llama-server merges per-choice results but keeps the first usage),
        so the other choices are counted from their log-probability entries.
    extra_body: fields every request carries (llama-server: `cache_prompt`)."""

    max_n: int = 128
    repeat_penalty_key: str = "repetition_penalty"
    usage_counts_first_choice: bool = False
    extra_body: dict = field(default_factory=dict)


GENERIC = ServerTraits()


def _cached_tokens(usage: dict, timings: dict) -> int:
    """Prompt tokens served from the prefix cache, wherever this server reports them
    (OpenAI/vLLM/llama-server: usage.prompt_tokens_details.cached_tokens; llama-server also
    timings.cache_n)."""
    details = usage.get("prompt_tokens_details") or {}
    return int(details.get("cached_tokens") or usage.get("cached_tokens") or timings.get("cache_n") or 0)


def _token_logprobs(choice: dict) -> list[float] | None:
    """The sampled tokens' log-probabilities of one choice (OpenAI `logprobs.content`)."""
    content = (choice.get("logprobs") or {}).get("content")
    if content is None:
        return None
    return [float(entry.get("logprob", 0.0)) for entry in content]


class OpenAICompatibleLLM:
    """Chat completions against `base_url` (e.g. http://127.0.0.1:8080/v1)."""

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        *,
        traits: ServerTraits = GENERIC,
        api_key: str | None = None,
        timeout_s: float = 600.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        alive: Callable[[], bool] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.traits = traits
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.alive = alive  # False when the server process we started has died (serving/supervisor.py)
        # the key of a server codeloop started or adopted (serving/server_keys.py) unless one is given
        api_key = api_key or server_keys.key_for(self.base_url) or "none"
        # The client is created lazily on first use, so constructing this object costs nothing.
        self._client_args = dict(
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            headers={"Authorization": f"Bearer {api_key}"},
            transport=transport,
        )
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(**self._client_args)
        return self._client

    def close(self) -> None:
        """Release the HTTP connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def request_body(
        self, messages: list[Message], *, n: int, max_tokens: int, temperature: float,
        stop: list[str] | None, sampling: Sampling | None, logprobs: bool,
    ) -> dict:
        """The JSON body of one chat request; sampler fields left None are not sent."""
        body = {"model": self.model, "messages": messages, "n": n, "max_tokens": max_tokens,
                "temperature": temperature, **self.traits.extra_body}
        if stop:
            body["stop"] = stop
        s = sampling or Sampling()
        for key, value in (("top_p", s.top_p), ("top_k", s.top_k), ("min_p", s.min_p),
                           (self.traits.repeat_penalty_key, s.repeat_penalty), ("seed", s.seed)):
            if value is not None:
                body[key] = value
        # llama-server reports only the first choice's completion tokens: per-token entries
        # count the others (top_logprobs=1 keeps them small).
        if logprobs or (n > 1 and self.traits.usage_counts_first_choice):
            body["logprobs"] = True
            body["top_logprobs"] = 1
        return body

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
        """Ask for `n` samples in as few requests as the server allows (one when n fits its
        `max_n`); if it returns fewer, ask again for the rest (the repeated prompt is then
        served from the server's prefix cache). With `on_delta` the requests are streamed
        (`stream: true`) and the first request's first choice is handed out as it arrives;
        the result is the same as without."""
        if n < 1:
            raise ValueError("n must be at least 1")
        started = time.perf_counter()
        texts: list[str] = []
        reasons: list[str] = []
        token_logprobs: list[list[float]] = []
        usage = Usage()
        model = self.model
        first_token_s = None
        while len(texts) < n:
            want = min(n - len(texts), self.traits.max_n)
            body = self.request_body(messages, n=want, max_tokens=max_tokens, temperature=temperature,
                                     stop=stop, sampling=sampling, logprobs=logprobs)
            if on_delta is not None:
                body |= {"stream": True, "stream_options": {"include_usage": True}}
            data, ttft = self._post("/chat/completions", body, on_delta if not texts else None, started)
            first_token_s = ttft if first_token_s is None else first_token_s
            choices = (data.get("choices") or [])[:want]
            if not choices:
                raise LLMError(f"server returned no choices: {str(data)[:200]}")
            raw_usage = data.get("usage") or {}
            completion_tokens = int(raw_usage.get("completion_tokens") or 0)
            if self.traits.usage_counts_first_choice:  # the usage is the first listed choice's
                completion_tokens += sum(len(_token_logprobs(c) or []) for c in choices[1:])
            for choice in sorted(choices, key=lambda c: c.get("index", 0)):
                texts.append((choice.get("message") or {}).get("content") or "")
                reasons.append(choice.get("finish_reason") or "")
                token_logprobs.append(_token_logprobs(choice) or [])
            usage = usage + Usage(
                int(raw_usage.get("prompt_tokens") or 0),
                completion_tokens,
                _cached_tokens(raw_usage, data.get("timings") or {}),
                1,
            )
            model = data.get("model") or model
        return Completion(texts, usage, time.perf_counter() - started, model, reasons,
                          token_logprobs if logprobs else None, first_token_s)

    def _post(self, path: str, body: dict, on_delta: OnDelta | None = None,
              started: float = 0.0) -> tuple[dict, float | None]:
        """POST with bounded retries and exponential backoff on transient failures; return
        the answer's body and, for a streamed request, the seconds from `started` to its
        first text. A stream that breaks off after it began is not retried (its text has
        been handed out)."""
        url = self.base_url + path
        last_error, lost = "", False
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                if body.get("stream"):
                    return self._stream(url, body, on_delta, started)
                return self._answer(url, self._http().post(url, json=body)), None
            except httpx.ConnectError as exc:
                last_error, lost = f"cannot connect to {self.base_url}: {exc}", True
            except httpx.TimeoutException as exc:
                last_error, lost = f"request to {self.base_url} timed out: {exc!r}", False
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:  # reset, closed mid-answer
                last_error, lost = f"lost the connection to {self.base_url}: {type(exc).__name__}: {exc}", True
            except httpx.HTTPError as exc:  # anything else from httpx: one line, never a traceback
                raise LLMError(f"request to {url} failed: {type(exc).__name__}: {exc}") from exc
            except _Transient as exc:
                last_error, lost = str(exc), False
                log.warning("retrying after %s", last_error)
            if lost and self.alive is not None and not self.alive():
                break  # the server process we started is gone: waiting will not bring it back
        if lost:  # refused, reset or cut off mid-answer (a server killed mid-request)
            raise ServerUnreachable(last_error)
        raise LLMError(f"gave up after {self.max_retries + 1} attempts: {last_error}")

    def _stream(self, url: str, body: dict, on_delta: OnDelta | None, started: float) -> tuple[dict, float | None]:
        """One streamed request, put back together (serving/sse.py). A server that answers
        with one JSON body instead (it ignores `stream`) hands out its whole first text."""
        with self._http().stream("POST", url, json=body) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                response.read()
                data = self._answer(url, response)
                text = ((data.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
                if on_delta is not None and text:
                    on_delta(text)
                return data, time.perf_counter() - started
            try:
                return assemble(response.iter_lines(), on_delta, started)
            except (httpx.NetworkError, httpx.RemoteProtocolError, StreamCutOff) as exc:  # died mid-answer
                raise ServerUnreachable(f"lost the connection to {self.base_url} mid-stream: "
                                        f"{type(exc).__name__}: {exc}") from exc
            except httpx.HTTPError as exc:
                raise LLMError(f"the stream from {url} broke off: {exc.__class__.__name__}: {exc}") from exc

    @staticmethod
    def _answer(url: str, response: httpx.Response) -> dict:
        """The JSON body of a finished response; `_Transient` for statuses worth retrying."""
        if response.status_code in _RETRY_STATUS:
            raise _Transient(f"{response.status_code} from {url}: {response.text[:200]}")
        if response.status_code >= 400:
            raise LLMError(f"{response.status_code} from {url}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError as exc:
            raise LLMError(f"non-JSON answer from {url}: {response.text[:200]}") from exc


def check_server(base_url: str, timeout_s: float = 5.0, api_key: str | None = None) -> str:
    """Return the first model id served at `base_url` (asked with `api_key`, else the key
    remembered for it), or raise `ServerUnreachable`."""
    key = api_key or server_keys.key_for(base_url)
    try:
        response = httpx.get(base_url.rstrip("/") + "/models", timeout=timeout_s,
                             headers={"Authorization": f"Bearer {key}"} if key else {})
        if response.status_code in (401, 403):
            raise ServerUnreachable(f"the server at {base_url} wants an API key ({response.status_code}): "
                                    f"{'the one given was refused' if key else 'give it in $' + server_keys.ENV_KEY}")
        response.raise_for_status()
        models = response.json().get("data") or [{}]
        return models[0].get("id", "default")
    except (httpx.HTTPError, ValueError) as exc:
        raise ServerUnreachable(f"no OpenAI-compatible server at {base_url} ({exc.__class__.__name__}: {exc})") from exc
