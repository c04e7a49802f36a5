"""The docker backend: one warm, locked-down container per instance, one `exec` per run.

The container has no network, a read-only root, a size-capped tmpfs at /work, memory /
pids / CPU limits, runs as nobody with every capability dropped and no-new-privileges,
and never sees the Docker socket. Its PID 1 reads an attached stdin that only this
process holds: when we exit (even by SIGKILL) the stream closes, PID 1 exits and the
engine auto-removes the container. Stale containers of dead owners are removed at start.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
import time
import weakref
from pathlib import Path

from sandbox import image as img
from sandbox import junit
from sandbox._env import run_env
from sandbox._local import pid_alive
from sandbox._files import check_files
from sandbox._wire import RESULT_MAGIC, decode_result, encode_request
from sandbox.base import Limits, RunResult, SandboxError, SandboxUnavailable
from sandbox.process import resolve_python

log = logging.getLogger(__name__)

LABEL = "org.codeloop.sandbox"
RUNNER_PATH = Path(__file__).with_name("_runner.py")
# PID 1: reap orphans (they would otherwise count against the pids limit) and exit when
# the attached stdin closes, i.e. when the owning process is gone.
INIT = ("import ctypes,os,signal\n"
        "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"  # PR_SET_DUMPABLE 0: code under test shares our uid
        "def reap(*_):\n"
        "    try:\n"
        "        while os.waitpid(-1, os.WNOHANG)[0] > 0: pass\n"
        "    except ChildProcessError: pass\n"
        "signal.signal(signal.SIGCHLD, reap)\n"
        "signal.signal(signal.SIGTERM, lambda *_: os._exit(0))\n"
        "while os.read(0, 65536): pass\n")
CHILD_ENV = run_env("docker")
# Time the host waits beyond the run's own timeout before declaring the container stuck.
BACKSTOP_S = 15.0


def remove_stale(client) -> int:
    """Remove codeloop containers whose owning process on this host is gone."""
    removed = 0
    # The low-level list: the high-level one inspects each container and races with
    # containers that auto-remove meanwhile.
    for c in client.api.containers(all=True, filters={"label": LABEL}):
        labels = c.get("Labels") or {}
        if labels.get(f"{LABEL}.host") != socket.gethostname():
            continue
        pid = int(labels.get(f"{LABEL}.pid", "0") or 0)
        if pid and pid_alive(pid):
            continue
        log.info("removing stale sandbox container %s (owner pid %s gone)", c["Id"][:12], pid)
        try:
            client.api.remove_container(c["Id"], force=True)
            removed += 1
        except Exception as exc:  # already being removed by auto-remove
            log.debug("could not remove %s: %s", c["Id"][:12], exc)
    return removed


def _destroy(api, cid: str, sock) -> None:
    """Finalizer: closing our stdin stream already stops it; force-remove to be sure."""
    try:
        sock.close()
    except Exception:
        pass
    try:
        api.remove_container(cid, force=True)
    except Exception as exc:
        log.debug("container %s already gone: %s", cid[:12], exc)


class _Container:
    """One warm, locked-down container made for one set of limits."""

    def __init__(self, api, image: str, limits: Limits) -> None:
        uid = img.SANDBOX_UID
        self.spec = container_spec(limits)
        host_config = api.create_host_config(
            network_mode="none", read_only=True, auto_remove=True, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], ipc_mode="private",
            # uid/gid, not mode: the engine copies the image's /work mode over `mode=`.
            tmpfs={"/work": f"rw,exec,nosuid,nodev,size={limits.disk_mb}m,uid={uid},gid={uid}",
                   "/tmp": f"rw,noexec,nosuid,nodev,size=64m,uid={uid},gid={uid}"},
            mem_limit=f"{limits.memory_mb}m", memswap_limit=f"{limits.memory_mb}m",
            pids_limit=limits.max_processes + 4,  # + PID 1, the exec'd runner and headroom
            nano_cpus=int(limits.cpus * 1e9))
        labels = {LABEL: "1", f"{LABEL}.pid": str(os.getpid()), f"{LABEL}.host": socket.gethostname()}
        self.cid = api.create_container(image, command=["python3", "-I", "-S", "-c", INIT], stdin_open=True,
                                        user=f"{uid}:{uid}", network_disabled=True, working_dir="/work",
                                        labels=labels, environment={"PATH": CHILD_ENV["PATH"]},
                                        host_config=host_config)["Id"]
        sock = api.attach_socket(self.cid, params={"stdin": 1, "stream": 1})
        # Runs on destroy(), on garbage collection, and at interpreter exit.
        self.destroy = weakref.finalize(self, _destroy, api, self.cid, sock)
        api.start(self.cid)
        log.debug("started sandbox container %s", self.cid[:12])


def container_spec(limits: Limits) -> tuple:
    """The limits fixed at container creation; other limits apply per run."""
    return (limits.memory_mb, limits.max_processes, limits.cpus, limits.disk_mb)


class DockerSandbox:
    """Runs commands by `exec` in warm hardened containers (see module docstring).

    Safe to share between threads: each concurrent run gets its own warm container
    (created on demand, kept for reuse), so W workers keep W containers warm.
    """

    name = "docker"

    def __init__(self, image: str | None = None, client=None, max_idle: int = 4) -> None:
        """Connect to the engine, check the image, clean up stale containers."""
        self.image = image or img.image_name()
        self.client = client or img.docker_client()
        if not img.image_present(self.client, self.image):
            raise SandboxUnavailable(f"sandbox image {self.image} is missing (run `codeloop sandbox build`)")
        remove_stale(self.client)
        self._runner = RUNNER_PATH.read_text(encoding="utf-8")
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[_Container] = []
        self._all: set[_Container] = set()

    @staticmethod
    def probe(image: str | None = None) -> str | None:
        """None when an engine and the image are available, else why not."""
        try:
            client = img.docker_client()
        except SandboxUnavailable as exc:
            return str(exc)
        name = image or img.image_name()
        if not img.image_present(client, name):
            return f"sandbox image {name} is missing (run `codeloop sandbox build`)"
        return None

    @property
    def container_ids(self) -> list[str]:
        """Ids of this sandbox's live containers (idle or busy)."""
        with self._lock:
            return [c.cid for c in self._all if c.destroy.alive]

    def _acquire(self, limits: Limits) -> _Container:
        spec = container_spec(limits)
        with self._lock:
            for i, box in enumerate(self._idle):
                if box.spec == spec:
                    return self._idle.pop(i)
        box = _Container(self.client.api, self.image, limits)
        with self._lock:
            self._all.add(box)
        return box

    def _release(self, box: _Container, healthy: bool) -> None:
        with self._lock:
            if healthy and box.destroy.alive:
                self._idle.append(box)
            else:
                self._all.discard(box)
                box.destroy()  # stuck, lost or misbehaving: never reused
            while len(self._idle) > self._max_idle:
                old = self._idle.pop(0)
                self._all.discard(old)
                old.destroy()

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        """Reset /work to `files` and run `command` there, in a container of our own."""
        files = check_files(files)
        argv = junit.with_junit(resolve_python(command, "python3"))
        request = encode_request("/work", limits, argv, CHILD_ENV, files)
        start = time.monotonic()
        try:
            out, err = self._exec_fresh(request, limits, start)
        except TimeoutError:
            return RunResult(exit_code=137, stderr="sandbox container did not answer; recycled\n",
                             timed_out=True, duration_s=time.monotonic() - start, backend=self.name)
        if not out.startswith(RESULT_MAGIC.encode()):
            raise SandboxError(f"sandbox runner failed: {err.decode('utf-8', 'replace').strip()[-500:]}")
        res = decode_result(out)
        junit_xml = res.pop("junit")
        return RunResult(**res, backend=self.name, tests=junit.parse_junit(junit_xml) if junit_xml else [])

    def _exec_fresh(self, request: bytes, limits: Limits, start: float) -> tuple[bytes, bytes]:
        """Exec in a warm container; if the engine lost it (removed, killed, crashed, the
        engine restarted), retry once in a new one. A container whose runner did not answer
        properly is discarded; a second loss is a one-line `SandboxError`."""
        import docker
        import requests

        deadline = start + limits.timeout_s + BACKSTOP_S
        # Two capped streams with their truncation markers, plus the JUnit report.
        cap = 3 * limits.max_output_bytes + 4 * 1024 * 1024
        for attempt in (1, 2):
            box, healthy = None, False
            try:
                box = self._acquire(limits)
                out, err = self._exec(box.cid, request, deadline, cap)
                healthy = out.startswith(RESULT_MAGIC.encode())
                # The runner always answers, even for code that crashes: silence means its
                # container was killed under it (the engine may not have noticed yet).
                if healthy or attempt == 2 or (self._running(box.cid) and (out or err)):
                    return out, err
                why = "the container died mid-run"
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                why = getattr(exc, "explanation", None) or f"{type(exc).__name__}: {exc}"
                if attempt == 2:
                    raise SandboxError(f"docker engine error: {why}") from None
            finally:
                if box is not None:
                    self._release(box, healthy)
            log.warning("sandbox container lost (%s); running again in a new one", why)
        raise AssertionError("unreachable")

    def _running(self, cid: str) -> bool:
        """True while the engine still runs container `cid` (False: removed, killed, engine gone)."""
        try:
            return bool(self.client.api.inspect_container(cid)["State"]["Running"])
        except Exception:  # NotFound, or the engine itself is unreachable
            return False

    def _exec(self, cid: str, request: bytes, deadline: float, cap: int) -> tuple[bytes, bytes]:
        api = self.client.api
        exec_id = api.exec_create(cid, ["python3", "-I", "-S", "-c", self._runner], stdin=True,
                                  user=f"{img.SANDBOX_UID}:{img.SANDBOX_UID}", workdir="/work",
                                  environment={"PATH": CHILD_ENV["PATH"]})["Id"]
        conn = api.exec_start(exec_id, socket=True)
        raw = getattr(conn, "_sock", conn)
        try:
            raw.settimeout(max(0.1, deadline - time.monotonic()))
            raw.sendall(request)
            raw.shutdown(socket.SHUT_WR)
            return _read_frames(raw, deadline, cap)
        except (socket.timeout, TimeoutError) as exc:
            raise TimeoutError from exc
        finally:
            conn.close()

    def close(self) -> None:
        """Remove every container of this sandbox."""
        with self._lock:
            boxes, self._idle, self._all = list(self._all), [], set()
        for box in boxes:
            box.destroy()


def _read_frames(raw, deadline: float, cap: int) -> tuple[bytes, bytes]:
    """Demultiplex Docker's attach stream (8-byte headers) until EOF; bounded and timed."""
    bufs = {1: bytearray(), 2: bytearray()}
    pending = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        raw.settimeout(remaining)
        chunk = raw.recv(65536)
        if not chunk:
            break
        pending += chunk
        while len(pending) >= 8:
            stream, size = struct.unpack(">BxxxL", pending[:8])
            if len(pending) < 8 + size:
                break
            target = bufs.get(stream)
            if target is not None and len(target) < cap:
                target += pending[8:8 + size]
            del pending[:8 + size]
    return bytes(bufs[1]), bytes(bufs[2])
