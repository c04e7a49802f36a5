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
