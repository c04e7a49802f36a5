"""A pass needs proof that the tests finished: no process-ending trick in a wrong answer can
turn into a pass, for every benchmark family — through the evaluator (which sanitises
first) and at the harness level on the raw answer (the token alone must stop it)."""

import pytest

from eval.harness import TOKEN_FILE, build_program, run_program
from eval.plus import check_plus
from eval.problems import get_problem
from sandbox.base import Limits

FAMILIES = ["humaneval:HumanEval/0", "mbpp:Mbpp/11", "humaneval+:HumanEval/0", "mbpp+:Mbpp/2"]
WRONG = "def {ep}(*args):\n    return None\n"
FORGED = '__CODELOOP_RESULT__ {"passed": true, "base": true, "plus": true, "failed_input": null, "reason": ""}'

TRICKS = {
    "sys.exit(0) at top level": "import sys\n" + WRONG + "sys.exit(0)\n",
    "sys.exit(0) in the function": "import sys\ndef {ep}(*args):\n    sys.exit(0)\n",
    "sys.exit(1) in the function": "import sys\ndef {ep}(*args):\n    sys.exit(1)\n",
    "sys.exit('ok') in the function": "import sys\ndef {ep}(*args):\n    sys.exit('ok')\n",
    "raise SystemExit": "def {ep}(*args):\n    raise SystemExit\n",
    "os._exit(0) at top level": "import os\n" + WRONG + "os._exit(0)\n",
    "os._exit(0) in the function": "import os\ndef {ep}(*args):\n    os._exit(0)\n",
    "unittest.main() at top level": "import unittest\n" + WRONG + "unittest.main()\n",
    "unittest.main() in the function": "import unittest\ndef {ep}(*args):\n    unittest.main(argv=['x'])\n",
    "pytest.main()": WRONG + "import pytest\nraise SystemExit(pytest.main(['-q', '--co']))\n",
    "__main__ block": WRONG + "if __name__ == '__main__':\n    import unittest\n    unittest.main()\n",
    "__name__ forced to __main__": "__name__ = '__main__'\n" + WRONG + "if __name__ == '__main__':\n    import os\n    os._exit(0)\n",
    "atexit hook exits 0": "import atexit, os\natexit.register(lambda: os._exit(0))\n" + WRONG,
    "os._exit replaced": "import os\nos._exit = lambda code: None\n" + WRONG,
    "stdout closed": "import os, sys\n" + WRONG + "sys.stdout.close()\nos.close(1)\n",
    "stdout closed, then exit 0": "import os\ndef {ep}(*args):\n    os.close(1)\n    os._exit(0)\n",
    "forged result line": ("import os, sys\ndef {ep}(*args):\n    line = " + repr(FORGED) + "\n"
                           "    print(line, file=sys.__stdout__, flush=True)\n"
                           "    os.write(1, (line + '\\n').encode())\n    os._exit(0)\n"),
}


def _raw_verdict(problem, code, evaluator):
    """The harness's own answer on unsanitised code: passed only with a stamped pass line."""
    if problem.has_plus:
        result, run = check_plus(problem, code, evaluator.truth(problem), evaluator.sandbox)
        return bool(result and result.get("plus")) and run.ok
    program = build_program("base_harness.py", problem.base_payload(code))
    result, run = run_program(evaluator.sandbox, program, Limits(timeout_s=10))
    return bool(result and result.get("passed")) and run.ok


@pytest.mark.parametrize("ref", FAMILIES)
def test_the_right_answer_passes(ref, data_dir, evaluator):
    p = get_problem(ref, data_dir)
    assert evaluator.check(p, p.canonical_solution)["status"] == "pass"
    assert _raw_verdict(p, p.canonical_solution, evaluator)


@pytest.mark.parametrize("trick", sorted(TRICKS))
@pytest.mark.parametrize("ref", FAMILIES)
def test_a_trick_never_passes(ref, trick, data_dir, evaluator):
    p = get_problem(ref, data_dir)
    code = TRICKS[trick].replace("{ep}", p.entry_point)
    verdict = evaluator.check(p, code)
    assert not verdict["passed"] and verdict["status"] != "pass", verdict
    assert not _raw_verdict(p, code, evaluator), f"{trick} passed the unsanitised harness"


def test_an_early_exit_0_is_reported_as_no_result(data_dir, evaluator):
    for ref in ("humaneval:HumanEval/0", "mbpp+:Mbpp/2"):
        p = get_problem(ref, data_dir)
        verdict = evaluator.check(p, TRICKS["os._exit(0) in the function"].replace("{ep}", p.entry_point))
        assert verdict["status"] == "no-result" and "without the token" in verdict["detail"]


class RecordingSandbox:
    """Passes runs through to a real sandbox and remembers the files each run was given."""

    def __init__(self, box):
        self.box, self.files = box, []

    def run(self, files, command, limits):
        self.files.append(dict(files))
        return self.box.run(files, command, limits)


def test_the_token_is_not_in_the_candidates_files_or_environment(data_dir, sandbox):
    # The candidate looks everywhere it can without reading the harness's memory.
    snoop = ("import os, sys\n"
             "def has_close_elements(numbers, threshold):\n"
             "    seen = [repr(dict(os.environ)), open('/proc/self/cmdline', 'rb').read().decode(errors='replace')]\n"
             "    for name in os.listdir('.'):\n"
             "        if os.path.isfile(name):\n"
             "            seen.append(name + ':' + open(name, errors='replace').read())\n"
             "    sys.stderr.write('\\n'.join(seen))\n"
             "    return False\n")
    p = get_problem("humaneval:HumanEval/0")
    box = RecordingSandbox(sandbox)
    result, run = run_program(box, build_program("base_harness.py", p.base_payload(snoop)), Limits(timeout_s=10))
    token = box.files[0][TOKEN_FILE]
    assert token and token not in box.files[0]["check.py"]
    assert "check.py:" in run.stderr  # the snoop did read the files that were there
    assert token not in run.stderr
    assert result is not None and result["passed"] is False  # the fail itself is reported, stamped
