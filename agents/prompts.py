"""Prompt templates are package data files (agents/prompts/*.md, read by
`codetext.prompts.package_prompt`); this module fills them and lays out every agent's
messages in one cache-friendly order:

1. the shared system prompt (identical for every agent, so one cached prefix serves all),
2. the role's fixed few-shot example (identical for every task),
3. retrieved context, quoted as data,
4. the task itself — nothing variable comes before the stable parts.
"""

from __future__ import annotations

from codetext.prompts import package_prompt, render_prompt
from serving.base import Message


def load_prompt(name: str) -> str:
    """The text of `agents/prompts/<name>.md`."""
    return package_prompt("agents", name)


def render(name: str, **values: str) -> str:
    """`load_prompt(name)` with `{placeholders}` filled."""
    return render_prompt("agents", name, **values)


def entry_point_line(entry_point: str) -> str:
    """The sentence naming the function the code must define ("" when there is none)."""
    return f"The code must define the function `{entry_point}`." if entry_point else ""


def context_section(context: str) -> str:
    """Retrieved context (already quoted by `retrieval.format_context`) wrapped in tags."""
    return f"<context>\n{context.strip()}\n</context>\n\n" if context.strip() else ""


def example_messages(user_template: str, answer: str, **values: str) -> list[Message]:
    """The role's fixed few-shot pair: the example task asked with the role's own template."""
    example = load_prompt("example_task").strip()
    user = render(user_template, task=example, entry_point_line=entry_point_line("count_vowels"), **values)
    return [{"role": "user", "content": user}, {"role": "assistant", "content": load_prompt(answer).strip()}]


def layout(user: str, examples: list[Message] | None = None) -> list[Message]:
    """System prompt, then the fixed examples, then the variable request."""
    return [{"role": "system", "content": load_prompt("system").strip()}, *(examples or []),
            {"role": "user", "content": user}]
