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


# --- engine traits: n in one request, sampler fields, log-probabilities, cached tokens ---

from serving.base import Sampling  # noqa: E402
from serving.llama_server import traits_for  # noqa: E402
from serving.openai_client import ServerTraits  # noqa: E402


def llama_server_answer(n, completion_tokens=4, cache_n=0):
    """A llama-server chat answer for n_cmpl=n: one usage (the first choice's), per-token logprobs."""
    choices = [{"index": i, "message": {"content": f"s{i}"}, "finish_reason": "stop",
                "logprobs": {"content": [{"token": "x", "logprob": -0.5 * (i + 1)}] * (i + 2)}} for i in range(n)]
    usage = {"prompt_tokens": 50, "completion_tokens": completion_tokens,
             "prompt_tokens_details": {"cached_tokens": cache_n}}
    return httpx.Response(200, json={"model": "m", "choices": choices, "usage": usage, "timings": {"cache_n": cache_n}})


def test_n_goes_in_one_request_up_to_the_slot_count_and_is_split_beyond():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return llama_server_answer(bodies[-1]["n"])

    completion = client(handler, traits=traits_for(4)).complete(MESSAGES, n=6, max_tokens=5, temperature=0.8)
    assert [b["n"] for b in bodies] == [4, 2]
    assert len(completion.texts) == 6 and completion.usage.calls == 2
    assert all(b["cache_prompt"] is True for b in bodies)


def test_llama_server_usage_counts_every_choice_from_its_token_entries():
    completion = client(lambda r: llama_server_answer(3, completion_tokens=2, cache_n=40),
                        traits=traits_for(8)).complete(MESSAGES, n=3, max_tokens=5)
    # first choice from usage (2), the others from their entries (3 + 4)
    assert completion.usage.completion_tokens == 2 + 3 + 4
    assert completion.usage.prompt_tokens == 50 and completion.usage.cached_tokens == 40
    assert completion.logprobs is None  # counted, but not asked for


def test_sampler_settings_pass_through_under_each_servers_names():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return answer(["a"])

    sampling = Sampling(top_p=0.9, top_k=20, min_p=0.05, repeat_penalty=1.1, seed=7)
    client(handler, traits=traits_for(2)).complete(MESSAGES, max_tokens=5, temperature=0.7, sampling=sampling)
    client(handler).complete(MESSAGES, max_tokens=5, sampling=Sampling(repeat_penalty=1.2))
    client(handler).complete(MESSAGES, max_tokens=5)
    assert {k: bodies[0][k] for k in ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "seed")} == {
        "temperature": 0.7, "top_p": 0.9, "top_k": 20, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 7}
    assert bodies[1]["repetition_penalty"] == 1.2 and "repeat_penalty" not in bodies[1]  # vLLM's spelling
    assert not {"top_p", "top_k", "min_p", "seed", "logprobs"} & set(bodies[2])  # unset: server defaults


def test_logprobs_when_asked_with_mean_for_the_selector():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return llama_server_answer(2)

    completion = client(handler, traits=traits_for(2)).complete(MESSAGES, n=2, max_tokens=5, logprobs=True)
    assert bodies[0]["logprobs"] is True and bodies[0]["top_logprobs"] == 1
    assert completion.logprobs == [[-0.5, -0.5], [-1.0, -1.0, -1.0]]
    assert completion.mean_logprob(0) == -0.5 and completion.mean_logprob(1) == -1.0
    assert completion.mean_logprob(2) is None


def test_cached_tokens_from_llama_server_timings_when_usage_lacks_them():
    body = {"model": "m", "choices": [{"message": {"content": "a"}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1}, "timings": {"cache_n": 6}}
    completion = client(lambda r: httpx.Response(200, json=body)).complete(MESSAGES, max_tokens=5)
    assert completion.usage.cached_tokens == 6


def test_generic_server_gets_n_and_is_topped_up_when_it_returns_fewer():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return answer(["a", "b"])  # returns 2 whatever n says

    completion = client(handler, traits=ServerTraits()).complete(MESSAGES, n=5, max_tokens=5)
    assert [b["n"] for b in bodies] == [5, 3, 1] and len(completion.texts) == 5
