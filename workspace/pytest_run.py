"""pytest in the sandbox, the one way codeloop runs a project's tests: `codeloop test`,
`fix`, the chat's edit loop and /test, the build's tester and build-bench's count of a
built project's own tests all call `run_pytest`.

The sandbox backends add a JUnit report to every pytest command (sandbox/junit.py), so a
run comes back with per-test outcomes (`TestRun.counts`). With `locate`, a plugin shipped
into the sandbox (workspace/guest/pytest_problems.py, never imported here) also reports
each failure's test line and crash line (`TestRun.failures`). Everything the run prints
is untrusted: the project's own code wrote it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from sandbox.base import Limits, RunResult, Sandbox
from sandbox.junit import is_pytest
from workspace.repo import RepoError

PYTEST = ["python", "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider"]
DEFAULT_COMMAND = PYTEST  # what `--cmd` and /test default to
NO_TESTS_EXIT = 5  # pytest's exit status when it collected nothing
PLUGIN = "codeloop_problems"  # the guest plugin's module name inside the sandbox
MARKER = "@@CODELOOP_PROBLEMS@@"  # as in guest/pytest_problems.py
MAX_REPORT_CHARS = 3000
MAX_OUTPUT_BYTES = 256 * 1024
_COUNT = re.compile(r"(\d+) (passed|failed|error|errors)\b")


@dataclass
class TestRun:
    """One sandboxed test run: `status` is passed | failed | no-tests | timeout; `report`
    is the output repair needs (capped), `failures` the located failures (`locate` runs)."""

    __test__ = False  # not a pytest test class, despite the name

    status: str
    report: str
    command: list[str]
    failures: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # {passed, failed, errors}
    result: RunResult | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "no-tests")

    @property
    def seconds(self) -> float:
        return self.result.duration_s if self.result is not None else 0.0


@cache  # package data, read once
def plugin_source() -> str:
    """The pytest plugin that reports failure locations (workspace/guest/pytest_problems.py)."""
    return resources.files("workspace").joinpath("guest", "pytest_problems.py").read_text(encoding="utf-8")


def parse_command(text: str | None) -> list[str]:
    """A test command from user text (shell-like words; no shell runs it); default pytest."""
    if not text or not text.strip():
        return list(DEFAULT_COMMAND)
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise RepoError(f"cannot parse the command {text!r}: {exc}") from exc


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


def report_text(result: RunResult, limit: int = MAX_REPORT_CHARS) -> str:
    """stdout then stderr without the plugin's marker line, capped from the head (the
    failures and summary at the end matter most)."""
    text = result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(MARKER)).strip()
    return text if len(text) <= limit else "…\n" + text[-limit:]


def run_pytest(sandbox: Sandbox, files: dict[str, str], command: list[str] | None = None, *,
               paths: list[str] | None = None, timeout_s: float = 120.0, memory_mb: int = 1024,
               locate: bool = True, report_chars: int = MAX_REPORT_CHARS) -> TestRun:
    """Run `command` (default pytest) over `paths` (default: pytest's own discovery) with
    `files` in the sandbox. A pytest command with `locate` gets the locating plugin; the
    report keeps the last `report_chars` of the output."""
    argv = [*(command or PYTEST), *(paths or [])]
    if locate and is_pytest(argv):
        files = files | {f"{PLUGIN}.py": plugin_source()}
        argv += ["-p", PLUGIN]
    result = sandbox.run(files, argv, Limits(timeout_s=timeout_s, memory_mb=memory_mb,
                                             max_output_bytes=MAX_OUTPUT_BYTES))
    tally, report = counts(result), report_text(result, report_chars)
    ran = list(command or PYTEST)
    if result.timed_out:
        why = f"The test run did not finish within {timeout_s:g} s (an infinite loop or a blocking input()?)."
        return TestRun("timeout", f"{why}\n{report}", ran, counts=tally, result=result)
    if is_pytest(argv) and result.exit_code == NO_TESTS_EXIT:
        return TestRun("no-tests", "pytest collected no tests", ran, counts=tally, result=result)
    if result.ok:
        return TestRun("passed", report, ran, counts=tally, result=result)
    found = result.marked_json(MARKER) if locate else None
    failures = [item for item in found if _is_record(item)] if isinstance(found, list) else []
    return TestRun("failed", report, ran, failures, tally, result)


# a failure record's fields and the types they may have (None: absent or null)
RECORD_TYPES = {"file": (str,), "id": (str,), "line": (int, type(None)), "crash_file": (str, type(None)),
                "crash_line": (int, type(None)), "when": (str, type(None)), "message": (str, type(None))}


def _is_record(item: object) -> bool:
    # the marker line is printed inside the sandbox, where the project's own code runs: keep
    # only well-formed records, so no caller meets a forged type (bool is an int: refused too)
    return isinstance(item, dict) and all(
        isinstance(item.get(key), kinds) and not isinstance(item.get(key), bool) for key, kinds in RECORD_TYPES.items())
