"""The real embedded llama.cpp server (smoke model) through the OpenAI client."""

import pytest

from serving.embedded import EmbeddedServer, ServerStartError, port_in_use
from serving.models import resolve
from serving.server_log import prefix_reuse_from_file
from serving.session import llm_session, server_log_path
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def test_embedded_server_answers_and_stops():
    port = free_port()
    with llm_session("smollm2-135m", port=port) as llm:
        completion = llm.complete([{"role": "user", "content": "Say hello."}], n=2, max_tokens=8, temperature=0.8)
        assert len(completion.texts) == 2 and all(completion.texts)
        assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
        assert completion.model == "smollm2-135m"
        assert port_in_use(port)
    assert not port_in_use(port), "the server started by the session must be gone"


def test_repeated_prompt_is_served_from_the_prefix_cache():
    port = free_port()
    log = server_log_path(port)
    start = log.stat().st_size if log.exists() else 0
    messages = [{"role": "system", "content": "You write careful Python. " * 20}, {"role": "user", "content": "Hi."}]
    with llm_session("smollm2-135m", port=port) as llm:
        first = llm.complete(messages, max_tokens=2)
        llm.complete(messages, max_tokens=2)
    reuse = prefix_reuse_from_file(log, start)
    assert reuse.requests == 2
    # the second request reuses all but the last prompt token (replayed to refresh logits)
    assert reuse.reused_tokens >= first.usage.prompt_tokens - 2
    assert reuse.evaluated_tokens <= first.usage.prompt_tokens + 2


def test_running_server_is_reused_and_a_different_one_refused():
    port = free_port()
    path = resolve("smollm2-135m")
    with EmbeddedServer(path, "smollm2-135m", port=port) as first:
        again = EmbeddedServer(path, "smollm2-135m", port=port)
        assert again.start() == first.base_url and again.process is None  # adopted, not spawned
        again.stop()
        assert port_in_use(port), "stopping an adopted server must not kill it"
        with pytest.raises(ServerStartError, match="already in use by a server for 'smollm2-135m'"):
            EmbeddedServer(path, "other", port=port).start()
