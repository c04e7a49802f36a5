"""A model server that dies mid-request: connection errors are `LLMError`s (never httpx
tracebacks); a server we started is restarted (bounded, with backoff) and the call retried;
one we do not own is a `ServerLost` naming what to do."""

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from serving.base import LLMError, ServerLost
from serving.embedded import ManagedServer, port_in_use
from serving.openai_client import GENERIC, OpenAICompatibleLLM, ServerUnreachable
from serving.supervisor import SupervisedLLM
from tests.conftest import free_port

STUB = Path(__file__).resolve().parents[2] / "benchmarks" / "support" / "stub_model_server.py"
ASK = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """The servers' key files go to this test's own cache."""
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))


class StubEngine:
    """An `Engine` whose server is benchmarks/support/stub_model_server.py."""

    name, alias, traits, startup_timeout_s = "stub", "stub", GENERIC, 20.0

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s

    def check(self) -> None:
        pass

    def command(self, port: int) -> list[str]:
        return [sys.executable, str(STUB), str(port), str(self.delay_s)]

    def auth(self, key: str, key_file: Path) -> tuple[list[str], dict]:
        return ["--api-key-file", str(key_file)], {}


def hang_up_server(mode: str):
    """A loopback server that reads the request, then hangs up: without a word ("close"),
    after half a response ("half"), or after the first event of a chunked stream ("stream")."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            if mode == "half":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"cho")
            if mode == "stream":
                event = b'data: {"choices": [{"index": 0, "delta": {"content": "half"}}]}\n\n'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                             + f"{len(event):x}\r\n".encode() + event + b"\r\n")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


@pytest.mark.parametrize("mode", ["close", "half"])
def test_a_connection_cut_mid_answer_is_an_llm_error(mode):
    listener, url = hang_up_server(mode)
    try:
        client = OpenAICompatibleLLM(url, max_retries=1, backoff_s=0.01)
        with pytest.raises(ServerUnreachable, match="lost the connection") as caught:
            client.complete(ASK, max_tokens=4)
        assert isinstance(caught.value, LLMError)
    finally:
        listener.close()


def test_a_stream_cut_mid_answer_is_server_unreachable():
    """A streamed call whose server hangs up after its first words: `ServerUnreachable` (what
    the supervisor restarts a dead server on), not retried by the client (text was shown)."""
    listener, url = hang_up_server("stream")
    try:
        deltas = []
        client = OpenAICompatibleLLM(url, max_retries=2, backoff_s=0.01)
        with pytest.raises(ServerUnreachable, match="mid-stream"):
            client.complete(ASK, max_tokens=4, on_delta=deltas.append)
        assert deltas == ["half"]
    finally:
        listener.close()


@pytest.fixture
def supervised(tmp_path):
    """A stub server we started (1 s per answer) and a supervised client of it."""
    server = ManagedServer(StubEngine(delay_s=1.0), port=free_port(), log_path=tmp_path / "server.log")
    server.start()
    try:
        yield server, SupervisedLLM(OpenAICompatibleLLM(server.base_url, max_retries=3, backoff_s=0.2), server,
                                    backoff_s=0.1)
    finally:
        server.stop()


def test_server_killed_mid_stream_is_restarted_and_the_retry_starts_its_text_over(supervised):
    server, llm = supervised
    first_pid = server.process.pid
    killer = threading.Timer(0.4, os.killpg, (first_pid, signal.SIGKILL))  # kill -9 mid-stream
    killer.start()
    deltas = []
    answer = llm.complete(ASK, max_tokens=4, on_delta=deltas.append).texts[0]
    killer.join()
    assert answer == f"answer from {server.process.pid}" and server.process.pid != first_pid
    assert deltas == ["answer", "", "answer", " from", f" {server.process.pid}"]  # "": start over
    assert len(llm.restarts) == 1


def test_killed_server_we_started_is_restarted_and_the_call_retried(supervised):
    server, llm = supervised
    first_pid = server.process.pid
    assert llm.complete(ASK, max_tokens=4).texts == [f"answer from {first_pid}"]
    killer = threading.Timer(0.4, os.killpg, (first_pid, signal.SIGKILL))  # kill -9 mid-request
    killer.start()
    started = time.monotonic()
    answer = llm.complete(ASK, max_tokens=4).texts[0]
    killer.join()
    assert answer == f"answer from {server.process.pid}" and server.process.pid != first_pid
    assert len(llm.restarts) == 1 and time.monotonic() - started < 15


def test_restarts_are_bounded(tmp_path):
    server = ManagedServer(StubEngine(delay_s=2.0), port=free_port(), log_path=tmp_path / "server.log")
    server.start()
    llm = SupervisedLLM(OpenAICompatibleLLM(server.base_url, max_retries=1, backoff_s=0.05), server,
                        max_restarts=2, backoff_s=0.05)
    stop = threading.Event()

    def keep_killing():  # every server it starts dies mid-request (once it listens: a slow start is no death)
        while not stop.is_set():
            process = server.process
            if process is not None and process.poll() is None and port_in_use(server.port):
                time.sleep(0.5)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)

    killer = threading.Thread(target=keep_killing, daemon=True)
    killer.start()
    try:
        with pytest.raises(ServerLost, match="died again after 2 restarts"):
            llm.complete(ASK, max_tokens=4)
        assert len(llm.restarts) == 2
    finally:
        stop.set()
        killer.join()
        server.stop()


def test_a_server_we_do_not_own_is_not_restarted(tmp_path):
    owner = ManagedServer(StubEngine(), port=free_port(), log_path=tmp_path / "server.log")
    owner.start()
    adopted = ManagedServer(StubEngine(), port=owner.port)
    adopted.start()  # already served on that port: adopted, not started
    llm = SupervisedLLM(OpenAICompatibleLLM(adopted.base_url, max_retries=1, backoff_s=0.05), adopted)
    assert llm.complete(ASK, max_tokens=4).texts
    owner.stop()
    with pytest.raises(ServerLost, match="not one codeloop started, so start it again and rerun"):
        llm.complete(ASK, max_tokens=4)
    assert adopted.process is None


def test_a_chat_turn_after_the_server_died_restarts_it(tmp_path):
    """chat streams straight from the server: the next turn revives a server that died."""
    from apps.chat.stream import HTTPStreamer

    server = ManagedServer(StubEngine(), port=free_port(), log_path=tmp_path / "server.log")
    server.start()
    try:
        llm = SupervisedLLM(OpenAICompatibleLLM(server.base_url), server, backoff_s=0.05)
        streamer = HTTPStreamer(server.base_url, "stub", revive=llm.revive)
        first_pid = server.process.pid
        assert "".join(streamer.stream(ASK, max_tokens=4)) == f"answer from {first_pid}"
        os.killpg(first_pid, signal.SIGKILL)
        server.process.wait()
        assert "".join(streamer.stream(ASK, max_tokens=4)) == f"answer from {server.process.pid}"
        assert server.process.pid != first_pid and len(llm.restarts) == 1
    finally:
        server.stop()
