"""Solving one task with the graph, and the solver callable the batch runner uses."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from agents.checkpoints import checkpoints_at, open_checkpoints, verify_checkpoints
from agents.clusters import output_key
from agents.graph import build_graph, recursion_limit
from agents.llm_call import STREAM_TOKENS
from agents.candidates import code_hash, samples
from agents.state import SolveConfig
from agents.task import Task, task_from_problem, with_visible_tests
from retrieval.base import Retriever
from sandbox.base import Sandbox
from serving.base import LLM


@dataclass
class SolveResult:
    """The outcome of one solve: final code, verdict on the visible tests, accounting."""

    code: str
    raw: str
    verdict: str
    feedback: str
    attempts: int
    stuck: bool
    tests_passed: int
    tests_failed: int
    seconds: float
    usage: dict = field(default_factory=dict)  # per agent
    events: list = field(default_factory=list)
    stop: str = ""  # why the loop ended: solved | stuck | attempts | budget:<what>
    plan: list = field(default_factory=list)
    gen_tests: list = field(default_factory=list)  # asserts the test writer wrote
    gen_passed: int = 0  # of those, passed by the final code
    candidates: int = 0  # distinct candidates tested
    selection: dict = field(default_factory=dict)  # how the selector chose (filter, clusters, why)
    pool: list = field(default_factory=list)  # every tested candidate, summarised (see pool_summary)

    @property
    def totals(self) -> dict:
        """Usage summed over agents: calls, prompt/completion/cached tokens."""
        keys = ("calls", "prompt_tokens", "completion_tokens", "cached_tokens")
        return {k: int(sum(stats.get(k, 0) for stats in self.usage.values())) for k in keys}

    def to_dict(self) -> dict:
        return asdict(self) | {"totals": self.totals}


def solve_task(
    task: Task,
    llm: LLM,
    sandbox: Sandbox,
    config: SolveConfig | None = None,
    *,
    checkpoint: str | Path | SqliteSaver | None = None,
    thread_id: str | None = None,
    retriever: Retriever | None = None,
    on_event: Callable[[dict], None] | None = None,
    on_token: Callable[[dict], None] | None = None,
) -> SolveResult:
    """Run the graph on `task` to the end and collect the result.

    With `checkpoint` (an SQLite file, or a saver from `open_checkpoints`), every finished node is saved under a thread keyed by
    a fingerprint of the task, the config and the model (`thread_key`; `thread_id` only
    tells apart runs of the same task, e.g. samples): calling again after a crash resumes
    after the last finished node, and another task never resumes this one's state.
    `retriever` supplies context to the coder (none by default). `on_event` sees each node's
    events (the dicts that end up in `SolveResult.events`) as soon as that node finishes.
    `on_token` turns on token streaming: it sees each model call's start, text deltas and
    end (with its time to first token) as LangGraph custom events (agents/llm_call.py)."""
    config = config or SolveConfig()
    task = with_visible_tests(task, config.visible_tests)
    started = time.perf_counter()
    if checkpoint is None:
        graph = build_graph(llm, sandbox, config, retriever=retriever)
        final = _run(graph, {"task": task.to_dict(), "attempts": 0}, {"recursion_limit": recursion_limit(config)},
                     on_event, on_token)
        return _result(final, time.perf_counter() - started)
    with _saver(checkpoint) as saver:
        graph = build_graph(llm, sandbox, config, checkpointer=saver, retriever=retriever)
        key = thread_key(task, config, _model_id(llm), thread_id)
        run_config = {"configurable": {"thread_id": key}, "recursion_limit": recursion_limit(config)}
        saved = graph.get_state(run_config)
        if saved.values and not saved.next:  # this thread already finished: nothing to redo
            return _result(saved.values, time.perf_counter() - started)
        # An interrupted thread has nodes still to run: continue it (input None), don't restart.
        start = None if saved.next else {"task": task.to_dict(), "attempts": 0}
        final = _run(graph, start, run_config, on_event, on_token)
        return _result(final, time.perf_counter() - started)


def _model_id(llm: LLM) -> str:
    return str(getattr(llm, "model", "") or "")


def forget_thread(checkpoint: str | Path | SqliteSaver, key: str) -> None:
    """Drop a finished thread's checkpoints (its result is kept elsewhere, e.g. a batch record)."""
    with _saver(checkpoint) as saver:
        saver.delete_thread(key)


def _saver(checkpoint: str | Path | SqliteSaver):
    """`checkpoint` as a context: a shared saver stays open, a path gets a connection of its
    own (agents/checkpoints.py: the strict serializer, so a tampered file is refused)."""
    if isinstance(checkpoint, SqliteSaver):
        return contextlib.nullcontext(checkpoint)
    return checkpoints_at(checkpoint)


def thread_key(task: Task, config: SolveConfig, model: str, thread_id: str | None = None) -> str:
    """The checkpoint thread of one solve: `thread_id` (or "solve") plus a fingerprint of the
    task, the config and the model, so no other task, config or model can resume it."""
    identity = {"task": task.to_dict(), "config": asdict(config), "model": model}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f"{thread_id or 'solve'}:{digest}"


