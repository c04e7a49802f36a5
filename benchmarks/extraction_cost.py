"""Visible-test extraction time against the size of a crafted task text; prints a markdown table.

    .venv/bin/python -m benchmarks.extraction_cost [--n 1000,2000,4000,8000] [--shapes input,...]
    CODELOOP_DATA_DIR=... .venv/bin/python -m benchmarks.extraction_cost --dump OUT.json

Each shape repeats one piece N times inside a function's docstring (issue 28: `Input:` × N
took O(N²)); the time is the process's CPU time for `task_from_text` (the entry point
guess, doctests and example asserts), best of three. The last column is the time at the
largest N over the time at N/2 (linear: 2, quadratic: 4). `--dump` writes what extraction
yields for every HumanEval+/MBPP/MBPP+ prompt instead, to compare two versions of the code
(`cmp` the files: the linear rewrite must not change a single assert).
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from agents.examples import example_asserts
from agents.task import task_from_problem, task_from_text

DOC = 'def f(x):\n    """'
SHAPES = {
    "input": ("`Input: 1` lines, no `Output:`", lambda n: DOC + "Input: 1\n" * n + '"""\n'),
    "output_line": ("one `Output:` line of N values", lambda n: DOC + "Input: 1\nOutput: " + "1 " * n + '"""\n'),
    "unclosed": ("`f(` N times, never closed", lambda n: DOC + "f(" * n + '"""\n'),
    "for_line": ("`for x = 1 ` N times on one line", lambda n: DOC + "for x = 1 " * n + '"""\n'),
    "blank": ("N blank lines", lambda n: DOC + "\n" * n + '"""\n'),
    "calls_line": ("`f(1)==` N/8 times on one line", lambda n: DOC + "f(1)==" * (n // 8) + '"""\n'),
    "examples": ("N lines `f(i) == i+1` (legit)", lambda n: DOC + "".join(f"f({i}) == {i + 1}\n" for i in range(n))
                 + '"""\n'),
}


def cpu_seconds(text: str, repeat: int = 3) -> float:
    """Best CPU time of `task_from_text(text)` over `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        task_from_text(text)
        best = min(best, time.process_time() - start)
    return best


def table(ns: list[int], shapes: list[str]) -> list[str]:
    """The markdown table: one row per shape, one column per N (milliseconds)."""
    lines = ["| shape | chars at N max | " + " | ".join(f"N={n}" for n in ns) + " | ratio max/half |",
             "|---|---|" + "---|" * len(ns) + "---|"]
    for name in shapes:
        what, make = SHAPES[name]
        times = [cpu_seconds(make(n)) for n in ns]
        half = [n for n in ns if n * 2 == ns[-1]]
        ratio = f"{times[-1] / max(times[ns.index(half[0])], 1e-6):.1f}" if half else "-"
        lines.append(f"| {what} | {len(make(ns[-1])):,} | " + " | ".join(f"{t * 1000:.0f} ms" for t in times)
                     + f" | {ratio} |")
    return lines


def dump(path: str) -> None:
    """Every benchmark prompt's extraction (example asserts with and without doctests, the task)."""
    from eval.problems import load_benchmark

    out = {}
    for bench in ("humaneval+", "mbpp", "mbpp+"):
        for p in load_benchmark(bench):
            out[f"{bench}:{p.task_id}"] = {"plain": example_asserts(p.prompt, p.entry_point),
                                           "doctests": example_asserts(p.prompt, p.entry_point, with_doctests=True),
                                           "task": task_from_problem(p).to_dict()}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=0, sort_keys=True)
    print(f"{len(out)} prompts -> {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1000,2000,4000,8000", help="comma-separated sizes")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"some of {', '.join(SHAPES)}")
    parser.add_argument("--dump", help="write every benchmark prompt's extraction to this JSON file instead")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the budget's "too costly" warning, once per text
    if args.dump:
        dump(args.dump)
        return
    print("\n".join(table([int(n) for n in args.n.split(",")], args.shapes.split(","))))


if __name__ == "__main__":
    main()
