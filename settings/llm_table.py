"""The `[llm]` table of the configuration: a LangChain chat model instead of a server."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


class LLMTable(BaseModel):
    """The `[llm]` table: a LangChain chat model instead of a server (`--llm`).

        [llm]
        spec = "langchain:langchain_openai:ChatOpenAI"   # langchain:MODULE:FACTORY
        args = { model = "gpt-4o-mini", base_url = "https://gateway.example/v1" }

    `args` are FACTORY's keyword arguments. `llm = "langchain:..."` (a plain string, also
    `CODELOOP_LLM` and `--set llm=...`) is the table without args."""

    spec: str | None = None
    args: dict[str, Any] = {}

    def as_env(self) -> dict[str, str]:
        """The table as variables: CODELOOP_LLM (the spec) and CODELOOP_LLM_ARGS (the args as
        JSON; serving/session.py applies them only to this same spec)."""
        return {"CODELOOP_LLM": self.spec or ""} | ({"CODELOOP_LLM_ARGS": json.dumps(self.args)} if self.args else {})

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.spec or '(none)'}{f' ({args})' if args else ''}"


def llm_table(value: Any) -> Any:
    """A plain string is the table's spec."""
    return {"spec": value} if isinstance(value, str) else value
