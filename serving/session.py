"""`llm_session`: the one way commands get an `LLM` — a given server, or the embedded one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from serving.embedded import DEFAULT_PORT, EmbeddedServer
from serving.models import DEFAULT_MODEL, REGISTRY, cache_dir, resolve
from serving.openai_client import OpenAICompatibleLLM, check_server


def model_alias(model: str | None, path: Path) -> str:
    """The name the server advertises: the registry name, or the file's stem for a path."""
    if model is None:
        return DEFAULT_MODEL
    return model if model in REGISTRY else path.stem


def server_log_path(port: int) -> Path:
    """Where the embedded server on `port` appends its log (see serving/server_log.py)."""
    return cache_dir().parent / "logs" / f"server-{port}.log"


@contextlib.contextmanager
def llm_session(
    model: str | None = None,
    base_url: str | None = None,
    *,
    port: int = DEFAULT_PORT,
    n_ctx: int = 4096,
    timeout_s: float = 600.0,
) -> Iterator[OpenAICompatibleLLM]:
    """Yield an LLM client. With `base_url`, use that server (it must answer now);
    otherwise resolve `model`, start the embedded server (or reuse one already serving it),
    and stop what was started on exit — also on Ctrl-C or an error."""
    if base_url:
        served = check_server(base_url)
        client = OpenAICompatibleLLM(base_url, model=model or served, timeout_s=timeout_s)
        try:
            yield client
        finally:
            client.close()
        return
    path = resolve(model)
    alias = model_alias(model, path)
    log_path = server_log_path(port)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = EmbeddedServer(path, alias, port=port, n_ctx=n_ctx, log_path=log_path)
    client = OpenAICompatibleLLM(server.start(), model=alias, timeout_s=timeout_s)
    try:
        yield client
    finally:
        client.close()
        server.stop()
