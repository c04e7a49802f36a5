"""One configuration (issue 17, item 2): flag > CODELOOP_* env > codeloop.toml (project) >
[tool.codeloop] in pyproject.toml > codeloop.toml (user config dir) > default, shown by
`codeloop config` and used by the commands. (A project's files set only harmless knobs
unless trusted: tests/security/test_config_trust.py; the sensitive ones here come from the
user config.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

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


def user_config(tmp_path: Path, text: str) -> Path:
    """Write the user config file (under the fixture's XDG_CONFIG_HOME)."""
    user = tmp_path / "xdg" / "codeloop" / "codeloop.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(text)
    return user


def test_each_source_wins_over_the_next(project, tmp_path, monkeypatch):
    assert shown()["max_calls"] == {"value": 12, "source": "default"}
    user = user_config(tmp_path, 'max_calls = 21\nport = 9001\n')
    assert shown()["max_calls"] == {"value": 21, "source": str(user)}
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.codeloop]\nmax_calls = 22\n')
    assert shown()["max_calls"] == {"value": 22, "source": f"{project / 'pyproject.toml'} [tool.codeloop]"}
    (project / "codeloop.toml").write_text('max_calls = 23\n')
    assert shown()["max_calls"] == {"value": 23, "source": str(project / "codeloop.toml")}
    monkeypatch.setenv("CODELOOP_MAX_CALLS", "24")
    assert shown()["max_calls"] == {"value": 24, "source": "env CODELOOP_MAX_CALLS"}
    data = shown("--set", "max_calls=25")
    assert data["max_calls"] == {"value": 25, "source": "flag"}
    assert data["port"] == {"value": 9001, "source": str(user)}  # other keys keep their own source
    assert data["sandbox"] == {"value": "auto", "source": "default"}


def test_plain_listing_names_the_files(project):
    (project / "codeloop.toml").write_text('retrieval = "docs"\n')
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0 and f"config files: {project / 'codeloop.toml'}" in result.stdout
    assert any(line.split()[:2] == ["retrieval", "docs"] and line.endswith("codeloop.toml")
               for line in result.stdout.splitlines())


