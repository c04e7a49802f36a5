"""Validation and materialisation of the files handed to a sandbox run."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from sandbox.base import SandboxError


class InvalidFiles(SandboxError, ValueError):
    """A file name that would land outside the work directory, or is otherwise unusable."""


def check_files(files: dict[str, str]) -> dict[str, str]:
    """Return `files` with normalised relative POSIX names; reject escapes like `../x`."""
    clean: dict[str, str] = {}
    for name, content in files.items():
        path = PurePosixPath(name)
        if not name or path.is_absolute() or ".." in path.parts or "\x00" in name:
            raise InvalidFiles(f"invalid file name for the sandbox: {name!r}")
        if not isinstance(content, str):
            raise InvalidFiles(f"file content must be text: {name!r}")
        clean[str(path)] = content
    return clean


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write already-checked `files` under `root`, creating parent directories."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
