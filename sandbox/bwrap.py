"""The bwrap backend: Linux namespaces (all, network included) over the cached rootfs.

The command sees only the read-only Debian root filesystem built by `codeloop sandbox
build`, a size-capped tmpfs at /work holding its files, a private /tmp, /proc and /dev.
It runs as nobody (bwrap itself is started as nobody when we are root, because root is
exempt from RLIMIT_NPROC), in a new session, and dies with its parent. When the main
process ends, bwrap's PID-namespace init exits and the kernel kills every leftover.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

from sandbox import image as img
from sandbox import junit
from sandbox._env import run_env
from sandbox._files import check_files
from sandbox._local import (make_workdir, missing_helpers, privilege_prefix, remove_tree, rlimit_prefix, run_local,
                             sweep_workdirs)
from sandbox.base import Limits, RunResult, SandboxUnavailable
from sandbox.process import looks_oom, resolve_python

log = logging.getLogger(__name__)

ENV = run_env("bwrap")
REPORT_DIR = "/tmp/.codeloop-report"  # a mount point must be creatable: /tmp is a tmpfs
# bwrap's own processes (the outer one and the PID-namespace init) count against RLIMIT_NPROC.
BWRAP_PROCS = 3


def _sandbox_uid() -> int | None:
    """The host uid bwrap runs as: nobody when we are root, else ourselves (None)."""
    return img.SANDBOX_UID if os.geteuid() == 0 else None


class BwrapSandbox:
    """Runs commands under bubblewrap over the cached root filesystem."""

    name = "bwrap"

    def __init__(self, rootfs: str | Path | None = None) -> None:
        """Check bwrap and the root filesystem; raise SandboxUnavailable with the reason."""
        reason = self.probe(rootfs)
        if reason:
            raise SandboxUnavailable(reason)
        sweep_workdirs("bwrap")
        self.rootfs = Path(rootfs) if rootfs else img.rootfs_dir()
        self.bwrap = shutil.which("bwrap")
        self.run_as = _sandbox_uid()

    @staticmethod
    def probe(rootfs: str | Path | None = None) -> str | None:
        """None when bwrap works here with the root filesystem, else why not."""
        exe = shutil.which("bwrap")
        if exe is None:
            return "bwrap is not installed (apt-get install bubblewrap)"
        root = Path(rootfs) if rootfs else img.rootfs_dir()
        if img.rootfs_info(root) is None:
            return f"no sandbox root filesystem at {root} (run `codeloop sandbox build`)"
        if missing_helpers():
            return missing_helpers()
        try:
            proc = subprocess.run(privilege_prefix(_sandbox_uid()) + [exe, "--unshare-all", "--ro-bind", str(root),
                                                                      "/", "--", "/bin/true"],
                                  capture_output=True, text=True, timeout=10, cwd="/")
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap cannot start: {exc}"
        if proc.returncode != 0:
            return f"bwrap cannot create namespaces here: {proc.stderr.strip()[:200]}"
        return None

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        """Copy `files` into a fresh tmpfs /work and run `command` there."""
        files = check_files(files)
        self._find_bwrap()
        argv = resolve_python(command, "/usr/bin/python3")
        report = junit.is_pytest(argv)
        if report:
            argv = junit.with_junit(argv, f"{REPORT_DIR}/{junit.JUNIT_NAME}")
        host_dir = make_workdir("bwrap")
        fds: list[int] = []
        try:
            if self.run_as is not None:
                os.chown(host_dir, self.run_as, self.run_as)
            args = self._args(files, fds, limits, host_dir if report else None)
            uid = self.run_as if self.run_as is not None else os.geteuid()
            res = run_local(rlimit_prefix(limits, uid, BWRAP_PROCS) + args + ["--", *argv], cwd=Path("/"),
                            env=dict(ENV), limits=limits, user=self.run_as, pass_fds=tuple(fds))
            tests = []
            xml = host_dir / junit.JUNIT_NAME
            if report and xml.is_file() and not xml.is_symlink():
                tests = junit.parse_junit(xml.read_bytes()[: junit.MAX_JUNIT_BYTES + 1])
        finally:
            for fd in fds:
                os.close(fd)
            remove_tree(host_dir)
        # 126/127 is "could not execute" from the helpers that start bwrap only when bwrap itself is
        # gone: asked of the file system, never of stderr, which the candidate can write too.
        if res.exit_code in (126, 127) and not os.access(self.bwrap, os.X_OK):
            raise SandboxUnavailable(f"bwrap could not start ({self.bwrap} is gone or not executable): "
                                     f"{res.stderr.strip()[:200]}")
        return RunResult(exit_code=res.exit_code, stdout=res.stdout, stderr=res.stderr, truncated=res.truncated,
                         timed_out=res.timed_out, oom_killed=looks_oom(res.stderr, res.exit_code, res.timed_out),
                         duration_s=res.duration_s, backend=self.name, tests=tests)

    def _find_bwrap(self) -> None:
        """The bwrap binary found at start may be gone mid-run (uninstalled, upgraded, PATH
        changed): look it up again once, else a `SandboxUnavailable` — never a run that
        "fails" because its sandbox could not start."""
        if os.access(self.bwrap, os.X_OK):
            return
        found = shutil.which("bwrap")
        if found is None:
            raise SandboxUnavailable(f"bwrap disappeared ({self.bwrap} is gone and none is on PATH): "
                                     "reinstall it (apt-get install bubblewrap) and rerun")
        log.warning("bwrap moved: %s is gone, using %s", self.bwrap, found)
        self.bwrap = found

    def _args(self, files: dict[str, str], fds: list[int], limits: Limits, report: Path | None) -> list[str]:
        """The bwrap command line; file contents travel through memfds, never host paths."""
        uid = str(img.SANDBOX_UID)
        args = [self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox", "--uid", uid, "--gid", uid,
                "--ro-bind", str(self.rootfs), "/", "--proc", "/proc", "--dev", "/dev",
                "--size", str(limits.disk_mb * 1024 * 1024), "--tmpfs", "/work",
                "--size", str(64 * 1024 * 1024), "--tmpfs", "/tmp"]
        dirs = sorted({str(p) for name in files for p in PurePosixPath(name).parents if str(p) != "."})
        for d in dirs:
            args += ["--dir", f"/work/{d}"]
        for name, content in files.items():
            fd = os.memfd_create("codeloop-file")
            fds.append(fd)
            os.write(fd, content.encode("utf-8"))
            os.lseek(fd, 0, os.SEEK_SET)
            args += ["--file", str(fd), f"/work/{name}"]
        if report is not None:
            args += ["--bind", str(report), REPORT_DIR]
        return args + ["--chdir", "/work"]

    def close(self) -> None:
        """Nothing persistent to release."""

