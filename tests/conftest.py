"""Shared fixtures: a stub OpenAI-compatible server, a free port, the benchmark data directory."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from serving.embedded import free_port  # noqa: F401  (re-exported for tests)

REPO = Path(__file__).resolve().parents[1]


def send_json(handler: BaseHTTPRequestHandler, body, status: int = 200) -> None:
    """Answer an HTTP request with `body` as JSON (for the loopback stub servers in tests)."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class StubServer:
    """An OpenAI-compatible server on loopback that answers with scripted texts in order
    (one choice per request, like llama-cpp-python's server)."""

    def __init__(self, texts):
        self.texts = list(texts)
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body):
                send_json(self, body)

            def do_GET(self):
                self._send({"data": [{"id": "stub-model"}]})

            def do_POST(self):
                stub.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                text = stub.texts.pop(0) if stub.texts else ""
                usage = {"prompt_tokens": 100, "completion_tokens": 20}
                self._send({"model": "stub-model", "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}], "usage": usage})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stub_server():
    servers = []

    def make(texts):
        servers.append(StubServer(texts))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark files (CI and tests use ../shared/data/benchmarks). Skips on a
    checkout without ../shared; fails when $CODELOOP_DATA_DIR (set by CI) names a directory
    without them — a misconfiguration must not pass as skipped tests."""
    path = Path(os.environ.get("CODELOOP_DATA_DIR") or REPO.parent / "shared" / "data" / "benchmarks")
    if not (path / "mbpp.jsonl").exists():
        if os.environ.get("CODELOOP_DATA_DIR"):
            pytest.fail(f"CODELOOP_DATA_DIR={path} holds no benchmark data (mbpp.jsonl)", pytrace=False)
        pytest.skip(f"benchmark data not found in {path}")
    return path


@pytest.fixture()
def app():
    """The `batch`/`eval`/`report` commands on their own typer app, errors as one line like
    the console script (CliRunner tests of the batch door)."""
    import typer

    import apps.batch_cmd as batch_cmd
    from apps.errors import OneLineErrors

    root = typer.Typer(cls=OneLineErrors)
    batch_cmd.register(root)
    return root


@pytest.fixture()
def fake_session(monkeypatch):
    """Replace the batch's model session with a FakeLLM answering `outputs` in order."""
    import contextlib

    import apps.batch_cmd as batch_cmd
    from serving.fake import FakeLLM

    def install(outputs):
        llm = FakeLLM(outputs)

        @contextlib.contextmanager
        def open_llm(model, base_url, port):
            yield llm

        monkeypatch.setattr(batch_cmd, "open_llm", open_llm)
        return llm
    return install
