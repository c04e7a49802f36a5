"""llama-cpp-python's OpenAI-compatible server: the previous embedded engine.

Kept selectable (`--engine llama-cpp-python`, CODELOOP_ENGINE) for side-by-side
measurements and for machines where only its wheel exists. It decodes one sequence at a
time, returns one choice whatever `n` says (the client tops up), reuses only the previous
request's prefix and does not report cached tokens. Its RAM prompt cache stays off: with
0.3.36 it grew the server by ~60 MB per distinct prompt (SmolLM2, 40 requests: 2.97 GB vs
0.47 GB without), reaching 18.8 GB in a batch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from serving.embedded import ServerStartError
from serving.openai_client import ServerTraits

TRAITS = ServerTraits(max_n=1, repeat_penalty_key="repeat_penalty")


class LlamaCppPythonEngine:
    """`python -m llama_cpp.server` for one GGUF file."""

    name = "llama-cpp-python"
    startup_timeout_s = 180.0
    traits = TRAITS

    def __init__(self, model_path: Path, alias: str, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        self.model_path = Path(model_path)
        self.alias = alias
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, min(os.cpu_count() or 1, 8))

    @staticmethod
    def check() -> None:
        """Its package must be importable by this interpreter."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise ServerStartError(
                "the llama-cpp-python engine needs its package: run scripts/setup.sh --old-engine "
                "or pip install 'codeloop[server]'"
            )

    def command(self, port: int) -> list[str]:
        """The server command line; listens on 127.0.0.1 only."""
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--cache", "false",
        ]  # fmt: skip

    def auth(self, key: str, key_file: Path) -> tuple[list[str], dict[str, str]]:
        """The key in the server's environment (its settings read API_KEY; /proc shows a
        process's environment only to its own user), not on its command line."""
        return [], {"API_KEY": key}
