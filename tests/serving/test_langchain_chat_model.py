"""`serving.langchain.chat_model()`: codeloop's engine as a LangChain chat model — against a
stub server, through the launcher with a fake `vllm` (start, answer, stop), and (integration)
through the real embedded llama-server with the smoke model."""

import sys

import pytest

pytest.importorskip("langchain_openai")

from serving.embedded import free_port, port_in_use  # noqa: E402
from serving.langchain import chat_model  # noqa: E402
from serving.langchain_llm import LangChainMissing  # noqa: E402
from tests.serving.test_vllm_engine import events, fake_vllm  # noqa: E402,F401 (fixture)


def test_bound_to_a_running_server(stub_server):
    server = stub_server(["hello from the stub"])
    with chat_model(base_url=server.base_url, temperature=0, max_tokens=12) as llm:
        reply = llm.invoke("say hello")
    assert reply.content == "hello from the stub"
    assert reply.usage_metadata["input_tokens"] == 100 and reply.usage_metadata["output_tokens"] == 20
    request = server.requests[0]
    assert request["model"] == "stub-model" and request["temperature"] == 0
    assert request["messages"] == [{"role": "user", "content": "say hello"}]


def test_starts_the_engine_answers_and_stops_it_on_close(fake_vllm):  # noqa: F811 (fixture)
    port = free_port()
    with chat_model("qwen2.5-coder-1.5b", engine="vllm", port=port, max_tokens=8) as llm:
        assert port_in_use(port)
        reply = llm.invoke([("system", "be brief"), ("user", "one task")])
        assert reply.content.startswith("sample") and llm.model_name == "qwen2.5-coder-1.5b"
    assert events(fake_vllm)[-1] == {"event": "stopped"}
    assert not port_in_use(port)
    llm.close()  # a second close is harmless


def test_missing_extra_names_it(monkeypatch):
    import serving.langchain as module

    module._local_chat_class.cache_clear()
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    try:
        with pytest.raises(LangChainMissing, match=r"pip install -e '\.\[langchain\]'"):
            chat_model(base_url="http://127.0.0.1:9/v1")
    finally:
        module._local_chat_class.cache_clear()


@pytest.mark.integration
def test_answers_through_the_embedded_engine_with_the_smoke_model():
    port = free_port()
    with chat_model("smollm2-135m", port=port, parallel=1, temperature=0, max_tokens=16) as llm:
        reply = llm.invoke("Say hello.")
        streamed = "".join(chunk.content for chunk in llm.stream("Count to three."))
    assert reply.content.strip() and streamed.strip()
    assert reply.usage_metadata["output_tokens"] > 0
    assert 0 < reply.usage_metadata["output_tokens"] <= 16  # max_tokens reached the server
    assert not port_in_use(port)
