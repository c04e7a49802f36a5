"""Streamed completions (`on_delta`): the OpenAI-compatible client over server-sent events
(scripted with httpx.MockTransport and a loopback server), FakeLLM's pieces, and the same
`Completion` as without streaming."""

import json

import httpx
import pytest

from serving.base import LLMError
from serving.fake import FakeLLM, pieces
from serving.llama_server import traits_for
from serving.openai_client import OpenAICompatibleLLM, ServerUnreachable
from serving.sse import assemble
from tests.sse_stub import StreamingStub, sse_events

MESSAGES = [{"role": "user", "content": "write add"}]
CODE = "def add(a, b):\n    return a + b\n"


def sse(events) -> bytes:
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode() + b"data: [DONE]\n\n"


def client(handler, **kw):
    return OpenAICompatibleLLM("http://x/v1", transport=httpx.MockTransport(handler), backoff_s=0, **kw)


def streaming(events, bodies=None):
    def handler(request):
        if bodies is not None:
            bodies.append(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse(events))
    return handler


def test_deltas_arrive_in_order_and_make_the_first_text():
    bodies, got = [], []
    completion = client(streaming(sse_events([CODE]), bodies)).complete(MESSAGES, max_tokens=50,
                                                                         on_delta=got.append)
    assert got == pieces(CODE) and "".join(got) == completion.texts[0] == CODE
    assert bodies[0]["stream"] is True and bodies[0]["stream_options"] == {"include_usage": True}
    assert completion.first_token_s is not None and 0 <= completion.first_token_s <= completion.latency_s
    assert completion.usage.prompt_tokens == 100 and completion.finish_reasons == ["stop"]


def test_n_samples_in_one_streamed_request_only_the_first_is_handed_out():
    other = "def add(a, b):\n    return b + a\n"
    events = sse_events([CODE, other], usage={"prompt_tokens": 40, "completion_tokens": 7,
                                               "prompt_tokens_details": {"cached_tokens": 30}})
    got = []
    llm = client(streaming(events), traits=traits_for(4))  # llama-server: first-choice usage
    completion = llm.complete(MESSAGES, n=2, max_tokens=50, temperature=0.7, logprobs=True, on_delta=got.append)
    assert completion.texts == [CODE, other] and "".join(got) == CODE
    # the second choice's tokens are counted from its log-probability entries, as without streaming
    assert completion.usage.completion_tokens == 7 + len(pieces(other))
    assert completion.usage.cached_tokens == 30 and completion.usage.calls == 1
    assert completion.logprobs == [[-0.5] * len(pieces(CODE)), [-0.5] * len(pieces(other))]


def test_a_server_that_ignores_stream_hands_out_its_whole_text():
    def handler(request):
        return httpx.Response(200, json={"choices": [{"message": {"content": CODE}, "finish_reason": "stop"}],
                                         "usage": {"prompt_tokens": 3, "completion_tokens": 4}})
    got = []
    completion = client(handler).complete(MESSAGES, max_tokens=50, on_delta=got.append)
    assert got == [CODE] and completion.texts == [CODE] and completion.first_token_s is not None


def test_transient_errors_before_the_stream_are_retried():
    statuses = iter([503, 200])

    def handler(request):
        status = next(statuses)
        if status != 200:
            return httpx.Response(status, text="busy")
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse(sse_events(["ok"])))
    got = []
    assert client(handler).complete(MESSAGES, max_tokens=5, on_delta=got.append).texts == ["ok"] and got == ["ok"]


def test_a_bad_request_is_one_llm_error_without_retries():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(400, text="context too long")
    with pytest.raises(LLMError, match="400"):
        client(handler).complete(MESSAGES, max_tokens=5, on_delta=lambda piece: None)
    assert len(calls) == 1


def test_assemble_matches_the_non_streamed_body():
    lines = [f"data: {json.dumps(e)}" for e in sse_events(["a b", "c"])] + ["data: [DONE]"]
    body, first = assemble(lines)
    assert [c["message"]["content"] for c in body["choices"]] == ["a b", "c"]
    assert body["usage"]["prompt_tokens"] == 100 and first is not None


def test_a_stream_cut_off_before_done_is_a_lost_server_not_a_short_answer():
    # A server killed mid-stream without chunked encoding ends the body cleanly: only the
    # missing [DONE] tells the partial text from a whole one. Not retried (text was handed out).
    calls, got = [], []
    events = sse_events([CODE])[:3]  # the first words, no finish_reason, no usage, no [DONE]

    def handler(request):
        calls.append(1)
        body = "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    with pytest.raises(ServerUnreachable, match="mid-stream.*before its \\[DONE\\]"):
        client(handler).complete(MESSAGES, max_tokens=50, on_delta=got.append)
    assert len(calls) == 1 and got and CODE.startswith("".join(got)) and "".join(got) != CODE


def test_fake_llm_streams_its_first_output_in_pieces():
    got = []
    llm = FakeLLM([CODE, "other"])
    completion = llm.complete(MESSAGES, n=2, max_tokens=50, on_delta=got.append)
    assert got == pieces(CODE) and len(got) > 3 and "".join(got) == CODE
    assert completion.texts == [CODE, "other"] and completion.first_token_s == 0.0
    assert FakeLLM([CODE]).complete(MESSAGES, max_tokens=5).first_token_s is None  # not streamed


def test_over_a_real_socket_deltas_arrive_before_the_answer_ends():
    stub = StreamingStub([CODE], delay_s=0.05)
    try:
        arrivals = []
        llm = OpenAICompatibleLLM(stub.base_url, model="stream-stub")
        completion = llm.complete(MESSAGES, max_tokens=50, on_delta=lambda piece: arrivals.append(piece))
        assert "".join(arrivals) == CODE == completion.texts[0]
        # the first word came after one pause, the whole text after one per word
        assert completion.first_token_s < completion.latency_s / 2
        llm.close()
    finally:
        stub.close()


def test_a_langchain_model_streams_through_the_adapter():
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from serving.langchain_llm import LangChainLLM

    got = []
    llm = LangChainLLM(GenericFakeChatModel(messages=iter([AIMessage(content=CODE)])))
    completion = llm.complete(MESSAGES, max_tokens=50, on_delta=got.append)
    assert len(got) > 3 and "".join(got) == completion.texts[0] == CODE
    assert completion.first_token_s is not None and completion.usage.completion_tokens > 0
