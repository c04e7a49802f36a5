"""Report rows: comparing runs on the tasks they share, and the derived columns."""

from pathlib import Path

from eval.report import markdown_table, on_common_tasks, report_rows
from eval.runs import Run


def record(task_id, passed, cached=0):
    return {"task_id": task_id, "sample": 0, "verdict": {"passed": passed, "base": passed},
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "cached_tokens": cached, "calls": 2},
            "seconds": {"total": 1.0, "eval": 0.1}}


def run(name, bench, records):
    return Run(Path(name), {"bench": bench, "mode": "pipeline"}, records, [])


def test_runs_are_cut_to_the_tasks_every_run_of_their_benchmark_has():
    full = run("base", "humaneval", [record(f"HumanEval/{i}", i % 2 == 0) for i in range(10)])
    part = run("pipe", "humaneval", [record(f"HumanEval/{i}", True, cached=40) for i in range(4)])
    other = run("mbpp", "mbpp+", [record("Mbpp/2", True)])
    cut = on_common_tasks([full, part, other])
    assert [len(r.records) for r in cut] == [4, 4, 1]
    rows = report_rows(cut)
    assert [r["passed"] for r in rows] == [2, 4, 1]
    table = markdown_table(rows)
    assert "| 2.00 | 40.0% |" in table  # calls per task, share of prompt tokens served from cache
    assert "| 2.00 | 0.0% |" in table
