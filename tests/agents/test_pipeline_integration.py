"""The whole pipeline (two candidates, generated tests) with the real embedded model on one task."""

import pytest

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_problem
from eval.evaluate import Evaluator
from eval.problems import get_problem
from sandbox import make_sandbox
from serving.embedded import free_port
from serving.session import llm_session

pytestmark = pytest.mark.integration


def test_pipeline_solves_humaneval_0_with_the_default_model():
    problem = get_problem("humaneval:HumanEval/0")
    box = make_sandbox("auto")
    try:
        with llm_session(port=free_port()) as llm:
            result = solve_task(task_from_problem(problem), llm, box, SolveConfig(candidates=2, gen_tests=True))
        check = Evaluator(box).check(problem, result.code)
    finally:
        box.close()
    assert result.usage["coder"]["calls"] >= 1 and result.usage["test_writer"]["calls"] == 1
    assert result.candidates >= 1 and result.verdict == "passed"
    why = f"code:\n{result.code}\ngenerated: {result.gen_tests}\nevents: {result.events}\n{result.feedback}"
    assert check["passed"], why  # greedy 1.5B solves this one alone; the pipeline must too
