"""Problem lines (vscode / github) and every refusal of `solve --format`, `test`, `fix` and
`implement` (their in-place function bodies: tests/agents/edit/test_implement.py)."""

import pytest
from typer.testing import CliRunner

from apps.cli import app
from apps.problems_format import Problem, github_line, parse_vscode, render, vscode_line
from tests.apps.chat_fixtures import FIXED, edit_reply, make_repo

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_SANDBOX", "process")
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def one_line_error(result, text):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and text in lines[-1], result.stderr
    assert "Traceback" not in result.output


def test_problem_lines():
    p = Problem("a b/x.py", 7, "assert 1 == 2\nmore", "error", 1, "x.py::t")
    assert vscode_line(p) == "a b/x.py:7:1: error: assert 1 == 2 more [x.py::t]"
    assert parse_vscode(render([p], "vscode")) == [("a b/x.py", 7, 1, "error", "assert 1 == 2 more [x.py::t]")]
    assert github_line(p) == "::error file=a b/x.py,line=7,col=1,title=x.py%3A%3At::assert 1 == 2%0Amore"
    assert github_line(Problem("x.py", 0, "m", "info")) == "::notice file=x.py,line=1,col=1::m"
    assert render([], "vscode") == ["codeloop: run started", "codeloop: run finished"]


def test_solve_format_refusals(runner, tmp_path):
    one_line_error(invoke(runner, "solve", "Write add(a, b).", "--format", "xml"), "'xml' is not one of")
    one_line_error(invoke(runner, "solve", "Write add(a, b).", "--format", "vscode"), "needs a place for its problems")
    one_line_error(invoke(runner, "solve", "Write add(a, b).", "--format", "vscode", "--at", "x.py:0"),
                   "--at must be FILE:LINE")


def test_solve_format_github(runner, stub_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    task = tmp_path / "task.txt"
    task.write_text('def add(a, b):\n    """Return a + b."""\n')  # no visible tests: a warning
    # the first answer is the examples-to-asserts call's (a task without visible tests): nothing
    result = invoke(runner, "solve", "--file", str(task), "--base-url", stub_server(["", GOOD]).base_url,
                    "--format", "github")
    assert result.exit_code == 0 and "def add" in result.stdout
    assert "::warning file=task.txt,line=1,col=1::no visible tests" in result.stdout


def test_implement_refusals_and_backup_outside_git(runner, stub_server, tmp_path):
    one_line_error(invoke(runner, "implement", str(tmp_path / "nope.py"), "--line", "1"), "file not found")
    module = tmp_path / "m.py"
    module.write_text("X = 1\n\ndef mul(a, b):\n    pass\n")
    one_line_error(invoke(runner, "implement", str(module), "--line", "1"), "no function at line 1")
    answer = "```python\ndef mul(a, b):\n    return a * b\n```"
    # the first answer is the examples-to-asserts call's (the stub has no examples): nothing
    result = invoke(runner, "implement", str(module), "--line", "4", "--base-url", stub_server(["", answer]).base_url)
    assert result.exit_code == 0, result.output
    assert module.read_text() == "X = 1\n\ndef mul(a, b):\n    return a * b\n"
    assert (tmp_path / "m.py.bak").read_text() == "X = 1\n\ndef mul(a, b):\n    pass\n"


def test_fix_refuses_your_uncommitted_changes_unless_commit_first(runner, stub_server, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b  # mine\n")
    one_line_error(invoke(runner, "fix"), "calc.py: uncommitted changes of yours would be overwritten")
    server = stub_server([edit_reply("calc.py", FIXED)])
    result = invoke(runner, "fix", "--commit-first", "--base-url", server.base_url, "--format", "github")
    assert result.exit_code == 0 and (repo / "calc.py").read_text() == FIXED
    assert "committed your changes to calc.py first" in result.stderr


def test_fix_without_a_file_to_fix_is_refused(runner, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    (repo / "tests" / "test_calc.py").write_text("def test_x():\n    assert 1 == 2\n")
    monkeypatch.chdir(repo)
    one_line_error(invoke(runner, "fix"), "name the files to fix")
    one_line_error(invoke(runner, "fix", "../elsewhere.py"), "outside the repository")


def test_test_command_reports_and_refuses_outside_git(runner, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    result = invoke(runner, "test", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=tests/test_calc.py,line=5,col=1,title=tests/test_calc.py%3A%3Atest_add::")
    monkeypatch.chdir(tmp_path)
    one_line_error(invoke(runner, "test"), "not inside a git repository")
