"""Getting code out of small-model output, and checking it before any test run.

Small models wrap code in prose, emit several blocks, or forget the fence. We take the
first fenced block that defines the entry point, then any fenced block, then the whole
text if it parses — and validate that the result parses and defines the entry point.
What the extracted code may keep is decided by `codetext.sanitize`.
"""

from __future__ import annotations

import ast
import re

from codetext.pyast import parse_python

_FENCE_RE = re.compile(r"```[ \t]*(?:python|py|Python|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def fenced_blocks(text: str) -> list[str]:
    """Contents of ``` blocks in order (an unterminated last block counts: output may be cut)."""
    return [block.strip("\n") for block in _FENCE_RE.findall(text) if block.strip()]


def defines(code: str, name: str) -> bool:
    """True when `code` parses and defines `name` at top level (function, class or assignment)."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def parses(code: str) -> bool:
    try:
        parse_python(code)
    except SyntaxError:
        return False
    return True


def extract_code(text: str, entry_point: str = "") -> str:
    """The best code candidate in `text`, or "" when there is none."""
    blocks = fenced_blocks(text)
    if entry_point:
        for block in blocks:
            if defines(block, entry_point):
                return block
    for block in blocks:
        if parses(block):
            return block
    if not blocks and parses(text) and text.strip():
        return text.strip("\n")
    return blocks[0] if blocks else ""


def validate(code: str, entry_point: str = "") -> str:
    """Why `code` cannot be tested, or "" when it can."""
    if not code.strip():
        return "The answer contained no code block."
    try:
        parse_python(code)
    except SyntaxError as exc:
        return f"The code does not parse: SyntaxError: {exc.msg} (line {exc.lineno})"
    if entry_point and not defines(code, entry_point):
        return f"The code does not define the required function `{entry_point}`."
    return ""


def task_imports(prompt: str) -> list[str]:
    """Top-level import statements of a task written as Python code (e.g. HumanEval's
    `from typing import List`); [] when the task is prose."""
    try:
        tree = parse_python(prompt)
    except SyntaxError:
        return []
    return [ast.get_source_segment(prompt, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def with_task_imports(code: str, prompt: str) -> str:
    """`code` with the task's own imports it lacks put first.

    Small models often drop the imports a signature needs (`List`); benchmarks run the
    prompt before the code, so it would pass there yet fail our tests alone — and a
    correct candidate would be discarded."""
    if not code.strip() or not parses(code):
        return code
    missing = [line for line in task_imports(prompt) if line and line not in code]
    return "\n".join(missing + [code]) if missing else code
