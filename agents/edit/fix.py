"""`codeloop fix`: which files to rewrite when the tests fail, and the change request that
the edit loop (loop.py) carries out on them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from agents.edit.loop import ChangeOutcome, EditContext, run_change
from codetext.pyast import parse_python
from workspace.pytest_run import TestRun
from workspace.repo import RepoError, UserRepo

REPORT_CHARS = 1500  # of the failing run's output, quoted in the request


def _is_test(path: str) -> bool:
    name = Path(path).name
    return name.startswith("test_") or name.endswith("_test.py") or "/tests/" in f"/{path}"


def suspects(failures: list[dict], files: dict[str, str]) -> list[str]:
    """What a fix should edit: files where failures were raised, and the repository modules
    the failing test files import — test files excluded. `failures` are the sandbox's
    records (`TestRun.failures`), so every name is checked against `files`."""
    found = {f.get("crash_file") for f in failures
             if (f.get("crash_file"), f.get("crash_line")) != (f.get("file"), f.get("line"))} & set(files)
    by_module = {path[:-3].replace("/", "."): path for path in files if path.endswith(".py")}
    by_module |= {m.removeprefix("src."): path for m, path in by_module.items() if m.startswith("src.")}
    for test_file in {f.get("file") for f in failures} & set(files):
        try:
            tree = parse_python(files[test_file])
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            found |= {by_module[n] for n in names if n in by_module}
    return sorted(f for f in found if not _is_test(f))


def fix_targets(repo: UserRepo, named: list[str], tests: TestRun, tree: dict[str, str], *, commit_first: bool,
                notify: Callable[[str], None]) -> list[str]:
    """The files the fix may rewrite: `named`, else the suspects (confined too: the
    sandbox's output, which the repository's tests can forge, named them). Uncommitted
    changes of the user's own are refused, or committed first with `commit_first`."""
    targets = [repo.relpath(f) for f in named] if named else repo.usable(suspects(tests.failures, tree))[0]
    if not targets:
        raise RepoError("no file to fix found (none raised the failures or is imported by the failing tests): "
                        "name the files to fix")
    dirty = repo.dirty(targets)
    if dirty and not commit_first:
        raise RepoError(f"{', '.join(dirty)}: uncommitted changes of yours would be overwritten; "
                        "commit them or pass --commit-first")
    if dirty:
        commit = repo.commit(dirty, "your changes, committed before codeloop fix", ours=False)
        notify(f"committed your changes to {', '.join(targets)} first ({commit})")
    return targets


def fix_request(tests: TestRun) -> str:
    """The change request that asks for the failing tests in `tests` to pass (fix, /test)."""
    return f"Make the failing tests pass. Test output:\n{tests.report[-REPORT_CHARS:]}"


def run_fix(ctx: EditContext, tests: TestRun) -> ChangeOutcome:
    """Ask the edit loop to make the failing tests in `tests` pass, on `ctx.added`."""
    return run_change(ctx, fix_request(tests))
