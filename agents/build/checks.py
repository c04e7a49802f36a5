"""The build's tester: a syntax check of every Python file, then the project's pytest
suite in the sandbox.

Unlike L2MAC, a timeout is a failure, and "collected 0 tests" is a failure once tests are
due (an instruction that covers a requirement must leave tests behind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codetext.pyast import parse_python
from sandbox.base import Limits, RunResult, Sandbox

PYTEST = ["python", "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider"]
NO_TESTS_EXIT = 5  # pytest's exit code when it collected nothing
MAX_REPORT_CHARS = 2500
_COUNT = re.compile(r"(\d+) (passed|failed|error|errors)\b")


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


def counts(result: RunResult) -> dict:
    """Passed/failed/error counts, from the JUnit outcomes when present, else pytest's last line."""
    if result.tests:
        outcomes = [t.outcome for t in result.tests]
        return {"passed": outcomes.count("passed"), "failed": outcomes.count("failed"),
                "errors": outcomes.count("error")}
    found = {"passed": 0, "failed": 0, "errors": 0}
    tail = result.stdout.strip().splitlines()[-1:] if result.stdout.strip() else []
    for number, word in _COUNT.findall(" ".join(tail)):
        found["errors" if word.startswith("error") else word] += int(number)
    return found


def report_text(result: RunResult) -> str:
    """The part of pytest's output repair needs: the failures and the summary, capped
    (the head is dropped first: the summary lines at the end matter most)."""
    text = (result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")).strip()
    return text if len(text) <= MAX_REPORT_CHARS else "…\n" + text[-MAX_REPORT_CHARS:]


def check_project(sandbox: Sandbox, files: dict[str, str], *, tests_due: bool, timeout_s: float,
                  memory_mb: int = 1024, paths: list[str] | None = None) -> CheckResult:
    """Syntax-check `files`, then run pytest over them in the sandbox (only `paths` when
    given, e.g. hidden acceptance tests)."""
    problems = syntax_errors(files)
    if problems:
        return CheckResult("syntax", {}, "The code does not parse:\n" + "\n".join(problems))
    result = sandbox.run(files, [*PYTEST, *(paths or [])], Limits(timeout_s=timeout_s, memory_mb=memory_mb))
    tally = counts(result)
    if result.timed_out:
        why = f"The test run did not finish within {timeout_s:.0f} s (an infinite loop or a blocking input()?)."
        return CheckResult("timeout", tally, why + "\n" + report_text(result), result.duration_s)
    if result.exit_code == NO_TESTS_EXIT or (result.exit_code == 0 and not any(tally.values())):
        if not tests_due:
            return CheckResult("green", tally, "", result.duration_s)
        return CheckResult("no-tests", tally, "pytest collected 0 tests: write test functions named test_* "
                           "in files tests/test_*.py.", result.duration_s)
    verdict = "green" if result.exit_code == 0 else "red"
    return CheckResult(verdict, tally, "" if verdict == "green" else report_text(result), result.duration_s)
