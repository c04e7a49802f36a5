"""Which projects the user trusts with the sensitive settings (`codeloop trust`).

A repository's own config (`codeloop.toml`, `[tool.codeloop]` in `pyproject.toml`) is
untrusted input: it may set only harmless knobs (settings/config.py `HARMLESS`) unless the
user trusted that project. The record lives in the user config dir (`trust.json`, 0600):
per resolved project path, the sha256 of its config as it was when trusted, so a changed
file has to be trusted again (the spirit of direnv's `allow` and mise's `trust`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tomllib
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

import platformdirs

from settings.errors import BadInput

TRUST_FILE = "trust.json"
PROJECT_FILE = "codeloop.toml"


class Trust(Enum):
    """Where a project stands: never trusted, trusted as it is now, or changed since."""

    UNTRUSTED = "untrusted"
    TRUSTED = "trusted"
    CHANGED = "changed"


def trust_file() -> Path:
    """trust.json in the user config dir (honours $XDG_CONFIG_HOME)."""
    return Path(platformdirs.user_config_dir("codeloop")) / TRUST_FILE


def pyproject_table(project: Path) -> dict | None:
    """The `[tool.codeloop]` table of the project's pyproject.toml (None: no file or no table).
    Raises BadInput for a file that is not TOML."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"cannot read configuration from {path}: {exc}".splitlines()[0]) from None
    table = tool.get("codeloop") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def fingerprint(project: Path) -> str | None:
    """sha256 of the project's config: codeloop.toml's bytes and pyproject.toml's
    `[tool.codeloop]` table (only that table: the rest of pyproject.toml may change freely).
    None when the project has neither."""
    own = project / PROJECT_FILE
    data = own.read_bytes() if own.is_file() else None
    table = pyproject_table(project)
    if data is None and table is None:
        return None
    digest = hashlib.sha256()
    digest.update(b"codeloop.toml\0" + (data if data is not None else b"(none)"))
    # canonical JSON of the parsed table: reformatting or moving it does not need a new trust
    digest.update(b"\0[tool.codeloop]\0" + json.dumps(table, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def configured_keys(project: Path) -> set[str]:
    """The top-level keys the project's codeloop.toml and [tool.codeloop] set."""
    own = project / PROJECT_FILE
    try:
        keys = set(tomllib.loads(own.read_text(encoding="utf-8"))) if own.is_file() else set()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"cannot read configuration from {own}: {exc}".splitlines()[0]) from None
    return keys | set(pyproject_table(project) or {})


def _records() -> dict[str, dict]:
    """The trusted projects: resolved path -> {"sha256", "trusted_at"}."""
    path = trust_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read {path}: {exc}; delete it and trust the projects again") from None
    projects = data.get("projects") if isinstance(data, dict) else None
    return projects if isinstance(projects, dict) else {}


def _write(records: dict[str, dict]) -> None:
    """Replace trust.json atomically (temp file + rename), readable by the user only."""
    path = trust_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".trust-", suffix=".json", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "projects": records}, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)  # a link at `path` is replaced, never followed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def status(project: Path) -> Trust:
    """Whether the user trusted `project` with its config as it is now."""
    record = _records().get(str(project.resolve()))
    if not isinstance(record, dict):
        return Trust.UNTRUSTED
    return Trust.TRUSTED if record.get("sha256") == fingerprint(project.resolve()) else Trust.CHANGED


def trust(project: Path) -> str:
    """Record `project` (its config as it is now) as trusted; return the fingerprint.
    Raises BadInput when the project has no config to trust."""
    project = project.resolve()
    digest = fingerprint(project)
    if digest is None:
        raise BadInput(f"nothing to trust: {project} has no {PROJECT_FILE} and no [tool.codeloop] in pyproject.toml")
    records = _records()
    records[str(project)] = {"sha256": digest, "trusted_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _write(records)
    return digest


def revoke(project: Path) -> bool:
    """Forget `project`; False when it was not trusted."""
    records = _records()
    if records.pop(str(project.resolve()), None) is None:
        return False
    _write(records)
    return True


__all__ = ["Trust", "configured_keys", "fingerprint", "pyproject_table", "revoke", "status", "trust", "trust_file"]
