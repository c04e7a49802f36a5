"""codeloop's model for LangChain apps: `chat_model()` is a `ChatOpenAI` bound to the embedded engine.

    from serving.langchain import chat_model

    with chat_model(temperature=0) as llm:        # starts llama-server with the default model
        print(llm.invoke("Write a Python one-liner that reverses a string.").content)
    # leaving the block stops the server (unless it was already running: then it is left alone)

Without `with`, call `llm.close()` when done (a server we started also dies with this
process). `base_url=` binds to a server that is already running instead. Needs the
`langchain` extra (langchain-openai); a missing extra is a one-line error naming it.
"""

from __future__ import annotations

import functools
from typing import Any

from serving.embedded import DEFAULT_PORT
from serving.langchain_llm import EXTRA_HINT, LangChainMissing


@functools.cache
def _local_chat_class() -> type:
    """`ChatOpenAI` with the server it is bound to (defined on first use: langchain-openai
    is imported only then)."""
    try:
        from langchain_openai import ChatOpenAI
        from pydantic import PrivateAttr
    except ImportError as exc:
        raise LangChainMissing(f"codeloop's LangChain chat model needs the langchain extra: {EXTRA_HINT}") from exc

    class LocalChatOpenAI(ChatOpenAI):
        """A `ChatOpenAI` on codeloop's engine; `close()` (or leaving `with`) stops a server
        it started."""

        _server: Any = PrivateAttr(default=None)

        def close(self) -> None:
            """Stop the engine if this model started it (an adopted server keeps running)."""
            server, self._server = self._server, None
            if server is not None:
                server.stop()

        def __enter__(self) -> "LocalChatOpenAI":
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

    return LocalChatOpenAI


def chat_model(model: str | None = None, *, base_url: str | None = None, engine: str | None = None,
               port: int = DEFAULT_PORT, n_ctx: int = 4096, parallel: int | None = None,
               gpu_layers: int | None = None, **chat_kwargs: Any) -> Any:
    """A LangChain chat model answering from codeloop's engine.

    Without `base_url`, start `engine` (default llama-server, or $CODELOOP_ENGINE) for
    `model` (default: the 1.5B coder; a registry name or a .gguf path) on 127.0.0.1:`port`,
    or adopt a server already serving it there. `chat_kwargs` go to `ChatOpenAI`
    (`temperature`, `max_tokens`, `timeout`, ...). llama-server's request fields (e.g.
    `cache_prompt`) are sent as `extra_body`."""
    cls = _local_chat_class()
    from serving.engines import detect_traits
    from serving.openai_client import check_server
    from serving.server_keys import user_key
    from serving.session import start_server

    server = None
    if base_url:
        key = chat_kwargs.get("api_key") or user_key()
        url, name = base_url.rstrip("/"), model or check_server(base_url, api_key=key)
        traits = detect_traits(base_url, api_key=key)
    else:
        server, traits = start_server(model, engine=engine, port=port, n_ctx=n_ctx, parallel=parallel,
                                      gpu_layers=gpu_layers)
        url, name = server.base_url, server.alias
    # the embedded server wants its per-launch key (serving/server_keys.py); a given one, the
    # user's $CODELOOP_API_KEY if any; ChatOpenAI wants some key either way
    chat_kwargs.setdefault("api_key", (server.api_key if server is not None else user_key()) or "none")
    if traits.extra_body:
        chat_kwargs["extra_body"] = {**traits.extra_body, **(chat_kwargs.get("extra_body") or {})}
    try:
        llm = cls(model=name, base_url=url, **chat_kwargs)
    except Exception:
        if server is not None:
            server.stop()
        raise
    llm._server = server
    return llm
