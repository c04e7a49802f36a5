"""Running a repository's tests in the sandbox: the files it needs, the command, and a
verdict with per-failure problems (shared by `codeloop chat`, `test` and `fix`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from apps.chat.repo import MAX_FILE_BYTES, ChatRepo, RepoError
from apps.problems_format import Problem, from_pytest
from workspace import files as safefs
from sandbox.base import Limits, RunResult, Sandbox
from sandbox.junit import is_pytest

PLUGIN = "codeloop_problems"
MARKER = "@@CODELOOP_PROBLEMS@@"
DEFAULT_COMMAND = ["python", "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider"]
MAX_REPO_BYTES = 8 * 1024 * 1024  # what travels into the sandbox; a chat repo is small
PYTEST_NO_TESTS = 5  # pytest's exit status when it collected nothing


@dataclass
class TestRun:
    """One sandboxed test run: `status` is passed | failed | no-tests | timeout."""

    status: str
    report: str
    command: list[str]
    problems: list[Problem] = field(default_factory=list)
    result: RunResult | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "no-tests")


@cache  # package data, read once
def plugin_source() -> str:
    """The pytest plugin that reports failure locations (apps/pytest_problems.py)."""
    return resources.files("apps").joinpath("pytest_problems.py").read_text(encoding="utf-8")


def parse_command(text: str | None) -> list[str]:
    """A test command from user text (shell-like words; no shell runs it); default pytest."""
    if not text or not text.strip():
        return list(DEFAULT_COMMAND)
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise RepoError(f"cannot parse the command {text!r}: {exc}") from exc
    return words


def repo_files(repo: ChatRepo, extra: list[str], overrides: dict[str, str]) -> dict[str, str]:
    """The repository's tracked text files plus `extra` (added, maybe untracked) with
    `overrides` (proposed new texts) on top; binaries and oversized files stay out."""
    files: dict[str, str] = {}
    total = 0
    for rel in dict.fromkeys([*repo.tracked(), *extra]):
        if rel in overrides:
            continue
        try:  # never through a link; binaries, special and oversized files stay out
            text = safefs.read_text(repo.root, rel, max_bytes=MAX_FILE_BYTES)
        except (safefs.UnsafePath, OSError):
            continue
        if text is None:
            continue
        total += len(text)
        if total > MAX_REPO_BYTES:
            raise RepoError(f"the repository's text files exceed {MAX_REPO_BYTES // 2**20} MiB; too big to test")
        files[rel] = text
    return files | overrides


def run_tests(sandbox: Sandbox, files: dict[str, str], command: list[str], timeout_s: float = 120.0) -> TestRun:
    """Run `command` over `files` in the sandbox. pytest commands get the locating plugin."""
    argv = list(command)
    if is_pytest(argv):
        files = files | {f"{PLUGIN}.py": plugin_source()}
        argv += ["-p", PLUGIN]
    result = sandbox.run(files, argv, Limits(timeout_s=timeout_s, memory_mb=1024, max_output_bytes=256 * 1024))
    items = result.marked_json(MARKER)
    output = _strip_marker(result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")).strip()
    if result.timed_out:
        return TestRun("timeout", f"the tests were stopped after {timeout_s:g} s\n{output[-2000:]}", command,
                       result=result)
    if is_pytest(argv) and result.exit_code == PYTEST_NO_TESTS:
        return TestRun("no-tests", "no tests were collected", command, result=result)
    status = "passed" if result.ok else "failed"
    problems = from_pytest(items or [], set(files)) if status == "failed" else []
    return TestRun(status, output[-3000:], command, problems, result)


def _strip_marker(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(MARKER))
