"""EvalPlus-style checks: expected outputs from the canonical solution, then differential
tests of a candidate on base + extra inputs, all inside the sandbox (`plus_harness.py`).

Expected outputs are computed once per problem and cached as JSON on the host (the pickled
outputs stay an opaque base64 string the host never unpickles). Per-input time limits are
scaled from the reference time like EvalPlus v0.3.1: max(1 s, 4 x reference), and the whole
check is capped at 60 s + start-up — a fixed per-test limit is flaky on slow CPUs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eval.harness import build_program as harness_program
from eval.harness import run_program
from eval.problems import Problem
from sandbox.base import Limits, RunResult, Sandbox

log = logging.getLogger(__name__)

HARNESS_VERSION = "3"  # bump when plus_harness.py changes what it computes
MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0
TASK_CAP_S = 60.0
STARTUP_S = 5.0


class GroundTruthError(Exception):
    """The canonical solution could not produce expected outputs in the sandbox."""


@dataclass(frozen=True)
class GroundTruth:
    """Reference outputs (opaque base64 pickle; "" when too big to embed, then each check
    recomputes them from the canonical solution) and reference times per input."""

    expected: str
    times: list[float]

    def time_limits(self) -> list[float]:
        """Per-input limits, scaled from the reference solution's measured time."""
        return [max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * t) for t in self.times]


def _dataset(problem: Problem) -> str:
    return "humaneval" if problem.benchmark.startswith("humaneval") else "mbpp"


def build_program(problem: Problem, mode: str, code: str, *, expected: str = "", limits: list[float] = ()) -> str:
    """A self-contained program: the plus harness and a call with this problem's payload."""
    payload = {
        "mode": mode,
        "code": code,
        "entry_point": problem.entry_point,
        "dataset": _dataset(problem),
        "task_num": int(problem.task_id.rsplit("/", 1)[-1]) if _dataset(problem) == "mbpp" else 0,
        "inputs_json": json.dumps([problem.base_inputs, problem.plus_inputs]),
        "atol": problem.atol,
        "expected": expected,
        "canonical": problem.canonical_code() if mode == "check" and not expected else "",
        "limits": list(limits),
    }
    return harness_program("plus_harness.py", payload)


def _cache_key(problem: Problem) -> str:
    digest = hashlib.sha256()
    for part in (HARNESS_VERSION, problem.benchmark, problem.task_id, problem.canonical_code(),
                 json.dumps([problem.base_inputs, problem.plus_inputs]), repr(problem.atol)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def default_cache_dir() -> Path:
    """Where expected outputs are cached: `groundtruth` under the one cache root, never the repository."""
    from settings.cache import cache_path

    return cache_path("groundtruth")


def ground_truth(problem: Problem, sandbox: Sandbox, cache_dir: Path | None = None,
                 timeout_s: float = 300.0) -> GroundTruth:
    """Expected outputs for `problem`, computed in the sandbox once and then cached."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    path = cache_dir / f"{problem.benchmark.replace('+', 'plus')}-{_cache_key(problem)}.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return GroundTruth(data["expected"], data["times"])
    program = build_program(problem, "groundtruth", problem.canonical_code())
    limits = Limits(timeout_s=timeout_s, memory_mb=4096, max_output_bytes=16 * 1024 * 1024)
    result, run = run_program(sandbox, program, limits)
    if not run.ok or result is None:
        why = "timed out" if run.timed_out else f"exit {run.exit_code}: {run.stderr.strip()[-300:]}"
        raise GroundTruthError(f"canonical solution of {problem.benchmark}:{problem.task_id} failed ({why})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Atomic write: parallel workers may compute the same problem; either copy is valid.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".gt-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(tmp, path)
    log.debug("ground truth for %s:%s in %.1f s", problem.benchmark, problem.task_id, run.duration_s)
    return GroundTruth(result["expected"], result["times"])


def check_plus(problem: Problem, code: str, truth: GroundTruth, sandbox: Sandbox) -> tuple[dict, RunResult]:
    """Run the differential check of `code`; returns (result dict or None when the program
    wrote no token-stamped result, the sandbox run). The result has `base` and `plus`
    (bools), `failed_input` and `reason`."""
    limits = truth.time_limits()
    program = build_program(problem, "check", problem.solution_code(code), expected=truth.expected, limits=limits)
    total = min(TASK_CAP_S, sum(limits)) + STARTUP_S
    if not truth.expected:  # the reference runs inside the check too
        total += sum(truth.times)
    return run_program(sandbox, program, Limits(timeout_s=total, memory_mb=4096))


def no_result_reason(run: RunResult) -> str:
    """Why a check program wrote no token-stamped result."""
    if run.oom_killed:
        return "out of memory"
    if run.timed_out:
        return "timeout (whole task)"
    if run.exit_code == 0:
        return "no result: the program ended before its tests finished (exit 0 without the token)"
    return f"crashed (exit {run.exit_code})"
