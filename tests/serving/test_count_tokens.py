"""`count_tokens` / `token_counter`: the server's tokenizer where there is one (a loopback
stub of llama-server's /tokenize here; the real one in the integration test), the character
estimate otherwise; chat's /tokens uses the session's counter."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.edit.prompting import files_section
from serving.tokens import CharCounter, ServerCounter, count_tokens, token_counter
from tests.apps.chat_fixtures import make_chat, make_repo
from tests.conftest import send_json


@pytest.fixture(autouse=True)
def fresh_counters():
    token_counter.cache_clear()
    yield
    token_counter.cache_clear()


@pytest.fixture
def tokenize_server():
    """llama-server's /tokenize on loopback: one token per whitespace-separated word."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append(self.path)
            if self.path != "/tokenize":
                self.send_response(404)
                self.end_headers()
                return
            text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["content"]
            send_json(self, {"tokens": list(range(len(text.split())))})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()


def test_without_a_server_the_estimate_counts():
    assert isinstance(token_counter(None), CharCounter)
    assert count_tokens("x" * 35) == 10  # 3.5 characters a token


def test_with_a_server_its_tokenizer_counts_once_per_text(tokenize_server):
    url, seen = tokenize_server
    assert isinstance(token_counter(url), ServerCounter) and token_counter(url) is token_counter(url)
    text = "def add(a, b):\n    return a + b\n"  # 7 words, 32 characters
    assert count_tokens(text, url) == 7 and count_tokens(text, url) == 7
    assert seen == ["/extras/tokenize/count", "/tokenize"]  # llama-cpp-python's route tried first, once
    count_tokens("one two", url)
    assert seen[-1] == "/tokenize" and len(seen) == 3


def test_chat_tokens_uses_the_sessions_counter(tmp_path, tokenize_server):
    url, _ = tokenize_server
    repo = make_repo(tmp_path / "repo")
    chat = make_chat(repo, [])
    chat.counter = token_counter(url)
    chat.handle("/add calc.py")
    chat.handle("/tokens")
    words = len(files_section({"calc.py": (repo / "calc.py").read_text()}).split())
    rows = dict(line.split(None, 1)[::-1] for line in chat.ui.lines[-1].splitlines())
    assert int(rows["calc.py"]) == words  # the stub's tokens, not an estimate from characters


@pytest.mark.integration
def test_counts_match_the_embedded_servers_tokenizer():
    """The smoke model's llama-server: `count_tokens` is its /tokenize, not an estimate."""
    import httpx

    from serving.embedded import free_port
    from serving.session import start_server

    server, _ = start_server("smollm2-135m", port=free_port(), n_ctx=1024, parallel=1)
    try:
        root = server.base_url.removesuffix("/v1")
        texts = ["def add(a, b):\n    return a + b\n", "Write a function that reverses a string.",
                 "    assert candidate([1, 2, 3]) == [3, 2, 1]\n", "naïve café — ünïcödé ✓"]
        for text in texts:
            tokens = httpx.post(root + "/tokenize", json={"content": text},
                                headers={"Authorization": f"Bearer {server.api_key}"}).json()["tokens"]
            assert count_tokens(text, server.base_url) == len(tokens)
    finally:
        server.stop()
