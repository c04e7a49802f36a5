"""`codeloop build-bench`: builds each spec (scripted model), scores it with hidden
acceptance tests in the sandbox, appends results, and skips finished specs on a rerun."""

import json

import pytest
from typer.testing import CliRunner

from apps.cli import app
from eval.build_bench import SPECS_DIR, discover, lines_of_code
from tests.agents.build.fixtures import ADD, MUL, PLAN, SPEC

HIDDEN = """from calc.ops import add, mul


def test_add():
    assert add(2, 2) == 4


def test_mul():
    assert mul(2, 2) == 4


def test_mul_negative():
    assert mul(-2, 3) == -6


def test_not_written():
    from calc.ops import div  # the spec never asked for it: a feature the build lacks
"""


def test_shipped_specs_have_numbered_requirements_and_hidden_tests():
    cases = discover()
    assert [c.name for c in cases] == ["1_todo", "2_shortener", "3_ini2json", "4_ledger", "5_adventure"]
    assert all(list(c.acceptance.glob("test_*.py")) for c in cases)
    with pytest.raises(ValueError, match="no such spec"):
        discover(SPECS_DIR, ["9_nothing"])


def test_bench_scores_features_and_resumes(scripted, tmp_path):
    specs = tmp_path / "specs"
    (specs / "calc" / "acceptance").mkdir(parents=True)
    (specs / "calc" / "spec.md").write_text(SPEC)
    (specs / "calc" / "acceptance" / "test_hidden.py").write_text(HIDDEN)
    scripted([PLAN, ADD, MUL])
    runs = tmp_path / "runs"
    result = CliRunner().invoke(app, ["build-bench", str(specs), "--out", str(runs), "--sandbox", "process"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    row = json.loads((runs / "results.jsonl").read_text())
    assert row["acceptance"]["passed"] == 3 and row["acceptance"]["total"] == 4
    assert row["acceptance"]["features_pct"] == 75.0 and row["green"] is True
    assert row["own_tests"] == {"passed": 2, "total": 2} and row["steps"] == 2 and row["calls"] == 3
    assert "Total features: 3/4 = 75.0 %" in (runs / "report.md").read_text()
    llm = scripted([])  # a rerun scores nothing again
    assert CliRunner().invoke(app, ["build-bench", str(specs), "--out", str(runs), "--sandbox", "process"]).exit_code == 0
    assert llm.calls == [] and len((runs / "results.jsonl").read_text().splitlines()) == 1


def test_lines_of_code_split_program_and_tests():
    files = {"a/b.py": "x = 1\n\ny = 2\n", "tests/test_b.py": "def test():\n    pass\n", "README.md": "hi\n"}
    assert lines_of_code(files) == {"code": 2, "tests": 2}
