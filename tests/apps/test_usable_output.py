"""Output you can use: code printed whole, `--out`, `--version`, validated choices, and
parse errors as one `error:` line (issue 17, item 5)."""

import io
import subprocess
import sys
import typing

import pytest
from rich.console import Console
from typer.testing import CliRunner

from apps import options
from apps.cli import app
from apps.solve_cmd import print_code

LONG = "x = '" + "a" * 200 + "'"  # a 200-column line inside the function
CODE = f"def add(a, b):\n    {LONG}\n    return a + b\n"
ANSWER = f"```python\n{CODE}```"
TASK = "Write add(a, b).\nassert add(1, 2) == 3\n"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    monkeypatch.delenv("CODELOOP_SANDBOX", raising=False)
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_solve_prints_a_200_column_line_whole_when_not_a_tty(runner, stub_server, tmp_path):
    server = stub_server([ANSWER] * 3)
    out = tmp_path / "add.py"
    result = invoke(runner, "solve", TASK, "--base-url", server.base_url, "--sandbox", "process", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"    {LONG}\n" in result.stdout  # whole, on one line, no colour codes
    assert "\x1b[" not in result.stdout
    assert out.read_text() == CODE and f"wrote the code to {out}" in result.stderr


def test_solve_out_to_an_unwritable_path_is_a_one_line_error(runner, stub_server, tmp_path):
    server = stub_server([ANSWER] * 3)
    out = tmp_path / "sub" / "add.py"
    result = invoke(runner, "solve", TASK, "--base-url", server.base_url, "--sandbox", "process", "--json",
                    "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith("error: cannot write")  # no such folder: one line


def test_code_on_a_terminal_is_soft_wrapped_not_cropped():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=60, color_system=None)
    print_code(console, CODE)
    assert LONG in buf.getvalue()  # one logical line; the terminal wraps it


def test_version(runner):
    result = invoke(runner, "--version")
    assert result.exit_code == 0 and result.stdout.startswith("codeloop ")


@pytest.mark.parametrize("args, text", [
    (["solve", "x", "--sandbox", "bogus"], "'bogus' is not one of 'auto', 'docker', 'bwrap', 'process'"),
    (["solve", "x", "--retrieval", "web"], "'web' is not one of 'none', 'examples', 'docs', 'all'"),
    (["batch", "humaneval", "--mode", "fast"], "'fast' is not one of 'pipeline', 'baseline'"),
    (["serve", "--engine", "ollama"], "'ollama' is not one of 'llama-server'"),
    (["solve", "x", "--format", "xml"], "'xml' is not one of 'text', 'vscode', 'github'"),
    (["solve", "x", "--no-such-flag"], "No such option: --no-such-flag"),
    (["solve", "x", "--max-repairs", "99"], "--max-repairs"),
    (["no-such-command"], "No such command"),
])
def test_parse_errors_are_one_line_with_exit_code_2(runner, args, text):
    result = invoke(runner, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], result.stderr
    assert "Traceback" not in result.output and "╭" not in result.output


def test_env_var_choices_are_validated_too(runner, monkeypatch):
    monkeypatch.setenv("CODELOOP_SANDBOX", "chroot")
    result = invoke(runner, "solve", "x")
    assert result.exit_code == 2 and "CODELOOP_SANDBOX" in result.stderr and "'chroot'" in result.stderr


def test_choice_lists_match_the_libraries():
    from retrieval.api import RETRIEVAL_CHOICES
    from sandbox import BACKENDS
    from serving.engines import ENGINES
    from apps.problems_format import FORMATS

    assert typing.get_args(options.SandboxName) == ("auto", *BACKENDS)
    assert typing.get_args(options.EngineName) == ENGINES
    assert typing.get_args(options.RetrievalChoice) == RETRIEVAL_CHOICES
    assert typing.get_args(options.OutputFormat) == FORMATS


def test_console_script_parse_error_is_one_line():
    proc = subprocess.run([sys.executable, "-c", "from apps.cli import main; main()", "batch", "x", "--mode", "y"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
