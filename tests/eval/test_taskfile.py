"""Users' own task files (`codeloop batch tasks.jsonl`): both row formats, checked for real
in the process sandbox; one-line errors for bad rows; the CLI end to end."""

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import apps.batch_cmd as batch_cmd
from eval.problem import mbpp_prompt
from eval.problems import get_problem, load_benchmark
from eval.taskfile import TaskFileError, is_task_file, load_task_file, task_file_sha256
from serving.fake import FakeLLM

HE_ROW = {
    "task_id": "mine/add",
    "prompt": 'def add(a: int, b: int) -> int:\n    """Sum of a and b."""\n',
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
    "canonical_solution": "    return a + b\n",
}
MBPP_CODE_ROW = {"task_id": 1, "text": "Write a function to reverse a list.",
                 "code": "def rev(xs):\r\n    return xs[::-1]", "test_list": ["assert rev([1, 2]) == [2, 1]"]}
MBPP_BARE_ROW = {"task_id": "uniq", "prompt": "Write a function returning the distinct items.",  # no code
                 "test_list": ["assert sorted(uniq_items([1, 1, 2])) == [1, 2]", "assert uniq_items([]) == set()"]}
MBPP_NAMED_ROW = {"task_id": "sq", "text": "Square a number.", "entry_point": "square",
                  "test_imports": ["import math"], "test_list": ["assert math.isclose(square(1.5), 2.25)"]}


