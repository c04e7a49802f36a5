"""The vLLM engine's launcher against a fake `vllm` executable on PATH (no GPU needed)."""

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from serving.embedded import ManagedServer, ServerStartError, port_in_use
from serving.session import llm_session
from serving.vllm_engine import VLLMEngine
from tests.conftest import free_port

FAKE = Path(__file__).with_name("fake_vllm.py")


@pytest.fixture
def fake_vllm(tmp_path, monkeypatch):
    """Put a `vllm` that runs fake_vllm.py first on PATH; return the file it records into."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "vllm"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE} \"$@\"\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("FAKE_VLLM_RECORD", str(record))
    return record


def events(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def test_session_launches_vllm_waits_for_health_reads_cached_tokens_and_stops_it(fake_vllm, monkeypatch):
    monkeypatch.setenv("FAKE_VLLM_DELAY", "1.5")  # not listening at first: the launcher must wait
    port = free_port()
    system = {"role": "system", "content": "shared instructions " * 30}
    with llm_session("qwen2.5-coder-1.5b", engine="vllm", port=port) as llm:
        first = llm.complete([system, {"role": "user", "content": "one task"}], max_tokens=8)
        both = llm.complete([system, {"role": "user", "content": "two tasks"}], n=3, max_tokens=8, temperature=0.8)
    argv = events(fake_vllm)[0]["argv"]
    assert events(fake_vllm)[0]["key_seen"], "vLLM was started without an API key"
    assert not any(arg.startswith("--api-key") for arg in argv)  # the key stays off its command line
    assert argv[:2] == ["serve", "Qwen/Qwen2.5-Coder-1.5B-Instruct"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and argv[argv.index("--port") + 1] == str(port)
    assert "--enable-prefix-caching" in argv and "--enable-prompt-tokens-details" in argv
    assert first.usage.cached_tokens == 0 and first.model == "qwen2.5-coder-1.5b"
    assert both.usage.cached_tokens == 60  # the 60-word system prompt, served from the cache
    assert len(both.texts) == 3 and both.usage.calls == 1  # n in one request
    assert events(fake_vllm)[-1] == {"event": "stopped"}
    assert not port_in_use(port)


def test_running_vllm_is_reused_not_restarted(fake_vllm):
    port = free_port()
    with ManagedServer(VLLMEngine("my/model"), port=port) as first:
        again = ManagedServer(VLLMEngine("my/model"), port=port)
        assert again.start() == first.base_url and again.process is None
        again.stop()
        assert port_in_use(port), "stopping an adopted server must not kill it"
    assert sum("argv" in e for e in events(fake_vllm)) == 1


def test_vllm_that_exits_is_a_clear_error(fake_vllm, tmp_path):
    engine = VLLMEngine("my/model")
    engine.command = lambda port: ["vllm", "serve", "my/model", "--no-such-flag"]  # argparse exits 2
    with pytest.raises(ServerStartError, match="vllm server exited with code 2"):
        ManagedServer(engine, port=free_port(), log_path=tmp_path / "log").start()


def test_missing_vllm_names_the_gpu_extra(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called vllm here
    result = CliRunner().invoke(app, ["serve", "--engine", "vllm", "--model", "my/model", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "pip install 'codeloop[gpu]'" in result.output


def test_vllm_refuses_a_gguf_file():
    with pytest.raises(ValueError, match="not a .gguf"):
        VLLMEngine("/models/x.gguf")
