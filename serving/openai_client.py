"""An `LLM` over any OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama).

Plain httpx rather than the openai SDK: we need a few server-specific behaviours the SDK
hides — topping up `n` when a server ignores it (llama-cpp-python's server returns one
choice whatever `n` says) and reading cached-token counts from the several places servers
report them.
"""

from __future__ import annotations

import logging
import time

import httpx

from serving.base import Completion, LLMError, Message, Usage

log = logging.getLogger(__name__)

# Status codes worth retrying: overload and transient server trouble, not bad requests.
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class ServerUnreachable(LLMError):
    """Nothing answers at the base URL."""


def _cached_tokens(usage: dict) -> int:
    """Prompt tokens served from the prefix cache, wherever this server reports them."""
    details = usage.get("prompt_tokens_details") or {}
    return int(details.get("cached_tokens") or usage.get("cached_tokens") or 0)


class OpenAICompatibleLLM:
    """Chat completions against `base_url` (e.g. http://127.0.0.1:8080/v1)."""

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        *,
        api_key: str = "none",
        timeout_s: float = 600.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s
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

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        max_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> Completion:
        """Ask for `n` samples; if the server returns fewer, ask again for the rest
        (the repeated prompt is then served from the server's prefix cache)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        started = time.perf_counter()
        texts: list[str] = []
        reasons: list[str] = []
        usage = Usage()
        model = self.model
        while len(texts) < n:
            body = {
                "model": self.model,
                "messages": messages,
                "n": n - len(texts),
                "max_tokens": max_tokens,
                "temperature": temperature,
            }
            if stop:
                body["stop"] = stop
            data = self._post("/chat/completions", body)
            choices = data.get("choices") or []
            if not choices:
                raise LLMError(f"server returned no choices: {str(data)[:200]}")
            for choice in choices[: n - len(texts)]:
                texts.append((choice.get("message") or {}).get("content") or "")
                reasons.append(choice.get("finish_reason") or "")
            raw_usage = data.get("usage") or {}
            usage = usage + Usage(
                int(raw_usage.get("prompt_tokens") or 0),
                int(raw_usage.get("completion_tokens") or 0),
                _cached_tokens(raw_usage),
                1,
            )
            model = data.get("model") or model
        return Completion(texts, usage, time.perf_counter() - started, model, reasons)

    def _post(self, path: str, body: dict) -> dict:
        """POST with bounded retries and exponential backoff on transient failures."""
        url = self.base_url + path
        last_error = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = self._http().post(url, json=body)
            except httpx.ConnectError as exc:
                last_error = f"cannot connect to {self.base_url}: {exc}"
                continue
            except httpx.TimeoutException as exc:
                last_error = f"request to {self.base_url} timed out: {exc!r}"
                continue
            if response.status_code in _RETRY_STATUS:
                last_error = f"{response.status_code} from {url}: {response.text[:200]}"
                log.warning("retrying after %s", last_error)
                continue
            if response.status_code >= 400:
                raise LLMError(f"{response.status_code} from {url}: {response.text[:300]}")
            try:
                return response.json()
            except ValueError as exc:
                raise LLMError(f"non-JSON answer from {url}: {response.text[:200]}") from exc
        if last_error.startswith("cannot connect"):
            raise ServerUnreachable(last_error)
        raise LLMError(f"gave up after {self.max_retries + 1} attempts: {last_error}")


def check_server(base_url: str, timeout_s: float = 5.0) -> str:
    """Return the first model id served at `base_url`, or raise `ServerUnreachable`."""
    try:
        response = httpx.get(base_url.rstrip("/") + "/models", timeout=timeout_s)
        response.raise_for_status()
        models = response.json().get("data") or [{}]
        return models[0].get("id", "default")
    except (httpx.HTTPError, ValueError) as exc:
        raise ServerUnreachable(f"no OpenAI-compatible server at {base_url} ({exc.__class__.__name__}: {exc})") from exc
