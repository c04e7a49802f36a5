"""Engine selection: a name (--engine / CODELOOP_ENGINE) → a launchable `Engine` or a given server.

| engine | what runs | where |
|---|---|---|
| `llama-server` (default) | upstream llama.cpp server, parallel slots | serving/llama_server.py |
| `llama-cpp-python` | the previous embedded server, one sequence at a time | serving/llama_cpp_python.py |
| `vllm` | `vllm serve` on a GPU | serving/vllm_engine.py |
| `openai` | nothing: any running server at --base-url (Ollama, a remote vLLM) | — |
"""

from __future__ import annotations


import httpx

from serving import server_keys
from serving.embedded import Engine
from serving.models import DEFAULT_MODEL, REGISTRY, cached_path, resolve
from serving.openai_client import GENERIC, ServerTraits
from settings.config import current
from settings.errors import BadInput

DEFAULT_ENGINE = "llama-server"
ENGINES = ("llama-server", "llama-cpp-python", "vllm", "openai")


def engine_name(engine: str | None, base_url: str | None = None) -> str:
    """The engine to use: explicit, else the `engine` setting ($CODELOOP_ENGINE or a config
    file), else `openai` with a base URL, else the default; a `ValueError` (a one-line CLI
    error) for an unknown name."""
    name = engine or current().engine or ("openai" if base_url else DEFAULT_ENGINE)
    if name not in ENGINES:
        raise BadInput(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return name


def model_alias(model: str | None, path) -> str:
    """The name the server advertises: the registry name, or the file's stem for a path."""
    if model is None:
        return DEFAULT_MODEL
    return model if model in REGISTRY else path.stem


def make_engine(name: str, model: str | None, *, n_ctx: int = 4096, parallel: int | None = None,
                gpu_layers: int | None = None) -> Engine:
    """The launchable engine `name` for `model` (a registry name or a path; for vllm also a
    Hugging Face id). GGUF models are resolved (and fetched) here."""
    if name == "vllm":
        from serving.vllm_engine import VLLMEngine

        return VLLMEngine(model, n_ctx=n_ctx)
    if name == "openai":
        raise BadInput("--engine openai serves nothing itself: give --base-url of a running server")
    from serving import sizing
    from serving.llama_cpp_python import LlamaCppPythonEngine
    from serving.llama_server import LlamaServerEngine, require_binary

    registered = REGISTRY.get(model or DEFAULT_MODEL)
    if registered and not cached_path(registered).exists():
        # A missing program is reported before minutes of model download, not after.
        LlamaCppPythonEngine.check() if name == "llama-cpp-python" else require_binary()
    path = resolve(model)
    alias = model_alias(model, path)
    if name == "llama-cpp-python":
        return LlamaCppPythonEngine(path, alias, n_ctx=n_ctx)

    if gpu_layers is None:  # not given: the `gpu_layers` setting (CODELOOP_GPU_LAYERS, a config file)
        gpu_layers = current().gpu_layers
    return LlamaServerEngine(path, alias, sizing.choose(n_ctx, parallel=parallel), gpu_layers=gpu_layers)


def detect_traits(base_url: str, timeout_s: float = 2.0, api_key: str | None = None) -> ServerTraits:
    """Traits of a server we did not start: llama-server announces itself (and its slot
    count, the most `n` one request may ask for) at /props (with its key: `api_key`, else
    the one remembered for that server); anything else is generic."""
    from serving.llama_server import traits_for

    root = base_url.rstrip("/").removesuffix("/v1")
    key = api_key or server_keys.key_for(base_url)
    try:
        response = httpx.get(root + "/props", headers={"Authorization": f"Bearer {key}"} if key else {},
                             timeout=timeout_s)
        slots = response.json().get("total_slots") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        slots = None
    return traits_for(int(slots)) if isinstance(slots, int) and slots > 0 else GENERIC
