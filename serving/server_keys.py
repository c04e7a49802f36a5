"""API keys for the model servers codeloop starts: how a server proves it is ours.

Each launch gets a random key (`new_key`). The server demands it on every request
(llama-server reads it from a file, vLLM and llama-cpp-python from their environment:
never the command line, which /proc shows to every local user). The key is also kept in
`<cache>/logs/keys/server-PORT.key` — a 0600 file in a 0700 folder — so that a second
codeloop command (or `codeloop serve` in another terminal) can prove that the server on
the port is the one codeloop started before it adopts it (serving/embedded.py).

The keys of the servers this process talks to are remembered by URL (`remember`), so
every client of one server (the agents' client, chat's streamer, the token counter)
sends the same `Authorization: Bearer KEY` header (`auth_headers`).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import httpx

from settings.cache import cache_path
from settings.errors import BadInput

ENV_KEY = "CODELOOP_API_KEY"  # the user's key for a server they name with --base-url

_known: dict[str, str] = {}  # "http://host:port" -> the key that server wants


class KeyFileError(BadInput):
    """The key folder or file is not private to this user (a link, someone else's, too open)."""


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe: fits a header and a one-line file)."""
    return secrets.token_urlsafe(32)


def key_dir() -> Path:
    """The private folder the keys live in, next to the server logs."""
    return cache_path("logs") / "keys"


def key_file(port: int) -> Path:
    """The key of the server codeloop started on 127.0.0.1:`port`."""
    return key_dir() / f"server-{port}.key"


def private_dir(folder: Path | None = None) -> Path:
    """`folder` (default `key_dir()`) created 0700; refused when it is a link or not ours,
    tightened to 0700 when it is looser."""
    folder = folder or key_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise KeyFileError(f"{folder} must be a folder of yours, not a link or another user's: remove it")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    return folder


def stage_key(port: int, key: str) -> Path:
    """A new 0600 file holding `key`, created with O_EXCL|O_NOFOLLOW under a name of its own
    in the private folder: what the server being launched reads. `publish_key` makes it
    the port's key file once that server answers (a launch that fails never replaces the
    key of a server already running)."""
    folder = private_dir()
    path = folder / f".server-{port}.{secrets.token_hex(6)}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return path


def publish_key(staged: Path, port: int) -> Path:
    """Rename `staged` over the port's key file (a rename replaces a planted link; it never
    writes through it); return the key file."""
    target = key_file(port)
    os.replace(staged, target)
    return target


def read_key(path: Path) -> str | None:
    """The key at `path`, or None when there is none, or when the file is not a private
    regular file of this user (a link, someone else's, readable by others)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            return None
        key = handle.read(4096).strip()
    return key or None


def remove_key(path: Path, key: str) -> None:
    """Delete the key file at `path` if it still holds `key` (a newer server's is left)."""
    if read_key(path) == key:
        path.unlink(missing_ok=True)


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


def remember(url: str, key: str | None) -> None:
    """Record that the server at `url` wants `key` (None forgets it)."""
    if key:
        _known[_origin(url)] = key
    else:
        _known.pop(_origin(url), None)


def key_for(url: str) -> str | None:
    """The key remembered for the server at `url`, if any."""
    return _known.get(_origin(url))


def auth_headers(url: str) -> dict[str, str]:
    """The `Authorization` header for the server at `url` ({} when it wants no key)."""
    key = key_for(url)
    return {"Authorization": f"Bearer {key}"} if key else {}


def user_key() -> str | None:
    """The key the user gives for their own server (--base-url): $CODELOOP_API_KEY."""
    return os.environ.get(ENV_KEY) or None
