"""Prompt files, and the one "complete the following function" prompt.

`package_prompt` is the one loader of prompt files: every package that ships prompts keeps
them as package data in its own `prompts/` folder (agents, agents.build, agents.edit, codetext)
and reads them through it. It lives here, the lowest layer that has prompts of its own.

`prompts/complete_function.md` is shared by the single-call baseline (eval/) and the coder
(agents/): the pipeline's greedy call on a code-shaped task is then the baseline's own call,
and every gain the agents add is measured on top of the same answer."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache  # the files are read-only package data, so caching them is safe
def package_prompt(package: str, name: str) -> str:
    """The text of `<package>/prompts/<name>.md` (`package` dotted, e.g. "agents.build")."""
    return resources.files(package).joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")


def render_prompt(package: str, name: str, **values: str) -> str:
    """`package_prompt(package, name)` with its `{placeholders}` filled, ending in one newline."""
    return package_prompt(package, name).format(**values).strip() + "\n"


def complete_function_template() -> str:
    """The prompt file's text; `{prompt}` stands for the code to complete."""
    return package_prompt("codetext", "complete_function")


def complete_function_prompt(code: str, template: str | None = None, preamble: str = "") -> str:
    """The user message asking to complete `code`, after `preamble` (retrieved context, a
    plan). str.replace, not str.format: benchmark prompts are full of braces."""
    template = template if template is not None else complete_function_template()
    return preamble + template.replace("{prompt}", code.strip("\n"))
