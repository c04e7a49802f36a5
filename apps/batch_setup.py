"""What a batch opens on each machine that solves: the model session and the solver for its
mode. Shared by the batch command (`apps.batch_cmd`) and each Ray node's setup
(`apps.batch_ray.NodeSetup`), below both, so neither imports the other back.
"""

from __future__ import annotations


def open_llm(model: str | None, base_url: str | None, port: int, llm_spec: str | None = None):
    """The LLM context manager (tests replace `apps.batch_cmd.open_llm` with one yielding a FakeLLM)."""
    from serving.session import llm_session

    return llm_session(model, base_url, port=port, llm=llm_spec)


def make_solver(mode: str, llm, box, samples: int, solve_config=None, retriever=None, checkpoint=None):
    """The solver for `mode`: the agent pipeline (with `solve_config`; with `checkpoint`, an
    SQLite file, a killed batch resumes inside a task) or the single-call baseline."""
    if mode == "baseline":
        from eval.baseline import make_baseline_solver

        return make_baseline_solver(llm, temperature=0.0 if samples == 1 else 0.8)
    from agents.solver import make_pipeline_solver

    return make_pipeline_solver(llm, box, solve_config, retriever, checkpoint=checkpoint)
