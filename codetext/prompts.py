"""The one "complete the following function" prompt (`prompts/complete_function.md`),
shared by the single-call baseline (eval/) and the coder (agents/): the pipeline's greedy
call on a code-shaped task is then the baseline's own call, and every gain the agents add
is measured on top of the same answer."""

from __future__ import annotations

from importlib import resources


def complete_function_template() -> str:
    """The prompt file's text; `{prompt}` stands for the code to complete."""
    return resources.files("codetext").joinpath("prompts", "complete_function.md").read_text(encoding="utf-8")


def complete_function_prompt(code: str, template: str | None = None, preamble: str = "") -> str:
    """The user message asking to complete `code`, after `preamble` (retrieved context, a
    plan). str.replace, not str.format: benchmark prompts are full of braces."""
    template = template if template is not None else complete_function_template()
    return preamble + template.replace("{prompt}", code.strip("\n"))
