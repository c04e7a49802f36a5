"""The build's tester: a syntax check of every Python file, then the project's pytest
suite in the sandbox.

Unlike L2MAC, a timeout is a failure, and "collected 0 tests" is a failure once tests are
due (an instruction that covers a requirement must leave tests behind).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codetext.pyast import parse_python
from sandbox.base import Sandbox
from workspace.pytest_run import run_pytest

MAX_REPORT_CHARS = 2500  # of pytest's output, for the repair prompt


@dataclass
class CheckResult:
    """One check of the project: the verdict, per-outcome counts and the report for repair."""

    verdict: str  # green | red | syntax | no-tests | timeout
    tests: dict = field(default_factory=dict)  # {passed, failed, errors}
    report: str = ""
    seconds: float = 0.0

    @property
    def green(self) -> bool:
        return self.verdict == "green"


def syntax_errors(files: dict[str, str]) -> list[str]:
    """`path:line: message` for every Python file that does not parse (checked on the host:
    parsing runs no code)."""
    problems = []
    for path, text in sorted(files.items()):
        if path.endswith(".py"):
            try:
                parse_python(text, filename=path)
            except SyntaxError as exc:
                problems.append(f"{path}:{exc.lineno}: SyntaxError: {exc.msg}")
    return problems


def check_project(sandbox: Sandbox, files: dict[str, str], *, tests_due: bool, timeout_s: float,
                  memory_mb: int = 1024, paths: list[str] | None = None) -> CheckResult:
    """Syntax-check `files`, then run pytest over them in the sandbox (workspace/pytest_run.py;
    only `paths` when given)."""
    problems = syntax_errors(files)
    if problems:
        return CheckResult("syntax", {}, "The code does not parse:\n" + "\n".join(problems))
    run = run_pytest(sandbox, files, paths=paths, timeout_s=timeout_s, memory_mb=memory_mb, locate=False,
                     report_chars=MAX_REPORT_CHARS)
    if run.status == "timeout":
        return CheckResult("timeout", run.counts, run.report, run.seconds)
    if run.status == "no-tests" or (run.status == "passed" and not any(run.counts.values())):
        if not tests_due:
            return CheckResult("green", run.counts, "", run.seconds)
        return CheckResult("no-tests", run.counts, "pytest collected 0 tests: write test functions named test_* "
                           "in files tests/test_*.py.", run.seconds)
    verdict = "green" if run.status == "passed" else "red"
    return CheckResult(verdict, run.counts, "" if verdict == "green" else run.report, run.seconds)
