"""Issue 28, item 7: servers. Something else listening on the embedded server's port must
never be adopted as codeloop's model server (it would see every prompt and write the code);
a server codeloop started is adopted by the next command only when it proves it with the
per-launch API key kept 0600 in the cache; `--ray local` listens on loopback only.

The genuine server is the real launcher running tests/serving/fake_llama_server.py as the
`llama-server` binary; impostors are loopback HTTP servers that answer with the right model id.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, send_json

ROOT = Path(__file__).resolve().parents[2]
FAKE_LLAMA = ROOT / "tests" / "serving" / "fake_llama_server.py"
CODELOOP = Path(sys.executable).with_name("codeloop")
MODEL = "stub-model"  # the model file's stem: the id the server advertises


class Impostor:
    """An OpenAI-compatible server on loopback serving MODEL. `policy`: "open" answers every
    request; "any-bearer" answers any request that carries some bearer token (so it refuses
    a request without one, as a keyed server does). Every request it answers is recorded."""

    def __init__(self, policy: str = "open") -> None:
        self.requests: list[dict] = []  # chat requests that reached it (what a prompt leak looks like)
        self.seen_keys: list[str] = []
        impostor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _allowed(self) -> bool:
                auth = self.headers.get("Authorization") or ""
                impostor.seen_keys.append(auth)
                if policy == "loading":  # llama-server's answer to everything while it loads
                    send_json(self, {"error": "Loading model"}, 503)
                    return False
                if policy == "any-bearer" and not auth.startswith("Bearer "):
                    send_json(self, {"error": "no key"}, 401)
                    return False
                return True

            def do_GET(self):
                if self._allowed():
                    send_json(self, {"data": [{"id": MODEL}], "total_slots": 4})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self._allowed():
                    return
                impostor.requests.append(body)
                send_json(self, {"model": MODEL, "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                                 "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                     "role": "assistant", "content": "```python\ndef add(a, b):\n    return 0\n```"}}]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache and config, a model file named MODEL, and the fake llama-server as the binary."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "llama-server"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_LLAMA} "$@"\n')
    exe.chmod(0o755)
    (tmp_path / f"{MODEL}.gguf").write_bytes(b"GGUF")
    values = {"CODELOOP_CACHE_DIR": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
              "CODELOOP_LLAMA_SERVER": str(exe), "CODELOOP_OFFLINE": "1", "FAKE_LLAMA_RECORD": str(tmp_path / "rec")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("CODELOOP_ENGINE", "CODELOOP_BASE_URL", "CODELOOP_LLM", "CODELOOP_PORT", "CODELOOP_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


@pytest.fixture
def impostor():
    servers: list[Impostor] = []

    def make(policy: str = "open") -> Impostor:
        servers.append(Impostor(policy))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def solve(tmp_path, env, port: int) -> subprocess.CompletedProcess:
    """`codeloop solve` as a user runs it, on the embedded server's port."""
    return subprocess.run([str(CODELOOP), "solve", "Write add(a, b) that returns a + b.", "--model",
                           str(tmp_path / f"{MODEL}.gguf"), "--port", str(port), "--sandbox", "process", "--quiet",
                           "--max-repairs", "0"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)


def records(tmp_path) -> list[dict]:
    path = tmp_path / "rec"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("policy", ["open", "any-bearer"])
def test_an_impostor_on_the_embedded_port_is_refused_and_sees_no_prompt(tmp_path, env, impostor, policy):
    fake = impostor(policy)
    done = solve(tmp_path, env, fake.port)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"port {fake.port} is taken by a server codeloop did not start" in done.stderr
    assert "--port" in done.stderr and "Traceback" not in done.stderr
    assert fake.requests == [], "the impostor got a prompt"


def test_an_impostor_that_took_the_port_of_a_dead_server_is_refused(tmp_path, env, impostor):
    """A key file left by an earlier server does not make whatever holds the port now ours:
    an impostor that answers requests without the key is refused before it is shown the key."""
    from serving import server_keys

    fake = impostor("open")
    staged = server_keys.stage_key(fake.port, "key-of-a-server-that-died")
    server_keys.publish_key(staged, fake.port)
    done = solve(tmp_path, env, fake.port)
    assert done.returncode == 2 and "it answers requests that lack codeloop's key" in done.stderr, done.stderr
    assert fake.requests == [] and not any("key-of-a-server-that-died" in k for k in fake.seen_keys)


def test_a_server_still_loading_is_waited_for_not_adopted(tmp_path, env, impostor):
    """Whatever answers 503 (a server loading its model) is neither adopted nor sent a key."""
    from serving.embedded import ManagedServer, PortInUse
    from serving.engines import make_engine

    fake = impostor("loading")
    server = ManagedServer(make_engine("llama-server", str(tmp_path / f"{MODEL}.gguf")), port=fake.port)
    with pytest.raises(PortInUse, match=f"port {fake.port} is in use by a server that is not ready .*HTTP 503.*wait"):
        server.start()
    assert fake.requests == [] and server.process is None and server.api_key is None


def test_a_server_codeloop_started_is_adopted_by_a_second_command_with_its_key(tmp_path, env):
    port = free_port()
    serve = subprocess.Popen([str(CODELOOP), "serve", "--model", str(tmp_path / f"{MODEL}.gguf"), "--port", str(port)],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = serve.stdout.readline()
        key_file = Path(env["CODELOOP_CACHE_DIR"]) / "logs" / "keys" / f"server-{port}.key"
        assert f"API key in {key_file}" in banner, banner + serve.stderr.read() if serve.poll() is not None else banner
        # the key: 0600 in a 0700 folder, on the server's command line only as the file's path
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
        key = key_file.read_text().strip()
        launched = records(tmp_path)[0]
        assert launched["argv"][launched["argv"].index("--api-key-file") + 1] != key
        assert key not in Path(f"/proc/{launched['pid']}/cmdline").read_bytes().decode()
        # the server wants the key: without it nothing is served
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 401

        done = solve(tmp_path, env, port)  # the second command adopts it (starts no server of its own)
        assert done.returncode in (0, 1), done.stderr
        chats = [r for r in records(tmp_path) if r.get("path") == "/v1/chat/completions"]
        assert chats and all(r["allowed"] for r in chats), "the adopted server got no authenticated request"
        assert sum("argv" in r for r in records(tmp_path)) == 1, "a second server was started"
    finally:
        serve.terminate()
        serve.wait(30)
    assert not key_file.exists(), "the key file outlived its server"


def test_key_files_are_created_private_and_never_written_through_a_link(tmp_path, env):
    from serving import server_keys

    target = tmp_path / "victim.txt"
    target.write_text("untouched\n")
    folder = server_keys.private_dir()
    os.chmod(folder, 0o755)  # loosened by someone: tightened again on next use
    (folder / "server-9999.key").symlink_to(target)
    staged = server_keys.stage_key(9999, "k1")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(staged.stat().st_mode) == 0o600
    path = server_keys.publish_key(staged, 9999)
    assert target.read_text() == "untouched\n" and not path.is_symlink() and server_keys.read_key(path) == "k1"
    os.chmod(path, 0o644)
    assert server_keys.read_key(path) is None, "a key file others can read is not trusted"


RAY_DRIVER = """
import json, os, subprocess, sys
from pathlib import Path

from eval.ray_batch import start_ray


def below(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


ray = start_ray("local")
try:
    ray.get(ray.remote(lambda: 1).remote())  # a worker process listens too
    ours = below(os.getpid()) | {os.getpid()}
    lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    print(json.dumps([line.split()[3] for line in lines if any(f"pid={pid}," in line for pid in ours)]))
finally:
    ray.shutdown()
"""


@pytest.mark.ray
def test_ray_local_listens_on_loopback_only(tmp_path):
    """`--ray local` starts Ray here: every socket its processes (GCS, raylet, agents, workers,
    the driver) listen on is on loopback; Ray's default is every interface."""
    script = tmp_path / "ray_local.py"
    script.write_text(RAY_DRIVER)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled", PYTHONPATH=str(ROOT))
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=240,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    listening = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(listening) >= 3, listening  # GCS, raylet, worker ...
    hosts = {address.rsplit(":", 1)[0] for address in listening}
    assert hosts <= {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}, listening
