"""How many of a run's verdicts the pre-fix harness (before the trustworthy-evaluation
issue) got wrong: re-check the run's raw answers the old way and compare.

The old way: the answer's code taken from its text *without* sanitising (top-level asserts,
prints, `unittest.main()` and `__main__` blocks kept), and for benchmarks without extra
inputs a plain program (prompt + code + tests [+ `check(entry_point)`]) whose exit code 0
meant "passed". For `+` benchmarks the old differential harness read a result line without
a token; here it is today's harness on the unsanitised code (no answer in a run can know a
token, so this differs from the old one only if an answer printed a result line itself —
the table counts those too).

    .venv/bin/python -m benchmarks.legacy_verdicts RUN_DIR [--bench humaneval] [--sandbox docker]

Prints a table (old passes, new passes, old pass → new fail, old fail → new pass) and the
task ids that changed. The new verdicts are the run's own (or, with --bench, a fresh check
on that benchmark with today's Evaluator).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from codetext.extract import extract_code
from eval.evaluate import Evaluator
from eval.plus import check_plus
from eval.problems import load_benchmark
from eval.recheck import load_run
from sandbox import make_sandbox
from sandbox.base import Limits


def legacy_pass(problem, raw: str, evaluator: Evaluator) -> bool:
    """The verdict the pre-fix harness gave to the answer text `raw`."""
    code = extract_code(raw, problem.entry_point)
    if not code.strip():
        return False
    if problem.has_plus:
        result, run = check_plus(problem, code, evaluator.truth(problem), evaluator.sandbox)
        return bool(result and result.get("plus")) and run.exit_code == 0
    program = f"{problem.solution_code(code)}\n\n{problem.test}\n"
    if problem.benchmark.startswith("humaneval"):
        program += f"\ncheck({problem.entry_point})\n"
    run = evaluator.sandbox.run({"check.py": program}, ["python", "check.py"], Limits(timeout_s=10, memory_mb=2048))
    return run.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--bench", help="check on this benchmark (same task ids) instead of the run's own")
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args()
    run = load_run(args.run_dir)
    bench = args.bench or run.meta["bench"]
    problems = {p.task_id: p for p in load_benchmark(bench)}
    box = make_sandbox(args.sandbox)
    evaluator = Evaluator(box)
    rows = []
    try:
        for record in sorted(run.records, key=lambda r: (r["task_id"], r.get("sample", 0))):
            problem = problems.get(record["task_id"])
            if problem is None:
                continue
            new = (evaluator.check(problem, record.get("completion") or "")["passed"] if args.bench
                   else bool((record.get("verdict") or {}).get("passed")))
            old = legacy_pass(problem, record.get("raw") or "", evaluator)
            forged = "__CODELOOP_RESULT__" in (record.get("raw") or "")
            rows.append((record["task_id"], old, new, forged))
    finally:
        box.close()
    false_pass = [t for t, old, new, _ in rows if old and not new]
    lost = [t for t, old, new, _ in rows if new and not old]
    print(f"| run | bench | answers | old passes | new passes | old pass → new fail | old fail → new pass "
          f"| answers printing a result line |\n|---|---|---|---|---|---|---|---|\n"
          f"| {args.run_dir.name} | {bench} | {len(rows)} | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows)} "
          f"| {len(false_pass)} | {len(lost)} | {sum(r[3] for r in rows)} |")
    print(f"\nold pass → new fail: {', '.join(false_pass) or 'none'}")
    print(f"old fail → new pass: {', '.join(lost) or 'none'}")


if __name__ == "__main__":
    main()
