"""Prompt templates are package data files (agents/prompts/*.md); this module fills them."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache  # the files are read-only package data, so caching them is safe
def load_prompt(name: str) -> str:
    """The text of `agents/prompts/<name>.md`."""
    return resources.files("agents").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    """`load_prompt(name)` with `{placeholders}` filled."""
    return load_prompt(name).format(**values).strip() + "\n"


def entry_point_line(entry_point: str) -> str:
    return f"The code must define the function `{entry_point}`." if entry_point else ""
