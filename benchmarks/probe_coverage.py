"""Probe inputs (selection by execution) on a benchmark: coverage, and the canonical solution on them.

    CODELOOP_DATA_DIR=... nice -n 10 .venv/bin/python -m benchmarks.probe_coverage [--benchmark humaneval]
        [--sandbox bwrap] [--no-run]

Coverage: tasks for which `agents.probes.probe_inputs` finds at least 1 and at least 10
inputs. Then the canonical solution (prompt + canonical_solution) runs through
`agents.tester.run_candidate` in the sandbox; per task the probe outputs that are an
exception (fine: a signature like any other), `!timeout` or `!skipped` (not fine: time
spent for nothing), and the slowest runs. No model call.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from agents.probes import probe_inputs
from agents.state import SolveConfig
from agents.task import task_from_problem
from agents.tester import run_candidate
from eval.problems import load_benchmark
from sandbox import make_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="humaneval")
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--no-run", action="store_true", help="coverage only")
    args = parser.parse_args()
    problems = load_benchmark(args.benchmark)
    tasks = [(p, task_from_problem(p)) for p in problems]
    counts = {p.task_id: len(probe_inputs(t)) for p, t in tasks}
    n = len(counts)
    print(f"## {args.benchmark}: probe inputs per task ({n} tasks)\n")
    print("| inputs | tasks |\n|---|---|")
    print(f"| ≥ 1 | {sum(c >= 1 for c in counts.values())} |")
    print(f"| ≥ 10 | {sum(c >= 10 for c in counts.values())} |")
    print(f"| 30 (the limit) | {sum(c >= 30 for c in counts.values())} |")
    print(f"\nno inputs: {', '.join(t for t, c in counts.items() if c == 0) or '-'}")
    if args.no_run:
        return
    sandbox = make_sandbox(args.sandbox)
    config = SolveConfig()
    raised, slow, failed, kinds, seconds = {}, {}, [], Counter(), []
    started = time.perf_counter()
    try:
        for problem, task in tasks:
            if not counts[problem.task_id]:
                continue
            outcome = run_candidate(sandbox, task, problem.canonical_code(), [], config)
            seconds.append((outcome["seconds"], problem.task_id))
            if outcome["verdict"] not in ("passed", "untested"):
                failed.append(problem.task_id)
            outs = outcome["outputs"]
            if len(outs) != counts[problem.task_id]:
                slow[problem.task_id] = f"outputs missing ({len(outs)} of {counts[problem.task_id]})"
            bad = [o for o in outs if o in ("!timeout", "!skipped", "!exit")]
            errors = [o for o in outs if o.startswith("!") and o not in bad]
            kinds.update(errors)
            if bad:
                slow[problem.task_id] = ", ".join(f"{k}×{v}" for k, v in Counter(bad).items())
            if errors:
                raised[problem.task_id] = ", ".join(f"{k}×{v}" for k, v in Counter(errors).items())
    finally:
        sandbox.close()
    ran = len(seconds)
    print(f"\n## canonical solution on the probes ({args.sandbox} sandbox, {ran} tasks, "
          f"{time.perf_counter() - started:.0f} s)\n")
    print(f"- tasks with a `!timeout`/`!skipped`/`!exit` probe: {len(slow)}"
          + (": " + "; ".join(f"{t} ({why})" for t, why in slow.items()) if slow else ""))
    print(f"- tasks where some probe raises: {len(raised)}")
    for task_id, why in raised.items():
        print(f"  - {task_id}: {why}")
    print(f"- exceptions over all probes: {dict(kinds.most_common())}")
    print(f"- canonical failing a visible test (extraction problem, not probes): {failed or '-'}")
    seconds.sort(reverse=True)
    print(f"- run seconds: median {seconds[ran // 2][0]:.2f}, slowest "
          + ", ".join(f"{t} {s:.2f}" for s, t in seconds[:5]))


if __name__ == "__main__":
    main()
