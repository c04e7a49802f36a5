"""EvalPlus-style checks: expected outputs from the canonical solution, then differential
tests of a candidate on base + extra inputs. The candidate runs in the sandbox
(`plus_harness.py`) and only reports its outputs; the verdict is the host's
(`eval.compare`), so nothing the candidate does in its own interpreter can make it pass.

Expected outputs are computed once per problem in the sandbox and cached on the host as
tagged JSON (`eval.guest.plainjson`: plain data, decoded without eval or pickle). They never go
into a check's sandbox. Per-input time limits are scaled from the reference time like
EvalPlus v0.3.1: max(1 s, 4 x reference), and the whole check is capped at 60 s +
start-up + 4 x the reference's time to encode its outputs — a fixed per-test limit is
flaky on slow CPUs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eval.compare import collect, judge
from eval.harness import build_program as harness_program
from eval.harness import run_program, run_program_lines
from eval.guest.mbpp_inputs import all_inputs
from eval.problems import Problem
from sandbox.base import Limits, RunResult, Sandbox

log = logging.getLogger(__name__)

HARNESS_VERSION = "5"  # bump when plus_harness.py changes what it computes
MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0
TASK_CAP_S = 60.0
STARTUP_S = 5.0
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # the outputs come back on stdout (long ones as digests)
MODULES = ("plainjson.py", "mbpp_inputs.py")


class GroundTruthError(Exception):
    """The canonical solution could not produce expected outputs in the sandbox."""


@dataclass(frozen=True)
class GroundTruth:
    """Reference outputs (`plainjson` encodings, one per input), reference times, and the
    seconds the reference spent encoding its outputs."""

    outputs: list
    times: list[float]
    encode_s: float = 0.0

    def time_limits(self) -> list[float]:
        """Per-input limits, scaled from the reference solution's measured time."""
        return [max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * t) for t in self.times]


def _dataset(problem: Problem) -> str:
    return "humaneval" if problem.test_style == "humaneval" else "mbpp"


def _task_num(problem: Problem) -> int:
    return int(problem.task_id.rsplit("/", 1)[-1]) if _dataset(problem) == "mbpp" else 0


def _inputs_json(problem: Problem) -> str:
    return json.dumps([problem.base_inputs, problem.plus_inputs])


def build_program(problem: Problem, mode: str, code: str, *, limits: list[float] = ()) -> str:
    """A self-contained program: the plus harness and a call with this problem's payload."""
    payload = {
        "mode": mode,
        "code": code,
        "entry_point": problem.entry_point,
        "dataset": _dataset(problem),
        "task_num": _task_num(problem),
        "inputs_json": _inputs_json(problem),
        "limits": list(limits),
    }
    return harness_program("plus_harness.py", payload, MODULES)


def _cache_key(problem: Problem) -> str:
    digest = hashlib.sha256()
    for part in (HARNESS_VERSION, problem.benchmark, problem.task_id, problem.reference_code(),
                 _inputs_json(problem), repr(problem.atol)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def default_cache_dir() -> Path:
    """Where expected outputs are cached: `groundtruth` under the one cache root, never the repository."""
    from settings.cache import cache_path

    return cache_path("groundtruth")


def _valid(result, n_inputs: int) -> bool:
    return (isinstance(result, dict) and isinstance(result.get("outputs"), list)
            and isinstance(result.get("times"), list) and len(result["outputs"]) == n_inputs
            and len(result["times"]) == n_inputs)


def ground_truth(problem: Problem, sandbox: Sandbox, cache_dir: Path | None = None,
                 timeout_s: float = 300.0) -> GroundTruth:
    """Expected outputs for `problem`, computed in the sandbox once and then cached."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    path = cache_dir / f"{problem.benchmark.replace('+', 'plus')}-{_cache_key(problem)}.json"
    n_inputs = len(problem.base_inputs) + len(problem.plus_inputs)
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if _valid(data, n_inputs):
            return GroundTruth(data["outputs"], data["times"], float(data.get("encode_s", 0.0)))
    program = build_program(problem, "groundtruth", problem.reference_code())
    limits = Limits(timeout_s=timeout_s, memory_mb=4096, max_output_bytes=MAX_OUTPUT_BYTES)
    result, run = run_program(sandbox, program, limits)
    if not run.ok or not _valid(result, n_inputs):
        why = "timed out" if run.timed_out else f"exit {run.exit_code}: {run.stderr.strip()[-300:]}"
        raise GroundTruthError(f"canonical solution of {problem.benchmark}:{problem.task_id} failed ({why})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Atomic write: parallel workers may compute the same problem; either copy is valid.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".gt-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"outputs": result["outputs"], "times": result["times"],
                   "encode_s": float(result.get("encode_s") or 0.0)}, fh)
    os.replace(tmp, path)
    log.debug("ground truth for %s:%s in %.1f s", problem.benchmark, problem.task_id, run.duration_s)
    return GroundTruth(result["outputs"], result["times"], float(result.get("encode_s") or 0.0))


def check_plus(problem: Problem, code: str, truth: GroundTruth, sandbox: Sandbox) -> tuple[dict | None, RunResult]:
    """Run `code` on the problem's inputs in the sandbox and judge its outputs on the host.
    Returns (verdict, the run); the verdict is None when the program wrote no well-formed
    token-stamped lines. It has `base` and `plus` (bools), `failed_input`, `reason` and
    `finished` (False: the run was cut short before any wrong output; see `compare.judge`)."""
    limits = truth.time_limits()
    program = build_program(problem, "check", problem.solution_code(code), limits=limits)
    # the outputs are encoded outside the per-input limits; allow for that as for the calls
    total = min(TASK_CAP_S, sum(limits)) + STARTUP_S + min(TASK_CAP_S, TIME_LIMIT_FACTOR * truth.encode_s)
    lines, run = run_program_lines(sandbox, program, Limits(timeout_s=total, memory_mb=4096,
                                                            max_output_bytes=MAX_OUTPUT_BYTES))
    result = collect(lines)
    if result is None or (not lines):
        return None, run
    spec = {"dataset": _dataset(problem), "entry_point": problem.entry_point, "atol": problem.atol}
    inputs, n_base = all_inputs(spec["dataset"], _task_num(problem), _inputs_json(problem))
    return judge(spec, result, truth.outputs, inputs, n_base), run


def no_result_reason(run: RunResult) -> str:
    """Why a check program wrote no token-stamped result."""
    if run.oom_killed:
        return "out of memory"
    if run.timed_out:
        return "timeout (whole task)"
    if run.exit_code == 0:
        return "no result: the program ended before its tests finished (exit 0 without the token)"
    return f"crashed (exit {run.exit_code})"
