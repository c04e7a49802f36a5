"""Selection rules compared offline on the candidates a pipeline run actually drew.

A pipeline record keeps every tested candidate of its task (`trace.pool`: code, origin,
copies, visible-test result, output-cluster fingerprint). This script checks each candidate
on the benchmark's hidden tests once, then replays several selection rules on the same
candidates — so the rules differ only in how they choose, not in what the model sampled:

- `greedy`: the greedy candidate (what one model call gives, inside the pipeline's run)
- `filter → greedy`: the first candidate passing the visible tests (greedy when it does)
- `filter → log-prob`: the surviving candidate with the highest mean log-probability
- `filter → largest cluster`: the default selector (agents/selector.py), replayed
- `largest cluster, no filter`: clusters over every valid candidate, visible tests ignored
- `random survivor`: the expected pass rate of a survivor drawn at random (by copies)
- `oracle`: some candidate passes (the ceiling any selector can reach on this pool)

    .venv/bin/python -m benchmarks.selection_ablation RUN_DIR [--bench humaneval] [--sandbox bwrap]

Prints a table with 95% Wilson intervals and, per rule, the tasks it wins and loses
against `greedy` with McNemar's exact p-value. `replay ≠ recorded` counts tasks where the
replayed default rule chose another candidate than the run did (should be 0).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agents.selector import logprob_key, select_by_execution, survivors
from eval.evaluate import Evaluator
from eval.problems import load_benchmark
from eval.recheck import load_run
from eval.stats import mcnemar_exact, wilson_interval
from sandbox import make_sandbox


def as_candidates(pool: list[dict]) -> list[dict]:
    """Pool summaries back in the selector's candidate shape (copies already include repeats)."""
    return [{"id": c["id"], "code": c["code"], "verdict": c["verdict"], "greedy": c["greedy"],
             "visible": [True] * c["visible_passed"] + [False] * (c["visible"] - c["visible_passed"]),
             "generated": [], "copies": c["copies"], "logprob": c["logprob"], "outputs": [c["outputs"]],
             "hash": f"#{c['id']}", "raw": "", "feedback": ""} for c in pool]


def rules(cands: list[dict]) -> dict[str, dict]:
    """The candidate each deterministic rule picks."""
    greedy = next((c for c in cands if c["greedy"]), cands[0])
    kept, _ = survivors(cands)
    blind = [c | {"verdict": "untested"} if c["verdict"] != "invalid" else c for c in cands]
    return {
        "greedy": greedy,
        "filter → greedy": greedy if greedy in kept else kept[0],
        "filter → log-prob": max(kept, key=logprob_key),
        "filter → largest cluster": select_by_execution(cands)[0],
        "largest cluster, no filter": select_by_execution(blind)[0],
    }


def check_all(records: list[dict], problems: dict, evaluator: Evaluator, workers: int) -> dict:
    """{(task_id, candidate id): passed} for every candidate of every record."""
    jobs = [(r["task_id"], c["id"], c["code"]) for r in records for c in r["trace"]["pool"]]

    def run(job):
        task_id, cid, code = job
        return (task_id, cid), bool(evaluator.check(problems[task_id], code)["passed"])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, jobs))


def row(name: str, wins: list[float], greedy: list[bool]) -> str:
    n, passed = len(wins), sum(wins)
    low, high = wilson_interval(round(passed), n)
    paired = ""
    if name != "greedy" and not name.startswith("random"):  # an expectation has no per-task pairs
        won = sum(1 for w, g in zip(wins, greedy) if w and not g)
        lost = sum(1 for w, g in zip(wins, greedy) if g and not w)
        paired = f"+{won} / −{lost} (p = {mcnemar_exact(won, lost):.3f})"
    shown = f"{passed:.1f}" if passed != round(passed) else str(round(passed))
    return f"| {name} | {shown} | {100 * passed / n:.1f}% [{100 * low:.1f}–{100 * high:.1f}] | {paired} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--bench", help="check on this benchmark (same task ids) instead of the run's own")
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run = load_run(args.run_dir)
    records = [r for r in run.records if r.get("trace", {}).get("pool")]
    if not records:
        sys.exit(f"error: {args.run_dir} has no records with a candidate pool (a pipeline run made after a2098f4)")
    bench = args.bench or run.meta["bench"]
    problems = {p.task_id: p for p in load_benchmark(bench)}
    box = make_sandbox(args.sandbox)
    try:
        passed = check_all(records, problems, Evaluator(box), args.workers)
    finally:
        box.close()
    results: dict[str, list[float]] = {}
    mismatches = 0
    for r in records:
        cands = as_candidates(r["trace"]["pool"])
        picks = rules(cands)
        for name, cand in picks.items():
            results.setdefault(name, []).append(float(passed[(r["task_id"], cand["id"])]))
        kept, _ = survivors(cands)
        total = sum(c["copies"] for c in kept)
        results.setdefault("random survivor (expected)", []).append(
            sum(c["copies"] * passed[(r["task_id"], c["id"])] for c in kept) / total)
        results.setdefault("oracle (any candidate)", []).append(float(any(passed[(r["task_id"], c["id"])] for c in cands)))
        recorded = r["trace"].get("selection", {})
        mismatches += picks["filter → largest cluster"]["code"] != r["completion"] and bool(recorded)
    greedy = [bool(w) for w in results["greedy"]]
    print(f"{bench}: {len(records)} tasks, {len(passed)} candidates checked; replay ≠ recorded: {mismatches}\n")
    print("| rule | passed | pass@1 [95% CI] | vs greedy: won / lost (McNemar) |\n|---|---|---|---|")
    for name, wins in results.items():
        print(row(name, wins, greedy))


if __name__ == "__main__":
    main()
