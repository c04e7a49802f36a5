"""Visible tests extracted from benchmark prompts: coverage and precision; prints a markdown table.

    CODELOOP_DATA_DIR=... nice -n 10 .venv/bin/python -m benchmarks.visible_tests [--benchmarks humaneval,mbpp+]

Coverage: tasks whose prompt yields at least one deterministic visible test (asserts,
including the examples `agents.examples` rewrites, or `>>>` doctests); no model call.
Precision: the canonical solution runs against the extracted tests in the bwrap sandbox
(`agents.tester.run_candidate`); every task where it fails one is listed with the
failing tests, since such a test would steer the loop away from a correct answer.
"""

from __future__ import annotations

import argparse
import doctest

from agents.state import SolveConfig
from agents.task import assert_lines, doctest_examples, task_from_problem
from agents.tester import parse_run, run_candidate, test_files
from eval.problems import load_benchmark
from sandbox import Limits, make_sandbox


def count_tests(task) -> tuple[int, int, int]:
    """(prompt asserts, asserts rewritten from examples, doctest examples)."""
    own = len(assert_lines(task.prompt))
    examples = len(doctest.DocTestParser().get_examples(task.doctests)) if task.doctests.strip() else 0
    return own, len(task.asserts) - own, examples


def failing_tests(sandbox, task, code: str, config: SolveConfig) -> list[str]:
    """The visible tests the code fails, with the runner's message ([] when all pass)."""
    outcome = run_candidate(sandbox, task, code, [], config)
    if outcome["verdict"] in ("passed", "untested"):
        return []
    limits = Limits(timeout_s=3 * config.test_timeout_s + 2, memory_mb=config.test_memory_mb)
    parsed = parse_run(sandbox.run(test_files(task, code, [], config), ["python", "run_tests.py"], limits))
    if parsed is None or parsed["import_error"]:
        return [f"run failed: {(parsed or {}).get('import_error') or outcome['feedback'][:200]}"]
    return [f"{r['source']}  [{r['status']}: {r['message'][:120]}]".replace("\n", " ")
            for r in parsed["visible"] if not r["ok"]]


def measure(name: str, sandbox, config: SolveConfig) -> dict:
    problems = load_benchmark(name)
    row = {"benchmark": name, "tasks": len(problems), "covered": 0, "new_covered": 0, "own": 0, "rewritten": 0,
           "doctests": 0, "failing": {}, "uncovered": []}
    for problem in problems:
        task = task_from_problem(problem)
        own, rewritten, examples = count_tests(task)
        row["own"] += own
        row["rewritten"] += rewritten
        row["doctests"] += examples
        if not task.has_tests:
            row["uncovered"].append(problem.task_id)
            continue
        row["covered"] += 1
        row["new_covered"] += not (own or doctest_examples(problem.prompt))  # the old extraction found none
        failures = failing_tests(sandbox, task, problem.canonical_code(), config)
        if failures:
            row["failing"][problem.task_id] = failures
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", default="humaneval,mbpp+")
    parser.add_argument("--sandbox", default="bwrap")
    args = parser.parse_args()
    config = SolveConfig(test_timeout_s=10.0)
    sandbox = make_sandbox(args.sandbox)
    rows = [measure(name, sandbox, config) for name in args.benchmarks.split(",")]
    print("| benchmark | tasks | ≥1 visible test | of them without a test before (asserts, `>>>` only) | prompt asserts "
          "| rewritten asserts | doctest examples | canonical fails ≥1 test |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['benchmark']} | {r['tasks']} | {r['covered']} | {r['new_covered']} | {r['own']} | {r['rewritten']} "
              f"| {r['doctests']} | {len(r['failing'])} |")
    for r in rows:
        print(f"\n{r['benchmark']}: no visible test: {', '.join(r['uncovered']) or 'none'}")
        for task_id, failures in r["failing"].items():
            print(f"{r['benchmark']}: canonical fails {task_id}:")
            for line in failures:
                print(f"    {line}")


if __name__ == "__main__":
    main()
