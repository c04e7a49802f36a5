"""The sampler's temperature swept on mbpp-dev by pass@k of its own samples (issue 13, step 2).

The pipeline's gain comes from the samples it draws after a failed greedy answer
(`pipeline_paths.py`), so the sweep runs on exactly those tasks: the ones a pipeline run
sent down the explore branch. Per temperature and task it makes the sampler's request
(`agents.coder.draw`: the coder's prompt, `n` samples in one request, the sampler's top_p /
top_k / repeat penalty), turns each text into code as the agents do, checks every sample on
the hidden tests in the sandbox and appends one record to OUT/records.jsonl (so the sweep
resumes and its table can be regenerated). The table: pass@1/2/4/n with 95% bootstrap
intervals over tasks, distinct programs per task, completion tokens per task.

    .venv/bin/python benchmarks/temperature_sweep.py benchmarks/runs/mbppdev-pipeline \\
        --temperatures 0.4 0.7 1.0 --n 8 --out benchmarks/runs/mbppdev-temperature
    .venv/bin/python benchmarks/temperature_sweep.py … --table-only     # the table from the records
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.candidates import code_hash  # noqa: E402
from agents.coder import coder_messages, draw  # noqa: E402
from agents.state import SolveConfig  # noqa: E402
from agents.task import task_from_problem  # noqa: E402
from benchmarks.pipeline_paths import agent_events  # noqa: E402
from codetext.sanitize import candidate_code  # noqa: E402
from eval.passk import estimate_pass_at_k  # noqa: E402
from eval.recheck import load_run  # noqa: E402
from eval.stats import bootstrap_mean_interval  # noqa: E402

KS = (1, 2, 4)


def explore_tasks(run_dir: Path) -> tuple[str, list[str]]:
    """The run's benchmark and, in file order, the tasks whose greedy answer did not pass."""
    run = load_run(run_dir)
    ids = [r["task_id"] for r in run.records if r.get("sample", 0) == 0
           and any(e["greedy"] != "passed" for e in agent_events(r, "sampler"))]
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


def read_done(path: Path) -> list[dict]:
    """The records written so far, the first per (task, temperature); a torn last line from a
    kill is dropped."""
    if not path.exists():
        return []
    done: dict[tuple, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        done.setdefault((record["task_id"], record["temperature"]), record)
    return list(done.values())


def table(records: list[dict]) -> str:
    """pass@k per temperature, on the tasks every temperature has."""
    temps = sorted({r["temperature"] for r in records})
    common = set.intersection(*({r["task_id"] for r in records if r["temperature"] == t} for t in temps))
    n = min(r["n"] for r in records)
    ks = [k for k in KS if k < n] + [n]
    lines = [f"{len(common)} tasks (greedy failed or untested in the pipeline run), {n} samples each", "",
             "| temperature | " + " | ".join(f"pass@{k} [95% CI]" for k in ks) + " | distinct/task | tokens/task |",
             "|---" * (len(ks) + 3) + "|"]
    for t in temps:
        rows = [r for r in records if r["temperature"] == t and r["task_id"] in common]
        cells = []
        for k in ks:
            values = [estimate_pass_at_k(r["n"], sum(r["passed"]), k) for r in rows]
            low, high = bootstrap_mean_interval(values)
            cells.append(f"{sum(values) / len(values):.1%} [{low * 100:.1f}–{high * 100:.1f}]")
        distinct = sum(r["distinct"] for r in rows) / len(rows)
        tokens = sum(r["completion_tokens"] for r in rows) / len(rows)
        lines.append(f"| {t} | " + " | ".join(cells) + f" | {distinct:.1f} | {tokens:.0f} |")
    return "\n".join(lines)


def sweep(args, bench: str, task_ids: list[str], out: Path) -> None:
    """Draw and check what `out` does not hold yet, one record per (task, temperature)."""
    from eval.evaluate import Evaluator
    from eval.problems import load_benchmark
    from sandbox import make_sandbox
    from serving.session import llm_session

    problems = {p.task_id: p for p in load_benchmark(bench)}
    done = {(r["task_id"], r["temperature"]) for r in read_done(out)}
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
    parser.add_argument("--out", type=Path, required=True, help="directory for records.jsonl")
    parser.add_argument("--table-only", action="store_true", help="print the table from the records, draw nothing")
    parser.add_argument("--model"), parser.add_argument("--base-url")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args()
    bench, task_ids = explore_tasks(args.run_dir)
    records_path = args.out / "records.jsonl"
    if not args.table_only:
        args.out.mkdir(parents=True, exist_ok=True)
        sweep(args, bench, task_ids[:args.limit], records_path)
    print(table(read_done(records_path)))


if __name__ == "__main__":
    main()
