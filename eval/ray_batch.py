"""`run_batch_ray`: a batch's missing (task, sample) pairs on a Ray cluster
(`codeloop batch --ray ADDRESS`), the same records as `eval.batch.run_batch`.

The driver hands pairs to one actor per node (`eval/ray_nodes.py`) as their slots free up,
receives each record and alone writes the run directory, through the thread pool's own
`prepare_run_dir` and `RecordWriter`: resume, identity checks and reports are unchanged.

Faults: a pair whose actor fails (its node went away, its worker process crashed) goes back
to the queue and runs on another actor; the dead actor is ended and a live node without one
gets a fresh actor (a bounded number of times). A record is written only when it arrives, so
none is lost or written twice; a pair that lost its actor `MAX_ATTEMPTS` times is recorded as
an error (retried on resume). A shared model server that is gone for good (`ServerLost`)
stops the batch, as in the thread pool. Ctrl-C stops handing out pairs, writes those that
already finished, and leaves the rest to a resume.

Ray is imported only when `run_batch_ray` is called; without it, `RayUnavailable` names
the `ray` extra. `--ray local` keeps the Ray it starts on loopback (`start_ray`): by default
Ray's GCS, raylets, agents and workers listen on every interface, where anyone who can
reach the machine could submit work to them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from eval.batch import BatchConfig, BatchOutcome, error_record, prepare_run_dir
from eval.problems import Problem
from eval.ray_nodes import NodePool, NodeSetup, one_line
from eval.runstore import RecordWriter, lock_run_dir
from eval.samples import write_samples
from serving.base import ServerLost
from settings.config import load_report, settings_env

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'codeloop[ray]'"
# Ray's switch for its single-machine mode (macOS/Windows default): node IP = loopback, so
# every server it starts binds 127.0.0.1 (ray >= 2.60; tests/security/test_servers.py).
LOOPBACK_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_ATTEMPTS = 3  # actors a pair may lose before it is recorded as an error


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached (fix the command or setup)."""


class RayBatchFault(RuntimeError):
    """The run started but the cluster could not finish it (every node gone)."""


def import_ray():
    """The `ray` module, or RayUnavailable naming the extra."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(f"--ray needs the ray extra: {EXTRA_HINT}") from exc
    return ray


def start_ray(address: str):
    """Import Ray and join (or, for `local`, start) the cluster at `address`; the `ray` module.
    A `local` Ray is kept on loopback: Ray reads its single-machine switch when it is first
    imported, and every process it starts inherits it."""
    if address == "local":
        os.environ[LOOPBACK_ONLY_ENV] = "0"
    ray = import_ray()
    connect(ray, address)
    if address == "local":
        where = ray.util.get_node_ip_address()
        if where not in LOOPBACK:  # ray was imported earlier in this process, without the switch
            ray.shutdown()
            raise RayUnavailable(f"--ray local would listen on {where}, not loopback: run it in a fresh process")
    return ray


# CODELOOP_* variables that are not knobs but that a node needs as the driver has them:
# the key of the user's own server (serving/server_keys.py), the [llm] factory's arguments
USER_ONLY_VARS = ("CODELOOP_API_KEY", "CODELOOP_LLM_ARGS")


def job_env(loaded, environ) -> dict[str, str]:
    """The variables a Ray job carries to its nodes: the driver's resolved settings
    (`settings_env`) and the USER_ONLY_VARS the driver's environment has."""
    return settings_env(loaded) | {var: environ[var] for var in USER_ONLY_VARS if environ.get(var)}


def connect(ray, address: str) -> None:
    """Join the cluster at `address` (HOST:PORT, `auto` for the one `ray start` made on this
    machine, `local` for a private one). The driver's resolved settings travel with the job
    (the SolveConfig itself goes in each node's setup): every value that is not a default —
    from its environment or its config files, trust boundary applied — as the CODELOOP_*
    variables a node's own settings read first, so every node uses the driver's cache, engine,
    sandbox image… and not whatever files lie in the worker's folder. The two variables that
    are not knobs travel too: the user's server key and a LangChain model's arguments."""
    env = job_env(load_report(), os.environ)
    probe(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False,
                 runtime_env={"env_vars": env} if env else None,
                 **({"include_dashboard": False, "_node_ip_address": "127.0.0.1"} if address == "local" else {}))
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = " (start one with `ray start --head`, or use --ray local)" if address == "auto" else ""
        if _mentions(exc, "InvalidAuthToken"):  # `ray start` turns token auth on when ~/.ray/auth_token exists
            hint = (" (the cluster wants its token: set RAY_AUTH_MODE=token, the token in ~/.ray/auth_token "
                    "or RAY_AUTH_TOKEN)")
        raise RayUnavailable(f"cannot join the Ray cluster at {address!r}: {str(exc).splitlines()[0]}{hint}") from exc


