"""Where a pipeline run's wins, losses and tokens go, by the path each task took.

The default flow branches on the greedy answer (agents/README.md): greedy passed its
visible tests → a few confirming samples; greedy failed, was invalid, or there was nothing
to test → more exploring samples; runtime failures → repair. This script groups a pipeline
run's tasks by that path (from each record's trace) and, against a baseline run of the same
benchmark, counts per path: tasks, passed by each, won / lost (paired on sample 0), the
pipeline's tokens, calls and seconds per task. No model, no sandbox: records only.

    .venv/bin/python -m benchmarks.pipeline_paths PIPELINE_RUN BASELINE_RUN
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from eval.recheck import load_run
from eval.runstore import check_of


def agent_events(record: dict, agent: str) -> list[dict]:
    """The trace events of one agent in a pipeline record."""
    return [e for e in (record.get("trace") or {}).get("events") or [] if e.get("agent") == agent]


def path_of(record: dict) -> str:
    """The branch the task took: the sampler's reason (confirm / explore and why), `+ repair`
    when the repair agent ran."""
    sampler = agent_events(record, "sampler")
    branch = sampler[0]["why"].split(":")[0] if sampler else "no sampler"
    return branch + (" + repair" if agent_events(record, "repair") else "")


def passed_by_task(records) -> dict[str, bool]:
    """Sample 0's verdict per task (what the paired comparison uses)."""
    return {r["task_id"]: bool(check_of(r).get("passed")) for r in records if r.get("sample", 0) == 0}


def path_rows(pipeline_records, baseline_passed: dict[str, bool]) -> list[dict]:
    """One row per path, plus `all`: counts, paired wins/losses and the pipeline's costs."""
    groups = defaultdict(list)
    for record in pipeline_records:
        if record.get("sample", 0) == 0 and record["task_id"] in baseline_passed:
            groups[path_of(record)].append(record)
            groups["all"].append(record)
    rows = []
    for path, records in sorted(groups.items(), key=lambda kv: (kv[0] == "all", -len(kv[1]))):
        mine = passed_by_task(records)
        base = {t: baseline_passed[t] for t in mine}
        n = len(records)
        usage = [r.get("usage") or {} for r in records]
        rows.append({
            "path": path, "tasks": n, "pipeline": sum(mine.values()), "baseline": sum(base.values()),
            "won": sum(mine[t] and not base[t] for t in mine), "lost": sum(base[t] and not mine[t] for t in mine),
            "tokens": sum(u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in usage) / n,
            "calls": sum(u.get("calls", 0) for u in usage) / n,
            "seconds": sum((r.get("seconds") or {}).get("total", 0.0) for r in records) / n,
        })
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    lines = ["| path | tasks | pipeline passed | baseline passed | won | lost | tokens/task | calls/task | s/task |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['path']} | {r['tasks']} | {r['pipeline']} | {r['baseline']} | {r['won']} | {r['lost']} "
                     f"| {r['tokens']:.0f} | {r['calls']:.2f} | {r['seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pipeline_run", type=Path)
    parser.add_argument("baseline_run", type=Path)
    args = parser.parse_args()
    pipeline, baseline = load_run(args.pipeline_run), load_run(args.baseline_run)
    print(table(path_rows(pipeline.records, passed_by_task(baseline.records))))


if __name__ == "__main__":
    main()
