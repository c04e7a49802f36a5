"""Every backend gives code under test the same environment (sandbox/_env.py): only where
home and temp files are, and the process backend's own interpreter folder, differ."""

import json

from sandbox import Limits
from sandbox._env import SYSTEM_PATH, run_env

SHOW = "import json, os\nprint(json.dumps(dict(os.environ)))\n"
SAME = {"LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONNOUSERSITE", "PYTHONHASHSEED"}


def test_a_run_sees_exactly_the_shared_variables(sandbox):
    res = sandbox.run({"env.py": SHOW}, ["python", "env.py"], Limits(timeout_s=30))
    assert res.exit_code == 0, res.stderr
    env = json.loads(res.stdout)
    expected = run_env(sandbox.name)
    assert {k: env.get(k) for k in SAME} == {k: expected[k] for k in SAME}
    assert env["CODELOOP_SANDBOX"] == sandbox.name and env["PATH"].endswith(SYSTEM_PATH)
    extra = set(env) - set(expected) - {"PWD", "SHLVL", "_", "LC_CTYPE"}  # what a shell or libc adds
    assert extra <= {"PYTEST_DISABLE_PLUGIN_AUTOLOAD", "CODELOOP_RUN"}, extra  # the process backend's own


def test_the_work_and_temp_places_and_extras_are_the_callers():
    env = run_env("process", home="/w", tmpdir="/w", bindir="/py/bin", extra={"X": "1"})
    assert (env["HOME"], env["TMPDIR"], env["PATH"], env["X"]) == ("/w", "/w", f"/py/bin:{SYSTEM_PATH}", "1")
    assert run_env("bwrap")["HOME"] == "/work" and run_env("bwrap")["PATH"] == SYSTEM_PATH
