"""The same FakeLLM batch on the thread pool and on Ray (1 node, 2 nodes on this machine):
wall time, Ray's fixed start-up cost and its overhead per task.

    .venv/bin/python -m benchmarks.ray_bench [--tasks 40] [--delay 1.0] [--workers 2]

The model is langchain_core's FakeListChatModel behind `--llm langchain:MODULE:make` (what
`codeloop batch --llm` takes) sleeping `--delay` seconds per call: it stands in for the
model, so the table shows the batch machinery, not a model. Each answer is still checked in
the process sandbox, as in a real run. The Ray rows go through `eval.ray_batch.run_batch_ray`
with `apps.batch_ray.NodeSetup`, exactly what `codeloop batch --ray` runs; the thread rows
through `eval.batch.run_batch`. The Ray nodes are `ray start` processes on this machine
(benchmarks/support/ray_cluster.py): a second node adds slots, not cores.

Columns: `wall` = the call, start to end; `startup` = until every node's actor is open
(Ray: connect + actors; threads: 0); `batch` = first pair handed out to last record;
`ideal` = tasks x delay / slots; `overhead/task` = (batch - ideal) x slots / tasks, the
time each pair spends beyond the model call (the sandbox check, scheduling, transport).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from apps.batch_ray import NodeSetup
from benchmarks.support.ray_cluster import start_cluster
from eval.baseline import make_baseline_solver
from eval.batch import BatchConfig, code_version, run_batch
from eval.evaluate import Evaluator
from eval.problems import load_benchmark
from eval.ray_batch import run_batch_ray
from eval.runstore import read_records
from sandbox import make_sandbox
from serving.session import llm_from_spec

MODULE = "bench_ray_model"


def write_model(folder: Path, problems, delay_s: float) -> str:
    """A --llm factory answering every call with the tasks' canonical solutions after `delay_s`."""
    answer = "```python\n" + "\n\n".join(p.prompt + p.canonical_solution for p in problems) + "```"
    (folder / f"{MODULE}.py").write_text(
        "from langchain_core.language_models import FakeListChatModel\n\n"
        f"ANSWER = {answer!r}\n\n\ndef make():\n"
        f"    return FakeListChatModel(responses=[ANSWER], sleep={delay_s!r})\n")
    return f"langchain:{MODULE}:make"


