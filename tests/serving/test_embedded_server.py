"""The real embedded servers (smoke model) through the OpenAI client: llama-server (default)
and llama-cpp-python (the previous engine, when its package is installed)."""

import importlib.util

import pytest

from serving.embedded import ManagedServer, ServerStartError, port_in_use
from serving.engines import make_engine
from serving.llama_server import find_binary
from serving.session import llm_session
from tests.conftest import free_port

pytestmark = pytest.mark.integration

needs_llama_server = pytest.mark.skipif(find_binary() is None, reason="llama-server not built (scripts/setup.sh)")
SYSTEM = {"role": "system", "content": "You write careful Python. " * 20}


@needs_llama_server
def test_llama_server_serves_n_in_one_request_and_stops():
    port = free_port()
    with llm_session("smollm2-135m", port=port, parallel=4) as llm:
        completion = llm.complete([SYSTEM, {"role": "user", "content": "Say hello."}], n=4, max_tokens=8,
                                  temperature=0.9, logprobs=True)
        assert len(completion.texts) == 4 and all(completion.texts)
        assert completion.usage.calls == 1, "n <= slots must be one request"
        assert completion.usage.completion_tokens >= sum(len(lp) for lp in completion.logprobs) > 4
        assert all(completion.mean_logprob(i) < 0 for i in range(4))
        assert completion.model == "smollm2-135m"
        assert port_in_use(port)
    assert not port_in_use(port), "the server started by the session must be gone"


@needs_llama_server
def test_llama_server_reports_cached_prompt_tokens():
    messages = [SYSTEM, {"role": "user", "content": "Hi."}]
    with llm_session("smollm2-135m", port=free_port(), parallel=2) as llm:
        first = llm.complete(messages, max_tokens=2)
        second = llm.complete(messages[:1] + [{"role": "user", "content": "Bye."}], max_tokens=2)
    assert first.usage.cached_tokens == 0
    # everything up to the user's message came from the cache
    assert first.usage.prompt_tokens - 10 <= second.usage.cached_tokens < second.usage.prompt_tokens


@needs_llama_server
def test_running_server_is_reused_and_a_different_one_refused():
    port = free_port()
    engine = make_engine("llama-server", "smollm2-135m", parallel=1)
    with ManagedServer(engine, port=port) as first:
        again = ManagedServer(make_engine("llama-server", "smollm2-135m", parallel=1), port=port)
        assert again.start() == first.base_url and again.process is None  # adopted, not spawned
        again.stop()
        assert port_in_use(port), "stopping an adopted server must not kill it"
        engine.alias = "other"
        with pytest.raises(ServerStartError, match="already in use by a server for 'smollm2-135m'"):
            ManagedServer(engine, port=port).start()


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python not installed")
def test_previous_engine_still_works_with_topped_up_n():
    with llm_session("smollm2-135m", engine="llama-cpp-python", port=free_port()) as llm:
        completion = llm.complete([{"role": "user", "content": "Say hello."}], n=2, max_tokens=8, temperature=0.8)
    assert len(completion.texts) == 2 and completion.usage.calls == 2  # it returns one choice per request


@needs_llama_server
def test_llama_server_wants_its_key_which_stays_off_its_command_line():
    """The real binary honours --api-key-file: every path but /health wants the key, and the
    key itself is nowhere in /proc/PID/cmdline (which every local user can read)."""
    import httpx

    port = free_port()
    with ManagedServer(make_engine("llama-server", "smollm2-135m", parallel=1), port=port) as server:
        root = f"http://127.0.0.1:{port}"
        assert httpx.get(root + "/health").status_code == 200
        for path in ("/v1/models", "/props"):
            assert httpx.get(root + path).status_code == 401
            assert httpx.get(root + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.post(root + "/tokenize", json={"content": "hi"}).status_code == 401
        key = {"Authorization": f"Bearer {server.api_key}"}
        assert httpx.get(root + "/v1/models", headers=key).json()["data"][0]["id"] == "smollm2-135m"
        assert server.api_key not in open(f"/proc/{server.process.pid}/cmdline", "rb").read().decode(errors="replace")
