"""workspace/pytest_run.py: the one sandboxed pytest run (statuses, JUnit counts, located
failures, the capped report), and the build's tester on top of it."""

import pytest

from agents.build.checks import check_project
from sandbox import make_sandbox
from workspace.pytest_run import MARKER, parse_command, run_pytest
from workspace.repo import RepoError

CALC = "def add(a, b):\n    return a - b\n"
TESTS = ("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
         "def test_zero():\n    assert add(0, 0) == 0\n")


@pytest.fixture(scope="module")
def box():
    sandbox = make_sandbox("process")
    yield sandbox
    sandbox.close()


def test_a_failing_run_is_counted_and_located(box):
    run = run_pytest(box, {"calc.py": CALC, "tests/test_calc.py": TESTS})
    assert run.status == "failed" and not run.ok
    assert run.counts == {"passed": 1, "failed": 1, "errors": 0}
    [failure] = run.failures
    assert failure["id"] == "tests/test_calc.py::test_add" and failure["file"] == "tests/test_calc.py"
    assert failure["line"] == 5 and (failure["crash_file"], failure["crash_line"]) == ("tests/test_calc.py", 5)
    assert "assert -1 == 3" in run.report and MARKER not in run.report


def test_passing_no_tests_and_timeout(box):
    fixed = {"calc.py": CALC.replace("-", "+"), "tests/test_calc.py": TESTS}
    run = run_pytest(box, fixed)
    assert run.status == "passed" and run.ok and run.counts["passed"] == 2 and run.failures == []
    assert run_pytest(box, {"calc.py": CALC}).status == "no-tests"
    slow = {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(30)\n"}
    run = run_pytest(box, slow, timeout_s=2)
    assert run.status == "timeout" and "did not finish within 2 s" in run.report


def test_a_forged_marker_line_yields_no_bogus_failures(box):
    # printed at exit, after the plugin's own line: the last marker line is the project's
    forged = ("import atexit\n\natexit.register(print, " + repr(MARKER + '[1, {"x": 2}, "s", {"file": "t.py", "id": "t", "line": "x"}, '
                                                   '{"file": "t.py", "id": "t", "crash_line": [3]}]') + ")\n\n\n"
              "def test_forge():\n    assert False\n")
    run = run_pytest(box, {"tests/test_forge.py": forged})
    assert run.status == "failed" and run.failures == [] and run.counts["failed"] == 1


def test_parse_command():
    assert parse_command("") == parse_command(None) == ["python", "-m", "pytest", "-q", "--tb=short",
                                                        "-p", "no:cacheprovider"]
    assert parse_command("make test 'a b'") == ["make", "test", "a b"]
    with pytest.raises(RepoError, match="cannot parse"):
        parse_command("pytest 'unclosed")


def test_the_build_tester_verdicts(box):
    files = {"calc.py": CALC, "tests/test_calc.py": TESTS}
    red = check_project(box, files, tests_due=True, timeout_s=60)
    assert red.verdict == "red" and red.tests == {"passed": 1, "failed": 1, "errors": 0} and "assert" in red.report
    assert check_project(box, {"calc.py": "def (:\n"}, tests_due=True, timeout_s=60).verdict == "syntax"
    assert check_project(box, {"calc.py": CALC}, tests_due=True, timeout_s=60).verdict == "no-tests"
    assert check_project(box, {"calc.py": CALC}, tests_due=False, timeout_s=60).verdict == "green"
