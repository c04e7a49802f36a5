"""vLLM's OpenAI-compatible server (`vllm serve`): the GPU engine.

Prefix caching is on, and `--enable-prompt-tokens-details` makes vLLM report cached
prompt tokens in `usage.prompt_tokens_details.cached_tokens`. vLLM loads Hugging Face
checkpoints, not our GGUF files: `--model` is a Hugging Face id or a local checkpoint
directory; the registered model names map to their official checkpoints. The `gpu` extra
installs vllm; on CPU-only machines its launcher is tested against a fake `vllm` on PATH.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from serving.embedded import EngineMissing
from serving.models import DEFAULT_MODEL
from serving.openai_client import ServerTraits
from settings.errors import BadInput

TRAITS = ServerTraits(max_n=256, repeat_penalty_key="repetition_penalty")

# Registered names → the checkpoints vLLM should load for them.
CHECKPOINTS = {
    "qwen2.5-coder-1.5b": "Qwen/Qwen2.5-Coder-1.5B-Instruct",
    "qwen2.5-coder-0.5b": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
    "smollm2-135m": "HuggingFaceTB/SmolLM2-135M-Instruct",
}


class VLLMEngine:
    """`vllm serve MODEL` on 127.0.0.1, advertising the model under `alias`."""

    name = "vllm"
    startup_timeout_s = 900.0  # loading weights and compiling CUDA graphs takes minutes
    traits = TRAITS

    def __init__(self, model: str | None, *, n_ctx: int = 4096, gpu_memory_utilization: float | None = None) -> None:
        name = model or DEFAULT_MODEL
        if name.endswith(".gguf"):
            raise BadInput("--engine vllm needs a Hugging Face id or a checkpoint directory, not a .gguf file")
        self.checkpoint = CHECKPOINTS.get(name, name)
        self.alias = name
        self.n_ctx = n_ctx
        self.gpu_memory_utilization = gpu_memory_utilization

    def check(self) -> None:
        """vllm must be on PATH (this environment's or the user's)."""
        if shutil.which("vllm") is None:
            raise EngineMissing("vLLM is not installed: pip install 'codeloop[gpu]' (needs a CUDA machine)")

    def command(self, port: int) -> list[str]:
        """The `vllm serve` command line; listens on 127.0.0.1 only."""
        command = [
            "vllm", "serve", self.checkpoint,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--served-model-name", self.alias,
            "--max-model-len", str(self.n_ctx),
            "--enable-prefix-caching",
            "--enable-prompt-tokens-details",
        ]  # fmt: skip
        if self.gpu_memory_utilization is not None:
            command += ["--gpu-memory-utilization", str(self.gpu_memory_utilization)]
        return command

    def auth(self, key: str, key_file: Path) -> tuple[list[str], dict[str, str]]:
        """VLLM_API_KEY in the server's environment (as --api-key would, without showing the
        key on its command line): every /v1 endpoint then wants it."""
        return [], {"VLLM_API_KEY": key}
