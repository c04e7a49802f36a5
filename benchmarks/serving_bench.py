"""Serving benchmark: engines side by side, and batch runs against one server.

Usage:
  .venv/bin/python -m benchmarks.serving_bench engines [--model M] [--engines llama-cpp-python,llama-server]
         [--parallel 8] [--tokens 64]
      per engine: load time, aggregate generated tokens/s at 1/2/4/8 concurrent sequences,
      8 samples of one ~400-token prompt (n in one request vs 8 sequential requests: wall
      time and prompt tokens evaluated), server RSS after load and at the end.
  .venv/bin/python -m benchmarks.serving_bench rss [--bench mbpp] [--requests 200] [--tokens 8] [--cache-ram-mib N]
      server RSS while that many distinct baseline prompts pass through one server.
  .venv/bin/python -m benchmarks.serving_bench batch [--bench humaneval] [--limit 40] [--workers 1,4]
         [--model M] [--engine llama-server] [--out-root DIR]
      per worker count: a fresh server, `codeloop batch BENCH --mode baseline` against it,
      wall time, pass@1, share of prompt tokens served from the cache (as the API reports
      them, summed from the run's records), server RSS at start, after, and at its peak.
Prints markdown tables. Timings only mean something on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from serving.embedded import ManagedServer, free_port
from serving.engines import make_engine
from serving.models import DEFAULT_MODEL
from serving.openai_client import OpenAICompatibleLLM

ROOT = Path(__file__).resolve().parent.parent

# ~400 tokens of stable instructions, like a real agent's system prompt.
SYSTEM = (
    "You are an expert Python programmer working inside an automated code generation loop. "
    "Follow the rules below exactly. Write complete, self-contained code. Use only the standard library. "
    "Prefer clear names, small functions and docstrings. Never print debugging output. "
) * 7
TASKS = ["a bank account with deposits, withdrawals and statements", "an LRU cache with statistics",
         "a tokenizer for arithmetic expressions", "a priority task scheduler", "an inventory of products",
         "a matrix class with arithmetic", "a text adventure room graph", "a CSV report generator"]


def rss_mb(pid: int) -> int:
    """Resident set size of process `pid` in MiB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


class PeakRSS:
    """Samples a process's RSS every `every_s` seconds in a thread; `.peak` in MiB."""

    def __init__(self, pid: int, every_s: float = 1.0) -> None:
        self.pid, self.every_s, self.peak = pid, every_s, rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except (OSError, IndexError):
                return

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def start_server(engine: str, model: str, parallel: int | None) -> tuple[ManagedServer, float]:
    server = ManagedServer(make_engine(engine, model, parallel=parallel), port=free_port(), reuse=False,
                           log_path=Path(f"/tmp/codeloop-bench-{engine}.log"))
    started = time.perf_counter()
    server.start()
    return server, time.perf_counter() - started


def throughput(llm: OpenAICompatibleLLM, concurrency: int, tokens: int) -> float:
    """Aggregate generated tokens/s with `concurrency` different requests in flight."""
    def one(i: int) -> int:
        messages = [{"role": "user", "content": f"[{uuid.uuid4()}] Write a long, detailed Python module for "
                                                f"{TASKS[i % len(TASKS)]}, with many methods and docstrings."}]
        return llm.complete(messages, max_tokens=tokens, temperature=0.0).usage.completion_tokens

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        generated = sum(pool.map(one, range(concurrency)))
    return generated / (time.perf_counter() - started)


def samples_of_one_prompt(llm: OpenAICompatibleLLM, tokens: int, one_request: bool) -> tuple[float, int, int, int]:
    """8 samples of a fresh ~400-token prompt: (wall s, requests, prompt tokens, of which evaluated)."""
    messages = [{"role": "system", "content": f"[{uuid.uuid4()}] " + SYSTEM},
                {"role": "user", "content": "Write a function that merges overlapping intervals."}]
    started = time.perf_counter()
    if one_request:
        usages = [llm.complete(messages, n=8, max_tokens=tokens, temperature=0.8).usage]
    else:
        usages = [llm.complete(messages, max_tokens=tokens, temperature=0.8).usage for _ in range(8)]
    wall = time.perf_counter() - started
    prompt = sum(u.prompt_tokens for u in usages)
    return wall, sum(u.calls for u in usages), prompt, prompt - sum(u.cached_tokens for u in usages)


