"""Numbers of a run from its records: pass@k (with a 95% interval for pass@1), tokens,
seconds, the sandbox's share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from eval.passk import pass_at_k
from eval.runstore import check_of
from eval.stats import pass1_interval

# pass@k is reported only for these k, and only when every task has at least k samples
# (eval.passk.pass_at_k drops the others); pass@100 needs 100+ samples, which no run here has.
KS = (1, 5, 10)


def passed(record: dict) -> bool:
    """True when the record's check says its completion passed."""
    return bool(check_of(record).get("passed"))


def summarize(records: Iterable[dict], ks: Iterable[int] = KS) -> dict:
    """Aggregate records (one per task and sample). Errored samples count as failures.

    `pass@1_ci` / `base["pass@1_ci"]` are 95% intervals (low, high) for pass@1, by the
    method named in `ci_method` (eval.stats.pass1_interval); absent without records."""
    records = list(records)
    by_task: dict[str, list[bool]] = defaultdict(list)
    base_by_task: dict[str, list[bool]] = defaultdict(list)
    totals = defaultdict(float)
    agents: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for r in records:
        by_task[r["task_id"]].append(passed(r))
        base_by_task[r["task_id"]].append(bool(check_of(r).get("base")))
        for key, value in (r.get("usage") or {}).items():
            totals[key] += value or 0
        for key, value in (r.get("seconds") or {}).items():
            totals[f"{key}_s"] += value or 0
        for name, stats in (r.get("agents") or {}).items():
            for key, value in stats.items():
                agents[name][key] += value or 0
    n, solved = len(records), sum(passed(r) for r in records)
    tokens = totals["prompt_tokens"] + totals["completion_tokens"]
    summary = {
        "records": n,
        "tasks": len(by_task),
        "passed": solved,
        "errors": sum(r.get("exit_status") == "error" for r in records),
        **pass_at_k(by_task, ks),
        **_interval(by_task),
        "base": {**pass_at_k(base_by_task, ks), **_interval(base_by_task, with_method=False)},
        "base_passed": sum(sum(v) for v in base_by_task.values()),
        "tokens": {key: int(totals[key]) for key in ("prompt_tokens", "completion_tokens", "cached_tokens", "calls")},
        "tokens_per_task": tokens / n if n else 0.0,
        "tokens_per_solved": tokens / solved if solved else None,
        "seconds_total": round(totals["total_s"], 2),
        "seconds_per_task": totals["total_s"] / n if n else 0.0,
        **wall_time_split(totals, agents),
        "agents": {name: {k: round(v, 3) if _is_seconds(k) else int(v) for k, v in stats.items()}
                   for name, stats in agents.items()},
    }
    return summary


def _is_seconds(key: str) -> bool:
    return key == "seconds" or key.endswith("_s")


def wall_time_split(totals: dict, agents: dict) -> dict:
    """Where wall time went: waiting for the model (agents' `model_s`), in the sandbox (the
    final check plus the agents' own test runs, `sandbox_s`), and the rest (orchestration:
    graph, retrieval, parsing). Shares are of the records' total seconds."""
    total = totals["total_s"]
    model = sum(stats.get("model_s", 0.0) for stats in agents.values())
    sandbox = totals["eval_s"] + sum(stats.get("sandbox_s", 0.0) for stats in agents.values())
    other = max(0.0, total - model - sandbox)
    share = (lambda x: x / total) if total else (lambda x: 0.0)
    return {"model_seconds": round(model, 2), "sandbox_seconds": round(sandbox, 2),
            "other_seconds": round(other, 2), "model_share": share(model), "sandbox_share": share(sandbox),
            "other_share": share(other)}


def _interval(by_task: dict[str, list[bool]], with_method: bool = True) -> dict:
    """{"pass@1_ci": (low, high), "ci_method": ...} for the tasks' samples; {} without tasks."""
    if not by_task:
        return {}
    ci, method = pass1_interval(by_task)
    return {"pass@1_ci": ci, "ci_method": method} if with_method else {"pass@1_ci": ci}
