"""`codeloop build` through the CLI: the table and exit codes, resume refusals as one-line
errors (exit 2), never a traceback. The model is scripted; the sandbox is the process one."""

import json

from typer.testing import CliRunner

from apps.cli import app
from tests.agents.build.fixtures import ADD, BAD_ADD, BAD_MUL, MUL, PLAN, SPEC


def run(*args):
    return CliRunner().invoke(app, ["build", *map(str, args), "--sandbox", "process"], catch_exceptions=False)


def assert_one_line_error(result, text):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_green_build_prints_the_table_and_exits_0(scripted, spec, tmp_path):
    scripted([PLAN, ADD, MUL])
    result = run(spec, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "requirements → instructions → files / tests" in result.stdout and "full suite: green" in result.stdout
    assert "tests/test_mul.py" in result.stdout and "coder" in result.stderr  # progress on stderr


def test_red_build_exits_1_with_the_table_as_json(scripted, spec, tmp_path):
    scripted([PLAN, BAD_ADD, BAD_ADD, BAD_MUL, BAD_MUL])
    result = run(spec, "--out", tmp_path / "out", "--max-repairs", 1, "--final-rounds", 0, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["green"] is False and data["registry"]["final"]["verdict"] == "red"
    assert [row["instructions"] for row in data["table"]] == [["1:failed"], ["2:failed"]]


def test_bad_inputs_are_one_line_errors(scripted, spec, tmp_path):
    scripted([])
    assert_one_line_error(run(tmp_path / "missing.md", "--out", tmp_path / "o"), "spec not found")
    (tmp_path / "empty.md").write_text(" \n")
    assert_one_line_error(run(tmp_path / "empty.md", "--out", tmp_path / "o"), "spec is empty")
    (tmp_path / "file").write_text("x")
    assert_one_line_error(run(spec, "--out", tmp_path / "file"), "not a directory")
    assert_one_line_error(run(spec, "--out", tmp_path / "o", "--program", tmp_path / "nope.txt"), "program not found")


def test_resume_refusals_are_one_line_errors(scripted, spec, tmp_path):
    out = tmp_path / "out"
    scripted([PLAN, ADD, MUL])
    assert run(spec, "--out", out).exit_code == 0
    scripted([])
    spec.write_text(SPEC + "3. more\n")
    assert_one_line_error(run(spec, "--out", out), "spec changed")
    spec.write_text(SPEC)
    (out / "calc" / "ops.py").write_text("# edited\n")
    assert_one_line_error(run(spec, "--out", out), "--force")
    (out / ".codeloop" / "registry.json").write_text("{broken")
    assert_one_line_error(run(spec, "--out", out), "not a readable registry")
