"""Upstream llama.cpp `llama-server`: the default embedded engine.

Parallel slots with continuous batching, `n_cmpl` (n samples of one prompt: the prompt is
evaluated once and its KV copied to the child slots), `cache_prompt`, a host-memory cache
of many prompts (`--cache-ram`), `n_probs`, and cached-token counts in every response.
The binary is built by scripts/setup.sh from the llama.cpp that the llama-cpp-python
0.3.36 source package vendors (MIT), portably (-DGGML_NATIVE=OFF: a native build SIGILLs
on VMs that advertise AMX), and cached in the user cache directory (docs/ARCHITECTURE.md, Environment).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from serving.embedded import ServerStartError
from serving.openai_client import ServerTraits
from serving.sizing import Sizing
from settings.config import current
from settings.cache import cache_path, default_root

# The llama-cpp-python source release whose vendored llama.cpp we build (scripts/setup.sh).
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
BINARY_NAME = f"llama-server-{LLAMA_CPP_PYTHON_VERSION}-portable"


def cached_binary() -> Path:
    """Where scripts/setup.sh puts the portable build: <cache>/bin/llama-server-<version>-portable."""
    return cache_path("bin") / BINARY_NAME


def find_binary(explicit: str | None = None) -> Path | None:
    """`explicit`, else the `llama_server` setting ($CODELOOP_LLAMA_SERVER or the user's config),
    else the cached portable build (under the cache root, then the user cache: a machine's one
    build serves every cache directory), else PATH."""
    explicit = explicit or current().llama_server
    if explicit:
        return Path(explicit)
    user_cache = default_root() / "bin" / BINARY_NAME
    for cached in (cached_binary(), user_cache):
        if cached.is_file() and os.access(cached, os.X_OK):
            return cached
    on_path = shutil.which("llama-server")
    return Path(on_path) if on_path else None


def require_binary() -> Path:
    """The binary `find_binary` finds, or a `ServerStartError` that says how to get one."""
    binary = find_binary()
    if binary is None or not binary.is_file():
        raise ServerStartError(
            f"llama-server not found (looked at $CODELOOP_LLAMA_SERVER, {cached_binary()} and PATH): "
            "run scripts/setup.sh to build it, or choose --engine llama-cpp-python"
        )
    return binary


def traits_for(parallel: int) -> ServerTraits:
    """llama-server's request traits: n up to its slot count per request, prompt caching on,
    first-choice-only usage for n > 1 (see ServerTraits)."""
    return ServerTraits(max_n=parallel, repeat_penalty_key="repeat_penalty",
                        usage_counts_first_choice=True, extra_body={"cache_prompt": True})


class LlamaServerEngine:
    """`llama-server` for one GGUF file, sized by `serving.sizing`."""

    name = "llama-server"
    startup_timeout_s = 180.0

    def __init__(self, model_path: Path, alias: str, sizing: Sizing, *, gpu_layers: int | None = None,
                 binary: Path | None = None) -> None:
        self.model_path = Path(model_path)
        self.alias = alias
        self.sizing = sizing
        self.gpu_layers = gpu_layers
        self.binary = binary
        self.traits = traits_for(sizing.parallel)

    def check(self) -> None:
        """Find the binary now (not in the constructor) so a missing build is a clear error."""
        self.binary = self.binary or require_binary()

    def command(self, port: int) -> list[str]:
        """The server command line; listens on 127.0.0.1 only. The KV cache (-c) is split
        evenly between the slots, so each slot gets `ctx_per_slot` tokens."""
        s = self.sizing
        command = [
            str(self.binary or find_binary() or "llama-server"),
            "--model", str(self.model_path),
            "--alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--ctx-size", str(s.ctx_total),
            "--parallel", str(s.parallel),
            "--threads", str(s.threads),
            "--cache-ram", str(s.cache_ram_mib),
            "--no-webui",
            "--metrics",
        ]  # fmt: skip
        if self.gpu_layers is not None:
            command += ["--gpu-layers", str(self.gpu_layers)]
        return command

    def auth(self, key: str, key_file: Path) -> tuple[list[str], dict[str, str]]:
        """`--api-key-file`: the server reads the key from the 0600 file (its argv, which /proc
        shows to every user, holds only the path); every endpoint but /health then wants it."""
        return ["--api-key-file", str(key_file)], {}
