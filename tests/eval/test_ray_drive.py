"""The Ray driver loop (`eval.ray_batch.drive`) against a stand-in for Ray: what it does when
Ctrl-C comes and an actor's result is a lost model server. (A real cluster: test_ray_batch.py.)"""

import types
from collections import deque

import pytest

from eval.problems import Problem
from eval.ray_batch import drive
from eval.runstore import RecordWriter, read_records
from serving.base import ServerLost

PROBLEMS = [Problem(benchmark="humaneval", task_id=f"T/{i}", entry_point="f", prompt="def f():\n", test="")
            for i in range(2)]


class RayError(Exception):
    def __init__(self, cause=None):
        super().__init__(str(cause))
        self.cause = cause


def ok_record(i):
    return {"task_id": f"T/{i}", "sample": 0, "exit_status": "ok"}


class FakeRay:
    """`wait` is interrupted by Ctrl-C once both pairs run; then both are ready: T/0 finished,
    T/1's actor reports the shared model server lost."""

    exceptions = types.SimpleNamespace(RayError=RayError)

    def __init__(self):
        self.waits = 0

    def wait(self, refs, num_returns=1, timeout=None):
        self.waits += 1
        if self.waits == 1:
            raise KeyboardInterrupt
        return list(refs), []

    def get(self, ref):
        if ref == "T/1":
            raise RayError(ServerLost("the model server stopped answering"))
        return ok_record(0)


class FakePool:
    def __init__(self):
        self.slots = [types.SimpleNamespace(busy=0, node_id="node0000") for _ in range(2)]

    def free_slot(self):
        return next((slot for slot in self.slots if slot.busy == 0), None)

    def submit(self, slot, index, sample):
        slot.busy += 1
        return PROBLEMS[index].task_id


def test_ctrl_c_stays_ctrl_c_when_a_collected_result_is_a_lost_server(tmp_path):
    # ServerLost while writing what finished must not hide the Ctrl-C (exit 130, not 1).
    with RecordWriter(tmp_path) as writer, pytest.raises(KeyboardInterrupt):
        drive(FakeRay(), FakePool(), deque([(0, 0), (1, 0)]), PROBLEMS, writer)
    assert [r["task_id"] for r in read_records(tmp_path).records] == ["T/0"]


class LosingRay(FakeRay):
    """Every actor that runs a pair is lost (not the model server)."""

    def wait(self, refs, num_returns=1, timeout=None):
        return list(refs)[:1], []

    def get(self, ref):
        raise RayError(None)


class RetiringPool(FakePool):
    def retire(self, slot):
        slot.busy = 0

    def replenish(self):
        pass


def test_a_pair_no_actor_could_finish_gets_the_thread_pools_error_record(tmp_path, evaluator):
    # One error record for both runners (eval.batch.error_record), so reports read them alike.
    from eval.batch import error_record, solve_and_check

    with RecordWriter(tmp_path) as writer:
        tally = drive(LosingRay(), RetiringPool(), deque([(0, 0)]), PROBLEMS, writer)
    (lost,) = read_records(tmp_path).records
    assert (tally.written, tally.errors) == (1, 1) and lost["error"].startswith("ray: lost 3 actors")
    assert lost | {"finished_at": ""} == error_record(PROBLEMS[0], 0, lost["error"]) | {"finished_at": ""}

    def broken(problem):
        raise ValueError("no answer")

    failed = solve_and_check(PROBLEMS[0], 0, broken, evaluator)
    assert failed.keys() == lost.keys() and failed["verdict"]["status"] == lost["verdict"]["status"] == "error"
    assert failed["error"] == "ValueError: no answer" and failed["exit_status"] == "error"
