"""`make run`'s set-up makes the light isolating sandbox (bwrap) ready, so the first solve runs
inside it rather than in the process backend. The set-up script itself needs root (apt,
debootstrap): CI runs as root, elsewhere the root-only test skips."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import StubServer

REPO = Path(__file__).resolve().parents[2]
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
TASK = "Write add(a, b).\nassert add(1, 2) == 3\n"


def test_make_run_setup_prepares_bwrap_outside_the_test_extras():
    """The bwrap step is on `make run`'s path (not only under --tests), with a hint when not root."""
    setup = (REPO / "scripts/setup.sh").read_text()
    tests_block = setup.index("if [ $WITH_TESTS = 1 ]")
    step = setup.index("scripts/sandbox-setup.sh --bwrap")
    assert step < tests_block and "sudo scripts/sandbox-setup.sh --bwrap" in setup
    assert "scripts/setup.sh" in (REPO / "Makefile").read_text().split("run:")[1].split("test:")[0]
    # the bwrap-only mode installs nothing docker-related
    script = (REPO / "scripts/sandbox-setup.sh").read_text()
    assert re.search(r'\[ "\$BWRAP_ONLY" = 1 \] && pairs="bwrap:bubblewrap debootstrap:debootstrap"', script)


@pytest.mark.skipif(os.geteuid() != 0, reason="scripts/sandbox-setup.sh needs root (apt, debootstrap)")
def test_bwrap_setup_then_solve_runs_inside_bwrap(tmp_path):
    """After `sandbox-setup.sh --bwrap`, `solve --sandbox auto` with no Docker engine picks bwrap."""
    setup = subprocess.run(["scripts/sandbox-setup.sh", "--bwrap", sys.executable], cwd=REPO,
                           capture_output=True, text=True, timeout=900)
    if setup.returncode != 0:
        message = f"bwrap set-up failed here: {(setup.stdout + setup.stderr).strip()[-300:]}"
        if os.environ.get("CODELOOP_REQUIRE_SANDBOXES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    assert "sandbox-setup: bwrap ok" in setup.stdout
    server = StubServer([GOOD] * 3)
    try:
        env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock", CODELOOP_CACHE_DIR=str(tmp_path / "c"))
        env.pop("CODELOOP_SANDBOX", None)
        proc = subprocess.run([sys.executable, "-c", "from apps.cli import main; main()", "solve", TASK, "--base-url", server.base_url],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    finally:
        server.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sandbox: auto chose bwrap" in proc.stdout and "process backend" not in proc.stderr
