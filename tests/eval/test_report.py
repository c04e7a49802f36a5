"""Report rows: comparing runs on the tasks they share, and the derived columns."""

from pathlib import Path

from eval.report import markdown_table, on_common_tasks, paired_rows, report_rows
from eval.recheck import Run


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


def test_wall_time_is_split_into_model_sandbox_and_the_rest():
    from eval.summary import summarize

    r = record("HumanEval/0", True) | {"seconds": {"total": 10.0, "eval": 0.5},
                                       "agents": {"coder": {"seconds": 6.0, "model_s": 6.0},
                                                  "tester": {"seconds": 1.6, "sandbox_s": 1.5}}}
    s = summarize([r, r])
    assert (s["model_seconds"], s["sandbox_seconds"], s["other_seconds"]) == (12.0, 4.0, 4.0)
    assert (s["model_share"], s["sandbox_share"], s["other_share"]) == (0.6, 0.2, 0.2)
    assert s["agents"]["tester"]["sandbox_s"] == 3.0  # seconds stay fractional, counters integral
    assert "| 60% / 20% / 20% |" in markdown_table(report_rows([run("pipe", "humaneval", [r])]))


def test_a_task_file_is_one_benchmark_by_content_wherever_it_was_run_from():
    def file_run(name, path, digest, passed):
        return Run(Path(name), {"bench": path, "bench_sha256": digest, "mode": "pipeline"},
                   [record(f"t{i}", p) for i, p in enumerate(passed)], [])

    a = file_run("base", "/checkout-a/heldout/tasks.jsonl", "5861ddb6af45", [True, False, False])
    b = file_run("pipe", "/checkout-b/heldout/tasks.jsonl", "5861ddb6af45", [True, True, False])
    edited = file_run("edit", "/checkout-b/heldout/tasks.jsonl", "0123abcd9999", [True, True, True])
    rows = paired_rows([a, b, edited])
    assert [(r["bench"], r["only_b"], r["only_a"]) for r in rows] == [("tasks.jsonl (5861ddb6)", 1, 0)]
    assert [r["bench"] for r in report_rows([edited])] == ["tasks.jsonl (0123abcd)"]
