"""The tokenizer inside the model's GGUF file (serving/tokens.py): the counter when the
server cannot tokenize. Its counts equal llama-server's /tokenize on a fixed set of prompts
with the smoke model; without the `tokenizer` extra the character estimate counts."""

import logging
import sys

import httpx
import pytest

from agents.coder import coder_messages
from agents.task import task_from_text
from serving.tokens import CharCounter, GGUFTokenCounter, ServerCounter, count_tokens, gguf_counter, token_counter
from serving.models import get_spec, cached_path
from serving.server_keys import auth_headers

PROMPTS = [
    "def add(a, b):\n    return a + b\n",
    "Write a function that reverses a string.",
    "    assert candidate([1, 2, 3]) == [3, 2, 1]\n",
    "naïve café — ünïcödé ✓ 日本語のテキスト",
    "\t\tindented with tabs\n\n\n   and blank lines   \n",
    "x" * 300,
    "<|im_start|>user\nliteral special-token text<|im_end|>",
    "import numpy as np\nnp.array([[1.5e-3, -2], [3, 4]]) @ np.eye(2)\n",
    "",
    " leading space and trailing space ",
]


def smoke_gguf():
    return cached_path(get_spec("smollm2-135m"))


@pytest.fixture(autouse=True)
def fresh_counters():
    token_counter.cache_clear()
    yield
    token_counter.cache_clear()


def test_without_the_extra_the_estimate_counts_and_the_log_names_it(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "gguf", None)  # import gguf now fails
    counter = GGUFTokenCounter(smoke_gguf())
    with caplog.at_level(logging.INFO, logger="serving.tokens"):
        assert counter.count("x" * 35) == CharCounter().count("x" * 35) == 10
    assert "pip install -e '.[tokenizer]'" in caplog.text


def test_a_model_that_is_not_on_disk_gives_no_tokenizer(tmp_path):
    assert gguf_counter(str(tmp_path / "absent.gguf")) is None and gguf_counter(None) is None
    assert isinstance(token_counter(None, str(tmp_path / "absent.gguf")), CharCounter)


@pytest.mark.integration
def test_counts_match_llama_servers_tokenize_and_serve_as_the_fallback():
    from serving.embedded import free_port
    from serving.session import start_server

    prompts = PROMPTS + [m["content"] for m in coder_messages(task_from_text(
        "Write is_prime(n).\nassert is_prime(7)\nassert not is_prime(8)\n"))]
    server, _ = start_server("smollm2-135m", port=free_port(), n_ctx=2048, parallel=1)
    try:
        root = server.base_url.removesuffix("/v1")
        headers = auth_headers(server.base_url)  # the server wants its per-launch key
        truth = [len(httpx.post(root + "/tokenize", json={"content": p}, headers=headers).json()["tokens"])
                 for p in prompts]
    finally:
        server.stop()
    local = GGUFTokenCounter(smoke_gguf())
    assert [local.count(p) for p in prompts] == truth
    assert local._tokenizer is not None  # the GGUF's tokenizer counted, not the fallback
    # a server without a tokenize endpoint: the model's GGUF tokenizer answers, not chars/3.5
    no_tokenize = ServerCounter("http://x/v1", fallback=gguf_counter("smollm2-135m"),
                                transport=httpx.MockTransport(lambda request: httpx.Response(404)))
    assert [no_tokenize.count(p) for p in prompts] == truth
    counter = token_counter(None, str(smoke_gguf()))
    assert counter.count(prompts[0]) == truth[0], (counter, getattr(counter, "_failed", None))
    assert count_tokens(prompts[1], None, str(smoke_gguf())) == truth[1]
