"""Backend-specific guarantees: hardening flags, per-test outcomes, container lifecycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from sandbox import Limits, make_sandbox
from tests.sandbox.conftest import require_or_skip

pytestmark = pytest.mark.integration

STATUS = """
import os
fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
print("uid", fields["Uid"].split()[0], "capeff", fields["CapEff"].strip(), "nnp", fields["NoNewPrivs"].strip())
print("docker.sock", os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock"))
try:
    open("/usr/lib/escape", "w")
    print("root writable")
except OSError:
    print("root read-only")
"""


@pytest.mark.parametrize("name", ["docker", "bwrap"])
def test_isolating_backends_are_locked_down(name):
    require_or_skip(name)
    sb = make_sandbox(name)
    try:
        res = sb.run({"s.py": STATUS}, ["python", "s.py"], Limits(timeout_s=20))
    finally:
        sb.close()
    assert res.exit_code == 0, res.stderr
    assert "uid 65534" in res.stdout and "capeff 0000000000000000" in res.stdout
    assert "docker.sock False" in res.stdout and "root read-only" in res.stdout and "nnp 1" in res.stdout


def test_pytest_outcomes_for_every_backend(sandbox):
    tests = "def test_ok():\n    pass\n\ndef test_bad():\n    assert [1] == [2]\n"
    res = sandbox.run({"test_x.py": tests}, ["pytest", "-q"], Limits(timeout_s=60))
    assert res.exit_code == 1
    assert {t.name: t.outcome for t in res.tests} == {"test_x::test_ok": "passed", "test_x::test_bad": "failed"}


def test_docker_reuses_one_warm_container_and_resets_work_dir():
    require_or_skip("docker")
    sb = make_sandbox("docker")
    try:
        sb.run({"leftover.txt": "x"}, ["python", "-c", "open('more.txt','w').write('y')"], Limits())
        ids = sb.container_ids
        res = sb.run({}, ["python", "-c", "import os; print(sorted(os.listdir()))"], Limits())
        assert len(ids) == 1 and sb.container_ids == ids and res.stdout.strip() == "[]"
    finally:
        sb.close()


def _containers(client, cid: str) -> list:
    return client.api.containers(all=True, filters={"id": cid})  # no per-container inspect: no race


def test_docker_container_removed_when_owner_is_killed():
    require_or_skip("docker")
    from sandbox.image import docker_client

    code = ("from sandbox import make_sandbox, Limits\nimport time\n"
            "sb = make_sandbox('docker'); sb.run({}, ['true'], Limits())\n"
            "print(sb.container_ids[0], flush=True); time.sleep(120)\n")
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    cid = owner.stdout.readline().strip()
    client = docker_client()
    assert cid and _containers(client, cid)
    owner.send_signal(signal.SIGKILL)  # no atexit, no finalizer: only the closed stdin stream
    owner.wait()
    deadline = time.monotonic() + 20
    while _containers(client, cid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _containers(client, cid)


def test_docker_removes_stale_containers_at_start():
    require_or_skip("docker")
    import socket

    from sandbox.docker_backend import LABEL
    from sandbox.image import docker_client, image_name

    client = docker_client()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer exists
    stale = client.containers.create(image_name(), ["sleep", "60"], labels={
        LABEL: "1", f"{LABEL}.pid": str(dead.pid), f"{LABEL}.host": socket.gethostname()})
    try:
        make_sandbox("docker").close()
        assert not _containers(client, stale.id)
    finally:
        if _containers(client, stale.id):
            stale.remove(force=True)


def test_docker_parallel_runs_get_their_own_warm_containers():
    require_or_skip("docker")
    import threading

    sb = make_sandbox("docker")
    code = "import time, os; open('mine', 'w').write(str(os.getpid())); time.sleep(1); print(os.listdir())"
    results = []
    try:
        threads = [threading.Thread(target=lambda: results.append(sb.run({}, ["python", "-c", code], Limits())))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(sb.container_ids) == 2
        assert [r.stdout.strip() for r in results] == ["['mine']", "['mine']"]
    finally:
        sb.close()
    assert not sb.container_ids


def test_docker_code_cannot_reach_the_runner_or_init():
    require_or_skip("docker")
    code = """
import os
for path in [f"/proc/{os.getppid()}/fd/1", "/proc/1/fd/0", f"/proc/{os.getppid()}/mem", "/proc/1/environ"]:
    try:
        open(path, "rb").close() if not path.endswith(("/1", "/0")) else os.readlink(path)
        print("REACHED", path)
    except OSError as exc:
        print("denied", path, type(exc).__name__)
"""
    sb = make_sandbox("docker")
    try:
        res = sb.run({"peek.py": code}, ["python", "peek.py"], Limits(timeout_s=20))
    finally:
        sb.close()
    assert res.exit_code == 0, res.stderr
    assert "REACHED" not in res.stdout, res.stdout
