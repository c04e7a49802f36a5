"""Issue 28, item 8: cost attacks through a task's text. Mining a task for visible tests
must stay linear in its length (a text of `Input:` × N took O(N²)); a task over the size cap,
or nested deeper than the parsers go, is one line with exit code 2 — never a traceback,
never minutes.

Complexity is asserted without wall-clock flakiness: the CPU time of the process (best of
five) for 4N against N must grow less than 6× (linear: 4×; the old quadratic code: 16×)."""

import json
import logging
import time

import pytest
import typer
from typer.testing import CliRunner

import apps.batch_cmd as batch_cmd
from agents.examples import example_asserts
from agents.task import task_from_text
from apps.cli import app as cli_app
from apps.errors import OneLineErrors
from eval.taskfile import MAX_TASK_CHARS, TaskFileError, load_task_file

DOC = 'def f(x):\n    """'
# Crafted task texts, each once quadratic (or worse) somewhere in extraction.
SHAPES = {
    "input without output": lambda n: DOC + "Input: 1\n" * n + '"""\n',
    "one long output line": lambda n: DOC + "Input: 1\nOutput: " + "1 " * n + '"""\n',
    "calls never closed": lambda n: DOC + "f(" * n + '"""\n',
    "for without should be": lambda n: DOC + "for x = 1 " * n + '"""\n',
    "blank lines": lambda n: DOC + "\n" * n + '"""\n',
    "one line of calls": lambda n: DOC + "f(1)==" * (n // 8) + '"""\n',
    "values that never parse": lambda n: DOC + ("f(1) == " + "1 " * 900 + "\n") * (n // 200) + '"""\n',
}
N = 2000


def cpu_seconds(text: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        task_from_text(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("shape", SHAPES)
def test_extraction_time_grows_linearly(shape, caplog):
    caplog.set_level(logging.ERROR)
    make = SHAPES[shape]
    task_from_text(make(N))  # warm caches (imports, compiled regexes)
    small, large = cpu_seconds(make(N)), cpu_seconds(make(4 * N))
    assert large < 6 * max(small, 0.002), (shape, small, large)


def test_the_work_budget_stops_only_crafted_texts(caplog):
    # values that parse at no length but their first: every shorter prefix is tried, each
    # a parse; the budget (linear in the text) runs out and mining stops
    assert example_asserts(("f(1) == " + "1 " * 900 + "\n") * 100, "f") == []
    assert "too costly" in caplog.text
    # the densest legit text (an example a line) keeps every example
    text = "".join(f"f({i}) == {i + 1}\n" for i in range(20000))
    assert len(example_asserts(text, "f")) == 20000


def test_input_output_blocks_are_found_as_before():
    text = "Input: 1\nInput: x = [1, 2]\nOutput: 3\nInput:\n  2\nOutput:  4  \nOutput: 5\n"
    assert example_asserts(text, "f") == ["assert f([1, 2]) == 3", "assert f(2) == 4"]


def test_a_text_nested_too_deeply_for_the_parser_is_no_crash():
    deep = "-" * 100_000 + "1"  # ast.parse raises MemoryError on it; 1+1+... RecursionError
    task = task_from_text(f"Write f(x).\nassert f({deep}) == 2\nassert f(1) == {'+'.join(['1'] * 100_000)}\n")
    assert task.asserts == []


def write_rows(path, *rows):
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


GOOD_ROW = {"task_id": "t/0", "prompt": "def f(x):\n    pass\n", "entry_point": "f",
            "test": "def check(candidate):\n    assert candidate(1) is None\n"}


@pytest.mark.parametrize("bad,message", [
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
    ({**GOOD_ROW, "task_id": "t/1", "test": "def check(candidate):\n    x = " + "-" * 100_000 + "1\n"},
     "'test' is not valid Python (nested too deeply to parse)"),
    ({"task_id": "t/1", "text": "f", "test_list": ["assert f(1) == " + "+".join(["1"] * 60_000)]},
     "'test_list' item 1 is not valid Python (nested too deeply to parse)"),
    ({**GOOD_ROW, "task_id": "t/1", "prompt": "x" * MAX_TASK_CHARS}, f"a task may have at most {MAX_TASK_CHARS:,}"),
])
def test_a_bad_task_file_row_is_one_line(tmp_path, bad, message):
    path = write_rows(tmp_path / "tasks.jsonl", GOOD_ROW, bad)
    with pytest.raises(TaskFileError) as info:
        load_task_file(path)
    assert str(info.value).startswith("tasks.jsonl line 2") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_nested_task_file_is_exit_2_through_the_cli(tmp_path):
    path = write_rows(tmp_path / "tasks.jsonl", GOOD_ROW, "[" * 100_000 + "]" * 100_000)
    app = typer.Typer(cls=OneLineErrors)
    batch_cmd.register(app)
    r = CliRunner().invoke(app, ["batch", str(path), "--mode", "baseline", "--out", str(tmp_path / "run")])
    assert r.exit_code == 2, r.output
    line, = r.stderr.strip().splitlines()
    assert "nested too deeply" in line and "Traceback" not in r.output


@pytest.mark.parametrize("how", ["text", "file"])
def test_solve_refuses_a_task_over_the_cap(tmp_path, monkeypatch, how):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    text = "Write f(x).\n" + "Input: 1\n" * (MAX_TASK_CHARS // 9 + 1)
    path = tmp_path / "task.txt"
    path.write_text(text)
    args = [text] if how == "text" else ["--file", str(path)]
    r = CliRunner().invoke(cli_app, ["solve", *args, "--base-url", "http://127.0.0.1:9/v1"])
    assert r.exit_code == 2, r.output
    line, = r.stderr.strip().splitlines()
    assert f"a task may have at most {MAX_TASK_CHARS:,}" in line and "Traceback" not in r.output
