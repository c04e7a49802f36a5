"""The OpenAI-compatible client against scripted HTTP answers (httpx.MockTransport)."""

import json

import httpx
import pytest

from serving.base import LLMError
from serving.openai_client import OpenAICompatibleLLM, ServerUnreachable

MESSAGES = [{"role": "user", "content": "hi"}]


def answer(texts, usage=None):
    body = {
        "model": "m",
        "choices": [{"message": {"content": t}, "finish_reason": "stop"} for t in texts],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 3},
    }
    return httpx.Response(200, json=body)


def client(handler, **kw):
    return OpenAICompatibleLLM("http://x/v1", transport=httpx.MockTransport(handler), backoff_s=0, **kw)


def test_tops_up_n_when_server_returns_one_choice():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return answer([f"t{len(bodies)}"])

    completion = client(handler).complete(MESSAGES, n=3, max_tokens=5, stop=["\n\n"])
    assert completion.texts == ["t1", "t2", "t3"]
    assert [b["n"] for b in bodies] == [3, 2, 1]
    assert bodies[0]["stop"] == ["\n\n"] and bodies[0]["max_tokens"] == 5
    assert completion.usage.calls == 3 and completion.usage.prompt_tokens == 30


def test_uses_all_choices_when_server_honours_n():
    completion = client(lambda r: answer(["a", "b"])).complete(MESSAGES, n=2, max_tokens=5)
    assert completion.texts == ["a", "b"] and completion.usage.calls == 1


@pytest.mark.parametrize(
    "usage,expected",
    [
        ({"prompt_tokens": 9, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 7}}, 7),
        ({"prompt_tokens": 9, "completion_tokens": 1}, 0),
    ],
)
def test_reports_cached_prompt_tokens(usage, expected):
    completion = client(lambda r: answer(["a"], usage)).complete(MESSAGES, max_tokens=5)
    assert completion.usage.cached_tokens == expected


def test_retries_transient_errors_then_succeeds():
    statuses = iter([503, 429, 200])

    def handler(request):
        status = next(statuses)
        return answer(["ok"]) if status == 200 else httpx.Response(status, text="busy")

    assert client(handler, max_retries=3).complete(MESSAGES, max_tokens=5).texts == ["ok"]


def test_gives_up_after_bounded_retries():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(503, text="busy")

    with pytest.raises(LLMError, match="gave up after 3 attempts"):
        client(handler, max_retries=2).complete(MESSAGES, max_tokens=5)
    assert len(calls) == 3


def test_client_error_is_not_retried():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(400, text="bad request")

    with pytest.raises(LLMError, match="400"):
        client(handler).complete(MESSAGES, max_tokens=5)
    assert len(calls) == 1


def test_unreachable_server():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(ServerUnreachable, match="cannot connect"):
        client(handler, max_retries=1).complete(MESSAGES, max_tokens=5)
