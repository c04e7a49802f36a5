"""Tester: runs every new candidate against the task's visible tests and the generated
tests in the sandbox, one result per test, and adds the candidates to the pool."""

from __future__ import annotations

import doctest
import json
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache
from importlib import resources

from codetext.extract import validate
from agents.feedback import failure_report
from agents.probes import probe_inputs
from agents.candidates import code_hash
from agents.state import SolveConfig, SolveState
from agents.task import Task
from sandbox import time_limit_source
from sandbox.base import Limits, RunResult, Sandbox

MARKER = "@@CODELOOP_RESULT@@"  # the runner's last line: JSON with per-test outcomes
PROBE_S = 1.0  # per probe input (selection by execution: outputs on mutated inputs)
PROBES_TOTAL_S = 5.0  # for all probe inputs of one candidate


@cache  # package data, read once
def runner_script() -> str:
    """The script that runs the tests inside the sandbox: the per-test time limit
    (sandbox/guest/time_limit.py), the probes (agents/guest/tester_probes.py), then
    agents/guest/tester_harness.py."""
    probes, harness = (resources.files("agents.guest").joinpath(name).read_text(encoding="utf-8")
                       for name in ("tester_probes.py", "tester_harness.py"))
    return f"{time_limit_source()}\n\n{probes}\n\n{harness}"


@lru_cache(maxsize=64)  # each task is tested many times; Task is unhashable: key on its fields
def _probes(entry_point: str, asserts: tuple[str, ...], doctests: str) -> list[str]:
    return probe_inputs(Task("", entry_point, list(asserts), doctests))


def task_probes(task: Task) -> list[str]:
    """The probe inputs every candidate of `task` runs on (see agents/probes.py)."""
    return list(_probes(task.entry_point, tuple(task.asserts), task.doctests))  # a copy: the cached list is shared


def test_files(task: Task, code: str, generated: list[str], config: SolveConfig) -> dict[str, str]:
    """The files one test run needs: the candidate, the runner and the tests as JSON
    (with the probe inputs whose outputs cluster the candidates)."""
    tests = {
        "asserts": task.asserts,
        "doctests": task.doctests,
        "generated": generated,
        "per_test_s": config.test_timeout_s,
        "total_s": 2 * config.test_timeout_s,
        "entry_point": task.entry_point,
        "probes": task_probes(task),
        "probe_s": PROBE_S,
        "probes_total_s": PROBES_TOTAL_S,
    }
    return {"solution.py": code, "run_tests.py": runner_script(), "tests.json": json.dumps(tests)}


def visible_count(task: Task) -> int:
    """How many visible tests the task has (asserts plus doctest examples)."""
    examples = doctest.DocTestParser().get_examples(task.doctests) if task.doctests.strip() else []
    return len(task.asserts) + len(examples)


def parse_run(result: RunResult) -> dict | None:
    """The runner's JSON result line, or None when the run ended before printing it."""
    return result.marked_json(MARKER)


def run_candidate(sandbox: Sandbox, task: Task, code: str, generated: list[str], config: SolveConfig) -> dict:
    """Test one valid candidate: per-test outcomes, verdict and the report for repair."""
    # import, then every test within total_s, then the probes (the runner enforces both), plus slack
    limits = Limits(timeout_s=3 * config.test_timeout_s + PROBES_TOTAL_S + 3, memory_mb=config.test_memory_mb)
    result = sandbox.run(test_files(task, code, generated, config), ["python", "run_tests.py"], limits)
    parsed = parse_run(result)
    finished = parsed is not None
    if parsed is None:  # killed (timeout, memory) or crashed hard: every test counts as failed
        parsed = {"import_error": "", "visible": [{"ok": False}] * visible_count(task),
                  "generated": [{"ok": False}] * len(generated)}
    visible = [bool(r["ok"]) for r in parsed["visible"]]
    if not finished or parsed["import_error"]:
        verdict = "failed"
    elif visible:
        verdict = "passed" if all(visible) else "failed"
    else:
        verdict = "untested"
    return {
        "verdict": verdict,
        "visible": visible,
        "generated": [bool(r["ok"]) for r in parsed["generated"]],
        "feedback": "" if verdict in ("passed", "untested") and all(r["ok"] for r in parsed["generated"])
        else failure_report(result, parsed if finished else None, config.test_timeout_s),
        "seconds": round(result.duration_s, 3),
        # outputs on the probe inputs ([] when the run died first or there are none)
        "outputs": [str(o) for o in parsed.get("outputs") or []] if finished else [],
    }


def invalid_candidate(problem: str, task: Task, generated: list[str]) -> dict:
    """A candidate that cannot be tested (no code, does not parse, wrong name)."""
    return {"verdict": "invalid", "visible": [False] * visible_count(task), "generated": [False] * len(generated),
            "feedback": problem, "seconds": 0.0, "outputs": []}


def make_tester(sandbox: Sandbox, config: SolveConfig):
    """The tester node."""

    def tester(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        generated = state.get("gen_tests") or []
        started = time.perf_counter()
        pending = state.get("pending") or []

        def check(cand: dict) -> dict:
            problem = validate(cand["code"], task.entry_point)
            return (invalid_candidate(problem, task, generated) if problem
                    else run_candidate(sandbox, task, cand["code"], generated, config))

        # candidates are independent: test them side by side (every sandbox backend is thread-safe)
        with ThreadPoolExecutor(max_workers=max(1, min(config.test_workers, len(pending)))) as workers:
            outcomes = list(workers.map(check, pending))
        tested, events = [], []
        for offset, (cand, outcome) in enumerate(zip(pending, outcomes)):
            record = cand | outcome | {"id": len(state.get("pool") or []) + offset, "hash": code_hash(cand["code"])}
            tested.append(record)
            events.append({"agent": "tester", "candidate": record["id"], "verdict": outcome["verdict"],
                           "passed": sum(outcome["visible"]), "failed": len(outcome["visible"]) - sum(outcome["visible"]),
                           "generated_passed": sum(outcome["generated"]), "seconds": outcome["seconds"]}
                          | ({"why": outcome["feedback"][:300]} if outcome["verdict"] not in ("passed", "untested") else {}))
        seconds = time.perf_counter() - started
        return {
            "pool": tested,
            "pending": [],
            "tried": [r["hash"] for r in tested],
            # sandbox_s: time inside sandbox runs, so reports can split wall time honestly
            "usage": {"tester": {"calls": 0, "seconds": seconds,
                                 "sandbox_s": sum(r["seconds"] for r in tested)}},
            "events": events,
        }

    return tester
