"""API keys: a server the user names with --base-url gets $CODELOOP_API_KEY (and nothing
when it is unset); every client of one server sends the key remembered for it."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from serving import server_keys
from serving.openai_client import ServerUnreachable
from serving.session import llm_session
from tests.conftest import send_json


@pytest.fixture
def keyed_server():
    """A loopback OpenAI-compatible server that wants `Bearer user-key`; yields (base_url, seen auth headers)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _ok(self) -> bool:
            seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != "Bearer user-key":
                send_json(self, {"error": "Unauthorized"}, 401)
                return False
            return True

        def do_GET(self):
            if self._ok():
                send_json(self, {"data": [{"id": "theirs"}]})

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            if self._ok():
                send_json(self, {"model": "theirs", "usage": {}, "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}]})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()


def test_a_given_server_gets_the_users_key(keyed_server, monkeypatch):
    url, seen = keyed_server
    monkeypatch.setenv("CODELOOP_API_KEY", "user-key")
    with llm_session(base_url=url) as llm:
        assert llm.complete([{"role": "user", "content": "hi"}], max_tokens=2).texts == ["hi"]
        assert server_keys.auth_headers(url) == {"Authorization": "Bearer user-key"}  # chat, token counter
    assert set(seen) == {"Bearer user-key"}


def test_a_given_server_that_wants_a_key_names_the_variable(keyed_server, monkeypatch):
    url, seen = keyed_server
    monkeypatch.delenv("CODELOOP_API_KEY", raising=False)
    with pytest.raises(ServerUnreachable, match=r"wants an API key .*\$CODELOOP_API_KEY"):
        with llm_session(base_url=url):
            pass
    assert seen == [None], "no key of ours may go to a server the user named"
