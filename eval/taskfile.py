"""Users' own task sets: a JSONL file of HumanEval- or MBPP-format rows as `Problem`s.

`codeloop batch path/to/tasks.jsonl` runs them like a built-in benchmark, so users evaluate
on their own problems and we keep held-out sets the same way. The format is detected per row:

- HumanEval: `task_id`, `prompt`, `entry_point`, `test` (defining `check(candidate)`),
  optional `canonical_solution`; checked by calling `check(entry_point)` after the tests.
- MBPP: `task_id`, `text` (or `prompt`), `test_list` (assert lines), optional `code`,
  `entry_point`, `test_setup_code`, `test_imports`; the prompt is shaped like `mbpp`'s.

The problems' benchmark is the file's resolved path, which `load_benchmark` accepts back,
so `codeloop eval RUN` finds the tasks again. A bad file raises `TaskFileError` with one
line naming the file, the line and what is wrong — also a row longer than `MAX_TASK_CHARS`
or nested deeper than the JSON reader or Python's parser goes (a task file is untrusted
input: it must cost a user neither minutes nor a traceback).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import os
import warnings
from pathlib import Path

from codetext.pyast import parse_python
from eval.problem import Problem, mbpp_entry_point, mbpp_prompt
from settings.errors import BadInput

SUFFIX = ".jsonl"
# The largest task, in characters: a task file's row (its text, tests and solution) or the
# text `codeloop solve` is given. 100x the longest HumanEval/MBPP prompt (2 kB; a held-out
# row is 2.2 kB) and 12x the default model's whole context (4k tokens, ~16 kB), so no task a
# model here can read is refused; small enough that mining a crafted text for examples
# (linear, agents/examples_cost.py) stays within seconds.
MAX_TASK_CHARS = 200_000
HUMANEVAL_KEYS = ("prompt", "entry_point", "test")


class TaskFileError(BadInput):
    """A task file that is missing, unreadable or has a bad row (message: one line)."""


def is_task_file(name: str | os.PathLike) -> bool:
    """Whether a benchmark name is a path to a task file (by its `.jsonl` suffix)."""
    return str(name).lower().endswith(SUFFIX)


def check_task_size(text: str, what: str) -> str:
    """`text`, or TaskFileError (one line naming `what`) when it is over `MAX_TASK_CHARS`."""
    if len(text) > MAX_TASK_CHARS:
        raise TaskFileError(f"{what} is {len(text):,} characters; a task may have at most {MAX_TASK_CHARS:,}")
    return text


def task_file_path(name: str | os.PathLike) -> Path:
    """The resolved path of task file `name`; raises TaskFileError when there is none."""
    path = Path(name).expanduser()
    if not path.is_file():
        raise TaskFileError(f"task file not found: {name}")
    return path.resolve()


def task_file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of the file's bytes: part of a run's identity, so a changed file is not
    silently resumed as if it were the same task set."""
    return hashlib.sha256(task_file_path(path).read_bytes()).hexdigest()


def _parse(source: str, what: str) -> ast.Module:
    """`source` parsed, or a one-line error saying which field is not Python."""
    try:
        with warnings.catch_warnings():  # invalid escapes like "\w" are the author's business
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            return parse_python(source)
    except SyntaxError as exc:  # also source nested too deeply for the parser (codetext.pyast)
        where = f", line {exc.lineno}" if exc.lineno else ""
        raise ValueError(f"{what} is not valid Python ({exc.msg}{where})") from None


def _text(row: dict, key: str, *, required: bool = True) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if value is None:
        raise ValueError(f"missing {key!r}")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key!r} must be a {'non-empty ' if required else ''}string")
    return value.replace("\r\n", "\n")  # MBPP's own rows use CRLF


def _identifier(name: str, key: str = "entry_point") -> str:
    if not name.isidentifier():
        raise ValueError(f"{key!r} must be a Python name, got {name!r}")
    return name


