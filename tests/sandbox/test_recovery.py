"""The sandbox dies under a run: the backend recreates what it owns and runs again once;
what it cannot recreate is a one-line `SandboxError`, never another library's exception."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from sandbox import Limits, SandboxError, SandboxUnavailable, make_sandbox
from tests.sandbox.conftest import require_or_skip

HELLO = ["python", "-c", "print('hello')"]


@pytest.fixture
def docker_box():
    require_or_skip("docker")
    box = make_sandbox("docker")
    yield box
    box.close()


def test_docker_container_killed_between_runs_is_replaced(docker_box):
    assert docker_box.run({}, HELLO, Limits()).stdout.strip() == "hello"
    (old,) = docker_box.container_ids
    docker_box.client.api.kill(old)  # as `docker kill` by hand, or the engine losing it
    res = docker_box.run({}, HELLO, Limits())
    assert res.ok and res.stdout.strip() == "hello"
    assert old not in docker_box.container_ids


def test_docker_container_killed_mid_run_runs_again_in_a_new_one(docker_box):
    docker_box.run({}, HELLO, Limits())  # warm: the run below uses this container
    (old,) = docker_box.container_ids
    slow = ["python", "-c", "import time; time.sleep(2); print('done')"]
    results = []
    worker = threading.Thread(target=lambda: results.append(docker_box.run({}, slow, Limits(timeout_s=30))))
    worker.start()
    time.sleep(0.8)
    docker_box.client.api.remove_container(old, force=True)  # `docker rm -f` mid-run
    worker.join(60)
    assert results and results[0].ok and results[0].stdout.strip() == "done"
    assert old not in docker_box.container_ids


def test_docker_engine_gone_is_a_sandbox_error(docker_box):
    import docker

    docker_box.run({}, HELLO, Limits())
    real = docker_box.client
    docker_box.client = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41")  # dockerd is down
    try:
        with pytest.raises(SandboxError, match="docker engine error"):
            docker_box.run({}, HELLO, Limits())
    finally:
        docker_box.client = real


@pytest.fixture
def bindir():
    """A PATH folder the sandbox user (nobody, when we are root) can traverse."""
    path = Path(tempfile.mkdtemp(prefix="codeloop-test-bin-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_bwrap_binary_gone_mid_run_is_found_again_or_a_sandbox_error(bindir, monkeypatch):
    require_or_skip("bwrap")
    real = shutil.which("bwrap")
    (bindir / "bwrap").symlink_to(real)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    box = make_sandbox("bwrap")
    assert box.bwrap == str(bindir / "bwrap")
    assert box.run({}, HELLO, Limits()).stdout.strip() == "hello"
    (bindir / "bwrap").unlink()  # uninstalled from where it was found; another one is on PATH
    res = box.run({}, HELLO, Limits())
    assert res.ok and res.stdout.strip() == "hello" and box.bwrap == real
    monkeypatch.setenv("PATH", str(bindir))  # now there is none at all
    box.bwrap = str(bindir / "bwrap")
    with pytest.raises(SandboxUnavailable, match="bwrap disappeared"):
        box.run({}, HELLO, Limits())


def test_a_candidate_that_fakes_a_launch_failure_is_its_own_failed_run():
    """A program printing what prlimit prints when it cannot exec bwrap, and exiting 127, is a
    failed run of that program — not "the sandbox did not start" (a sandbox error, retried)."""
    require_or_skip("bwrap")
    box = make_sandbox("bwrap")
    fake = ["python", "-c", "import sys; sys.stderr.write('prlimit: failed to execute bwrap: x\\n'); sys.exit(127)"]
    res = box.run({}, fake, Limits())
    assert res.exit_code == 127 and res.stderr.startswith("prlimit: failed to execute")