def _mentions(exc: BaseException | None, text: str) -> bool:
    """Whether `text` is in the message of `exc` or of an exception it came from."""
    seen = 0
    while exc is not None and seen < 10:
        if text in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def probe(address: str, timeout_s: float = 5.0) -> None:
    """For a HOST:PORT address, fail fast when nothing listens there (ray.init would wait
    for minutes). `auto`, `local` and ray:// addresses are left to Ray."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "/" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise RayUnavailable(f"cannot join the Ray cluster at {address!r}: nothing answers there ({exc}); "
                             "start the head with `ray start --head --port PORT`") from exc


@dataclass
class Tally:
    """What the driver loop wrote."""

    written: int = 0
    errors: int = 0
    last_error: str = ""  # the last actor failure, for the message when no node is left


def run_batch_ray(problems: Sequence[Problem], setup: NodeSetup, out_dir: Path, config: BatchConfig, *,
                  address: str, workers: int = 1, redo: bool = False,
                  on_nodes: Callable[[list[dict]], None] | None = None,
                  on_start: Callable[[int, int], None] | None = None,
                  on_record: Callable[[dict], None] | None = None) -> BatchOutcome:
    """Run the missing (task, sample) pairs of `problems` into `out_dir` on the Ray cluster at
    `address`, `workers` at a time on each node. `on_nodes(nodes)` reports the nodes that
    started (`host`, `model`, `node`); `on_start` and `on_record` as in `run_batch`."""
    # Ray prints cluster events (a node that died ...) on stdout from a thread of its own;
    # they are diagnostics, and stdout may carry --json: send them to stderr while Ray runs.
    with lock_run_dir(Path(out_dir)), contextlib.redirect_stdout(sys.stderr):  # one batch per run directory
        ray = start_ray(address)
        try:
            return _on_cluster(ray, problems, setup, Path(out_dir), config, workers=max(1, workers), redo=redo,
                               on_nodes=on_nodes, on_start=on_start, on_record=on_record)
        finally:
            ray.shutdown()


def _on_cluster(ray, problems, setup, out_dir, config, *, workers, redo, on_nodes, on_start, on_record):
    """`run_batch_ray` once connected: start the actors, plan, drive, stop the actors."""
    pool = NodePool(ray, setup, ray.put(list(problems)), workers)
    try:
        try:
            nodes = pool.start()
        except ray.exceptions.RayError as exc:  # the actors were lost (not an error of the setup)
            raise RayBatchFault(f"no Ray node could start the batch: {one_line(exc)}") from exc
        if not nodes:
            raise RayBatchFault("the Ray cluster has no live node")
        if on_nodes:
            on_nodes(nodes)
        if not config.served_model:
            config = replace(config, served_model=nodes[0]["model"])
        done, warnings = prepare_run_dir(out_dir, config, redo=redo)
        for warning in warnings:
            log.warning(warning)
        jobs = deque((i, s) for i, p in enumerate(problems) for s in range(config.samples)
                     if (p.task_id, s) not in done)
        skipped = len(problems) * config.samples - len(jobs)
        if on_start:
            on_start(len(jobs), skipped)
        with RecordWriter(out_dir) as writer:
            tally = drive(ray, pool, jobs, problems, writer, on_record)
    finally:
        pool.close()
    write_samples(out_dir)
    return BatchOutcome(tally.written, skipped, tally.errors, warnings)


def drive(ray, pool: NodePool, jobs: deque, problems: Sequence[Problem], writer: RecordWriter,
          on_record: Callable[[dict], None] | None = None) -> Tally:
    """Keep every actor's slots full until `jobs` is empty, writing each record as it arrives;
    pairs of a failed actor go back to the front of the queue."""
    tally, inflight, attempts = Tally(), {}, {}

    def collect(ref, resubmit: bool = True) -> None:
        slot, job = inflight.pop(ref)
        slot.busy -= 1
        try:
            record = ray.get(ref)
        except ray.exceptions.RayError as exc:
            if isinstance(getattr(exc, "cause", None), ServerLost):
                # the shared server is gone for good: another actor would lose it too. Stop
                # like the thread pool does; pairs not written are redone on resume.
                raise exc.cause from None
            if not resubmit:
                return
            tally.last_error = one_line(exc)
            problem = problems[job[0]]
            log.warning("ray: %s#%d lost its actor on node %s (%s)", problem.task_id, job[1], slot.node_id[:8],
                        tally.last_error)
            pool.retire(slot)
            attempts[job] = attempts.get(job, 0) + 1
            if attempts[job] < MAX_ATTEMPTS:
                jobs.appendleft(job)
                pool.replenish()
                return
            record = error_record(problem, job[1], f"ray: lost {MAX_ATTEMPTS} actors: {tally.last_error}")
        writer.append(record)
        tally.written += 1
        tally.errors += record["exit_status"] == "error"
        if on_record:
            on_record(record)

    try:
        while jobs or inflight:
            while jobs and (slot := pool.free_slot()) is not None:
                job = jobs.popleft()
                inflight[pool.submit(slot, *job)] = (slot, job)
            if not inflight:
                raise RayBatchFault(f"no Ray node is left to run the batch ({tally.last_error or 'all nodes gone'}); "
                                    f"{len(jobs)} pairs not run: run the same command again to resume")
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                collect(ref)
    except KeyboardInterrupt:
        # Ctrl-C: no more pairs are handed out; what already finished is written, the rest
        # is left to a resume.
        if inflight:
            ready, _ = ray.wait(list(inflight), num_returns=len(inflight), timeout=0)
            for ref in ready:
                with contextlib.suppress(ServerLost):  # the Ctrl-C stops the batch (exit 130), not this
                    collect(ref, resubmit=False)
        raise
    return tally
