"""A checkpoint thread belongs to one task, config and model: a second task (or a changed
config, another model, another sample) never resumes — or is handed — another's state."""

import pytest

from agents.solver import make_pipeline_solver, solve_task, thread_key
from agents.state import SolveConfig
from agents.task import task_from_text
from eval.problems import Problem
from serving.base import LLMError
from serving.fake import FakeLLM

ADD = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n")
SUB = task_from_text("Write sub(a, b) that returns a - b.\nassert sub(5, 2) == 3\n")
ADD_CODE = "```python\ndef add(a, b):\n    return a + b\n```"
SUB_CODE = "```python\ndef sub(a, b):\n    return a - b\n```"


def test_a_second_task_on_the_same_checkpoint_file_gets_its_own_answer(sandbox, tmp_path):
    """Without a thread id both tasks once shared the thread "default": task B was handed task
    A's finished state (A's code) without a single model call."""
    db = tmp_path / "checkpoints.sqlite"
    first = solve_task(ADD, FakeLLM([ADD_CODE]), sandbox, SolveConfig.v1(), checkpoint=db)
    second_llm = FakeLLM([SUB_CODE])
    second = solve_task(SUB, second_llm, sandbox, SolveConfig.v1(), checkpoint=db)
    assert "def add" in first.code and first.verdict == "passed"
    assert "def sub" in second.code and second.verdict == "passed"
    assert second_llm.remaining == 0  # B was solved, not read back


def test_the_same_thread_id_cannot_cross_tasks_configs_or_models(sandbox, tmp_path):
    db = tmp_path / "checkpoints.sqlite"
    solve_task(ADD, FakeLLM([ADD_CODE]), sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t")
    again = FakeLLM([])  # same task, config, model and id: the finished thread, no model call
    assert "def add" in solve_task(ADD, again, sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t").code
    keys = {thread_key(ADD, SolveConfig.v1(), "fake", "t"), thread_key(SUB, SolveConfig.v1(), "fake", "t"),
            thread_key(ADD, SolveConfig.v1(), "other-model", "t"), thread_key(ADD, SolveConfig(), "fake", "t"),
            thread_key(ADD, SolveConfig.v1(), "fake", "t2")}
    assert len(keys) == 5
    sub = solve_task(SUB, FakeLLM([SUB_CODE]), sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t")
    assert "def sub" in sub.code


def test_the_batch_solver_checkpoints_each_sample_apart(sandbox, tmp_path):
    """The pipeline solver with a checkpoint file: a (task, sample) cut off mid-solve goes on
    from its last finished step; another sample of the same task starts anew."""
    db = tmp_path / "checkpoints.sqlite"
    problem = Problem(task_id="T/0", prompt='def add(a, b):\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n',
                      entry_point="add",
                      benchmark="humaneval", test="def check(candidate):\n    assert candidate(1, 2) == 3\n")
    wrong = "```python\ndef add(a, b):\n    return a - b\n```"
    with pytest.raises(LLMError):  # the coder answers wrong, then the model is gone when repair asks
        make_pipeline_solver(FakeLLM([wrong]), sandbox, SolveConfig.v1(), checkpoint=db)(problem, sample=0)
    other = make_pipeline_solver(FakeLLM([ADD_CODE]), sandbox, SolveConfig.v1(), checkpoint=db)(problem, sample=1)
    assert other["agents"]["coder"]["calls"] == 1 and "repair" not in other["agents"]  # not sample 0's thread
    resumed = make_pipeline_solver(FakeLLM([ADD_CODE]), sandbox, SolveConfig.v1(), checkpoint=db)(problem, sample=0)
    assert resumed["agents"]["repair"]["calls"] == 1 and "def add" in resumed["completion"]
