"""A batch killed inside a long pipeline task resumes inside it: the finished steps of that
(task, sample) come back from the run's checkpoint file instead of being asked again."""

import sqlite3

from agents.solver import make_pipeline_solver
from agents.state import SolveConfig
from eval.batch import BatchConfig, run_batch
from eval.problems import Problem
from eval.runstore import CHECKPOINTS, read_records
from serving.fake import FakeLLM

PROBLEM = Problem(benchmark="humaneval", task_id="T/0", entry_point="add",
                  prompt='def add(a, b):\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n',
                  test="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 5) == 7\n")
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"


def test_a_task_cut_off_mid_pipeline_resumes_after_its_last_finished_step(tmp_path, evaluator):
    config = BatchConfig("humaneval", "pipeline", variant={"v": 1})
    checkpoint = tmp_path / CHECKPOINTS
    dying = FakeLLM([WRONG])  # the coder answers; the model is gone when repair asks
    run_batch([PROBLEM], make_pipeline_solver(dying, evaluator.sandbox, SolveConfig.v1(), checkpoint=checkpoint),
              tmp_path, evaluator, config)
    (first,) = read_records(tmp_path).records
    assert first["exit_status"] == "error"
    resumed = FakeLLM([GOOD])  # only repair's answer: the coder's finished step is not asked again
    outcome = run_batch([PROBLEM], make_pipeline_solver(resumed, evaluator.sandbox, SolveConfig.v1(),
                                                        checkpoint=checkpoint), tmp_path, evaluator, config)
    assert outcome.new_records == 1 and resumed.remaining == 0
    record = read_records(tmp_path).effective()[0]
    assert record["exit_status"] == "ok" and record["verdict"]["passed"]
    assert record["agents"]["coder"]["calls"] == 1 and record["agents"]["repair"]["calls"] == 1
    with sqlite3.connect(checkpoint) as db:  # finished threads are dropped: the file holds tasks in flight
        assert db.execute("select count(*) from checkpoints").fetchone()[0] == 0


class LockedFakeLLM(FakeLLM):
    """FakeLLM for several worker threads (its script is not thread-safe on its own)."""

    def __init__(self, *args, **kwargs):
        import threading

        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()

    def complete(self, *args, **kwargs):
        with self._lock:
            return super().complete(*args, **kwargs)


def test_parallel_pipeline_workers_share_one_checkpoint_connection(tmp_path, evaluator, monkeypatch):
    # Each solve and each forget used to open its own connection (5 s busy timeout, setup
    # writes again): with --workers N that raced into "database is locked". One saver per batch.
    opened = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        opened.append(kwargs.get("timeout"))
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    problems = [Problem(benchmark="humaneval", task_id=f"T/{i}", entry_point="add", prompt=PROBLEM.prompt,
                        test=PROBLEM.test) for i in range(8)]
    checkpoint = tmp_path / CHECKPOINTS
    solver = make_pipeline_solver(LockedFakeLLM([GOOD] * 8), evaluator.sandbox, SolveConfig.v1(),
                                  checkpoint=checkpoint)
    try:
        outcome = run_batch(problems, solver, tmp_path, evaluator, BatchConfig("humaneval", "pipeline"), workers=4)
    finally:
        solver.close()
    assert (outcome.new_records, outcome.errors) == (8, 0)
    assert len(opened) == 1 and opened[0] >= 60  # one connection, waiting long for another process's lock
    with real_connect(checkpoint) as db:
        assert db.execute("select count(*) from checkpoints").fetchone()[0] == 0
