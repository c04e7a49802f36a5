"""Choice types for the commands' options (`Literal`s: typer validates them with a one-line
`error:` naming the choices, and the shell completes them; values stay plain strings). The
lists mirror the libraries' own tables (tests/apps/test_usable_output.py keeps them equal)
without importing the heavy modules."""

from __future__ import annotations

from typing import Literal

SandboxName = Literal["auto", "docker", "bwrap", "process"]  # sandbox.BACKENDS
EngineName = Literal["llama-server", "llama-cpp-python", "vllm", "openai"]  # serving.engines.ENGINES
RetrievalChoice = Literal["none", "examples", "docs", "all"]  # retrieval.api.RETRIEVAL_CHOICES
BatchMode = Literal["pipeline", "baseline"]  # codeloop batch --mode
OutputFormat = Literal["text", "vscode", "github"]  # apps.problems_format.FORMATS