def import_model(folder: Path) -> None:
    """Import the factory module written in `folder` under its name, so that this process's
    thread pool finds it by name (`importlib.import_module` looks in sys.modules first);
    the Ray nodes find it through their PYTHONPATH."""
    spec = importlib.util.spec_from_file_location(MODULE, folder / f"{MODULE}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[MODULE] = module


class Clock:
    """Times of the phases, from the callbacks run_batch and run_batch_ray call."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.ready = self.first = self.last = None
        self.nodes: set[str] = set()

    def on_nodes(self, nodes) -> None:
        self.ready = time.monotonic()

    def on_start(self, todo, skipped) -> None:
        self.first = time.monotonic()

    def on_record(self, record) -> None:
        self.last = time.monotonic()
        self.nodes.add(record.get("ray_node", "local"))


def config() -> BatchConfig:
    """The batch both ways run: baseline HumanEval, one sample per task."""
    return BatchConfig("humaneval", "baseline", 1)


def thread_run(problems, spec: str, workers: int, out: Path) -> Clock:
    """The batch on this process's thread pool of `workers`; its phase times."""
    clock = Clock()
    box = make_sandbox("process")
    try:
        solver = make_baseline_solver(llm_from_spec(spec))
        run_batch(problems, solver, out, Evaluator(box), config(), workers=workers, on_start=clock.on_start,
                  on_record=clock.on_record)
    finally:
        box.close()
    clock.end = time.monotonic()
    return clock


def ray_run(problems, spec: str, workers: int, out: Path, address: str) -> Clock:
    """The batch on the Ray cluster at `address`, `workers` per node; its phase times."""
    clock = Clock()
    setup = NodeSetup("baseline", 1, None, "none", "humaneval", None, "process", None, None, 8765, spec)
    run_batch_ray(problems, setup, out, config(), address=address, workers=workers, on_nodes=clock.on_nodes,
                  on_start=clock.on_start, on_record=clock.on_record)
    clock.end = time.monotonic()
    return clock


OVERHEAD: dict[str, float] = {}


def row(name: str, clock: Clock, tasks: int, slots: int, delay: float, out: Path) -> str:
    """The table row of one run (after checking every record passed): wall, start-up, batch
    time against the ideal `tasks * delay / slots`, and the overhead per task (also kept in
    OVERHEAD for the summary)."""
    records = read_records(out).records
    assert len(records) == tasks and all(r["verdict"]["passed"] for r in records), f"{name}: bad records"
    wall, batch = clock.end - clock.t0, clock.last - clock.first
    startup = (clock.ready - clock.t0) if clock.ready else 0.0
    ideal = tasks * delay / slots
    overhead = (batch - ideal) * slots / tasks
    OVERHEAD[name] = overhead
    return (f"| {name} | {slots} | {len(clock.nodes)} | {wall:.1f} | {startup:.1f} | {batch:.1f} | {ideal:.1f} "
            f"| {overhead:.2f} |")


def append_rate(folder: Path, record: dict, n: int = 200) -> float:
    """Records per second the driver can write (one fsync'd append each): the ceiling of any
    cluster's throughput, since the driver alone writes."""
    from eval.runstore import RecordWriter

    folder.mkdir(parents=True, exist_ok=True)
    with RecordWriter(folder) as writer:
        start = time.monotonic()
        for i in range(n):
            writer.append(record | {"sample": i})
        return n / (time.monotonic() - start)


def main() -> None:
    """Run the batch on threads, then on Ray with 1 and 2 nodes; print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--delay", type=float, default=1.0, help="seconds per model call")
    ap.add_argument("--workers", type=int, default=2, help="workers (threads, or per Ray node)")
    ap.add_argument("--port", type=int, default=6395, help="the benchmark cluster's head port")
    args = ap.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # the loopback cluster has no token (ray_cluster.py)
    problems = load_benchmark("humaneval")[:args.tasks]
    work = Path(tempfile.mkdtemp(prefix="raybench"))
    spec = write_model(work, problems, args.delay)
    import_model(work)
    w = args.workers
    llm_from_spec(spec)  # warm-up: the first row must not pay for importing LangChain
    code_version()  # ... nor for the git call every record carries (cached per process)
    rows = [row(f"threads, --workers {w}", thread_run(problems, spec, w, work / "t1"), args.tasks, w, args.delay,
                work / "t1"),
            row(f"threads, --workers {2 * w}", thread_run(problems, spec, 2 * w, work / "t2"), args.tasks, 2 * w,
                args.delay, work / "t2")]
    cluster = start_cluster(1, port=args.port, worker_ports=21000, pythonpath=[work])
    try:
        rows.append(row(f"ray 1 node, --workers {w}", ray_run(problems, spec, w, work / "r1", cluster.address),
                        args.tasks, w, args.delay, work / "r1"))
        cluster.add_node("node1")
        cluster.wait_for_nodes(2)
        rows.append(row(f"ray 2 nodes, --workers {w}", ray_run(problems, spec, w, work / "r2", cluster.address),
                        args.tasks, 2 * w, args.delay, work / "r2"))
    finally:
        with contextlib.suppress(Exception):
            cluster.stop()
    rate = append_rate(work / "appends", read_records(work / "r2").records[0])
    shutil.rmtree(work, ignore_errors=True)  # fake-model records: nothing to keep
    print(f"{args.tasks} humaneval tasks, baseline mode, FakeListChatModel sleeping {args.delay} s per call, "
          "process sandbox checks each answer\n")
    print("| run | slots | nodes used | wall s | startup s | batch s | ideal s | overhead/task s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nThe driver's record writes (append + fsync, this disk): {rate:.0f} records/s")
    o = list(OVERHEAD.values())
    print(f"\nRay's own cost per task (its overhead/task minus the thread pool's at the same slots): "
          f"1 node {o[2] - o[0]:+.2f} s, 2 nodes {o[3] - o[1]:+.2f} s")


if __name__ == "__main__":
    main()
