"""The sampler's temperature swept on mbpp-dev by pass@k of its own samples (issue 13, step 2).

The pipeline's gain comes from the samples it draws after a failed greedy answer
(`pipeline_paths.py`), so the sweep runs on exactly those tasks: the ones a pipeline run
sent down the explore branch. Per temperature and task it makes the sampler's request
(`agents.coder.draw`: the coder's prompt, `n` samples in one request, the sampler's top_p /
top_k / repeat penalty), turns each text into code as the agents do, checks every sample on
the hidden tests in the sandbox and appends one record to OUT/records.jsonl (so the sweep
resumes and its table can be regenerated). The table: pass@1/2/4/n with 95% bootstrap
intervals over tasks, the run's own pass rate on the same tasks (and the share of the
pass@1 → pass@n gap it closes: what its selector captures), distinct programs per task,
completion tokens per task.

    .venv/bin/python -m benchmarks.temperature_sweep benchmarks/runs/mbppdev-pipeline \\
        --temperatures 0.4 0.7 1.0 --n 8 --out benchmarks/runs/mbppdev-temperature
    .venv/bin/python -m benchmarks.temperature_sweep … --table-only     # the table from the records

With `--all-tasks` every task of the run is sampled, not only the explore branch's: with
`--n 10` that is the model's own pass@k curve (k = 1…10) at the sampler's settings, the
ceiling any selector over that many samples can reach (issue 13's "Measure"):

    .venv/bin/python -m benchmarks.temperature_sweep benchmarks/runs/humanevalplus-pipeline --all-tasks \
        --temperatures 0.7 --n 10 --out benchmarks/runs/humanevalplus-passk
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agents.candidates import code_hash
from agents.coder import coder_messages, draw
from agents.state import SolveConfig
from agents.task import task_from_problem
from benchmarks.pipeline_paths import agent_events, passed_by_task
from codetext.sanitize import candidate_code
from eval.passk import estimate_pass_at_k
from eval.recheck import Run, load_run
from eval.runstore import read_records
from eval.stats import bootstrap_mean_interval

KS = (1, 2, 4)


def selector_capture(run_rate: float, at_1: float, at_k: float, k: int) -> str:
    """The run's pass rate and how much of the gap from the samples' pass@1 to pass@k it
    closes: (run's pass rate − pass@1) / (pass@k − pass@1)."""
    share = f"{(run_rate - at_1) / (at_k - at_1):.0%}" if at_k > at_1 else "n/a"
    return f"{run_rate:.1%} ({share} of the pass@1→pass@{k} gap)"


def run_tasks(run: Run, explore_only: bool = True) -> tuple[str, list[str]]:
    """The loaded run's benchmark and, in file order, its tasks (with `explore_only`, those
    whose greedy answer did not pass)."""
    ids = [r["task_id"] for r in run.records if r.get("sample", 0) == 0
           and (not explore_only or any(e["greedy"] != "passed" for e in agent_events(r, "sampler")))]
    return run.meta["bench"], ids


def sample_task(llm, evaluator, problem, temperature: float, n: int) -> dict:
    """One sampler request at `temperature`, every sample checked on the hidden tests."""
    task = task_from_problem(problem)
    completion, _ = draw(llm, coder_messages(task), SolveConfig(sample_temperature=temperature), n)
    codes = [candidate_code(text, task.entry_point, task.prompt) for text in completion.texts]
    return {"task_id": problem.task_id, "temperature": temperature, "n": len(codes),
            "passed": [bool(evaluator.check(problem, code)["passed"]) for code in codes],
            "distinct": len({code_hash(code) for code in codes}),
            "completion_tokens": completion.usage.completion_tokens}


def read_done(out: Path) -> list[dict]:
    """The records written so far in `out` (`records.jsonl.gz` as committed, then the plain
    `records.jsonl` a resumed sweep appends to), the first per (task, temperature); a torn
    last line from a kill is dropped."""
    done: dict[tuple, dict] = {}
    for record in read_records(out).records:
        done.setdefault((record["task_id"], record["temperature"]), record)
    return list(done.values())


def pass_at_ks(n: int) -> list[int]:
    """The k of the table: every k up to 10 samples (a curve), else 1, 2, 4, … and n."""
    return list(range(1, n + 1)) if n <= 10 else [k for k in KS if k < n] + [n]


def table(records: list[dict], scope: str, run_passed: dict[str, bool]) -> str:
    """pass@k (rows) per temperature (columns), on the tasks every temperature has, and the
    run's own pass rate on those tasks against that curve."""
    temps = sorted({r["temperature"] for r in records})
    common = set.intersection(*({r["task_id"] for r in records if r["temperature"] == t} for t in temps))
    n = min(r["n"] for r in records)
    rows = {t: [r for r in records if r["temperature"] == t and r["task_id"] in common] for t in temps}
    lines = [f"{len(common)} tasks ({scope}), {n} samples each", "",
             "| | " + " | ".join(f"T {t} [95% CI]" for t in temps) + " |", "|---" * (len(temps) + 1) + "|"]
    means: dict[tuple[int, float], float] = {}
    for k in pass_at_ks(n):
        cells = []
        for t in temps:
            values = [estimate_pass_at_k(r["n"], sum(r["passed"]), k) for r in rows[t]]
            low, high = bootstrap_mean_interval(values)
            means[k, t] = sum(values) / len(values)
            cells.append(f"{means[k, t]:.1%} [{low * 100:.1f}–{high * 100:.1f}]")
        lines.append(f"| pass@{k} | " + " | ".join(cells) + " |")
    run_rate = sum(run_passed[task_id] for task_id in common) / len(common)
    lines.append("| the run's answers (selector) | " + " | ".join(
        selector_capture(run_rate, means[1, t], means[n, t], n) for t in temps) + " |")
    for label, field in (("distinct programs/task", "distinct"), ("completion tokens/task", "completion_tokens")):
        lines.append(f"| {label} | " + " | ".join(f"{sum(r[field] for r in rows[t]) / len(rows[t]):.1f}"
                                                  for t in temps) + " |")
    return "\n".join(lines)


def sweep(args, bench: str, task_ids: list[str], out: Path) -> None:
    """Draw and check what `out` does not hold yet, one record per (task, temperature)."""
    from eval.evaluate import Evaluator
    from eval.problems import load_benchmark
    from sandbox import make_sandbox
    from serving.session import llm_session

    problems = {p.task_id: p for p in load_benchmark(bench)}
    done = {(r["task_id"], r["temperature"]) for r in read_done(out.parent)}
    box = make_sandbox(args.sandbox)
    evaluator = Evaluator(box)
    try:
        with llm_session(args.model, args.base_url, port=args.port) as llm, out.open("a", encoding="utf-8") as sink:
            for task_id in task_ids:  # task-major: a sweep stopped early still pairs every temperature
                for temperature in args.temperatures:
                    if (task_id, temperature) in done:
                        continue
                    record = sample_task(llm, evaluator, problems[task_id], temperature, args.n)
                    sink.write(json.dumps(record) + "\n")
                    sink.flush()
                    print(f"T={temperature} {task_id}: {sum(record['passed'])}/{record['n']} passed", file=sys.stderr)
    finally:
        box.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a pipeline run whose explore-branch tasks are swept")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.4, 0.7, 1.0])
    parser.add_argument("--n", type=int, default=8, help="samples per task and temperature (one request)")
    parser.add_argument("--limit", type=int, help="only the first N of those tasks")
    parser.add_argument("--all-tasks", action="store_true", help="every task of the run, not only the explore branch's")
    parser.add_argument("--out", type=Path, required=True, help="directory for records.jsonl")
    parser.add_argument("--table-only", action="store_true", help="print the table from the records, draw nothing")
    parser.add_argument("--model"), parser.add_argument("--base-url")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args()
    run = load_run(args.run_dir)
    bench, task_ids = run_tasks(run, explore_only=not args.all_tasks)
    records_path = args.out / "records.jsonl"
    if not args.table_only:
        args.out.mkdir(parents=True, exist_ok=True)
        sweep(args, bench, task_ids[:args.limit], records_path)
    scope = "every task of the run" if args.all_tasks else "greedy failed or untested in the pipeline run"
    print(table(read_done(args.out), scope, passed_by_task(run.records)))


if __name__ == "__main__":
    main()
