"""`llm_session`: the one way commands get an `LLM` — a given server, one we start, or a
LangChain chat model (`--llm langchain:MODULE:FACTORY`, serving/langchain_llm.py)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from serving.base import LLM
from serving.embedded import DEFAULT_PORT, ManagedServer
from serving.engines import detect_traits, engine_name, make_engine, model_alias  # noqa: F401 (model_alias re-exported)
from serving.openai_client import OpenAICompatibleLLM, ServerTraits, check_server
from serving.server_keys import remember, user_key
from serving.supervisor import SupervisedLLM
from settings.cache import cache_path
from settings.config import current
from settings.errors import BadInput


def server_log_path(port: int, engine: str = "") -> Path:
    """Where a server we start on `port` appends its log (for diagnosis only)."""
    return cache_path("logs") / f"server-{port}{'-' + engine if engine else ''}.log"


@contextlib.contextmanager
def llm_session(
    model: str | None = None,
    base_url: str | None = None,
    *,
    engine: str | None = None,
    port: int = DEFAULT_PORT,
    n_ctx: int = 4096,
    parallel: int | None = None,
    gpu_layers: int | None = None,
    timeout_s: float = 600.0,
    llm: str | None = None,
) -> Iterator[LLM]:
    """Yield an LLM client. With `llm` (`langchain:MODULE:FACTORY`), the LangChain chat
    model that factory builds, adapted (model, base_url and the engine are then unused);
    with `base_url`, use that server (it must answer now; a llama-server is recognised and
    its slots used; if it stops answering, `ServerLost`); otherwise start `engine` (default
    llama-server, or $CODELOOP_ENGINE) for `model` — or reuse one already serving it on the
    port — restart it if it dies (serving/supervisor.py), and stop what was started on exit,
    also on Ctrl-C or an error."""
    if llm:
        yield llm_from_spec(llm)
        return
    name = engine_name(engine, base_url)
    if base_url:
        key = user_key()  # the user's server, the user's key ($CODELOOP_API_KEY), if it wants one
        remember(base_url, key)  # so chat's streamer and the token counter send it too
        served = check_server(base_url, api_key=key)
        client = OpenAICompatibleLLM(base_url, model=model or served, traits=detect_traits(base_url, api_key=key),
                                     timeout_s=timeout_s, api_key=key)
        try:
            yield SupervisedLLM(client)  # not ours: losing it is a one-line ServerLost
        finally:
            client.close()
        return
    server, traits = start_server(model, engine=name, port=port, n_ctx=n_ctx, parallel=parallel,
                                  gpu_layers=gpu_layers)
    client = OpenAICompatibleLLM(server.base_url, model=server.alias, traits=traits, timeout_s=timeout_s,
                                 api_key=server.api_key)
    try:
        yield SupervisedLLM(client, server)  # restarts the server if it dies mid-run
    finally:
        client.close()
        server.stop()


def start_server(model: str | None = None, *, engine: str | None = None, port: int = DEFAULT_PORT,
                 n_ctx: int = 4096, parallel: int | None = None,
                 gpu_layers: int | None = None) -> tuple[ManagedServer, ServerTraits]:
    """Start `engine` for `model` on `port` (or adopt a server already serving it there);
    return the server (`stop()` stops only what was started) and what its chat endpoint
    does beyond the OpenAI schema."""
    launchable = make_engine(engine_name(engine), model, n_ctx=n_ctx, parallel=parallel, gpu_layers=gpu_layers)
    log_path = server_log_path(port, launchable.name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = ManagedServer(launchable, port=port, log_path=log_path)
    url = server.start()
    # An adopted server may be another engine, or have other slots than we would choose.
    return server, launchable.traits if server.process else detect_traits(url, api_key=server.api_key)


def llm_from_spec(spec: str) -> LLM:
    """The `LLM` an `--llm` value names. Only `langchain:MODULE:FACTORY` exists; a missing
    `langchain` extra is a one-line `LLMError` naming it. FACTORY gets the config file's
    `[llm] args` (see `llm_args`)."""
    if not spec.startswith("langchain:"):
        raise BadInput(f"--llm must look like langchain:MODULE:FACTORY, got {spec!r}")
    from serving.langchain_llm import LangChainLLM, load_chat_model

    return LangChainLLM(load_chat_model(spec, llm_args(spec)))


def llm_args(spec: str) -> dict:
    """FACTORY's keyword arguments: the `[llm]` table's `args` of the resolved settings (a
    config file), else CODELOOP_LLM_ARGS (JSON, what `codeloop config --env` prints) next to
    its spec in CODELOOP_LLM — only when that spec is the one in use (a different --llm on
    the command line does not get another model's args)."""
    table = current().llm
    if table is not None and table.spec == spec and table.args:
        return dict(table.args)
    raw = os.environ.get("CODELOOP_LLM_ARGS")
    if not raw or os.environ.get("CODELOOP_LLM") != spec:
        return {}
    try:
        args = json.loads(raw)
    except ValueError as exc:
        raise BadInput(f"CODELOOP_LLM_ARGS is not JSON: {exc}") from None
    if not isinstance(args, dict):
        raise BadInput(f"CODELOOP_LLM_ARGS must be a JSON object, got {raw[:80]!r}")
    return args
