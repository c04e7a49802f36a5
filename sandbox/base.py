"""The Sandbox protocol and its value types.

Generated code and generated tests are untrusted: they run only through a `Sandbox`.
A failing test is a normal `RunResult` (non-zero exit code), never an exception;
exceptions are reserved for a sandbox that cannot run at all (`SandboxUnavailable`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Protocol


class SandboxError(Exception):
    """Base class for sandbox problems that are not a result of the code under test."""


class SandboxUnavailable(SandboxError):
    """The backend cannot run here (engine missing, image missing, tool not installed)."""


class InvalidLimits(SandboxError, ValueError):
    """Limits outside the accepted range."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run. Every run has a wall-clock timeout and an output cap."""

    timeout_s: float = 10.0
    memory_mb: int = 1024
    max_output_bytes: int = 64 * 1024
    max_processes: int = 64
    max_file_mb: int = 64
    cpus: float = 1.0
    disk_mb: int = 256  # size of the work dir where the backend can cap it (docker, bwrap tmpfs)

    def __post_init__(self) -> None:
        checks = {
            "timeout_s": 0 < self.timeout_s <= 3600,
            "memory_mb": 16 <= self.memory_mb <= 65536,
            "max_output_bytes": 1024 <= self.max_output_bytes <= 64 * 1024 * 1024,
            "max_processes": 1 <= self.max_processes <= 4096,
            "max_file_mb": 1 <= self.max_file_mb <= 16384,
            "cpus": 0 < self.cpus <= 64,
            "disk_mb": 1 <= self.disk_mb <= 65536,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise InvalidLimits(f"invalid sandbox limits: {', '.join(f'{b}={getattr(self, b)}' for b in bad)}")


@dataclass
class TestOutcome:
    """One test's outcome, parsed from a pytest JUnit report when there is one."""

    name: str
    outcome: str  # "passed" | "failed" | "error" | "skipped"
    message: str = ""


@dataclass
class RunResult:
    """What happened when a command ran in the sandbox."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    timed_out: bool = False
    oom_killed: bool = False
    duration_s: float = 0.0
    backend: str = ""
    tests: list[TestOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the command exited 0 within its limits."""
        return self.exit_code == 0 and not self.timed_out and not self.oom_killed

    def to_dict(self) -> dict:
        """A JSON-ready dict (used by `--json` outputs and batch records)."""
        return asdict(self)

    def marked_json(self, marker: str):
        """The JSON value after `marker` on the last stdout line that starts with it: how a
        program run in the sandbox reports a result. None when no line has it or its JSON is
        malformed (the program died while writing it)."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(marker):
                try:
                    return json.loads(line[len(marker):])
                except ValueError:
                    return None
        return None


class Sandbox(Protocol):
    """Runs a command over a set of files in an isolated, throw-away work directory."""

    name: str

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult: ...

    def close(self) -> None: ...
