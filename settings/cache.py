"""The one cache root: models, server binaries, wheels, benchmark data, ground truth, indexes,
logs and the sandbox root filesystem all live under it, one sub-folder each.

The root is the `cache_dir` setting ($CODELOOP_CACHE_DIR or a config file's `cache_dir`),
else the user cache dir (~/.cache/codeloop on Linux, which honours $XDG_CACHE_HOME). One
exception by default: as root, the sandbox root filesystem
lives in the site cache (/var/cache/codeloop), because bwrap runs the sandbox as nobody, who
cannot enter /root; an explicit $CODELOOP_CACHE_DIR moves it too (it must then be a path
nobody can traverse). `codeloop cache` lists sizes, `codeloop cache clean` removes them.

How the root reaches code everywhere (no global state, nothing copied into os.environ):
each function takes an optional `root`; when it is not given, the resolved settings are
asked (settings.config.current(): environment, then config files, then the default), so a
caller holding a resolved `Settings` passes `settings.cache_dir` and every other caller
still gets the one configured root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from settings.config import current
from settings.knobs import env_name
from settings.errors import BadInput

CACHE_ENV = env_name("cache_dir")  # CODELOOP_CACHE_DIR, for messages
APP = "codeloop"

# sub-folder -> what lives there (the only names `clean` ever removes)
KINDS: dict[str, str] = {
    "models": "assembled model files (sha256-verified)",
    "bin": "the portable llama-server build",
    "wheels": "wheels built here (llama-cpp-python, portable)",
    "benchmarks": "downloaded benchmark files",
    "groundtruth": "expected outputs of EvalPlus problems",
    "indexes": "retrieval indexes",
    "logs": "model server logs",
    "sandbox": "the sandbox's Debian root filesystem",
}


def default_root() -> Path:
    """The user cache dir for codeloop, whatever $CODELOOP_CACHE_DIR says."""
    return Path(platformdirs.user_cache_dir(APP))


def configured_root(root: str | os.PathLike | None = None) -> str | None:
    """The explicit cache root: `root`, else the `cache_dir` setting; None when neither is set."""
    return str(root) if root else current().cache_dir


def cache_root(root: str | os.PathLike | None = None) -> Path:
    """`root`, else the `cache_dir` setting, else the user cache dir."""
    explicit = configured_root(root)
    return Path(explicit).expanduser() if explicit else default_root()


def cache_path(kind: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of one kind of cached thing (see KINDS) under the cache root (`root` or the setting)."""
    if kind not in KINDS:
        raise BadInput(f"unknown cache kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "sandbox":
        return sandbox_root(root)
    return cache_root(root) / kind


def sandbox_root(root: str | os.PathLike | None = None) -> Path:
    """Where the sandbox root filesystem is built: under an explicit cache root when set; else,
    as root, the site cache (readable by the unprivileged sandbox user); else the user cache."""
    explicit = configured_root(root)
    if explicit:
        return Path(explicit).expanduser() / "sandbox"
    if os.geteuid() == 0:
        return Path(platformdirs.site_cache_dir(APP)) / "sandbox"
    return default_root() / "sandbox"


def sandbox_fallbacks() -> list[Path]:
    """Other places a root filesystem may already exist (the defaults, then the site cache a
    `sudo scripts/sandbox-setup.sh --bwrap` fills): read from, never built in."""
    places = [Path(platformdirs.site_cache_dir(APP)) / "sandbox" if os.geteuid() == 0 else default_root() / "sandbox",
              Path(platformdirs.site_cache_dir(APP)) / "sandbox"]
    return [p for i, p in enumerate(places) if p != sandbox_root() and p not in places[:i]]


@dataclass
class Entry:
    """One kind of cached thing: where it is and how much it holds."""

    kind: str
    path: Path
    bytes: int
    files: int
    what: str


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 8 MiB blocks: how cached downloads (models,
    benchmark files) are checked against their pinned digests."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under `path`, symlinks not followed; (0, 0) when it does not exist."""
    total = files = 0
    if path.is_symlink() or path.is_file():
        return (path.lstat().st_size, 1) if path.exists() or path.is_symlink() else (0, 0)
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
                files += 1
            except OSError:
                pass
    return total, files


def entries(kinds: list[str] | None = None) -> list[Entry]:
    """Each kind's folder and size (all kinds by default)."""
    for kind in kinds or []:
        cache_path(kind)  # ValueError for an unknown name
    out = []
    for kind in kinds or list(KINDS):
        path = cache_path(kind)
        size, files = tree_size(path)
        out.append(Entry(kind, path, size, files, KINDS[kind]))
    return out


def remove(entry: Entry) -> None:
    """Delete one kind's folder: a symlink is unlinked (its target is left alone), a folder is
    removed without following links inside it. Only KINDS folders are ever passed here."""
    path = entry.path
    if path.name != entry.kind or entry.kind not in KINDS:
        raise BadInput(f"refusing to remove {path}: not a codeloop cache folder")
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