def engines_cmd(args) -> None:
    columns: dict[str, dict[str, str]] = {}
    for engine in args.engines.split(","):
        server, load_s = start_server(engine, args.model, args.parallel)
        llm = OpenAICompatibleLLM(server.base_url, model=server.alias, traits=server.engine.traits)
        col = columns[engine] = {"load time (start → healthy)": f"{load_s:.1f} s"}
        try:
            pid = server.process.pid
            col["server RSS after load"] = f"{rss_mb(pid)} MiB"
            llm.complete([{"role": "user", "content": "Hi"}], max_tokens=4)  # warm-up
            for c in (1, 2, 4, 8):
                col[f"generated tok/s, {c} concurrent"] = f"{throughput(llm, c, args.tokens):.1f}"
            reports_cache = engine != "llama-cpp-python"
            for label, one in (("n=8 in one request", True), ("8 sequential requests", False)):
                wall, calls, prompt, evaluated = samples_of_one_prompt(llm, args.tokens, one)
                col[f"8 samples, {label}: wall"] = f"{wall:.1f} s ({calls} request{'s' if calls > 1 else ''})"
                col[f"8 samples, {label}: prompt tokens evaluated"] = (
                    f"{evaluated} of {prompt}" if reports_cache else f"not reported (~{prompt} sent)")
            col["server RSS at the end"] = f"{rss_mb(pid)} MiB"
        finally:
            llm.close()
            server.stop()
    names = list(columns)
    print(f"\nmodel {args.model}, {os.cpu_count()} cores, {args.tokens} tokens per sample, "
          f"--parallel {args.parallel} for llama-server\n")
    print("| measure | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for row in columns[names[0]]:
        print(f"| {row} | " + " | ".join(columns[n].get(row, "") for n in names) + " |")


def run_batch(args, workers: int, port: int) -> tuple[float, dict]:
    out = Path(args.out_root) / f"{args.bench}-{args.limit}-w{workers}-{args.engine}"
    if out.exists():
        shutil.rmtree(out)  # our own earlier run: a resumed run would skip the work being timed
    cmd = [sys.executable, "-c", "import sys; from apps.cli import main; sys.argv[0] = 'codeloop'; main()",
           "batch", args.bench, "--mode", "baseline", "--limit", str(args.limit), "--workers", str(workers),
           "--port", str(port), "--out", str(out), "--json"]
    if args.model != DEFAULT_MODEL:
        cmd += ["--model", args.model]
    env = dict(os.environ, PYTHONPATH=str(ROOT), CODELOOP_ENGINE=args.engine)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, json.loads(done.stdout)


def batch_cmd(args) -> None:
    rows = []
    for workers in (int(w) for w in args.workers.split(",")):
        server, _ = start_server(args.engine, args.model, args.parallel)
        try:
            pid = server.process.pid
            rss_start, peak = rss_mb(pid), PeakRSS(pid)
            wall, summary = run_batch(args, workers, server.port)
            rss_after, rss_peak = rss_mb(pid), peak.stop()
        finally:
            server.stop()
        t = summary["tokens"]
        rows.append((workers, wall, summary, t, rss_start, rss_after, rss_peak))
    print(f"\n{args.bench} --limit {args.limit} --mode baseline, model {args.model}, engine {args.engine} "
          f"(--parallel {args.parallel or 'sized'}), {os.cpu_count()} cores\n")
    print("| workers | wall | s/task | pass@1 | prompt tokens from cache (API) | calls | server RSS start → after (peak) |")
    print("|---|---|---|---|---|---|---|")
    for workers, wall, s, t, r0, r1, rp in rows:
        share = t["cached_tokens"] / t["prompt_tokens"] if t["prompt_tokens"] else 0.0
        print(f"| {workers} | {wall:.0f} s | {wall / s['records']:.1f} | {s['passed']}/{s['records']} "
              f"({s['pass@1']:.1%}) | {t['cached_tokens']}/{t['prompt_tokens']} ({share:.0%}) | {t['calls']} | "
              f"{r0} → {r1} ({rp}) MiB |")
    if len(rows) > 1:
        few, many = min(rows), max(rows)  # by worker count
        print(f"\nspeed-up of workers {many[0]} over workers {few[0]} (wall-clock ratio): {few[1] / many[1]:.2f}x")


def rss_cmd(args) -> None:
    """Server RSS while `--requests` distinct benchmark prompts (the baseline's) flow through it."""
    from codetext.prompts import complete_function_template
    from eval.baseline import baseline_messages
    from eval.problems import load_benchmark

    if args.cache_ram_mib is not None:
        os.environ["CODELOOP_CACHE_RAM_MIB"] = str(args.cache_ram_mib)
    problems = load_benchmark(args.bench)[: args.requests]
    template = complete_function_template()
    server, _ = start_server(args.engine, args.model, args.parallel)
    llm = OpenAICompatibleLLM(server.base_url, model=server.alias, traits=server.engine.traits)
    pid, marks = server.process.pid, []
    try:
        marks.append((0, rss_mb(pid)))
        peak = PeakRSS(pid, 0.5)
        with ThreadPoolExecutor(args.workers) as pool:
            for i, _ in enumerate(pool.map(lambda p: llm.complete(baseline_messages(p, template),
                                                                  max_tokens=args.tokens), problems), 1):
                if i % 50 == 0 or i == len(problems):
                    marks.append((i, rss_mb(pid)))
        top = peak.stop()
    finally:
        llm.close()
        server.stop()
    print(f"\n{len(problems)} distinct {args.bench} prompts, max_tokens {args.tokens}, {args.workers} in flight, "
          f"model {args.model}, engine {args.engine}, cache-ram {getattr(getattr(server.engine, 'sizing', None), 'cache_ram_mib', 'n/a')} MiB\n")
    print("| requests done | server RSS |\n|---|---|")
    for done, mb in marks:
        print(f"| {done} | {mb} MiB |")
    print(f"| peak | {top} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    eng = sub.add_parser("engines", help="engines side by side")
    eng.add_argument("--engines", default="llama-cpp-python,llama-server")
    eng.add_argument("--tokens", type=int, default=64)
    bat = sub.add_parser("batch", help="baseline batch runs against one fresh server per worker count")
    bat.add_argument("--engine", default="llama-server")
    bat.add_argument("--bench", default="humaneval")
    bat.add_argument("--limit", type=int, default=40)
    bat.add_argument("--workers", default="1,4")
    bat.add_argument("--out-root", default=str(ROOT / "benchmarks" / "runs" / "serving"))
    rss = sub.add_parser("rss", help="server RSS over many distinct prompts")
    rss.add_argument("--engine", default="llama-server")
    rss.add_argument("--bench", default="mbpp")
    rss.add_argument("--requests", type=int, default=200)
    rss.add_argument("--tokens", type=int, default=8)
    rss.add_argument("--workers", type=int, default=4)
    rss.add_argument("--cache-ram-mib", type=int, default=None, help="override the sized host prompt cache")
    for p in (eng, bat, rss):
        p.add_argument("--model", default=DEFAULT_MODEL)
        # engines needs 8 slots for 8 concurrent sequences and n=8; the others use the sized default
        p.add_argument("--parallel", type=int, default=8 if p is eng else None,
                       help="llama-server slots (default: 8 for engines, else sized from cores and memory)")
    args = parser.parse_args()
    {"engines": engines_cmd, "batch": batch_cmd, "rss": rss_cmd}[args.command](args)


if __name__ == "__main__":
    main()
