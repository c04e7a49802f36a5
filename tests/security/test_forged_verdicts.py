"""Issue 28, item 6: a hostile answer or a hostile built project cannot forge a pass.

- HumanEval+, MBPP+ and HumanEval (via HumanEval+'s base inputs) are judged on the host:
  an answer that walks the stack to the check program's `finish` and calls it with the
  token, one that patches the checker's functions or builtins, and one that returns an
  object whose `__eq__` always says yes all fail (each passed before the host judged).
- build-bench's hidden acceptance tests ignore the project's conftest.py, pytest.ini plugins
  and a `pytest.py` that shadows pytest: the hidden tests report their real failures.

The sandbox is bwrap where it is installed (required when CODELOOP_REQUIRE_SANDBOXES=1, as
in CI), else the process backend. No model is involved: the answers are written here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eval.build_bench import SpecCase, acceptance_check
from eval.evaluate import Evaluator
from eval.problems import get_problem


# Walks up from the candidate's frame to the check program's main(), takes its token and
# result channel, and calls the program's own finisher with a pass for every harness shape.
STACK_WALKER = """
import sys

def {ep}(*args, **kwargs):
    frame = sys._getframe(1)
    while frame is not None:
        names = frame.f_locals
        if "token" in names and "channel" in names:
            finish = frame.f_globals["finish"]
            finish(names["channel"], names["token"],
                   {{"passed": True, "base": True, "plus": True, "failed_input": None, "reason": "",
                     "outputs": [], "error": None}}, 0)
        frame = frame.f_back
    return None
"""

# Finds the finisher through sys.modules and the token through the interpreter's table of
# thread frames, without following f_back from its own frame.
THREAD_FRAMES = """
import sys

def {ep}(*args, **kwargs):
    finish = sys.modules["__main__"].finish
    for top in sys._current_frames().values():
        frame = top
        while frame is not None:
            if "token" in frame.f_locals and "channel" in frame.f_locals:
                finish(frame.f_locals["channel"], frame.f_locals["token"],
                       {{"passed": True, "base": True, "plus": True, "failed_input": None, "reason": ""}}, 0)
            frame = frame.f_back
    return None
"""

# Rewires the checker instead (at its first call: the sanitiser drops top-level code):
# every comparison helper of the program says yes, and builtins the checks lean on lie.
PATCHER = """
import builtins, sys

def {ep}(*args, **kwargs):
    main = sys.modules["__main__"]
    for name, value in list(vars(main).items()):
        if callable(value) and any(w in name for w in ("match", "close", "judge", "compare")):
            setattr(main, name, lambda *a, **k: True)
    builtins.abs = lambda x: 0
    real_isinstance = builtins.isinstance
    builtins.isinstance = lambda obj, cls: True if cls is bool else real_isinstance(obj, cls)
    return None
"""

# Returns an object equal to everything.
LIAR = """
class Yes:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
    def __bool__(self):
        return True

def {ep}(*args, **kwargs):
    return Yes()
"""

ATTACKS = {"stack walker": STACK_WALKER, "thread frames": THREAD_FRAMES, "patcher": PATCHER, "lying __eq__": LIAR}
PROBLEMS = ["humaneval+:HumanEval/0", "mbpp+:Mbpp/2", "humaneval:HumanEval/0", "humaneval+:HumanEval/32"]


def _backend() -> str:
    from sandbox import probe

    if probe("bwrap") is None:
        return "bwrap"
    if os.environ.get("CODELOOP_REQUIRE_SANDBOXES") == "1":
        pytest.fail(f"bwrap sandbox required (CODELOOP_REQUIRE_SANDBOXES=1): {probe('bwrap')}", pytrace=False)
    return "process"


@pytest.fixture(scope="module")
def box():
    from sandbox import make_sandbox

    sb = make_sandbox(_backend())
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def judge(box, tmp_path_factory):
    return Evaluator(box, cache_dir=tmp_path_factory.mktemp("groundtruth"))


@pytest.mark.parametrize("ref", PROBLEMS)
def test_the_canonical_answer_still_passes(ref, data_dir, judge):
    problem = get_problem(ref, data_dir)
    assert problem.differential  # HumanEval too: its base inputs come from HumanEval+
    assert judge.check(problem, problem.canonical_solution)["status"] == "pass"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("ref", PROBLEMS)
def test_a_forged_pass_fails(ref, attack, data_dir, judge):
    problem = get_problem(ref, data_dir)
    verdict = judge.check(problem, ATTACKS[attack].format(ep=problem.entry_point))
    assert verdict["status"] != "pass" and not verdict["passed"] and not verdict["base"], verdict


# ---- build-bench ------------------------------------------------------------------------

HIDDEN = """from calc.ops import add, mul


