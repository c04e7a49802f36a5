"""One configuration (issue 17, item 2): flag > CODELOOP_* env > codeloop.toml (project) >
[tool.codeloop] in pyproject.toml > codeloop.toml (user config dir) > default, shown by
`codeloop config` and used by the commands."""

import json

import pytest
from typer.testing import CliRunner

from apps.cli import app
from settings.config import Settings

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
TASK = "Write add(a, b).\nassert add(1, 2) == 3\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CODELOOP_{name.upper()}", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    monkeypatch.chdir(root / "src")  # the project is found from a sub-folder
    return root


def shown(*args) -> dict:
    result = CliRunner().invoke(app, ["config", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_each_source_wins_over_the_next(project, tmp_path, monkeypatch):
    assert shown()["model"] == {"value": None, "source": "default"}
    user = tmp_path / "xdg" / "codeloop" / "codeloop.toml"
    user.parent.mkdir(parents=True)
    user.write_text('model = "from-user"\nport = 9001\n')
    assert shown()["model"] == {"value": "from-user", "source": str(user)}
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.codeloop]\nmodel = "from-pyproject"\n')
    assert shown()["model"] == {"value": "from-pyproject", "source": f"{project / 'pyproject.toml'} [tool.codeloop]"}
    (project / "codeloop.toml").write_text('model = "from-project"\n')
    assert shown()["model"] == {"value": "from-project", "source": str(project / "codeloop.toml")}
    monkeypatch.setenv("CODELOOP_MODEL", "from-env")
    assert shown()["model"] == {"value": "from-env", "source": "env CODELOOP_MODEL"}
    data = shown("--set", "model=from-flag")
    assert data["model"] == {"value": "from-flag", "source": "flag"}
    assert data["port"] == {"value": 9001, "source": str(user)}  # other keys keep their own source
    assert data["sandbox"] == {"value": "auto", "source": "default"}


def test_plain_listing_names_the_files(project):
    (project / "codeloop.toml").write_text('sandbox = "process"\n')
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0 and f"config files: {project / 'codeloop.toml'}" in result.stdout
    assert any(line.split()[:2] == ["sandbox", "process"] and line.endswith("codeloop.toml")
               for line in result.stdout.splitlines())


@pytest.mark.parametrize("setup, message", [
    (lambda p, m: (p / "codeloop.toml").write_text('sandbox = "chroot"\n'), "sandbox='chroot'"),
    (lambda p, m: (p / "codeloop.toml").write_text("port = [\n"), "cannot read configuration"),
    (lambda p, m: m.setenv("CODELOOP_PORT", "eighty"), "CODELOOP_PORT='eighty'"),
])
def test_bad_configuration_is_a_one_line_error_for_every_command(project, monkeypatch, setup, message):
    setup(project, monkeypatch)
    for args in (["config"], ["solve", "x"], ["cache"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_unknown_set_key_is_refused(project):
    result = CliRunner().invoke(app, ["config", "--set", "colour=blue"])
    assert result.exit_code == 2 and "unknown setting(s): colour" in result.stderr


def test_solve_takes_the_file_then_env_then_flag(project, stub_server, monkeypatch):
    (project / "codeloop.toml").write_text('sandbox = "process"\nmax_repairs = 0\n')

    def sandbox_line(*extra):
        server = stub_server([GOOD] * 3)
        result = CliRunner().invoke(app, ["solve", TASK, "--base-url", server.base_url, "--quiet", *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return next(line for line in result.stdout.splitlines() if line.startswith("sandbox: "))

    assert sandbox_line() == "sandbox: process: requested"  # from the project file
    monkeypatch.setenv("CODELOOP_SANDBOX", "auto")
    assert sandbox_line().startswith("sandbox: auto chose")  # env over file
    assert sandbox_line("--sandbox", "process") == "sandbox: process: requested"  # flag over env


def test_settings_defaults_are_the_pipelines_defaults():
    from agents.state import SolveConfig

    s, pipeline = Settings(), SolveConfig()
    assert (s.max_repairs, s.candidates, s.gen_tests, s.max_calls) == (
        pipeline.max_repairs, pipeline.candidates, pipeline.gen_tests, pipeline.max_llm_calls)
    assert (s.confirm_samples, s.explore_samples, s.sample_temperature, s.max_total_tokens, s.max_wall_s) == (
        pipeline.confirm_samples, pipeline.explore_samples, pipeline.sample_temperature, pipeline.max_total_tokens,
        pipeline.max_wall_s)


def test_a_file_value_reaches_code_that_reads_its_variable_and_is_taken_back(project, monkeypatch, tmp_path):
    monkeypatch.delenv("CODELOOP_CACHE_DIR")
    (project / "codeloop.toml").write_text(f'cache_dir = "{tmp_path / "from-file"}"\n')
    result = CliRunner().invoke(app, ["cache", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["root"] == str(tmp_path / "from-file")
    import os
    assert "CODELOOP_CACHE_DIR" not in os.environ  # only for that command
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "from-env"))  # env still wins over the file
    result = CliRunner().invoke(app, ["cache", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["root"] == str(tmp_path / "from-env")


def test_solve_takes_pipeline_knobs_from_the_file(project, stub_server):
    (project / "codeloop.toml").write_text('sandbox = "process"\nconfirm_samples = 1\n')
    server = stub_server([GOOD] * 3)
    result = CliRunner().invoke(app, ["solve", TASK, "--base-url", server.base_url, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sampler = next(e for e in json.loads(result.stdout)["events"] if e["agent"] == "sampler")
    assert sampler["samples"] == 1  # greedy passed: one confirming sample, as the file says
