"""The batch runner: solve every (task, sample) of a benchmark, check it, record it.

Resumable: (task_id, sample) pairs already in `records.jsonl` are skipped, so a rerun after
a crash or `kill -9` continues where it stopped without losing or duplicating a record.
A solver that raises is recorded with `exit_status: "error"` and the batch goes on; the
next resume retries such pairs (their new record supersedes the errored one).
Records are written by the calling thread only; workers solve and check in parallel.
"""

from __future__ import annotations

import inspect
import logging
import time
from functools import cache
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.evaluate import Evaluator
from eval.problems import Problem
from eval.runstore import (CHECK_FIELD, RecordWriter, RunDirError, archive_records, lock_run_dir, read_meta,
                           read_records, write_meta)
from eval.samples import write_samples
from sandbox.base import SandboxError
from serving.base import ServerLost

log = logging.getLogger(__name__)

Solver = Callable[[Problem], dict]
USAGE_KEYS = ("prompt_tokens", "completion_tokens", "cached_tokens", "calls")


@dataclass(frozen=True)
class BatchConfig:
    """What defines a run; a run directory only resumes a run with the same identity."""

    bench: str
    mode: str
    samples: int = 1
    model: str = ""  # as asked (--model); "" = the default model
    served_model: str = ""  # what the server reports; recorded, not part of the identity
    variant: dict = field(default_factory=dict)  # pipeline settings (ablations); {} for the baseline
    bench_sha256: str = ""  # a user task file's content (`eval.taskfile`); "" for built-in benchmarks

    def identity(self) -> dict:
        """The fields that must match for a resume (a variant or a task file's sha256 only when
        there is one, so runs recorded before these existed still resume)."""
        fixed = {"bench": self.bench, "mode": self.mode, "samples": self.samples, "model": self.model}
        return (fixed | ({"variant": self.variant} if self.variant else {})
                | ({"bench_sha256": self.bench_sha256} if self.bench_sha256 else {}))


@dataclass
class BatchOutcome:
    """What one call of `run_batch` did, and what the run directory held before."""

    new_records: int
    skipped: int
    errors: int
    warnings: list[str]


@cache  # one process, one checkout
def code_version() -> str:
    """The commit of the codeloop checkout that makes the records (`+dirty` when it has
    uncommitted changes), or "" outside a git checkout. Recorded per record, so a run
    resumed across code versions shows it."""
    repo = Path(__file__).resolve().parents[1]
    from workspace.git import GitError, run_git  # the one safe way to run git (no hooks, fsmonitor, filters)

    try:
        head = run_git(repo, "rev-parse", "--short=12", "HEAD", timeout=10).strip()
        dirty = run_git(repo, "status", "--porcelain", "--untracked-files=no", timeout=10, check=False)
    except (GitError, OSError):
        return ""
    return head + ("+dirty" if dirty.strip() else "")


def check_identity(out_dir: Path, config: BatchConfig) -> dict | None:
    """The run's metadata (None for a new run); raises RunDirError if it is another run."""
    meta = read_meta(Path(out_dir))
    if meta is not None:
        mismatch = {k: (meta.get(k), v) for k, v in config.identity().items() if meta.get(k) != v}
        if mismatch:
            what = ", ".join(f"{k}={old!r} (asked {new!r})" for k, (old, new) in mismatch.items())
            raise RunDirError(f"{out_dir} holds a different run: {what}; use another --out or --redo")
    return meta


def prepare_run_dir(out_dir: Path, config: BatchConfig, *, redo: bool = False) -> tuple[set, list[str]]:
    """Check or create the run's metadata; returns (done pairs, warnings about bad lines)."""
    if redo:
        archived = archive_records(out_dir)
        if archived:
            log.info("--redo: previous records moved to %s", archived)
    meta = None if redo else check_identity(out_dir, config)
    if meta is None:
        write_meta(out_dir, {**asdict(config), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                             "code_version": code_version()})
    loaded = read_records(out_dir)
    return loaded.done(), loaded.problems


def call_solver(solver: Solver, problem: Problem, sample: int) -> dict:
    """`solver(problem)`, or `solver(problem, sample=...)` for a solver that takes the sample
    number (the pipeline's keys its checkpoint thread by it, so samples never share one)."""
    if "sample" in inspect.signature(solver).parameters:
        return solver(problem, sample=sample)
    return solver(problem)


TRACE_KEYS = ("stop", "attempts", "candidates", "selection", "events", "pool")


def error_check(detail: str, status: str = "error") -> dict:
    """The check of a pair that could not be checked (`status` error or sandbox-error)."""
    return {"passed": False, "base": False, "plus": None, "status": status, "detail": detail[:300], "seconds": 0.0}


def error_record(problem: Problem, sample: int, error: str, status: str = "error") -> dict:
    """The record of a pair that could not be solved (the solver raised, every Ray actor that
    tried it was lost): `exit_status` error, so a resume retries it; no answer, no usage."""
    return {"task_id": problem.task_id, "sample": sample, "benchmark": problem.benchmark, "exit_status": "error",
            "error": error[:500], "completion": "", "raw": "", CHECK_FIELD: error_check(error, status),
            "usage": dict.fromkeys(USAGE_KEYS, 0), "agents": {}, "solver_verdict": None,
            "seconds": {"total": 0.0, "solve": 0.0, "eval": 0.0},
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "code_version": code_version()}


