"""`codeloop batch | eval | report` through CliRunner, with FakeLLM behind the session."""

import json

import pytest
from typer.testing import CliRunner

from eval.problems import load_benchmark
from eval.runstore import read_records


def good_answers(n):
    return [f"```python\n{p.prompt}{p.canonical_solution}```" for p in load_benchmark("humaneval")[:n]]


def run(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_batch_eval_report(app, fake_session, tmp_path, data_dir, gt_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(gt_cache))  # keep ground truth out of the user's cache
    fake_session(good_answers(3)[:2] + ["no code at all"])
    out = tmp_path / "run"
    r = run(app, "batch", "humaneval", "--limit", 3, "--mode", "baseline", "--out", out, "--sandbox", "process",
            "--data-dir", data_dir, "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert (summary["records"], summary["passed"], summary["new_records"]) == (3, 2, 3)
    assert summary["pass@1"] == pytest.approx(2 / 3)
    assert "[3/3]" in r.stderr  # not a terminal: one progress line per record
    # Resume after a crash left half a line: reported with its line number, the rest kept,
    # nothing left to do, so the model is not called.
    with open(out / "records.jsonl", "a") as fh:
        fh.write('{"task_id": "HumanEval/9", "sam')
    fake_session([])
    r = run(app, "batch", "humaneval", "--limit", 3, "--mode", "baseline", "--out", out, "--sandbox", "process",
            "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["skipped"] == 3
    assert "records.jsonl: line 4: malformed record skipped" in r.stderr
    r = run(app, "eval", out, "--sandbox", "process", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["passed"] == 2 and (out / "eval.json").exists()
    pytest.importorskip("matplotlib")
    r = run(app, "report", out, out, "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    assert "| humaneval | baseline | 3 | 2 | 66.7%" in r.stdout
    assert "| baseline | 3 |" in (tmp_path / "rep" / "report.md").read_text()  # per-agent table: 3 calls
    for name in ("report.md", "pass_at_1.png", "tokens_per_solved.png", "seconds_per_task.png"):
        assert (tmp_path / "rep" / name).stat().st_size > 0


def test_a_run_compressed_for_committing_still_reports(app, fake_session, tmp_path):
    import gzip

    fake_session(good_answers(2))
    out = tmp_path / "run"
    assert run(app, "batch", "humaneval", "--limit", 2, "--mode", "baseline", "--out", out,
               "--sandbox", "process").exit_code == 0
    records = out / "records.jsonl"
    (out / "records.jsonl.gz").write_bytes(gzip.compress(records.read_bytes()))
    records.unlink()
    r = run(app, "report", out)
    assert r.exit_code == 0, r.output
    assert "| 2 | 2 | 100.0%" in r.stdout


def test_failed_task_gives_exit_1(app, fake_session, tmp_path):
    fake_session(good_answers(1))  # the second problem finds the fake exhausted
    r = run(app, "batch", "humaneval", "--limit", 2, "--mode", "baseline", "--out", tmp_path / "r",
            "--sandbox", "process")
    assert r.exit_code == 1 and "1/2 passed" in r.stdout and "1 errored" in r.stdout
    assert r.stderr.strip().splitlines()[-1] == ("error: 1 of 2 new records errored (their `error` field says why); "
                                                 "run the same command again to retry them")


@pytest.mark.parametrize("args,message", [
    (["batch", "nope"], "unknown benchmark 'nope'"),
    (["batch", "humaneval", "--mode", "magic"], "'magic' is not one of 'pipeline', 'baseline'"),
    (["batch", "mbpp", "--data-dir", "/nonexistent/dir"], "mbpp.jsonl not found in /nonexistent/dir"),
    (["eval", "/nonexistent/run"], "run directory not found"),
    (["report", "/tmp"], "not a run directory"),
    (["batch", "humaneval", "--tasks", "HumanEval/1,HumanEval/999"], "no task 'HumanEval/999' in this benchmark"),
    (["batch", "humaneval", "--tasks", "@/nonexistent/ids.txt"], "cannot read the task list /nonexistent/ids.txt"),
])
def test_bad_input_is_one_line_exit_2(app, fake_session, args, message, monkeypatch):
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    fake_session([])
    r = run(app, *args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_batch_runs_only_the_tasks_asked_for(app, fake_session, tmp_path):
    answers = good_answers(3)
    fake_session([answers[0], answers[1]])  # asked in benchmark order, whatever order the list gives
    ids = tmp_path / "ids.txt"
    ids.write_text("HumanEval/2\n\nHumanEval/0\n")
    r = run(app, "batch", "humaneval", "--tasks", f"@{ids}", "--mode", "baseline", "--out", tmp_path / "r",
            "--sandbox", "process", "--json")
    assert r.exit_code == 0, r.output
    assert [rec["task_id"] for rec in read_records(tmp_path / "r").effective()] == ["HumanEval/0", "HumanEval/2"]
    assert json.loads(r.stdout)["passed"] == 1  # HumanEval/2 got HumanEval/1's answer


def test_other_run_in_out_dir_is_exit_2(app, fake_session, tmp_path):
    fake_session(good_answers(1))
    assert run(app, "batch", "humaneval", "--limit", 1, "--mode", "baseline", "--out", tmp_path,
               "--sandbox", "process").exit_code == 0
    r = run(app, "batch", "humaneval", "--limit", 1, "--mode", "pipeline", "--out", tmp_path, "--sandbox", "process")
    assert r.exit_code == 2 and "holds a different run" in r.stderr


def test_pipeline_batch_records_its_variant_and_uses_retrieval(app, fake_session, tmp_path, data_dir, gt_cache,
                                                               monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(gt_cache))
    monkeypatch.setenv("CODELOOP_INDEX_DIR", str(tmp_path / "indexes"))
    llm = fake_session(good_answers(1) * 3)  # greedy passes → two confirming samples
    out = tmp_path / "run"
    args = ["batch", "humaneval", "--limit", 1, "--out", out, "--sandbox", "process", "--data-dir", data_dir, "--json"]
    r = run(app, *args, "--retrieval", "examples")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["passed"] == 1
    variant = json.loads((out / "meta.json").read_text())["variant"]
    assert (variant["retrieval"], variant["candidates"], variant["max_repairs"]) == ("examples", 1, 2)
    prompt = "\n".join(m["content"] for m in llm.calls[0])
    assert "<<<BEGIN RETRIEVED 1 source=" in prompt  # a solved example reached the coder, quoted
    # the same directory with another variant is another run: refused before any model call
    monkeypatch.setenv("CODELOOP_MAX_REPAIRS", "0")
    r = run(app, *args, "--retrieval", "examples")
    assert r.exit_code == 2 and "holds a different run" in r.output
    r = run(app, *args, "--retrieval", "web")
    assert r.exit_code == 2 and "'web' is not one of 'none', 'examples', 'docs', 'all'" in r.output


def test_eval_scores_a_runs_answers_on_another_benchmark(app, fake_session, tmp_path, data_dir, gt_cache,
                                                         monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(gt_cache))
    # HumanEval/0 right; HumanEval/1 right only on short inputs is not needed here: a wrong one.
    fake_session(good_answers(1) + ["```python\ndef separate_paren_groups(s):\n    return []\n```"])
    plus = tmp_path / "plus"
    r = run(app, "batch", "humaneval+", "--limit", 2, "--mode", "baseline", "--out", plus, "--sandbox", "process",
            "--data-dir", data_dir, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["passed"] == 1, r.output
    base = tmp_path / "base"
    r = run(app, "eval", plus, "--bench", "humaneval", "--out", base, "--sandbox", "process", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["bench"], data["records"], data["passed"]) == ("humaneval", 2, 1)
    meta = json.loads((base / "meta.json").read_text())
    assert meta["bench"] == "humaneval" and meta["rescored_from"] == str(plus)
    records = [json.loads(line) for line in (base / "records.jsonl").read_text().splitlines()]
    assert [r["verdict"]["plus"] for r in records] == [None, None]  # checked by HumanEval's own tests
    assert run(app, "report", base, "--out", tmp_path / "rep").exit_code == 0
    again = run(app, "eval", plus, "--bench", "humaneval", "--out", base, "--sandbox", "process")
    assert again.exit_code == 2 and "already holds a run" in again.output
    assert run(app, "eval", plus, "--bench", "humaneval").exit_code == 2  # --out missing


def test_batch_takes_solves_pipeline_flags(app, fake_session, tmp_path, data_dir, gt_cache, monkeypatch):
    """--candidates/--gen-tests/--max-repairs/--max-calls as in solve; a flag and its CODELOOP_*
    variable give the same variant, so a run started with one resumes with the other."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(gt_cache))
    for var in ("CODELOOP_CANDIDATES", "CODELOOP_GEN_TESTS", "CODELOOP_MAX_REPAIRS", "CODELOOP_MAX_CALLS"):
        monkeypatch.delenv(var, raising=False)
    fake_session(good_answers(1) * 10)
    out = tmp_path / "run"
    args = ["batch", "humaneval", "--limit", 1, "--out", out, "--sandbox", "process", "--data-dir", data_dir]
    r = run(app, *args, "--max-repairs", 0, "--max-calls", 5, "--no-gen-tests")
    assert r.exit_code == 0, r.output
    variant = json.loads((out / "meta.json").read_text())["variant"]
    assert (variant["max_repairs"], variant["max_llm_calls"], variant["gen_tests"], variant["adaptive"]) == (0, 5, False, True)
    monkeypatch.setenv("CODELOOP_MAX_REPAIRS", "0")
    monkeypatch.setenv("CODELOOP_MAX_CALLS", "5")
    r = run(app, *args)
    assert r.exit_code == 0 and "holds a different run" not in r.output, r.output
    fixed = tmp_path / "fixed"
    r = run(app, "batch", "humaneval", "--limit", 1, "--out", fixed, "--sandbox", "process", "--data-dir", data_dir,
            "--candidates", 3)
    assert r.exit_code == 0, r.output
    variant = json.loads((fixed / "meta.json").read_text())["variant"]
    assert (variant["candidates"], variant["adaptive"]) == (3, False)  # as solve --candidates 3
