"""Tester: runs a candidate against the task's visible tests in the sandbox."""

from __future__ import annotations

import json
import re
import time
from functools import cache
from importlib import resources

from agents.extract import validate
from agents.repair import code_hash
from agents.state import SolveConfig, SolveState
from agents.task import Task
from sandbox.base import Limits, RunResult, Sandbox

_SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


@cache  # package data, read once
def runner_script() -> str:
    """The script that runs visible tests inside the sandbox (agents/sandbox_runner.py)."""
    return resources.files("agents").joinpath("sandbox_runner.py").read_text(encoding="utf-8")


def test_files(task: Task, code: str) -> dict[str, str]:
    """The files one test run needs: the candidate, the runner and the tests as JSON."""
    tests = {"asserts": task.asserts, "doctests": task.doctests}
    return {"solution.py": code, "run_tests.py": runner_script(), "tests.json": json.dumps(tests)}


def report(result: RunResult, timeout_s: float) -> str:
    """What the repair agent should see: the real output, or what stopped the run."""
    if result.timed_out:
        return f"The tests were stopped after {timeout_s:g} s: the code is too slow or loops forever.\n{result.stdout[-1500:]}"
    if result.oom_killed:
        return "The tests ran out of memory."
    text = result.stdout.strip()
    if result.stderr.strip():
        text += "\n" + result.stderr.strip()
    return text or f"The tests failed with exit code {result.exit_code} and no output."


def run_visible_tests(sandbox: Sandbox, task: Task, code: str, config: SolveConfig) -> tuple[RunResult, int, int]:
    """Run the task's tests (or just import the code when it has none); return the result
    and the passed/failed counts from the runner's summary line."""
    limits = Limits(timeout_s=config.test_timeout_s, memory_mb=config.test_memory_mb)
    result = sandbox.run(test_files(task, code), ["python", "run_tests.py"], limits)
    match = _SUMMARY_RE.search(result.stdout)
    passed, failed = (int(match.group(1)), int(match.group(2))) if match else (0, 1 if not result.ok else 0)
    return result, passed, failed


def make_tester(sandbox: Sandbox, config: SolveConfig):
    """The tester node."""

    def tester(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        code = state.get("code", "")
        update: dict = {"tried": [code_hash(code)]}
        problem = validate(code, task.entry_point)
        if problem:
            event = {"agent": "tester", "verdict": "invalid", "why": problem}
            return update | {"verdict": "invalid", "feedback": problem, "tests_passed": 0, "tests_failed": 0, "events": [event]}
        started = time.perf_counter()
        result, passed, failed = run_visible_tests(sandbox, task, code, config)
        if not result.ok:
            verdict = "failed"
        else:
            verdict = "passed" if task.has_tests else "untested"
        event = {"agent": "tester", "verdict": verdict, "passed": passed, "failed": failed, "seconds": round(result.duration_s, 3)}
        seconds = time.perf_counter() - started
        return update | {
            "verdict": verdict,
            "feedback": "" if result.ok else report(result, config.test_timeout_s),
            "tests_passed": passed,
            "tests_failed": failed,
            "usage": {"tester": {"calls": 0, "seconds": seconds}},
            "events": [event],
        }

    return tester