@pytest.mark.parametrize("setup, message", [
    (lambda p, m: (p / "codeloop.toml").write_text('visible_tests = "some"\n'), "visible_tests='some'"),
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


def test_solve_takes_the_file_then_env_then_flag(project, stub_server, monkeypatch, tmp_path):
    user_config(tmp_path, 'sandbox = "process"\n')  # the user's own file: a project's is refused unless trusted
    (project / "codeloop.toml").write_text('max_repairs = 0\n')

    def sandbox_line(*extra):
        server = stub_server([GOOD] * 3)
        result = CliRunner().invoke(app, ["solve", TASK, "--base-url", server.base_url, "--quiet", *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return next(line for line in result.stdout.splitlines() if line.startswith("sandbox: "))

    assert sandbox_line() == "sandbox: process: requested"  # from the user's file
    monkeypatch.setenv("CODELOOP_SANDBOX", "auto")
    assert sandbox_line().startswith("sandbox: auto chose")  # env over file
    assert sandbox_line("--sandbox", "process") == "sandbox: process: requested"  # flag over env


def test_every_pipeline_knob_is_a_setting_with_the_pipelines_default(project):
    from agents.state import SolveConfig
    from settings.config import load
    from settings.knobs import PIPELINE

    s, pipeline = load()[0], SolveConfig()
    assert len(PIPELINE) == 15 and PIPELINE["max_calls"] == "max_llm_calls"
    for name, field in PIPELINE.items():  # no knob is environment-only: `codeloop config` lists each
        assert name in Settings.model_fields, name
        assert getattr(s, name) == getattr(pipeline, field), name
    assert SolveConfig.from_settings(s) == pipeline


def test_a_files_false_reaches_the_pipeline_and_an_empty_variable_is_unset(project, monkeypatch):
    from agents.state import SolveConfig
    from settings.config import current, load_report, settings_env

    (project / "codeloop.toml").write_text("select_by_outputs = false\nrepair_runtime_only = false\n")
    config = SolveConfig.from_settings(current())  # the resolved settings passed down, not the environment
    assert (config.select_by_outputs, config.repair_runtime_only, config.adaptive) == (False, False, True)
    assert not any(var.startswith("CODELOOP_SELECT") for var in os.environ)
    assert settings_env(load_report(), files_only=True)["CODELOOP_SELECT_BY_OUTPUTS"] == "0"  # `codeloop config --env`'s reading
    monkeypatch.setenv("CODELOOP_ADAPTIVE", "")  # as before: empty means unset, for every command
    assert shown()["adaptive"] == {"value": True, "source": "default"}


def test_yes_no_variables_read_one_way(project, monkeypatch):
    from settings.config import ConfigError, current
    from settings.env import env_flag, yes_no
    from settings.errors import BadInput

    for value, meant in [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("false", False),
                         ("no", False), ("Off", False)]:
        monkeypatch.setenv("CODELOOP_OFFLINE", value)
        monkeypatch.setenv("CODELOOP_ADAPTIVE", value)
        # the settings (every boolean knob) and the helper for other variables agree
        assert env_flag("CODELOOP_OFFLINE") is meant is current().offline is current().adaptive, value
    monkeypatch.setenv("CODELOOP_OFFLINE", "maybe")  # neither: a knob says so in one line naming it
    with pytest.raises(ConfigError, match="CODELOOP_OFFLINE='maybe'.*offline='maybe' is not yes or no"):
        current()
    with pytest.raises(BadInput, match="CODELOOP_OFFLINE='maybe'"):
        yes_no("maybe", "CODELOOP_OFFLINE")
    # a third-party variable is read as its owner reads it (huggingface_hub: a yes spelling or no)
    monkeypatch.setenv("HF_HUB_OFFLINE", "2")
    assert env_flag("HF_HUB_OFFLINE") is False


def test_a_file_value_reaches_code_that_reads_its_variable_and_is_taken_back(project, monkeypatch, tmp_path):
    monkeypatch.delenv("CODELOOP_CACHE_DIR")
    user_config(tmp_path, f'cache_dir = "{tmp_path / "from-file"}"\n')
    result = CliRunner().invoke(app, ["cache", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["root"] == str(tmp_path / "from-file")
    import os
    assert "CODELOOP_CACHE_DIR" not in os.environ  # only for that command
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "from-env"))  # env still wins over the file
    result = CliRunner().invoke(app, ["cache", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["root"] == str(tmp_path / "from-env")


def test_solve_takes_pipeline_knobs_from_the_file(project, stub_server):
    (project / "codeloop.toml").write_text('confirm_samples = 1\n')
    server = stub_server([GOOD] * 3)
    result = CliRunner().invoke(app, ["solve", TASK, "--base-url", server.base_url, "--sandbox", "process", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sampler = next(e for e in json.loads(result.stdout)["events"] if e["agent"] == "sampler")
    assert sampler["samples"] == 1  # greedy passed: one confirming sample, as the file says


CODELOOP = Path(sys.executable).with_name("codeloop")  # the console script, as a person runs it


def codeloop(project: Path, tmp_path: Path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`codeloop ARGS` in a fresh process from inside the project, without the host's CODELOOP_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CODELOOP_")}
    base |= {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "CODELOOP_CACHE_DIR": str(tmp_path / "cache"),
             "CODELOOP_OFFLINE": "1"} | (env or {})
    return subprocess.run([str(CODELOOP), *args], cwd=project / "src", env=base, capture_output=True, text=True,
                          timeout=300)


def test_a_pipeline_knob_from_file_env_and_flag_in_a_real_process(project, tmp_path, stub_server):
    (project / "codeloop.toml").write_text('confirm_samples = 1\n')

    def confirm_samples(*flags, env=None):
        server = stub_server([GOOD] * 8)
        proc = codeloop(project, tmp_path, "solve", TASK, "--base-url", server.base_url, "--sandbox", "process",
                        "--json", *flags, env=env)
        assert proc.returncode == 0, proc.stderr
        sampler = next(e for e in json.loads(proc.stdout)["events"] if e["agent"] == "sampler")
        return sampler["samples"]

    assert confirm_samples() == 1  # the project's codeloop.toml
    assert confirm_samples(env={"CODELOOP_CONFIRM_SAMPLES": "3"}) == 3  # the variable over the file
    assert confirm_samples("--confirm-samples", "2", env={"CODELOOP_CONFIRM_SAMPLES": "3"}) == 2  # the flag over both
    listed = codeloop(project, tmp_path, "config", "--json", env={"CODELOOP_CONFIRM_SAMPLES": "3"})
    assert json.loads(listed.stdout)["confirm_samples"] == {"value": 3, "source": "env CODELOOP_CONFIRM_SAMPLES"}
    listed = codeloop(project, tmp_path, "config", "--json")
    assert json.loads(listed.stdout)["confirm_samples"] == {"value": 1, "source": str(project / "codeloop.toml")}


def setup_lines(script: str, first: str, last: str) -> str:
    """The lines of scripts/SCRIPT from the one starting with `first` to the one starting with `last`."""
    lines = (Path(__file__).resolve().parents[2] / "scripts" / script).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith(last))
    return "\n".join(lines[start:end + 1])


def test_setup_sh_takes_the_cache_root_from_the_config_file(project, tmp_path):
    """scripts/setup.sh's own lines, run as it runs them: the cache root it builds llama-server
    and fetches the model into is the configured one, not only $CODELOOP_CACHE_DIR's."""
    steps = setup_lines("setup.sh", "config_env=", "CACHE=")
    assert "cache_root()" in steps and "config --env" in steps
    # sandbox-setup.sh (the rootfs) reads the same before its first python step
    sandbox_setup = setup_lines("sandbox-setup.sh", "config_env=", 'eval "$config_env"')
    assert "config --env" in sandbox_setup
    script = f'set -euo pipefail\nVENV={Path(sys.executable).parent.parent}\n{steps}\necho "$CACHE"\n'
    base = {k: v for k, v in os.environ.items() if not k.startswith("CODELOOP_")}
    base["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")

    def cache_root(env=None):
        proc = subprocess.run(["bash", "-c", script], cwd=project / "src", env=base | (env or {}),
                              capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()

    user = user_config(tmp_path, f'cache_dir = "{tmp_path / "from file"}"\n')
    assert cache_root() == (0, str(tmp_path / "from file"), "")
    assert cache_root({"CODELOOP_CACHE_DIR": str(tmp_path / "env")})[1] == str(tmp_path / "env")  # env still wins
    user.write_text('cache_dir = [\n')
    code, out, err = cache_root()
    assert code != 0 and out == "" and err.startswith("error: cannot read configuration")  # stops, in one line
