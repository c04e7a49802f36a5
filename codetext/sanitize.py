"""The one sanitiser every answer goes through before it is tested or scored.

Close to EvalPlus's `sanitize`, on Python's own `ast`: keep the top-level imports, every
function and class, and the assignments to names that the entry point or a kept
definition uses (followed transitively); drop everything else at top level — the
answer's own asserts, calls, prints, loops, `result = f(3)` lines and
`if __name__ == "__main__":` blocks. Unlike EvalPlus, functions and classes the entry
point does not use stay: defining them runs nothing, and a benchmark's tests may use
them (MBPP's `Pair` and `Node` classes are defined by the answer, called by the test).
Small models append such "test code" to a function they were asked for; one wrong
expectation there fails the import, and a `unittest.main()` or `sys.exit(0)` there must
never decide a verdict. Baseline, pipeline and the evaluator all call `sanitize`, so the
modes are judged alike (docs/ARCHITECTURE.md, Evaluation rules).
"""

from __future__ import annotations

import ast

from codetext.extract import extract_code, with_task_imports
from codetext.pyast import parse_python

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def _defined_names(node: ast.stmt) -> set[str]:
    """The top-level names a definition binds (function/class name, assignment targets)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used_names(node: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _needed(definitions: list[ast.stmt], roots: list[str]) -> list[ast.stmt]:
    """The definitions reachable from the names `roots` through the names they use."""
    by_name: dict[str, list[ast.stmt]] = {}
    for node in definitions:
        for name in _defined_names(node):
            by_name.setdefault(name, []).append(node)
    keep: dict[int, ast.stmt] = {}
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in by_name.get(name, []):
            keep[id(node)] = node
            todo.extend(_used_names(node) - seen)
    return [n for n in definitions if id(n) in keep]


def sanitize(code: str, entry_point: str = "") -> str:
    """`code` reduced to its imports, functions, classes and the assignments they need.

    Without an entry point the code is a script and stays as it is (its top-level calls
    are its point). When the code does not define the entry point every assignment
    stays too, since a prompt-defined function may use it; only top-level test code goes.
    Code that does not parse is returned unchanged (its check reports the error).
    """
    if not entry_point:
        return code
    try:
        tree = parse_python(code)
    except SyntaxError:
        return code
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    definitions = [n for n in tree.body if isinstance(n, _DEFINITIONS)]
    defined = {name for node in definitions for name in _defined_names(node)}
    if entry_point in defined:
        defs = [n for n in definitions if not isinstance(n, (ast.Assign, ast.AnnAssign))]
        definitions = _needed(definitions, [entry_point, *(name for n in defs for name in _defined_names(n))])
    kept = sorted(imports + definitions, key=lambda n: n.lineno)
    lines = code.splitlines()
    # Source segments, not ast.unparse: the answer's own text (comments inside functions,
    # formatting) is what the model wrote and what repair should see again.
    text = ""
    for i, node in enumerate(kept):
        if i:  # imports stay one block; a blank line before everything else
            both_imports = all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in (kept[i - 1], node))
            text += "\n" if both_imports else "\n\n"
        text += "\n".join(lines[_first_line(node) - 1 : node.end_lineno])
    return text + "\n" if text else ""


def _first_line(node: ast.stmt) -> int:
    """A definition's first line, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def answer_code(raw: str, entry_point: str = "") -> str:
    """The code a model answer contributes: extracted from its text, then sanitised."""
    code = extract_code(raw, entry_point)
    return sanitize(code, entry_point) if code else ""


def candidate_code(raw: str, entry_point: str, prompt: str) -> str:
    """The testable code in a model answer: the sanitised answer plus the task's imports it
    lacks (what coder and repair both put in the pool)."""
    return with_task_imports(answer_code(raw, entry_point), prompt)
