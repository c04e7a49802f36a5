"""The whole environment of a sandboxed run, one definition for every backend: nothing from
the host's environment leaks in, and code under test sees the same variables everywhere."""

from __future__ import annotations

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def run_env(backend: str, *, home: str = "/work", tmpdir: str = "/tmp", bindir: str = "",
            extra: dict[str, str] | None = None) -> dict[str, str]:
    """The variables of a run in `backend`: `home` and `tmpdir` where the backend keeps the
    work and temp files, `bindir` (the interpreter's folder) first on PATH, then `extra`."""
    return {
        "PATH": f"{bindir}:{SYSTEM_PATH}" if bindir else SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,
        "TMPDIR": tmpdir,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",  # set iteration order the same in every run: a flaky test is not a failure
        "CODELOOP_SANDBOX": backend,
    } | (extra or {})