def _run(graph, start: dict | None, run_config: dict, on_event: Callable[[dict], None] | None,
         on_token: Callable[[dict], None] | None = None) -> dict:
    """`graph.invoke`, or with `on_event`/`on_token` the same run streamed: node updates
    deliver their events as they happen, custom events the model's tokens, and the last
    full state is the result (what invoke returns)."""
    if on_event is None and on_token is None:
        return graph.invoke(start, run_config)
    final: dict = {}
    if on_token is not None:  # the model calls stream their tokens (agents/llm_call.py)
        run_config = run_config | {"configurable": (run_config.get("configurable") or {}) | {STREAM_TOKENS: True}}
    modes = ["updates", "values"] + (["custom"] if on_token is not None else [])
    for mode, chunk in graph.stream(start, run_config, stream_mode=modes):
        if mode == "values":
            final = chunk
            continue
        if mode == "custom":
            on_token(chunk)
            continue
        if on_event is None:
            continue
        for update in chunk.values():
            for event in update.get("events", []) if isinstance(update, dict) else []:
                on_event(event)
    return final


def _result(final: dict, seconds: float) -> SolveResult:
    return SolveResult(
        code=final.get("code", ""),
        raw=final.get("raw", ""),
        verdict=final.get("verdict", "error"),
        feedback=final.get("feedback", ""),
        attempts=final.get("attempts", 0),
        stuck=final.get("stuck", False),
        tests_passed=final.get("tests_passed", 0),
        tests_failed=final.get("tests_failed", 0),
        seconds=seconds,
        usage=final.get("usage", {}),
        events=final.get("events", []),
        stop=final.get("stop", ""),
        plan=final.get("plan", []),
        gen_tests=final.get("gen_tests", []),
        gen_passed=final.get("gen_passed", 0),
        candidates=len(final.get("pool", [])),
        selection=final.get("selection", {}),
        pool=pool_summary(final.get("pool", []), final.get("repeats", {})),
    )


def pool_summary(pool: list[dict], repeats: dict) -> list[dict]:
    """Each tested candidate in a form small enough for a batch record: its code, where it
    came from, how many samples it stands for, its visible-test result and a fingerprint of
    its probe outputs (equal fingerprints = same cluster). Lets selection rules be compared
    offline on the same candidates (benchmarks/selection_ablation.py)."""
    return [{"id": c["id"], "code": c["code"], "origin": c.get("origin", ""), "greedy": bool(c.get("greedy")),
             "copies": samples(c, repeats), "verdict": c["verdict"],
             "visible_passed": sum(c["visible"]), "visible": len(c["visible"]), "logprob": c.get("logprob"),
             "outputs": code_hash(repr(output_key(c)))} for c in pool]


class PipelineSolver:
    """A solver for the batch runner: `(Problem, sample) -> record fields` (see eval/). With
    `checkpoint`, each (task, sample) is solved on its own checkpoint thread, so a batch
    killed mid-task resumes inside that task, after its last finished node; a finished
    thread is dropped (a kill between that and its record costs a re-solve, not a record).
    All solves share one saver (`open_checkpoints`), opened at the first solve (the run
    directory exists by then) after `verify_checkpoints` passed on the whole file (else
    `UnsafeCheckpoint`, a `RunDirError`: the batch stops) and closed by `close()` when the
    batch is over."""

    def __init__(self, llm: LLM, sandbox: Sandbox, config: SolveConfig | None = None,
                 retriever: Retriever | None = None, *, checkpoint: str | Path | None = None) -> None:
        self.llm, self.sandbox, self.config, self.retriever = llm, sandbox, config, retriever
        self.checkpoint = checkpoint
        self._saver: SqliteSaver | None = None
        self._lock = threading.Lock()

    def _checkpoints(self) -> SqliteSaver | None:
        if self.checkpoint is None:
            return None
        with self._lock:  # the worker threads' first solves start together
            if self._saver is None:  # a run directory is untrusted: its file is checked before use
                verify_checkpoints(self.checkpoint)
                self._saver = open_checkpoints(self.checkpoint)
            return self._saver

    def __call__(self, problem, sample: int = 0) -> dict:
        task, thread = task_from_problem(problem), f"{problem.task_id}#{sample}"
        saver = self._checkpoints()
        result = solve_task(task, self.llm, self.sandbox, self.config, retriever=self.retriever, checkpoint=saver,
                            thread_id=thread)
        if saver is not None:  # finished: its record follows, so the file holds only tasks in flight
            forget_thread(saver, thread_key(task, self.config or SolveConfig(), _model_id(self.llm), thread))
        totals = result.totals
        return {
            "completion": result.code,
            "raw": result.raw,
            "verdict": result.verdict,
            "usage": totals,
            "agents": result.usage,
            "attempts": result.attempts,
            "stop": result.stop,
            "candidates": result.candidates,
            "selection": result.selection,
            "events": result.events,
            "pool": result.pool,
        }

    def close(self) -> None:
        """Close the shared checkpoint connection (a later solve opens a new one)."""
        with self._lock:
            if self._saver is not None:
                self._saver.conn.close()
                self._saver = None


def make_pipeline_solver(llm: LLM, sandbox: Sandbox, config: SolveConfig | None = None,
                         retriever: Retriever | None = None, *,
                         checkpoint: str | Path | None = None) -> PipelineSolver:
    """The pipeline's solver for the batch runner (`PipelineSolver`; call `close()` after the batch)."""
    return PipelineSolver(llm, sandbox, config, retriever, checkpoint=checkpoint)
