"""Engine choice, llama-server sizing and command lines, and the errors for missing programs."""

import stat

import httpx
import pytest

import settings.cache
from serving import engines, sizing
from serving.embedded import ServerStartError
from serving.llama_cpp_python import LlamaCppPythonEngine
from serving.llama_server import LlamaServerEngine, cached_binary, find_binary
from serving.openai_client import GENERIC


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("CODELOOP_ENGINE", "CODELOOP_PARALLEL", "CODELOOP_CACHE_RAM_MIB", "CODELOOP_LLAMA_SERVER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def no_binary(monkeypatch, tmp_path):
    """No llama-server anywhere: not on PATH, not in either cache directory."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(settings.cache.platformdirs, "user_cache_dir", lambda name: str(tmp_path / "user-cache"))


def test_engine_name_default_env_base_url_and_unknown(monkeypatch):
    assert engines.engine_name(None) == "llama-server"
    assert engines.engine_name(None, "http://h/v1") == "openai"
    monkeypatch.setenv("CODELOOP_ENGINE", "llama-cpp-python")
    assert engines.engine_name(None) == "llama-cpp-python"
    assert engines.engine_name("vllm") == "vllm"
    with pytest.raises(ValueError, match="unknown engine 'ollama'; choose one of llama-server"):
        engines.engine_name("ollama")


def test_sizing_for_two_cores_and_plenty_of_memory():
    s = sizing.choose(4096, cores=2, memory=(24 * 1024, 20 * 1024))
    assert (s.parallel, s.ctx_per_slot, s.ctx_total, s.threads) == (4, 4096, 16384, 2)
    assert s.cache_ram_mib == 2048  # capped: llama-server's own default is 8 GiB


def test_sizing_shrinks_slots_and_cache_to_fit_small_memory():
    s = sizing.choose(4096, cores=16, memory=(4096, 1024))  # 256 MiB for KV = 1 slot of 4096 x 64 KiB
    assert s.parallel == 1 and s.cache_ram_mib == 512
    assert sizing.choose(4096, cores=16, memory=(64 * 1024, 48 * 1024)).parallel == sizing.MAX_PARALLEL


def test_sizing_explicit_and_environment_values_win(monkeypatch):
    assert sizing.choose(2048, parallel=8, cache_ram_mib=0, cores=2, memory=(1024, 100)).parallel == 8
    monkeypatch.setenv("CODELOOP_PARALLEL", "3")
    monkeypatch.setenv("CODELOOP_CACHE_RAM_MIB", "256")
    s = sizing.choose(cores=2, memory=(24 * 1024, 20 * 1024))
    assert (s.parallel, s.cache_ram_mib) == (3, 256)
    with pytest.raises(ValueError, match="at least 1"):
        sizing.choose(parallel=0)


def test_llama_server_command_line(tmp_path):
    binary = tmp_path / "llama-server"
    engine = LlamaServerEngine(tmp_path / "m.gguf", "m", sizing.Sizing(4, 2048, 1024, 2), gpu_layers=99, binary=binary)
    cmd = engine.command(9999)
    args = dict(zip(cmd[1::2], cmd[2::2]))
    assert cmd[0] == str(binary)
    assert args["--host"] == "127.0.0.1" and args["--port"] == "9999" and args["--alias"] == "m"
    assert (args["--parallel"], args["--ctx-size"], args["--cache-ram"], args["--threads"]) == ("4", "8192", "1024", "2")
    assert cmd[-2:] == ["--gpu-layers", "99"]
    assert engine.traits.max_n == 4 and engine.traits.extra_body == {"cache_prompt": True}


def test_llama_server_binary_lookup_order(tmp_path, monkeypatch, no_binary):
    assert find_binary() is None
    with pytest.raises(ServerStartError, match="run scripts/setup.sh"):
        LlamaServerEngine(tmp_path / "m.gguf", "m", sizing.Sizing(1, 512, 0, 1)).check()
    cached = cached_binary()
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    cached.chmod(cached.stat().st_mode | stat.S_IXUSR)
    assert find_binary() == cached and cached.name == "llama-server-0.3.36-portable"
    user = tmp_path / "user-cache" / "bin" / cached.name  # the user cache's build serves any cache dir
    user.parent.mkdir(parents=True)
    cached.rename(user)
    assert find_binary() == user
    monkeypatch.setenv("CODELOOP_LLAMA_SERVER", "/opt/llama-server")
    assert str(find_binary()) == "/opt/llama-server"


def test_llama_cpp_python_engine_missing_package_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ServerStartError, match=r"codeloop\[server\]"):
        LlamaCppPythonEngine(tmp_path / "m.gguf", "m").check()
    assert "--cache" in LlamaCppPythonEngine(tmp_path / "m.gguf", "m").command(1)


def test_openai_engine_launches_nothing():
    with pytest.raises(ValueError, match="give --base-url"):
        engines.make_engine("openai", None)


def test_detect_traits_reads_llama_server_slots(stub_server, monkeypatch):
    stub = stub_server([])
    assert engines.detect_traits(stub.base_url).max_n == GENERIC.max_n  # no /props slots: generic

    def props(url, timeout, headers):
        if headers.get("Authorization") != "Bearer k1":  # a keyed server: /props wants the key
            return httpx.Response(401)
        return httpx.Response(200, json={"total_slots": 6}) if url.endswith("/props") else httpx.Response(404)

    monkeypatch.setattr(engines.httpx, "get", props)
    assert engines.detect_traits("http://127.0.0.1:1/v1").max_n == GENERIC.max_n
    traits = engines.detect_traits("http://127.0.0.1:1/v1", api_key="k1")
    assert traits.max_n == 6 and traits.usage_counts_first_choice


def test_missing_llama_server_is_reported_before_any_model_download(monkeypatch, no_binary):
    monkeypatch.setattr(engines, "resolve", lambda model: pytest.fail("resolved (downloaded) the model first"))
    with pytest.raises(ServerStartError, match="llama-server not found"):
        engines.make_engine("llama-server", "smollm2-135m")


def test_each_engine_takes_its_key_from_a_file_or_its_environment_never_its_argv(tmp_path):
    """/proc/PID/cmdline is readable by every local user; a file of ours (0600) and a process's
    environment (/proc/PID/environ: its own user only) are not."""
    from serving.vllm_engine import VLLMEngine

    key, key_file = "s3cret-key", tmp_path / "server.key"
    engines_ = [LlamaServerEngine(tmp_path / "m.gguf", "m", sizing.choose(2048, parallel=1)),
                LlamaCppPythonEngine(tmp_path / "m.gguf", "m"), VLLMEngine("my/model")]
    wanted = [(["--api-key-file", str(key_file)], {}), ([], {"API_KEY": key}), ([], {"VLLM_API_KEY": key})]
    for engine, (args, env) in zip(engines_, wanted):
        assert engine.auth(key, key_file) == (args, env), engine.name
        assert key not in " ".join(engine.command(8765) + args)
