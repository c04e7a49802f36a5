"""`codeloop batch --ray ADDRESS`: the batch command's side of a run on a Ray cluster.

`NodeSetup` is what each node's actor builds for itself (model session, sandbox, solver),
made from the command's flags; `batch_on_ray` runs `eval.ray_batch.run_batch_ray` and turns
its errors into one-line CLI errors (2: no ray extra or no cluster; 1: the cluster was lost).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from apps.batch_setup import make_solver, open_llm
from apps.errors import fail


@dataclass(frozen=True)
class NodeSetup:
    """The flags a node needs to solve and check pairs; picklable, opened on the node."""

    mode: str
    samples: int
    solve_config: Any  # agents.state.SolveConfig for the pipeline, None for the baseline
    retrieval: str
    bench: str
    data_dir: str | None
    sandbox: str
    model: str | None
    base_url: str | None
    port: int
    llm_spec: str | None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[tuple[Any, Any, str]]:
        """(solver, evaluator, served model) on this node; stops what it started on exit."""
        from eval.evaluate import Evaluator
        from retrieval.api import retriever_for
        from sandbox import make_sandbox

        box = make_sandbox(self.sandbox)
        try:
            llm_kw = {"llm_spec": self.llm_spec} if self.llm_spec else {}
            with open_llm(self.model, self.base_url, self.port, **llm_kw) as llm:
                retriever = (retriever_for(self.retrieval, self.bench, Path(self.data_dir) if self.data_dir else None)
                             if self.mode == "pipeline" else None)
                solver = make_solver(self.mode, llm, box, self.samples, self.solve_config, retriever)
                yield solver, Evaluator(box), str(getattr(llm, "model", "") or "")
        finally:
            box.close()


def batch_on_ray(address: str, problems: Sequence, out: Path, config, setup: NodeSetup, *, workers: int,
                 redo: bool, feed, err: Console):
    """Run the batch on the cluster at `address` with `feed` showing progress; the outcome."""
    from eval.ray_batch import RayBatchFault, RayUnavailable, run_batch_ray

    def show_nodes(nodes: list[dict]) -> None:
        where = ", ".join(f"{n['host']} ({n['node'][:8]})" for n in nodes)
        err.print(f"ray: {len(nodes)} node(s), {workers} worker(s) each: {where}", markup=False, highlight=False)

    try:
        return run_batch_ray(problems, setup, out, config, address=address, workers=workers, redo=redo,
                             on_nodes=show_nodes, on_start=feed.start, on_record=feed.record)
    except RayUnavailable as exc:
        fail(str(exc), 2)
    except RayBatchFault as exc:
        fail(str(exc), 1)
