"""Time to first token against total latency: solves streamed through the graph.

    CODELOOP_DATA_DIR=../shared/data/benchmarks nice -n 19 .venv/bin/python -m benchmarks.ttft \
        [--model smollm2-135m] [--port 8811] [--base-url URL] [--limit 6] [--max-tokens 256] [--plain]

Solves the first `--limit` HumanEval tasks with `solve_task(on_token=...)` (what `codeloop
solve` does on a terminal) and prints markdown tables: per kind of model call (agent and n)
the median time to first token, the median call latency and tokens; per solve the time from
its start to the first streamed token against the whole solve. `--plain` also solves each
task without streaming, to show what streaming costs (same requests, `stream: false`).
Starts llama-server for `--model` on `--port` (≥ 8800: the lead's runs use 8765-8799)
unless `--base-url` is given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_problem
from eval.problems import load_benchmark
from sandbox.process import ProcessSandbox
from serving.session import llm_session


class Watch:
    """Collects one solve's token events: each call's end record and the first token's time."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_token_at: float | None = None
        self.calls: list[dict] = []
        self._n = 1

    def __call__(self, chunk: dict) -> None:
        if chunk.get("call") == "start":
            self._n = chunk.get("n", 1)
        elif chunk.get("call") == "end":
            self.calls.append(chunk | {"n": self._n})
        elif self.first_token_at is None:
            self.first_token_at = time.perf_counter() - self.started


def median(values: list[float]) -> str:
    """The median with two decimals, "-" for no values (a table cell)."""
    return f"{statistics.median(values):.2f}" if values else "-"


def call_table(calls: list[dict]) -> list[str]:
    """Per (agent, n): calls, median TTFT, median latency, TTFT share, median tokens and tokens/s."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for call in calls:
        groups[(call["agent"], call["n"])].append(call)
    rows = ["| call | count | TTFT s (median) | latency s (median) | TTFT / latency | tokens (median) | tokens/s after the first |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for (agent, n), group in sorted(groups.items()):
        ttft = [c["first_token_s"] for c in group if c["first_token_s"] is not None]
        total = [c["seconds"] for c in group]
        share = [c["first_token_s"] / c["seconds"] for c in group if c["first_token_s"] and c["seconds"]]
        rate = [c["completion_tokens"] / (c["seconds"] - c["first_token_s"]) for c in group
                if c["first_token_s"] is not None and c["seconds"] > c["first_token_s"]]
        rows.append(f"| {agent} n={n} | {len(group)} | {median(ttft)} | {median(total)} | "
                    f"{statistics.median(share):.0%} | {median([c['completion_tokens'] for c in group])} | "
                    f"{median(rate)} |" if share else f"| {agent} n={n} | {len(group)} | - | {median(total)} | - | - | - |")
    return rows


def main() -> None:
    """Solve the tasks streamed (and plain with --plain); print each solve, then the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--base-url")
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=256, help="per completion")
    parser.add_argument("--plain", action="store_true", help="also solve each task without streaming")
    args = parser.parse_args()
    tasks = [task_from_problem(p) for p in load_benchmark("humaneval")[: args.limit]]
    config = SolveConfig(max_tokens=args.max_tokens)
    calls: list[dict] = []
    solves: list[tuple[str, float | None, float, float | None]] = []
    box = ProcessSandbox()
    try:
        with llm_session(args.model, args.base_url, port=args.port, parallel=2) as llm:
            llm.complete([{"role": "user", "content": "hi"}], max_tokens=1)  # load the weights first
            for task in tasks:
                watch = Watch()
                result = solve_task(task, llm, box, config, on_token=watch)
                plain = None
                if args.plain:
                    started = time.perf_counter()
                    solve_task(task, llm, box, config)
                    plain = time.perf_counter() - started
                calls += watch.calls
                solves.append((task.source or "?", watch.first_token_at, result.seconds, plain))
                print(f"# {task.source}: first token {watch.first_token_at or 0:.2f} s, solve {result.seconds:.2f} s"
                      f"{f', plain {plain:.2f} s' if plain is not None else ''}", file=sys.stderr, flush=True)
    finally:
        box.close()
    print(f"model {args.model}, {len(tasks)} HumanEval tasks, {len(calls)} streamed calls\n")
    print("\n".join(call_table(calls)) + "\n")
    print("| solve | first token s | whole solve s |" + (" without streaming s |" if args.plain else ""))
    print("|---|---:|---:|" + ("---:|" if args.plain else ""))
    for name, first, whole, plain in solves:
        extra = f" {plain:.2f} |" if plain is not None else ""
        print(f"| {name} | {first:.2f} | {whole:.2f} |{extra}" if first is not None else f"| {name} | - | {whole:.2f} |{extra}")
    firsts = [s[1] for s in solves if s[1] is not None]
    wholes = [s[2] for s in solves]
    extra = f" {median([s[3] for s in solves])} |" if args.plain else ""
    print(f"| **median** | {median(firsts)} | {median(wholes)} |{extra}")


if __name__ == "__main__":
    main()
