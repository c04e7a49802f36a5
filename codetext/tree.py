"""Walking a source tree: the folders that never hold a project's own source, skipped in one
place for every walker (sandbox runs of a folder, retrieval indexes, the build store and
the build benchmark).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# Version control, caches, virtual environments and codeloop's own state: tools made these.
NOT_SOURCE_DIRS = frozenset({
    ".git", ".hg", ".svn", ".codeloop", "__pycache__", ".pytest_cache", ".mypy_cache", ".tox", ".eggs",
    ".venv", "venv", "node_modules",
})  # fmt: skip
# Build output as well: for someone else's repository (a generated project may name a folder `build`).
SKIP_DIRS = NOT_SOURCE_DIRS | {"build", "dist"}


def walk_files(root: Path, skip: frozenset[str] = NOT_SOURCE_DIRS, *, skip_hidden: bool = False) -> Iterator[Path]:
    """The regular files under `root` (no symlinks, none inside `skip` folders or, with
    `skip_hidden`, inside dot-folders), folder by folder in sorted order."""
    for dirpath, dirnames, filenames in os.walk(root):  # symlinked folders are listed, never entered
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not (skip_hidden and d.startswith(".")))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path
