"""`codeloop sandbox …` through typer's CliRunner: results, JSON, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from apps.errors import OneLineErrors
from apps.sandbox_cmd import sandbox_app
from tests.sandbox.conftest import require_or_skip

app = typer.Typer(cls=OneLineErrors)  # parse errors as one line, like the console script
app.add_typer(sandbox_app, name="sandbox")


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "main.py").write_text("print(open('data.txt').read().strip())\n")
    (tmp_path / "data.txt").write_text("hello\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "secret").write_text("not copied")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(app, ["sandbox", *args])


def test_run_process_prints_output(project):
    res = invoke("run", "--backend", "process", "--", "python", "main.py")
    assert res.exit_code == 0, res.output
    assert "hello" in res.stdout


def test_run_json_is_a_run_result(project):
    listing = "import os; print(sorted(os.listdir()))"
    res = invoke("run", "--backend", "process", "--json", "--", "python", "-c", listing)
    data = json.loads(res.stdout)
    assert data["exit_code"] == 0 and data["backend"] == "process"
    assert "main.py" in data["stdout"] and ".git" not in data["stdout"]


def test_failing_command_exits_1(project):
    res = invoke("run", "--backend", "process", "--", "python", "-c", "raise SystemExit(4)")
    assert res.exit_code == 1


@pytest.mark.parametrize("args, message", [
    (["--timeout", "0"], "invalid sandbox limits"),
    (["--memory", "1"], "invalid sandbox limits"),
    (["--backend", "vm"], "'vm' is not one of 'auto', 'docker', 'bwrap', 'process'"),
])
def test_bad_input_is_one_line_exit_2(project, args, message):
    res = invoke("run", *args, "--", "python", "main.py")
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_no_docker_engine_is_a_one_line_runtime_fault_exit_1(project, monkeypatch):
    """A backend that cannot run here is a runtime fault (apps/errors.py): exit 1 and a hint."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    res = invoke("run", "--backend", "docker", "--", "python", "main.py")
    assert res.exit_code == 1 and "no Docker engine" in res.output and "Traceback" not in res.output
    assert "codeloop sandbox check" in res.output and len(res.output.strip().splitlines()) == 1


def test_missing_image_hints_at_build(project, monkeypatch):
    require_or_skip("docker")
    monkeypatch.setenv("CODELOOP_SANDBOX_IMAGE", "codeloop-sandbox:does-not-exist")
    res = invoke("run", "--backend", "docker", "--", "python", "main.py")
    assert res.exit_code == 1 and "codeloop sandbox build" in res.output


def test_bwrap_not_installed_is_one_line_exit_1(project, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on an empty PATH
    res = invoke("run", "--backend", "bwrap", "--", "python", "main.py")
    assert res.exit_code == 1 and "bwrap is not installed" in res.output


def test_missing_rootfs_hints_at_build(project, monkeypatch, tmp_path):
    monkeypatch.setenv("CODELOOP_SANDBOX_ROOTFS", str(tmp_path / "nope"))
    res = invoke("run", "--backend", "bwrap", "--", "python", "main.py")
    assert res.exit_code == 1 and "codeloop sandbox build" in res.output


def test_auto_explains_its_choice(project, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("CODELOOP_SANDBOX_ROOTFS", str(tmp_path / "nope"))
    res = invoke("run", "--", "python", "main.py")
    assert res.exit_code == 0
    assert "auto chose process" in res.output and "docker unavailable" in res.output


def test_check_json_lists_every_backend():
    res = invoke("check", "--json")
    assert res.exit_code == 0
    names = [s["name"] for s in json.loads(res.stdout)]
    assert names == ["docker", "bwrap", "process"]


def test_build_with_unknown_method_is_one_line_exit_2():
    res = invoke("build", "--method", "bogus")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_too_many_files_is_bad_input_exit_2(project, monkeypatch):
    monkeypatch.setattr("apps.sandbox_cmd.MAX_FILES", 1)
    res = invoke("run", "--backend", "process", "--", "python", "main.py")
    assert res.exit_code == 2 and "too many or too large files" in res.output


def test_a_sandbox_fault_through_the_console_script_exits_1(project):
    """As a person runs it: `codeloop sandbox run` on a Docker engine that is not there."""
    exe = Path(sys.executable).with_name("codeloop")
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    r = subprocess.run([str(exe), "sandbox", "run", "--backend", "docker", "--", "python", "main.py"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.startswith("error: no Docker engine") and "Traceback" not in r.stderr
