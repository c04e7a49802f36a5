"""`codeloop implement`: one function implemented in place. Find the function at a line,
solve its task with the solve pipeline (its docstring's examples as visible tests), and put
the generated body into the file keeping every other byte as it was; then commit it, or
keep a backup (`save_in_place`), never writing through a link the repository planted."""

from __future__ import annotations

import ast
import os
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from agents.solver import SolveResult, solve_task
from agents.state import SolveConfig
from agents.task import Task, doctest_examples
from codetext.pyast import parse_python
from settings.errors import BadInput
from workspace import files as safefs
from workspace.repo import RepoError, UserRepo


class ImplementError(BadInput):
    """No function at that line, or the generated code has no usable body."""


Func = ast.FunctionDef | ast.AsyncFunctionDef


def function_at(source: str, line: int) -> Func:
    """The innermost function whose lines (decorators to end) include `line` (1-based)."""
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        raise ImplementError(f"the file does not parse (line {exc.lineno}): {exc.msg}") from exc
    found = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= line <= (node.end_lineno or node.lineno):
                if found is None or node.lineno > found.lineno:
                    found = node
    if found is None:
        raise ImplementError(f"no function at line {line}: put the cursor inside the function to implement")
    return found


def _docstring_stmt(func: Func) -> ast.stmt | None:
    first = func.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def function_task(source: str, func: Func) -> Task:
    """The task: the module's imports and the function as written (signature, docstring,
    any draft body), with the docstring's `>>>` examples as its visible tests."""
    lines = source.splitlines()
    imports = [ast.get_source_segment(source, n) for n in parse_python(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    text = "\n".join(lines[func.lineno - 1:func.end_lineno])
    prompt = "\n".join([*imports, "", textwrap.dedent(text), "", f"Implement the function `{func.name}`."]).strip()
    return Task(prompt, func.name, [], doctest_examples(textwrap.dedent(text)), "implement")


def _generated_parts(code: str, name: str) -> tuple[list[str], Func]:
    """Top-level statements the body needs (imports, helpers) and the generated function."""
    tree = parse_python(code)
    target = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
                  None)
    if target is None:
        raise ImplementError(f"the generated code does not define {name}")
    extras = [ast.get_source_segment(code, n) for n in tree.body if n is not target]
    return [e for e in extras if e], target


def new_body(code: str, func: Func, original: str) -> str:
    """The generated body, indented like the original's; the imports and helpers it needs
    are placed at the body's top (the rest of the file must not change)."""
    extras, target = _generated_parts(code, func.name)
    doc = _docstring_stmt(target)
    stmts = [s for s in target.body if s is not doc]
    if not stmts:
        raise ImplementError(f"the generated {func.name} has an empty body")
    gen_lines = code.splitlines()
    body = textwrap.dedent("\n".join(gen_lines[stmts[0].lineno - 1:stmts[-1].end_lineno]))
    have = {ast.get_source_segment(original, n) for n in parse_python(original).body}
    needed = [e for e in extras if e not in have]
    indent = " " * (func.body[0].col_offset if func.body else func.col_offset + 4)
    text = "\n\n".join([*needed, body]) if needed else body
    return textwrap.indent(text, indent, lambda line: bool(line.strip())) + "\n"


def replace_body(source: str, func: Func, body: str) -> str:
    """`source` with `func`'s statements after its docstring replaced by `body`; every
    byte outside that span is kept."""
    lines = source.splitlines(keepends=True)
    doc = _docstring_stmt(func)
    rest = [s for s in func.body if s is not doc]
    if rest and rest[0].lineno == func.lineno:
        raise ImplementError(f"{func.name} is written on one line: put its body on its own line first")
    if rest:
        start, end = rest[0].lineno - 1, rest[-1].end_lineno
    else:  # only a docstring: the body goes right after it
        start = end = doc.end_lineno
    if start > 0 and not lines[start - 1].endswith("\n"):
        lines[start - 1] += "\n"
    return "".join(lines[:start]) + body + "".join(lines[end:])


@dataclass
class Place:
    """A file `implement` edits: its repository (None outside one) or folder, and its
    path there (checked by workspace/files.py: no link at the file or below the root)."""

    root: Path
    rel: str
    repo: UserRepo | None

    def read(self) -> str:
        """The file's text (BadInput when missing, a link, not UTF-8)."""
        text = safefs.read_text(self.root, self.rel, max_bytes=4 * 1024 * 1024)
        if text is None:
            raise ImplementError(f"file not found: {self.root / self.rel}")
        return text


def locate(file: Path) -> Place:
    """Where `file` lives. The folder the user named is taken as it resolves (links to it
    are theirs); below the repository root, and the file itself, no link is followed."""
    path = Path(os.path.abspath(file))
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise ImplementError(f"file not found: {file}")
    try:
        repo = UserRepo.find(folder)
    except RepoError:
        repo = None
    root = repo.root if repo is not None else folder
    return Place(root, safefs.confine(root, folder / path.name, private=()), repo)


def save_in_place(place: Place, old: str, new: str, message: str) -> str:
    """Write `new`; commit it as codeloop's when the file is clean in a git repository,
    else keep the old text in a backup (created new: never over a file or through a
    link). Says which."""
    repo = place.repo
    clean = repo is not None and place.rel in repo.tracked(place.rel) and not repo.dirty([place.rel])
    if clean:
        safefs.write_text(place.root, place.rel, new)
        return f"commit {repo.commit([place.rel], message, ours=True)}"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in [".bak", f".{stamp}.bak", *(f".{stamp}-{i}.bak" for i in range(1, 100))]:
        if safefs.create_text(place.root, place.rel + suffix, old):
            break
    else:
        raise ImplementError(f"{place.rel}: could not create a backup next to it")
    safefs.write_text(place.root, place.rel, new)
    return f"backup {place.root / (place.rel + suffix)}"



@dataclass
class Target:
    """The function `implement` will write: where its file is, the file's text, the node."""

    place: Place
    source: str
    func: Func


def find_target(file: Path, line: int) -> Target:
    """The function at `line` of `file` (checked before any model or sandbox starts)."""
    place = locate(file)
    source = place.read()
    return Target(place, source, function_at(source, line))


def implement_target(target: Target, llm, sandbox, max_repairs: int) -> tuple[SolveResult, str]:
    """Solve the function's task and write the body in place; returns the solve result
    and where the old text is kept (`save_in_place`)."""
    source, func = target.source, target.func
    result = solve_task(function_task(source, func), llm, sandbox, SolveConfig(max_repairs=max_repairs))
    updated = replace_body(source, func, new_body(result.code, func, source))
    return result, save_in_place(target.place, source, updated, f"codeloop: implement {func.name}")