def write_rows(path: Path, *rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def fn(name: str, body: str) -> str:
    return f"def {name}(*args):\n    {body}\n"


def test_humaneval_rows_check_for_real(tmp_path, evaluator):
    path = write_rows(tmp_path / "he.jsonl", HE_ROW)
    [p] = load_task_file(path)
    assert (p.benchmark, p.task_id, p.entry_point, p.test_style) == (str(path.resolve()), "mine/add", "add",
                                                                      "humaneval")
    assert not p.has_plus
    assert evaluator.check(p, p.canonical_solution)["passed"]
    # a wrong function passes only if check(add) is never called: this proves it is
    wrong = evaluator.check(p, fn("add", "return 0"))
    assert wrong["status"] == "fail" and "AssertionError" in wrong["detail"]


def test_mbpp_rows_check_for_real(tmp_path, evaluator):
    path = write_rows(tmp_path / "mb.jsonl", MBPP_CODE_ROW, MBPP_BARE_ROW, MBPP_NAMED_ROW)
    rev, uniq, sq = load_task_file(path)
    assert [p.task_id for p in (rev, uniq, sq)] == ["1", "uniq", "sq"]  # integer ids become text
    assert [p.entry_point for p in (rev, uniq, sq)] == ["rev", "uniq_items", "square"]  # `sorted` is skipped
    assert {p.test_style for p in (rev, uniq, sq)} == {"mbpp"}
    assert rev.prompt == mbpp_prompt(MBPP_CODE_ROW["text"], MBPP_CODE_ROW["test_list"][0])
    assert uniq.prompt.startswith('"""\nWrite a function returning the distinct items.\nassert sorted(')
    assert "\r" not in rev.canonical_solution and sq.test.startswith("import math\n")
    assert evaluator.check(rev, rev.canonical_solution)["passed"]
    assert not evaluator.check(rev, fn("rev", "return args[0]"))["passed"]
    assert evaluator.check(uniq, "def uniq_items(xs):\n    return set(xs)\n")["passed"]
    assert not evaluator.check(uniq, "def uniq_items(xs):\n    return list(xs)\n")["passed"]
    assert evaluator.check(sq, "def square(x):\n    return x * x\n")["passed"]
    assert evaluator.check(sq, fn("square", "return 2.0"))["status"] == "fail"


def test_load_benchmark_and_get_problem_take_a_path(tmp_path):
    path = write_rows(tmp_path / "mixed.jsonl", HE_ROW, "", MBPP_CODE_ROW)  # blank lines are skipped
    assert is_task_file(path) and is_task_file("X.JSONL") and not is_task_file("mbpp")
    assert [p.task_id for p in load_benchmark(str(path))] == ["mine/add", "1"]
    assert get_problem(f"{path}:mine/add").entry_point == "add"
    assert get_problem(f"{path}:1").family == "mbpp"  # a bare number stays as written (not Mbpp/1)
    # the recorded benchmark (a resolved path) loads the same tasks again, as `codeloop eval` does
    assert load_benchmark(load_benchmark(str(path))[0].benchmark) == load_benchmark(str(path))
    with pytest.raises(LookupError, match="no problem 'nope'"):
        get_problem(f"{path}:nope")


BAD_FILES = [
    ([{k: v for k, v in HE_ROW.items() if k != "entry_point"}], "t.jsonl line 1: missing 'entry_point'"),
    ([HE_ROW, "{not json"], "t.jsonl line 2: not JSON"),
    ([HE_ROW, MBPP_NAMED_ROW, dict(HE_ROW)], "t.jsonl line 3: duplicate task_id 'mine/add' (first on line 1)"),
    ([], "t.jsonl: no tasks (empty file)"),
    (["", "  "], "t.jsonl: no tasks (empty file)"),
    (["[1, 2]"], "t.jsonl line 1: not a JSON object"),
    ([{k: v for k, v in HE_ROW.items() if k != "task_id"}], "t.jsonl line 1: missing 'task_id'"),
    ([dict(HE_ROW, task_id="")], "t.jsonl line 1: 'task_id' must be a non-empty string"),
    ([dict(HE_ROW, test="assert add(1, 1) == 2")], "t.jsonl line 1: 'test' defines no check(candidate) function"),
    ([dict(HE_ROW, test="def check(c):\n  assert (")],
     "t.jsonl line 1: 'test' is not valid Python ('(' was never closed, line 2)"),
    ([dict(HE_ROW, canonical_solution=5)], "t.jsonl line 1: 'canonical_solution' must be a string"),
    ([dict(HE_ROW, entry_point="add me")], "t.jsonl line 1: 'entry_point' must be a Python name, got 'add me'"),
    ([{"task_id": "x", "text": "hi"}],
     "t.jsonl line 1: neither HumanEval format (prompt, entry_point, test) nor MBPP format (text, test_list)"),
    ([dict(MBPP_NAMED_ROW, test_list=[])], "t.jsonl line 1: 'test_list' must be a non-empty list of assert strings"),
    ([{"task_id": "x", "test_list": ["assert f(1)"]}], "t.jsonl line 1: missing 'text' (or 'prompt')"),
    ([{"task_id": "x", "text": "t", "test_list": ["assert True"]}],
     "t.jsonl line 1: cannot tell the function under test from 'test_list'; add 'entry_point'"),
    ([dict(MBPP_NAMED_ROW, test_list=["assert f(1)", "assert f(("])],
     "t.jsonl line 1: 'test_list' item 2 is not valid Python ('(' was never closed, line 1)"),
]


@pytest.mark.parametrize("rows,message", BAD_FILES)
def test_bad_rows_are_one_line_errors(tmp_path, rows, message):
    path = write_rows(tmp_path / "t.jsonl", *rows) if rows else tmp_path / "t.jsonl"
    if not rows:
        path.write_text("")
    with pytest.raises(TaskFileError) as info:
        load_task_file(path)
    assert str(info.value) == message


def test_missing_file(tmp_path):
    with pytest.raises(TaskFileError, match=r"^task file not found: .*nope\.jsonl$"):
        load_benchmark(str(tmp_path / "nope.jsonl"))


def codeloop(*args, cwd) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("codeloop")  # the venv's console script
    env = {**os.environ, "CODELOOP_OFFLINE": "1"}
    return subprocess.run([str(exe), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_cli_bad_file_exits_2_with_one_line(tmp_path):
    write_rows(tmp_path / "bad.jsonl", HE_ROW, {"task_id": "b", "prompt": "x", "test": "def check(c): pass"})
    for name, message in (("bad.jsonl", "error: bad.jsonl line 2: missing 'entry_point'"),
                          ("gone.jsonl", "error: task file not found: gone.jsonl")):
        r = codeloop("batch", name, "--mode", "baseline", "--sandbox", "process", cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip() == message and "Traceback" not in r.stdout + r.stderr
    assert not (tmp_path / "runs").exists()  # refused before any run directory is made


@pytest.fixture()
def cli(monkeypatch):
    """The batch/eval commands with a scripted model: set `cli.llm` before a run."""
    root = typer.Typer()
    batch_cmd.register(root)
    root.llm = FakeLLM([])
    monkeypatch.setattr(batch_cmd, "open_llm", lambda model, base_url, port: contextlib.nullcontext(root.llm))
    return root


def invoke(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_batch_on_a_task_file_resumes_only_the_same_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_rows(tmp_path / "my-tasks.jsonl", HE_ROW, MBPP_CODE_ROW)
    cli.llm = FakeLLM([f"```python\n{HE_ROW['prompt']}{HE_ROW['canonical_solution']}```", "```python\nx = 1\n```"])
    r = invoke(cli, "batch", "my-tasks.jsonl", "--mode", "baseline", "--sandbox", "process", "--json")
    assert r.exit_code == 0, r.output  # the second answer defines no function: a failed task, not an error
    out = tmp_path / "runs" / "my-tasks-baseline"  # default --out from the file name
    assert json.loads(r.stdout)["passed"] == 1 and json.loads(r.stdout)["run_dir"] == "runs/my-tasks-baseline"
    meta = json.loads((out / "meta.json").read_text())
    assert (meta["bench"], meta["bench_sha256"]) == (str(path.resolve()), task_file_sha256(path))
    cli.llm = FakeLLM([])
    r = invoke(cli, "batch", str(path), "--mode", "baseline", "--sandbox", "process", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["skipped"] == 2  # same file by another name: resumed
    write_rows(path, HE_ROW, MBPP_CODE_ROW, MBPP_NAMED_ROW)  # the task set changed: not the same run
    r = invoke(cli, "batch", "my-tasks.jsonl", "--mode", "baseline", "--sandbox", "process")
    assert r.exit_code == 2 and "holds a different run: bench_sha256=" in r.stderr
    r = invoke(cli, "eval", out, "--sandbox", "process", "--json")  # re-check: the path loads again
    assert r.exit_code == 0 and json.loads(r.stdout)["passed"] == 1, r.output


def test_retrieval_for_a_task_file_and_mbpp_dev(tmp_path, data_dir):
    from retrieval.api import examples_retriever
    from retrieval.leakage import evaluation_ids

    path = write_rows(tmp_path / "t.jsonl", HE_ROW)
    assert evaluation_ids(str(path.resolve()), data_dir) == frozenset()  # excludes nothing
    dev = {int(p.task_id.split("/")[1]) for p in load_benchmark("mbpp-dev", data_dir)}
    assert evaluation_ids("mbpp-dev", data_dir) == frozenset(("mbpp", i) for i in dev)
    assert evaluation_ids("mbpp-dev", tmp_path) == frozenset(("mbpp", i) for i in range(511, 975))  # no MBPP+ list
    # a path is no index name: the pool for a task file is the full one (BM25 only: embedding it takes a minute)
    retriever = examples_retriever(str(path.resolve()), data_dir, tmp_path / "indexes", mode="bm25")
    assert (tmp_path / "indexes" / "examples-all").is_dir() and retriever.search("reverse a list", 3)