def test_add():
    assert add(2, 2) == 4


def test_mul():
    assert mul(2, 3) == 6


def test_mul_negative():
    assert mul(-2, 3) == -6
"""

WRONG_CALC = {"calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return 0\n\n\ndef mul(a, b):\n    return 0\n"}

FORGING_HOOK = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""

# Run as `python -m pytest` from the project root, this file IS pytest: it writes a JUnit
# report where every hidden test passed, wherever the command line asks for one.
SHADOW_PYTEST = """import sys
cases = "".join(f'<testcase classname="_acceptance.test_acceptance" name="{n}" time="0"/>'
                for n in ("test_add", "test_mul", "test_mul_negative"))
xml = f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="3">{cases}</testsuite></testsuites>'
for arg in sys.argv:
    if arg.startswith("--junitxml="):
        open(arg.split("=", 1)[1], "w").write(xml)
print("3 passed")
"""

PROJECT_ATTACKS = {
    "conftest.py hook": {"conftest.py": FORGING_HOOK},
    "conftest.py in the hidden tests' folder": {"_acceptance/conftest.py": FORGING_HOOK},
    "pytest.ini plugin": {"pytest.ini": "[pytest]\naddopts = -p forge\n", "forge.py": FORGING_HOOK},
    "pyproject.toml plugin": {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p forge"\n',
                              "forge.py": FORGING_HOOK},
    "pytest.py shadow": {"pytest.py": SHADOW_PYTEST},
}
# These two did not work before either; kept so that a change of the command cannot open them.
GUARDS = {
    "sitecustomize.py": {"sitecustomize.py": "import os\nos.environ['PYTEST_PLUGINS'] = 'forge'\n",
                         "forge.py": FORGING_HOOK},
    "hidden test replaced": {"_acceptance/test_acceptance.py": "def test_add():\n    pass\n",
                             "_codeloop/runner.py": "print('hi')\n", ".codeloop-acceptance-token/x": "0"},
}


def _case(tmp_path: Path) -> SpecCase:
    acceptance = tmp_path / "spec" / "acceptance"
    acceptance.mkdir(parents=True)
    (acceptance / "test_acceptance.py").write_text(HIDDEN, encoding="utf-8")
    (tmp_path / "spec" / "spec.md").write_text("calc\n", encoding="utf-8")
    return SpecCase("calc", tmp_path / "spec" / "spec.md", acceptance)


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    out = tmp_path / "project"
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return out


def test_honest_project_scores_its_real_features(tmp_path, box):
    right = {"calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n"
             "    return a * b if a >= 0 else 0\n"}
    outcome = acceptance_check(box, _project(tmp_path, right), _case(tmp_path))
    assert (outcome["passed"], outcome["total"]) == (2, 3), outcome


@pytest.mark.parametrize("attack", sorted(PROJECT_ATTACKS) + sorted(GUARDS))
def test_a_project_cannot_rewrite_hidden_outcomes(attack, tmp_path, box):
    out = _project(tmp_path, WRONG_CALC | (PROJECT_ATTACKS | GUARDS)[attack])
    outcome = acceptance_check(box, out, _case(tmp_path))
    assert outcome["passed"] == 0 and outcome["total"] == 3 and outcome["features_pct"] == 0.0, outcome