def _humaneval_row(row: dict, bench: str, task_id: str) -> Problem:
    prompt, test = _text(row, "prompt"), _text(row, "test")
    entry_point = _identifier(_text(row, "entry_point"))
    defined = {n.name for n in _parse(test, "'test'").body if isinstance(n, ast.FunctionDef)}
    if "check" not in defined:
        raise ValueError("'test' defines no check(candidate) function")
    return Problem(bench, task_id, prompt, entry_point, test, _text(row, "canonical_solution", required=False),
                   family="humaneval")


def _first_called(test: str) -> str:
    """The first function the assert calls that is not a builtin (`assert set(f(x)) == ...`
    calls `set` first, but `f` is the function under test)."""
    for node in ast.walk(_parse(test, "'test_list' item 1")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not hasattr(builtins, node.func.id):
            return node.func.id
    return ""


def _mbpp_row(row: dict, bench: str, task_id: str) -> Problem:
    text = _text(row, "text", required=False) or _text(row, "prompt", required=False)
    if not text.strip():
        raise ValueError("missing 'text' (or 'prompt')")
    tests = row["test_list"]
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) and t.strip() for t in tests):
        raise ValueError("'test_list' must be a non-empty list of assert strings")
    for i, t in enumerate(tests, 1):
        _parse(t, f"'test_list' item {i}")
    code = _text(row, "code", required=False)
    if code:
        _parse(code, "'code'")
    if row.get("entry_point") is not None:
        entry_point = _identifier(_text(row, "entry_point"))
    else:  # MBPP rows do not name the function: infer it as the built-in loaders do
        entry_point = mbpp_entry_point(code, tests[0]) if code else _first_called(tests[0])
        if not entry_point:
            raise ValueError("cannot tell the function under test from 'test_list'; add 'entry_point'")
    imports = row.get("test_imports") or []
    if not isinstance(imports, list) or not all(isinstance(t, str) for t in imports):
        raise ValueError("'test_imports' must be a list of strings")
    setup = _text(row, "test_setup_code", required=False)
    test = "\n".join([setup, *imports, *(t.replace("\r\n", "\n") for t in tests)]).strip("\n")
    return Problem(bench, task_id, mbpp_prompt(text, tests[0]), entry_point, test, code, family="mbpp")


def _problem(row: object, bench: str) -> Problem:
    """One row as a Problem; ValueError with a short reason when it is not a valid task."""
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    task_id = row.get("task_id")
    # MBPP's own files use integer ids: accept them, compare and record them as text.
    if isinstance(task_id, bool) or not isinstance(task_id, (str, int)) or not str(task_id).strip():
        raise ValueError("missing 'task_id'" if task_id is None else "'task_id' must be a non-empty string")
    task_id = str(task_id)
    if "test_list" in row:
        return _mbpp_row(row, bench, task_id)
    if any(key in row for key in HUMANEVAL_KEYS):
        return _humaneval_row(row, bench, task_id)
    raise ValueError("neither HumanEval format (prompt, entry_point, test) nor MBPP format (text, test_list)")


def load_task_file(path: str | os.PathLike) -> list[Problem]:
    """The problems of a JSONL task file, in file order (format detected per row; blank
    lines skipped). Raises TaskFileError naming the file and line of the first bad row."""
    resolved = task_file_path(path)
    bench, label = str(resolved), Path(path).name
    try:
        lines = resolved.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFileError(f"{label}: cannot read ({type(exc).__name__})") from None
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        check_task_size(line, f"{label} line {number}")
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise TaskFileError(f"{label} line {number}: not JSON") from None
        except (RecursionError, MemoryError):
            raise TaskFileError(f"{label} line {number}: JSON nested too deeply to read") from None
        try:
            problem = _problem(row, bench)
        except ValueError as exc:
            raise TaskFileError(f"{label} line {number}: {exc}") from None
        except (RecursionError, MemoryError):  # a deep value anywhere else in the row
            raise TaskFileError(f"{label} line {number}: nested too deeply to read") from None
        if problem.task_id in first_line:
            raise TaskFileError(f"{label} line {number}: duplicate task_id {problem.task_id!r} "
                                f"(first on line {first_line[problem.task_id]})")
        first_line[problem.task_id] = number
        problems.append(problem)
    if not problems:
        raise TaskFileError(f"{label}: no tasks (empty file)")
    return problems
