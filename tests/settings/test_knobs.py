"""Each knob is declared once (settings/knobs.py, issue 29): the Settings fields, the trust
boundary, the CODELOOP_* names, the config-file keys, the commands' options and the rows of
`codeloop config` all come from that one table."""

import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from apps import options
from apps.cli import app
from settings import config, knobs
from settings.knobs import KNOBS, Knob

CODELOOP = Path(sys.executable).with_name("codeloop")  # the console script, as a person runs it
# commands whose --max-repairs is their own loop's (another default, no variable): they share
# the key's config-file value through click's default_map, not the pipeline's option
OWN_MAX_REPAIRS = {"chat", "fix", "implement", "build", "build-bench"}


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No CODELOOP_* from the host, no config files: every knob at its default."""
    for var in [v for v in os.environ if v.startswith("CODELOOP_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "proj" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "proj")
    return tmp_path / "proj"


def commands(group=None, path=()):
    """(command path, click command) for every leaf command of the CLI."""
    group = group or typer.main.get_command(app)
    for name, sub in group.commands.items():
        if hasattr(sub, "commands"):
            yield from commands(sub, (*path, name))
        else:
            yield " ".join((*path, name)), sub


def test_settings_trust_and_pipeline_fields_are_the_tables():
    from agents.state import SolveConfig

    assert list(config.Settings.model_fields) == [k.name for k in KNOBS]
    assert knobs.HARMLESS | knobs.SENSITIVE == {k.name for k in KNOBS} and not knobs.HARMLESS & knobs.SENSITIVE
    for knob in KNOBS:
        assert knob.trust in ("harmless", "sensitive") and knob.why, knob.name  # a class and its reason
        assert knob.help and knob.env == "CODELOOP_" + knob.name.upper()
        assert config.Settings.model_fields[knob.name].default == knob.default, knob.name
        if knob.field:  # a pipeline knob: the SolveConfig field it feeds exists, with the same default
            assert getattr(SolveConfig(), knob.field) == knob.default, knob.name
    assert knobs.PIPELINE["max_calls"] == "max_llm_calls"


def test_every_option_named_after_a_knob_is_generated_from_its_row():
    seen = set()
    for name, command in commands():
        for param in command.params:
            knob = knobs.by_parameter(param.name)
            if knob is None or (param.name == "max_repairs" and name in OWN_MAX_REPAIRS):
                continue
            spelled = [s for flag in knob.flags for s in flag.split("/")]
            assert param.opts + param.secondary_opts == spelled, (name, param.name)
            assert param.envvar == knob.env, (name, param.name)
            seen.add(knob.name)
    assert seen == {k.name for k in KNOBS if k.flags}  # every knob with a flag is on some command
    solve = dict(commands())["solve"]
    assert {p.name for p in solve.params} >= {k.parameter for k in KNOBS if k.flags and k.field}


def test_an_option_takes_its_help_and_bounds_from_the_table():
    info = typing.get_args(options.CandidatesOption)[1]
    knob = knobs.BY_NAME["candidates"]
    # in `Annotated`, typer keeps the first spelling where a default would go
    assert ((info.default, *info.param_decls), info.envvar, info.help, info.min, info.max) == (
        ("--candidates",), "CODELOOP_CANDIDATES", knob.help, 1, 16)
    with pytest.raises(ValueError, match="no CLI flag"):
        options.knob_option("cache_dir")


def test_every_knob_is_a_row_of_codeloop_config_in_a_real_process(clean_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODELOOP_")} | {"CODELOOP_MAX_WALL_S": "90"}
    (clean_env / "codeloop.toml").write_text("max_calls = 5\n")

    def codeloop(*args):
        proc = subprocess.run([str(CODELOOP), *args], cwd=clean_env, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    listed = json.loads(codeloop("config", "--json"))
    assert list(listed) == [k.name for k in KNOBS]  # one row per knob, in the table's order
    assert listed["max_wall_s"] == {"value": 90.0, "source": "env CODELOOP_MAX_WALL_S"}  # its env name
    assert listed["max_calls"] == {"value": 5, "source": str(clean_env / "codeloop.toml")}  # its config key
    rows = codeloop("config").splitlines()[1:]
    assert [row.split()[0] for row in rows] == [k.name for k in KNOBS]
    assert codeloop("config", "--env") == "export CODELOOP_MAX_CALLS=5\n"  # the file's values, as variables


def test_a_knob_added_to_the_table_appears_in_settings_options_and_codeloop_config(clean_env, monkeypatch):
    extra = Knob("tea_breaks", int, 3, "Tea breaks per task.", "harmless", "only the user's patience",
                 ("--tea-breaks",),
                 limits={"min": 0})
    table = (*KNOBS, extra)
    monkeypatch.setattr(knobs, "KNOBS", table)
    monkeypatch.setitem(knobs.BY_NAME, "tea_breaks", extra)
    monkeypatch.setattr(config, "Settings", config.settings_model(table))
    monkeypatch.setenv("CODELOOP_TEA_BREAKS", "4")
    result = CliRunner().invoke(app, ["config", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["tea_breaks"] == {"value": 4, "source": "env CODELOOP_TEA_BREAKS"}
    info = typing.get_args(options.knob_option("tea_breaks"))[1]
    assert ((info.default, *info.param_decls), info.envvar, info.min) == (("--tea-breaks",), "CODELOOP_TEA_BREAKS", 0)


def test_nothing_is_copied_into_the_environment(clean_env, monkeypatch):
    """A config file's value reaches the library through the resolved settings, not os.environ."""
    from settings.cache import cache_root

    (clean_env.parent / "xdg" / "codeloop").mkdir(parents=True)
    (clean_env.parent / "xdg" / "codeloop" / "codeloop.toml").write_text(f'cache_dir = "{clean_env / "c"}"\n')
    before = dict(os.environ)
    result = CliRunner().invoke(app, ["cache", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["root"] == str(clean_env / "c") == str(cache_root())
    assert dict(os.environ) == before
    assert cache_root(clean_env / "given") == clean_env / "given"  # a value passed down wins


def test_the_tables_choice_lists_are_the_libraries():
    from agents.task import VISIBLE_TEST_LEVELS

    assert tuple(knobs.VISIBLE_TESTS) == tuple(VISIBLE_TEST_LEVELS)
    assert typing.get_args(config.Settings.model_fields["visible_tests"].annotation) == knobs.VISIBLE_TESTS
