"""The `[llm]` table of the config file (issue 18): a LangChain chat model with its factory's
arguments, shown by `codeloop config` and used by `solve` without `--llm`; a flag or
CODELOOP_LLM still wins, and another spec never gets the table's arguments. The table is the
user's (their config file): a project's own `llm` needs `codeloop trust` (tests/security)."""

import json
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from apps.cli import app
from serving.session import llm_args
from tests.apps.test_config import codeloop, project, shown, user_config  # noqa: F401 (fixture)

pytest.importorskip("langchain_core")

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
TASK = "Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n"
TABLE = '[llm]\nspec = "langchain:lc_cfg_models:make"\nargs = { answer = %s, label = "from-the-table" }\n'


def write_factory(directory) -> None:
    """`make(answer, label)`: a fake chat model that always answers `answer`; it records
    `label` where the test can see that the table's arguments arrived."""
    (directory / "lc_cfg_models.py").write_text(textwrap.dedent("""
        import itertools
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage
        LABELS = []
        def make(answer, label):
            LABELS.append(label)
            return GenericFakeChatModel(messages=itertools.repeat(AIMessage(content=answer)))
    """))


@pytest.fixture
def factory(project, monkeypatch):  # noqa: F811 (fixture)
    monkeypatch.delenv("CODELOOP_LLM_ARGS", raising=False)
    write_factory(project / "src")
    monkeypatch.delitem(sys.modules, "lc_cfg_models", raising=False)
    yield project
    sys.modules.pop("lc_cfg_models", None)


def test_config_shows_the_table(factory, tmp_path):
    user = user_config(tmp_path, TABLE % json.dumps(GOOD))
    assert shown()["llm"] == {"value": {"spec": "langchain:lc_cfg_models:make",
                                        "args": {"answer": GOOD, "label": "from-the-table"}},
                              "source": str(user)}
    listing = CliRunner().invoke(app, ["config"]).stdout
    line = next(line for line in listing.splitlines() if line.startswith("llm "))
    assert "langchain:lc_cfg_models:make (answer=" in line and "label='from-the-table')" in line
    assert shown("--set", "llm=langchain:other:make")["llm"]["value"] == {"spec": "langchain:other:make", "args": {}}


def test_solve_uses_the_table_with_its_args(factory, tmp_path):
    user_config(tmp_path, TABLE % json.dumps(GOOD))
    result = CliRunner().invoke(app, ["solve", TASK, "--sandbox", "process", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "passed" and data["code"].strip() == GOOD.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert sys.modules["lc_cfg_models"].LABELS == ["from-the-table"]


def test_a_plain_string_is_the_spec_and_env_beats_the_file(factory, monkeypatch, tmp_path):
    user_config(tmp_path, 'llm = "langchain:from_file:make"\n')
    assert shown()["llm"]["value"] == {"spec": "langchain:from_file:make", "args": {}}
    monkeypatch.setenv("CODELOOP_LLM", "langchain:from_env:make")
    assert shown()["llm"] == {"value": {"spec": "langchain:from_env:make", "args": {}}, "source": "env CODELOOP_LLM"}


def test_args_apply_only_to_their_own_spec(monkeypatch):
    monkeypatch.setenv("CODELOOP_LLM", "langchain:m:make")
    monkeypatch.setenv("CODELOOP_LLM_ARGS", '{"model": "x"}')
    assert llm_args("langchain:m:make") == {"model": "x"}
    assert llm_args("langchain:other:make") == {}  # --llm on the command line named another model
    monkeypatch.setenv("CODELOOP_LLM_ARGS", "[1]")
    with pytest.raises(ValueError, match="JSON object"):
        llm_args("langchain:m:make")


@pytest.mark.parametrize("module, args, message", [
    ("make = 1\n", "[1]", "CODELOOP_LLM_ARGS must be a JSON object"),
    ("make = 1\n", "{not json", "CODELOOP_LLM_ARGS is not JSON"),
    ("from langchain_core.language_models.fake_chat_models import GenericFakeChatModel\n"
     "make = GenericFakeChatModel(messages=iter([]))\n", '{"a": 1}', "is a chat model, not a factory"),
])
def test_bad_llm_args_are_bad_input_exit_2(factory, tmp_path, module, args, message):
    """Arguments that cannot apply (not a JSON object, or given to a model instance) are the
    user's input: one `error:` line and exit code 2, as `codeloop solve` is run by a person."""
    (factory / "src" / "lc_bad_args.py").write_text(module)
    env = {"CODELOOP_LLM": "langchain:lc_bad_args:make", "CODELOOP_LLM_ARGS": args}
    r = codeloop(factory, tmp_path, "solve", TASK, "--sandbox", "process", env=env)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "internal error" not in r.stderr and "Traceback" not in r.stderr
