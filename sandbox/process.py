"""The process backend: rlimits, timeout, process-group kill and a scrubbed environment.

WEAKEST backend. It does NOT isolate the network or the filesystem: code under test can
open sockets and read or write anything its user can. Use docker or bwrap whenever
either is available; `make_sandbox("auto")` only falls back to this with a warning.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

from sandbox import junit
from sandbox._env import run_env
from sandbox._files import check_files, write_files
from sandbox._local import make_workdir, missing_helpers, remove_tree, rlimit_prefix, run_local, sweep_workdirs
from sandbox.base import Limits, RunResult, SandboxError, SandboxUnavailable

log = logging.getLogger(__name__)

# When codeloop itself runs as root, untrusted code runs as this user instead: root is
# exempt from RLIMIT_NPROC and may read every secret on the host.
NOBODY = 65534
OOM_SIGNS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
GAPS = ("no network isolation", "no filesystem isolation (reads and writes outside the work dir)",
        "no cap on total disk use (only per-file size)")


def resolve_python(command: list[str], python: str) -> list[str]:
    """Map `python`, `python3` and bare `pytest` onto the given interpreter."""
    if not command:
        raise SandboxError("empty command")
    head, rest = command[0], list(command[1:])
    if head in ("python", "python3"):
        return [python, *rest]
    if head == "pytest":
        return [python, "-m", "pytest", *rest]
    return list(command)


def scrubbed_env(workdir: str, bindir: str, marker: str, backend: str) -> dict[str, str]:
    """The whole environment of a run (sandbox/_env.py), home and temp files in `workdir`."""
    # The host environment's pytest plugins are not the project's; autoloading them costs
    # seconds per run here (and some phone home). `-p NAME` still loads one.
    return run_env(backend, home=workdir, tmpdir=workdir, bindir=bindir,
                   extra={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "CODELOOP_RUN": marker})


def looks_oom(stderr: str, exit_code: int, timed_out: bool) -> bool:
    """Heuristic for rlimit-based backends: the address-space limit surfaces as an
    allocation failure in the program's own error output rather than a kernel OOM kill."""
    return not timed_out and exit_code != 0 and any(s in stderr[-4000:] for s in OOM_SIGNS)


class ProcessSandbox:
    """Runs commands as host processes in a temp dir. See the module docstring: weak."""

    name = "process"
    gaps = GAPS

    def __init__(self, python: str | None = None, run_as: int | None = None) -> None:
        """`python` replaces `python`/`python3` in commands (default: this interpreter);
        `run_as` is the uid for the child (default: nobody when we are root and nobody can
        run the interpreter, else our own uid)."""
        reason = self.probe()
        if reason:
            raise SandboxUnavailable(reason)
        sweep_workdirs("run")
        self.python = python or sys.executable
        self.run_as = run_as if run_as is not None else _default_run_as(self.python)

    @staticmethod
    def probe() -> str | None:
        """None when the helpers that apply limits exist, else why not."""
        return missing_helpers()

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        """Write `files` into a fresh temp dir, run `command` there, and delete the dir."""
        files = check_files(files)
        argv = junit.with_junit(resolve_python(command, self.python))
        workdir = make_workdir("run")
        try:
            write_files(workdir, files)
            if self.run_as is not None:
                for p in [workdir, *workdir.rglob("*")]:
                    os.chown(p, self.run_as, self.run_as)
            marker = uuid.uuid4().hex
            env = scrubbed_env(str(workdir), os.path.dirname(self.python), marker, self.name)
            uid = self.run_as if self.run_as is not None else os.geteuid()
            res = run_local(rlimit_prefix(limits, uid) + argv, cwd=workdir, env=env, limits=limits,
                            user=self.run_as, marker=marker)
            tests = _read_junit(workdir / junit.JUNIT_NAME)
        finally:
            remove_tree(workdir)
        return RunResult(exit_code=res.exit_code, stdout=res.stdout, stderr=res.stderr, truncated=res.truncated,
                         timed_out=res.timed_out, oom_killed=looks_oom(res.stderr, res.exit_code, res.timed_out),
                         duration_s=res.duration_s, backend=self.name, tests=tests)

    def close(self) -> None:
        """Nothing persistent to release."""


def _default_run_as(python: str) -> int | None:
    """nobody when we are root and nobody can run `python`; else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    real = os.path.realpath(python)
    if os.path.realpath(sys.executable) == real:
        paths = {real, os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    else:  # another interpreter: its own prefix is two levels up (PREFIX/bin/python3)
        paths = {real, os.path.dirname(os.path.dirname(real))}
    if all(_world_reachable(p) for p in paths):
        return NOBODY
    log.warning("process sandbox runs code as root: %s is not reachable by other users "
                "(root is exempt from the process-count limit)", python)
    return None


def _world_reachable(path: str) -> bool:
    """Every directory on the way is world-searchable and the target world-readable."""
    try:
        parts = Path(path).parents
        return all(os.stat(d).st_mode & 0o001 for d in parts) and bool(os.stat(path).st_mode & 0o004)
    except OSError:
        return False


def _read_junit(path: Path) -> list:
    try:
        if path.is_file() and not path.is_symlink():
            return junit.parse_junit(path.read_bytes()[: junit.MAX_JUNIT_BYTES + 1])
    except OSError:
        pass
    return []
