"""kill -9 of the embedded llama-server (smoke model) in the middle of a batch: the session
restarts the server it owns, the task is retried, the batch finishes with every record once.

In-process (`llm_session` + `run_batch`, as `codeloop batch` wires them) so the answers can
be kept short: the CLI's baseline asks for 768 tokens per task, minutes on a busy machine."""

import os
import signal
import threading
from collections import Counter

import pytest

from eval.baseline import make_baseline_solver
from eval.batch import BatchConfig, run_batch
from eval.problems import load_benchmark
from eval.runstore import read_records
from serving.embedded import port_in_use
from serving.llama_server import find_binary
from serving.models import ModelError, resolve
from serving.session import llm_session
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def smoke_model_ready() -> bool:
    try:
        return find_binary() is not None and resolve("smollm2-135m", download=False).is_file()
    except ModelError:
        return False


@pytest.mark.skipif(not smoke_model_ready(), reason="llama-server or the smoke model is not installed here")
def test_embedded_server_killed_mid_batch_is_restarted(tmp_path, data_dir, evaluator):
    problems = load_benchmark("humaneval", data_dir)[:4]
    port = free_port()
    with llm_session("smollm2-135m", port=port, parallel=1) as llm:
        first_pid = llm.server.process.pid
        solver = make_baseline_solver(llm, max_tokens=48)
        killed = threading.Event()

        def kill_after_first(record):  # the next task's request is about to be in flight
            if not killed.is_set():
                killed.set()
                threading.Timer(0.3, os.kill, (first_pid, signal.SIGKILL)).start()

        outcome = run_batch(problems, solver, tmp_path, evaluator, BatchConfig("humaneval", "baseline"),
                            on_record=kill_after_first)
        assert llm.server.process.pid != first_pid and len(llm.restarts) == 1
    assert not port_in_use(port), "the restarted server must be stopped at the end"
    assert outcome.errors == 0 and outcome.new_records == 4
    records = read_records(tmp_path).records
    counts = Counter((r["task_id"], r["sample"]) for r in records)
    assert len(counts) == 4 and max(counts.values()) == 1
    assert all(r["exit_status"] == "ok" for r in records), [r["error"] for r in records]
