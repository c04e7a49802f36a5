"""A task to solve and the tests it carries itself (asserts, doctest examples, and the
examples written in prose, turned into asserts by `agents.examples`).

Only *visible* tests steer the loop: the examples and asserts written in the task. A
benchmark's hidden evaluation (HumanEval's `check`) is never shown to the agents — using
it inside the loop would leak the evaluation into the solution.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import asdict, dataclass, field, replace

from agents.examples import example_asserts, expected_value, literal_args, make_assert, match_bracket
from codetext.pyast import parse_python
from settings.errors import BadInput

# `^[^\S\n]*`, not `^\s*`: the same names, without rescanning a run of blank lines from each one
# (O(n²) on a task text of blank lines: issue 28)
_DEF_RE = re.compile(r"^[^\S\n]*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
# how many of a task's visible tests the agents see (`with_visible_tests`, issue 13's step-1 ablation)
VISIBLE_TEST_LEVELS = ("all", "doctest", "none")
_ASSERT_CALL_RE = re.compile(r"^\s*assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\()?\s*([A-Za-z_]\w*)\s*\(")


class TaskError(BadInput):
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

    def is_code(self) -> bool:
        """Whether the task is written as Python to complete (a signature with its docstring,
        or a docstring alone: the benchmark shape) rather than as prose."""
        try:
            body = parse_python(self.prompt).body
        except (SyntaxError, ValueError):
            return False
        if any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for node in body):
            return True
        return bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str)

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
            parse_python(stripped)
        except SyntaxError:
            continue
        found.append(stripped)
    return found


def _docstrings(code: str) -> list[str] | None:
    """Every docstring in `code`, or None when it is not Python (then it is prose)."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return None
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return [doc for doc in (ast.get_docstring(n, clean=True) for n in nodes) if doc]


def doctest_examples(text: str, entry_point: str = "") -> str:
    """The `>>>` examples in the text, re-indented to column 0, as doctest source."""
    return split_doctests(text, entry_point)[0]


def split_doctests(text: str, entry_point: str) -> tuple[str, list[str]]:
    """The `>>>` examples in the text as doctest source (re-indented to column 0), and
    as asserts those the doctest runner would misjudge (`agents.examples.doctest_assert`;
    only with an `entry_point`).

    In code, only docstrings are searched: parsing raw source would take a docstring's
    closing quotes for part of the last example's expected output."""
    sources = _docstrings(text)
    examples = []
    for source in sources if sources is not None else [text]:
        try:
            examples += doctest.DocTestParser().get_examples(source)
        except ValueError:  # inconsistent indentation inside a docstring
            continue
    lines, asserts = [], []
    for ex in examples:
        converted = doctest_assert(ex.source, ex.want, entry_point)
        if converted:
            asserts.append(converted)
            continue
        source_lines = ex.source.rstrip("\n").splitlines()
        lines.append(">>> " + source_lines[0])
        lines.extend("... " + s for s in source_lines[1:])
        lines.extend(ex.want.rstrip("\n").splitlines())
    return "\n".join(lines) + ("\n" if lines else ""), asserts


def doctest_assert(source: str, want: str, entry_point: str) -> str | None:
    """A `>>>` example that the doctest runner would misjudge, as an assert (None: keep it
    a doctest): `>>> f(x) == y` with no output line (doctest expects no output, gets
    `True`), `>>> f(x) [0, 1]` (the output written on the same line), and outputs that
    equal the result but are not its repr text (`"21"` for '21', `[1,2]` for [1, 2])."""
    source, want = source.strip(), want.strip()
    if not entry_point or "\n" in source or not literal_args(first_call(source, entry_point)):
        return None
    try:
        tree = parse_python(source, mode="eval").body
    except SyntaxError:
        return None
    if not want:
        if isinstance(tree, ast.Compare) and all(isinstance(op, ast.Eq) for op in tree.ops):
            return f"assert {source}"
        call = first_call(source, entry_point)
        if source.startswith(call) and expected_value(source[len(call):]):
            return make_assert(call, expected_value(source[len(call):]))
        return None
    try:
        value = ast.literal_eval(want)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if " ".join(repr(value).split()) == " ".join(want.split()) or source != first_call(source, entry_point):
        return None
    return make_assert(source, ast.unparse(parse_python(want, mode="eval")))


def first_call(source: str, entry_point: str) -> str:
    """The first `entry_point(...)` call written in `source` ("" when there is none)."""
    match = re.search(rf"(?<![\w.]){re.escape(entry_point)}\s*\(", source)
    end = match_bracket(source, match.end() - 1) if match else None
    return source[match.start():end] if end else ""


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


def visible_tests(text: str, entry_point: str) -> tuple[list[str], str]:
    """The text's asserts (its own, then its other examples rewritten as asserts,
    deduplicated, none repeating a `>>>` call) and its `>>>` examples as doctest source.
    When the `>>>` lines do not parse as doctests, they become asserts too."""
    asserts = assert_lines(text)
    doctests, converted = split_doctests(text, entry_point)
    shown = {line[4:].strip() for line in doctests.splitlines() if line.startswith(">>> ")}
    kept = set(asserts)  # sets, not list scans: a text of thousands of examples stays linear (issue 28)
    for line in converted + example_asserts(text, entry_point, with_doctests=not (doctests or converted)):
        if line not in kept and not _repeats_doctest(line, shown):
            asserts.append(line)
            kept.add(line)
    return asserts, doctests


def _repeats_doctest(line: str, shown: set[str]) -> bool:
    """Whether `line` is `assert CALL == ...` for a CALL in `shown` (each ` ==` in the line
    is a place CALL could end)."""
    if not line.startswith("assert "):
        return False
    at = line.find(" ==", 7)
    while at >= 0:
        if line[7:at] in shown:
            return True
        at = line.find(" ==", at + 1)
    return False


def with_visible_tests(task: Task, level: str) -> Task:
    """`task` with the visible tests one extraction level finds: `all` keeps every format
    (the default), `doctest` only assert lines and `>>>` examples (what the first pipeline
    found), `none` keeps nothing. For ablations of the visible-test step."""
    if level == "all":
        return task
    if level == "none":
        return replace(task, asserts=[], doctests="")
    doctests, converted = split_doctests(task.prompt, task.entry_point)
    asserts = assert_lines(task.prompt)
    return replace(task, asserts=asserts + [line for line in converted if line not in asserts], doctests=doctests)


def task_from_text(text: str, source: str = "text") -> Task:
    """A task from free text: a description, maybe a signature, maybe asserts/examples."""
    text = text.strip()
    if not text:
        raise TaskError("the task is empty: describe what to write")
    entry_point = guess_entry_point(text, assert_lines(text))
    asserts, doctests = visible_tests(text, entry_point)
    return Task(text, entry_point, asserts, doctests, source)


def task_from_problem(problem) -> Task:
    """A task from a benchmark `Problem`: its prompt and the examples written in it."""
    asserts, doctests = visible_tests(problem.prompt, problem.entry_point)
    return Task(problem.prompt, problem.entry_point, asserts, doctests, f"{problem.benchmark}:{problem.task_id}")
