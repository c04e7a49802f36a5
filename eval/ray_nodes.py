"""The Ray side of a distributed batch: one `BatchNode` actor per node, and the `NodePool`
the driver hands (task, sample) pairs to.

An actor holds its node's model client (or the embedded server it started) and sandbox for
the whole run, so nothing is restarted per task, and solves up to `workers` pairs at a time
(a threaded actor with one spare thread for `close`). What it needs comes from a `setup`:
a picklable callable the driver makes, returning a context manager that yields
`(solver, evaluator, served_model)` on the node.

Ray is never imported here at module level: `eval/ray_batch.py` passes the module in.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ContextManager

from eval.batch import solve_and_check
from eval.problems import Problem

log = logging.getLogger(__name__)

NodeSetup = Callable[[], ContextManager[tuple[Callable, Any, str]]]
RESTARTS_PER_NODE = 2  # fresh actors on a node whose actor died, before it is left out


class BatchNode:
    """The actor body: opens `setup` once (on the first call, under a lock: a threaded
    actor may run calls in any order) and solves pairs by problem index."""

    def __init__(self, setup: NodeSetup, problems: Sequence[Problem]) -> None:
        self._setup, self._problems = setup, list(problems)
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self._failed: BaseException | None = None
        self._solver = self._evaluator = None
        self._model = ""

    def _open(self) -> None:
        with self._lock:
            if self._failed is not None:
                raise self._failed  # a node that could not start fails every call the same way
            if self._stack is not None:
                return
            stack = contextlib.ExitStack()
            try:
                self._solver, self._evaluator, self._model = stack.enter_context(self._setup())
            except BaseException as exc:
                stack.close()
                self._failed = exc
                raise
            self._stack = stack

    def open(self) -> dict:
        """Start the node's model session and sandbox; say where it runs and what model it serves."""
        self._open()
        return {"host": socket.gethostname(), "model": self._model}

    def run(self, index: int, sample: int) -> dict:
        """One record, as the thread pool makes it (`eval.batch.solve_and_check`)."""
        self._open()
        record = solve_and_check(self._problems[index], sample, self._solver, self._evaluator)
        record["ray_node"] = self._node_id()  # which node made it (a resume may mix nodes)
        return record

    @staticmethod
    def _node_id() -> str:
        import ray  # inside an actor: Ray is there

        return ray.get_runtime_context().get_node_id()[:12]

    def close(self) -> None:
        """Stop what `open` started (the embedded server, the sandbox)."""
        with self._lock:
            stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()


@dataclass
class Slot:
    """One actor of the pool and the pairs it is working on."""

    actor: Any
    node_id: str
    busy: int = 0
    alive: bool = True


@dataclass
class NodePool:
    """Actors on the cluster's live nodes, at most `workers` pairs in flight on each."""

    ray: Any
    setup: NodeSetup
    problems_ref: Any
    workers: int
    slots: list[Slot] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)  # node id -> actors started there

    def _actor_class(self):
        return self.ray.remote(BatchNode)

    def _live_nodes(self) -> list[str]:
        return [n["NodeID"] for n in self.ray.nodes() if n.get("Alive")]

    def _start_on(self, node_id: str) -> Slot:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # num_cpus=0: the actor only coordinates; the model server and sandbox use the node's
        # cores. max_restarts=0: a dead actor's pairs are resubmitted by the driver instead,
        # so each pair has exactly one call in flight and no record is made twice.
        actor = self._actor_class().options(
            num_cpus=0, max_concurrency=self.workers + 1, max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
        ).remote(self.setup, self.problems_ref)
        self.starts[node_id] = self.starts.get(node_id, 0) + 1
        slot = Slot(actor, node_id)
        self.slots.append(slot)
        return slot

    def start(self) -> list[dict]:
        """An actor on every live node, opened; returns what each reports (`open`), plus its
        node id ([] for a cluster without a live node). Nodes that fail to start are left out
        (logged); if all fail, the first node's error is raised as it was raised there (a
        missing model, a bad --llm ...), or Ray's own error when the actor itself was lost."""
        fresh = [self._start_on(node_id) for node_id in self._live_nodes()]
        opened, first_error = [], None
        for slot in fresh:
            try:
                opened.append(self.ray.get(slot.actor.open.remote()) | {"node": slot.node_id})
            except self.ray.exceptions.RayError as exc:
                log.warning("ray node %s could not start: %s", slot.node_id[:8], one_line(exc))
                self.retire(slot)
                first_error = first_error or cause(exc)
        if not opened and first_error is not None:
            raise first_error
        return opened

    def free_slot(self) -> Slot | None:
        """The live actor with the most free room, or None when all are full (or gone)."""
        open_slots = [s for s in self.slots if s.alive and s.busy < self.workers]
        return max(open_slots, key=lambda s: self.workers - s.busy, default=None)

    def submit(self, slot: Slot, index: int, sample: int):
        """Hand one pair to `slot`'s actor; returns the record's ObjectRef."""
        slot.busy += 1
        return slot.actor.run.remote(index, sample)

    def retire(self, slot: Slot) -> None:
        """Stop using an actor that failed; its other calls fail too and are resubmitted."""
        if slot.alive:
            slot.alive = False
            with contextlib.suppress(Exception):
                self.ray.kill(slot.actor, no_restart=True)

    def replenish(self) -> int:
        """A fresh actor on each live node that has none, within each node's restart budget;
        returns how many were started (they open on their first call)."""
        covered = {s.node_id for s in self.slots if s.alive}
        started = 0
        for node_id in self._live_nodes():
            if node_id not in covered and self.starts.get(node_id, 0) <= RESTARTS_PER_NODE:
                log.warning("ray: starting a fresh actor on node %s", node_id[:8])
                self._start_on(node_id)
                started += 1
        return started

    def alive(self) -> bool:
        """Whether any actor is still usable."""
        return any(s.alive for s in self.slots)

    def close(self, timeout_s: float = 60.0) -> None:
        """Ask every live actor to stop its server and sandbox (bounded wait), then end them."""
        live = [s for s in self.slots if s.alive]
        refs = [s.actor.close.remote() for s in live]
        if refs:
            with contextlib.suppress(Exception):
                self.ray.wait(refs, num_returns=len(refs), timeout=timeout_s)
        for slot in live:
            self.retire(slot)


def cause(exc: BaseException) -> BaseException:
    """The exception raised inside the actor (a RayTaskError's cause), else `exc` itself."""
    inner = getattr(exc, "cause", None)
    return inner if isinstance(inner, BaseException) else exc


def one_line(exc: BaseException) -> str:
    """An error as one short line: the inner exception's type and first message line."""
    inner = cause(exc)
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}"[:300]
