"""Runs build-bench's hidden acceptance tests over a built project; runs INSIDE the sandbox
(stdlib + pytest only), started as `python _codeloop/runner.py TESTS_DIR` from the project
root by `eval.build_bench`.

The project is untrusted, so none of its files may take part before its code is imported
by the tests themselves:
- started as a script, Python puts this file's folder (ours) on sys.path, not the project
  root: a project `pytest.py`, `_pytest/` or `pluggy.py` cannot shadow pytest, nor a
  `sitecustomize.py` run at start-up. The root is added only after pytest is imported.
- `--noconftest` (no conftest.py anywhere), `-c` our own empty ini file and a fixed
  `--rootdir` (no pytest.ini / tox.ini / setup.cfg / pyproject.toml options), plugin
  autoload off and no cache provider.
- outcomes come back on a private copy of stdout, stamped with a per-run token read and
  deleted before pytest starts (as `harness_io.py` does for the check programs); fd 1
  leads to /dev/null, and the process ends right after the line (no atexit hook runs).
Code the tests import still runs in this interpreter, so it could tamper with pytest
in memory: these outcomes resist configuration, not a project that attacks the runner.
Importing this module has no side effects.
"""

import json
import os
import sys

RESULT_MARK = "__CODELOOP_ACCEPTANCE__ "
TOKEN_FILE = ".codeloop-acceptance-token"  # in the work dir, like the check programs' token.txt
HERE = os.path.dirname(os.path.abspath(__file__))


class Recorder:
    """A pytest plugin object: one outcome per test id (any failed phase fails the test)."""

    def __init__(self):
        self.outcomes = {}

    def pytest_runtest_logreport(self, report):
        before = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = "error" if report.when != "call" else "failed"
        elif report.skipped and before is None:
            self.outcomes[report.nodeid] = "skipped"
        elif report.passed and report.when == "call" and before is None:
            self.outcomes[report.nodeid] = "passed"

    def pytest_collectreport(self, report):
        if report.failed:
            self.outcomes[report.nodeid or "<collection>"] = "error"


def _take_token():
    with open(TOKEN_FILE, encoding="utf-8") as fh:
        token = fh.read().strip()
    os.unlink(TOKEN_FILE)
    return token


def main(argv):
    """Run pytest over `argv` (test paths); write the stamped outcomes; exit 0."""
    token = _take_token()
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    exit_ = os._exit  # bound now: tested code may replace os._exit
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") not in (HERE, os.getcwd())]
    import pytest  # from the interpreter's site-packages, before the project is on sys.path

    sys.path.insert(0, os.getcwd())  # the project, for the tests' own imports
    recorder = Recorder()
    args = ["-q", "--noconftest", "-p", "no:cacheprovider", "-c", os.path.join(HERE, "pytest.ini"),
            "--rootdir", os.getcwd(), *argv]
    code = pytest.main(args, plugins=[recorder])
    tests = [{"name": name, "outcome": outcome} for name, outcome in recorder.outcomes.items()]
    channel.write(RESULT_MARK + token + " " + json.dumps({"tests": tests, "exit": int(code)}) + "\n")
    channel.flush()
    exit_(0)


if __name__ == "__main__":
    main(sys.argv[1:])
