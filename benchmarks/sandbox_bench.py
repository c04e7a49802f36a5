"""Sandbox latency and throughput per backend; prints a markdown table.

    .venv/bin/python -m benchmarks.sandbox_bench [--runs 30] [--workers 2] [--backends docker,bwrap,process]

Latency is host wall time per `Sandbox.run` on a warm instance (docker: the container
already exists). Throughput runs `python -c pass` from W threads sharing one instance.
"""

from __future__ import annotations

import argparse
import threading
import time

from sandbox import Limits, make_sandbox, probe

PYTEST_FILE = "\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n" for i in range(10))
CASES = {
    "true": ({}, ["true"]),  # sandbox overhead alone, without Python's own start-up
    "python -c pass": ({}, ["python", "-c", "pass"]),
    "pytest, 10 tests": ({"test_ten.py": PYTEST_FILE}, ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def latency(sandbox, files, command, runs: int) -> list[float]:
    """Host wall time of `runs` sequential runs, after two warm-up runs."""
    limits = Limits(timeout_s=60)
    for _ in range(2):
        sandbox.run(files, command, limits)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        res = sandbox.run(files, command, limits)
        times.append(time.perf_counter() - start)
        if res.exit_code != 0:
            raise RuntimeError(f"{sandbox.name}: {command} failed: {res.stderr[-300:]}")
    return times


def throughput(name: str, workers: int, runs_each: int) -> float:
    """Runs per second of `python -c pass` from `workers` threads sharing one sandbox
    (as the batch runner does; docker keeps one warm container per concurrent run)."""
    box = make_sandbox(name)
    files, command = CASES["python -c pass"]
    limits = Limits(timeout_s=60)

    def work(n: int) -> None:
        for _ in range(n):
            box.run(files, command, limits)

    def in_parallel(n: int) -> float:
        threads = [threading.Thread(target=work, args=(n,)) for _ in range(workers)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    in_parallel(1)  # warm: one container per worker for docker
    elapsed = in_parallel(runs_each)
    box.close()
    return workers * runs_each / elapsed


def main() -> None:
    """Measure every requested backend that is available and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="docker,bwrap,process")
    args = parser.parse_args()
    rows = []
    for name in args.backends.split(","):
        why = probe(name)
        if why:
            rows.append(f"| {name} | unavailable: {why} | | | | | | | |")
            continue
        box = make_sandbox(name)
        cells = []
        for files, command in CASES.values():
            times = latency(box, files, command, args.runs)
            cells += [f"{percentile(times, 0.5) * 1000:.0f}", f"{percentile(times, 0.95) * 1000:.0f}"]
        box.close()
        serial = throughput(name, 1, args.runs)
        parallel = throughput(name, args.workers, args.runs)
        rows.append(f"| {name} | {' | '.join(cells)} | {serial:.1f} | {parallel:.1f} |")
    print(f"runs per case: {args.runs}; latency in ms (host wall time, warm instance)\n")
    print("| backend | `true` p50 | p95 | `python -c pass` p50 | p95 | pytest 10 tests p50 | p95 "
          f"| runs/s, 1 worker | runs/s, {args.workers} workers |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
