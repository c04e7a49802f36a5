"""A task to solve and the tests it carries itself (asserts, doctest examples).

Only *visible* tests steer the loop: the examples and asserts written in the task. A
benchmark's hidden evaluation (HumanEval's `check`) is never shown to the agents — using
it inside the loop would leak the evaluation into the solution.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import asdict, dataclass, field

_DEF_RE = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_ASSERT_CALL_RE = re.compile(r"^\s*assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\()?\s*([A-Za-z_]\w*)\s*\(")


class TaskError(ValueError):
    """The task cannot be worked on (empty, or nothing to write)."""


@dataclass
class Task:
    """What the agents work on. `asserts` and `doctests` are the task's visible tests."""

    prompt: str
    entry_point: str = ""
    asserts: list[str] = field(default_factory=list)
    doctests: str = ""
    source: str = "text"  # "text", or a problem reference like humaneval:HumanEval/0

    @property
    def has_tests(self) -> bool:
        return bool(self.asserts or self.doctests)

    def to_dict(self) -> dict:
        """Plain data for the graph state (checkpointed, so it must serialize)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Task":
        return cls(**data)


def assert_lines(text: str) -> list[str]:
    """Single-line `assert` statements written in the text, each one that parses."""
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("assert "):
            continue
        try:
            ast.parse(stripped)
        except SyntaxError:
            continue
        found.append(stripped)
    return found


def _docstrings(code: str) -> list[str] | None:
    """Every docstring in `code`, or None when it is not Python (then it is prose)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return [doc for doc in (ast.get_docstring(n, clean=True) for n in nodes) if doc]


def doctest_examples(text: str) -> str:
    """The `>>>` examples in the text, re-indented to column 0, as doctest source.

    In code, only docstrings are searched: parsing raw source would take a docstring's
    closing quotes for part of the last example's expected output."""
    sources = _docstrings(text)
    examples = []
    for source in sources if sources is not None else [text]:
        try:
            examples += doctest.DocTestParser().get_examples(source)
        except ValueError:  # inconsistent indentation inside a docstring
            continue
    lines = []
    for ex in examples:
        source_lines = ex.source.rstrip("\n").splitlines()
        lines.append(">>> " + source_lines[0])
        lines.extend("... " + s for s in source_lines[1:])
        lines.extend(ex.want.rstrip("\n").splitlines())
    return "\n".join(lines) + ("\n" if lines else "")


def guess_entry_point(text: str, asserts: list[str]) -> str:
    """The function the task asks for: the last `def` in the text, else the function the
    asserts call."""
    defs = _DEF_RE.findall(text)
    if defs:
        return defs[-1]
    for line in asserts:
        match = _ASSERT_CALL_RE.match(line)
        if match and match.group(1) not in {"isinstance", "len", "set", "sorted", "abs", "round", "math"}:
            return match.group(1)
    return ""


def task_from_text(text: str, source: str = "text") -> Task:
    """A task from free text: a description, maybe a signature, maybe asserts/examples."""
    text = text.strip()
    if not text:
        raise TaskError("the task is empty: describe what to write")
    asserts = assert_lines(text)
    return Task(text, guess_entry_point(text, asserts), asserts, doctest_examples(text), source)


def task_from_problem(problem) -> Task:
    """A task from a benchmark `Problem`: its prompt and the examples written in it."""
    prompt = problem.prompt
    asserts = assert_lines(prompt)
    return Task(prompt, problem.entry_point, asserts, doctest_examples(prompt), f"{problem.benchmark}:{problem.task_id}")