def _check_status(exc: Exception) -> str:
    return "sandbox-error" if isinstance(exc, SandboxError) else "error"


def solve_and_check(problem: Problem, sample: int, solver: Solver, evaluator: Evaluator) -> dict:
    """One record: run the solver, check its completion in the sandbox, time both. A sandbox
    that failed (in the solve or the check) gives the check status `sandbox-error`; a model
    server that is gone for good (`ServerLost`) or a run directory the solver must not use
    (`RunDirError`, e.g. a tampered checkpoint file) stops the batch instead of erroring every task."""
    start = time.monotonic()
    record: dict = {"task_id": problem.task_id, "sample": sample, "benchmark": problem.benchmark}
    try:
        out = call_solver(solver, problem, sample)
        record["exit_status"], record["error"] = "ok", ""
    except (ServerLost, RunDirError):
        raise
    except Exception as exc:  # a broken task must not stop the batch; there is no answer to check
        log.warning("solver failed on %s: %s", problem.task_id, exc)
        record = error_record(problem, sample, f"{type(exc).__name__}: {exc}", _check_status(exc))
        took = round(time.monotonic() - start, 3)
        record["seconds"] = {"total": took, "solve": took, "eval": 0.0}
        return record
    solved_at = time.monotonic()
    completion = out.get("completion") or ""
    record["completion"], record["raw"] = completion, out.get("raw", "")
    try:
        record[CHECK_FIELD] = evaluator.check(problem, completion)
    except Exception as exc:  # sandbox failure: record it, keep going
        record[CHECK_FIELD] = error_check(f"{type(exc).__name__}: {exc}", _check_status(exc))
        record["exit_status"], record["error"] = "error", record[CHECK_FIELD]["detail"]
    end = time.monotonic()
    usage = out.get("usage") or {}
    record["usage"] = {k: int(usage.get(k, 0) or 0) for k in USAGE_KEYS}
    record["agents"] = out.get("agents") or {}
    record["solver_verdict"] = out.get("verdict")  # the agents' word (passed, failed, untested, ...)
    # what the pipeline did (why it stopped, candidates, how it chose, each node's event),
    # so a result can be explained from the records alone
    trace = {key: out[key] for key in TRACE_KEYS if key in out}
    if trace:
        record["trace"] = trace
    record["seconds"] = {"total": round(end - start, 3), "solve": round(solved_at - start, 3),
                         "eval": round(end - solved_at, 3)}
    record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    record["code_version"] = code_version()
    return record


def run_batch(problems: Sequence[Problem], solver: Solver, out_dir: Path, evaluator: Evaluator,
              config: BatchConfig, *, workers: int = 1, redo: bool = False,
              on_start: Callable[[int, int], None] | None = None,
              on_record: Callable[[dict], None] | None = None) -> BatchOutcome:
    """Run the missing (task, sample) pairs of `problems` into `out_dir`.
    `on_start(todo, skipped)` and `on_record(record)` feed a progress display. The run
    directory is locked for the whole run (`lock_run_dir`: a second batch there is refused)."""
    out_dir = Path(out_dir)
    with lock_run_dir(out_dir):
        return run_batch_locked(problems, solver, out_dir, evaluator, config, workers=workers, redo=redo,
                                on_start=on_start, on_record=on_record)


def run_batch_locked(problems, solver, out_dir, evaluator, config, *, workers=1, redo=False, on_start=None,
                     on_record=None) -> BatchOutcome:
    """`run_batch` for a caller already holding `lock_run_dir(out_dir)` (the CLI takes it before
    starting a model server, so a second batch on the same directory is refused at once)."""
    done, warnings = prepare_run_dir(out_dir, config, redo=redo)
    for warning in warnings:
        log.warning(warning)
    jobs = [(p, s) for p in problems for s in range(config.samples) if (p.task_id, s) not in done]
    skipped = len(problems) * config.samples - len(jobs)
    if on_start:
        on_start(len(jobs), skipped)
    errors = written = 0
    with RecordWriter(out_dir) as writer, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(solve_and_check, p, s, solver, evaluator) for p, s in jobs]
        recorded: set = set()
        try:
            for future in as_completed(futures):
                record = future.result()
                # counted before the write: a Ctrl-C landing right after the append returns must
                # not make the stop path below write the same record again (a duplicate on disk);
                # one landing before the line is down loses it here, and the resume solves it
                recorded.add(future)
                writer.append(record)
                written += 1
                errors += record["exit_status"] == "error"
                if on_record:
                    on_record(record)
        except BaseException:
            # Ctrl-C, a lost model server or a bug: do not start queued tasks, but write every
            # task that did finish (its checkpoint thread is already dropped: unwritten, it
            # would be solved again on resume). The pool waits for the running ones anyway.
            for future in futures:
                future.cancel()
            wait(futures)
            _write_finished(futures, recorded, writer)
            raise
    write_samples(out_dir)
    return BatchOutcome(written, skipped, errors, warnings)


def _write_finished(futures: list[Future], recorded: set, writer: RecordWriter) -> None:
    """Write the records of finished futures not yet written (a batch stopping). A write that
    fails ends it: the batch is failing already, and its own error is the one to report."""
    for future in futures:
        if future in recorded or not future.done() or future.cancelled() or future.exception() is not None:
            continue
        try:
            writer.append(future.result())
        except Exception:  # e.g. the full disk that stopped the batch
            return
