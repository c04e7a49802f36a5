"""Run one host process under a timeout, with rlimits, capped output and a full cleanup.

Shared by the process and bwrap backends: both start a local child in its own session,
read its output incrementally, and kill everything it left behind.
"""

from __future__ import annotations

import math
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox._output import CappedBuffer
from sandbox.base import Limits

# After the main process exits, a grandchild may keep the pipes open; wait this long for
# late output before cleaning up.
EXIT_GRACE_S = 0.2
PROC = Path("/proc")


@dataclass
class LocalOutcome:
    """What a local child did."""

    exit_code: int
    stdout: str
    stderr: str
    truncated: bool
    timed_out: bool
    duration_s: float


SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
HELPERS = ("prlimit", "setpriv")


def missing_helpers() -> str | None:
    """None when the util-linux helpers we start children through exist, else which not."""
    missing = [t for t in HELPERS if shutil.which(t, path=SYSTEM_PATH) is None]
    return f"{' and '.join(missing)} not found (install util-linux)" if missing else None


def count_processes(uid: int) -> int:
    """How many processes `uid` owns now (RLIMIT_NPROC counts all of them, not ours only)."""
    n = 0
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                n += entry.stat().st_uid == uid
            except OSError:
                continue
    return n


def rlimit_prefix(limits: Limits, uid: int, extra_procs: int = 0) -> list[str]:
    """A `prlimit` command prefix setting address space, processes, file size and CPU time.

    `prlimit` (util-linux) applies the limits and execs the command, which avoids a
    `preexec_fn` (unsafe in a threaded parent, and batch runs use threads).
    """
    prlimit = shutil.which("prlimit", path=SYSTEM_PATH)
    if prlimit is None:
        raise FileNotFoundError("prlimit (util-linux) is required to apply rlimits")
    mem = limits.memory_mb * 1024 * 1024
    nproc = count_processes(uid) + limits.max_processes + extra_procs
    fsize = limits.max_file_mb * 1024 * 1024
    cpu = math.ceil(limits.timeout_s * max(1.0, limits.cpus)) + 1
    return [prlimit, f"--as={mem}", f"--nproc={nproc}", f"--fsize={fsize}", f"--cpu={cpu}", "--core=0", "--"]


def privilege_prefix(user: int | None) -> list[str]:
    """`setpriv`: no-new-privileges and a parent-death signal always, and the switch
    to `user` when given. Doing the switch in a helper, not with Popen(user=...), keeps
    CPython's vfork path: a plain fork of a large parent costs tens of milliseconds."""
    setpriv = shutil.which("setpriv", path=SYSTEM_PATH)
    if setpriv is None:
        raise FileNotFoundError("setpriv (util-linux) is required to start sandboxed processes")
    # --pdeathsig: if codeloop itself is killed mid-run, the child dies with it.
    prefix = [setpriv, "--no-new-privs", "--pdeathsig=KILL"]
    if user is not None:
        prefix += [f"--reuid={user}", f"--regid={user}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    return prefix + ["--"]


def kill_marked(marker: str, rounds: int = 3) -> int:
    """SIGKILL every process whose environment carries `marker`; return how many.

    This finds daemonised grandchildren that left the process group (double fork +
    setsid). Best effort: a process that re-execs with a clean environment escapes it.
    """
    needle = marker.encode() + b"\x00"
    killed = 0
    for _ in range(rounds):
        found = 0
        for entry in PROC.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
                    found += 1
            except OSError:
                continue
        killed += found
        if not found:
            break
    return killed


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_local(argv: list[str], *, cwd: Path, env: dict[str, str], limits: Limits,
              user: int | None = None, marker: str | None = None,
              pass_fds: tuple[int, ...] = ()) -> LocalOutcome:
    """Run `argv` in a new session; kill the whole group at the timeout or when it ends."""
    start = time.monotonic()
    deadline = start + limits.timeout_s
    proc = subprocess.Popen(privilege_prefix(user) + argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            pass_fds=pass_fds)
    out, err = CappedBuffer(limits.max_output_bytes), CappedBuffer(limits.max_output_bytes)
    timed_out = False
    try:
        timed_out = _pump(proc, {proc.stdout: out, proc.stderr: err}, deadline)
        if not timed_out:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        # Always: the group may hold children that outlived the main process.
        _kill_group(proc.pid)
        if marker:
            kill_marked(marker)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    code = proc.returncode
    return LocalOutcome(exit_code=128 - code if code < 0 else code, stdout=out.text(), stderr=err.text(),
                        truncated=out.truncated or err.truncated, timed_out=timed_out,
                        duration_s=time.monotonic() - start)


def _pump(proc: subprocess.Popen, buffers: dict, deadline: float) -> bool:
    """Read both pipes until EOF, the deadline, or a grace period after exit; True on timeout."""
    sel = selectors.DefaultSelector()
    for pipe, buf in buffers.items():
        sel.register(pipe, selectors.EVENT_READ, buf)
    exited_at = None
    try:
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                return True
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > EXIT_GRACE_S:
                return False
            for key, _ in sel.select(min(deadline - now, 0.05 if exited_at else 0.5)):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.feed(chunk)
                else:
                    sel.unregister(key.fileobj)
        return False
    finally:
        sel.close()


def make_workdir(kind: str) -> Path:
    """A fresh private temp dir named after our pid, so a later sweep can tell it is stale."""
    return Path(tempfile.mkdtemp(prefix=f"codeloop-{kind}-{os.getpid()}-"))


def sweep_workdirs(kind: str) -> int:
    """Remove temp dirs left by codeloop processes that died mid-run (SIGKILL, `timeout`)."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"codeloop-{kind}-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
            continue
        remove_tree(path)
        removed += 1
    return removed


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (one we may not signal counts: it is alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_tree(path: Path) -> None:
    """Delete a work dir even if the code under test made parts of it read-only."""
    def fix(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=fix)
