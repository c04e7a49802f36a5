"""The file store: every file the agents write, on disk under the build directory.

Paths come from model output, so every one is checked before use: relative, no `..`, no
NUL, nothing inside `.git` or `.codeloop`, no symlink anywhere on the way (a link could
point outside the directory; workspace/files.py walks each path without following one), and
size caps per file and in total. Writes are a temp file renamed into place. The file index gives
each file a one-line summary (its module docstring) and its top-level symbols, read with
`ast` — no model call, so it is free to rebuild after every write.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from codetext.pyast import parse_python
from codetext.tree import walk_files
from settings.errors import BadInput
from workspace import files as safefs

MAX_FILE_BYTES = 256 * 1024
MAX_FILES = 200
PRIVATE = (".git", ".codeloop")  # ours: the agents may neither read nor write here


class FileStoreError(BadInput):
    """A path that escapes the store, a private path, or a file over the caps."""


@dataclass
class FileEntry:
    """One line of the file index."""

    path: str
    summary: str = ""
    symbols: list[str] = field(default_factory=list)
    lines: int = 0

    def render(self) -> str:
        """`path (N lines) — summary; defines: a, b`"""
        text = f"{self.path} ({self.lines} lines)"
        if self.summary:
            text += f" — {self.summary}"
        if self.symbols:
            text += f"; defines: {', '.join(self.symbols)}"
        return text


def check_path(name: str) -> str:
    """`name` as a normalised relative POSIX path, or FileStoreError."""
    if not isinstance(name, str) or not name.strip() or "\x00" in name or "\\" in name:
        raise FileStoreError(f"invalid file path: {name!r}")
    path = PurePosixPath(name.strip())
    if path.is_absolute() or ".." in path.parts:
        raise FileStoreError(f"path escapes the build directory: {name!r}")
    if path.parts and path.parts[0] in PRIVATE:
        raise FileStoreError(f"path is reserved for codeloop: {name!r}")
    clean = str(path)
    if clean in ("", "."):
        raise FileStoreError(f"invalid file path: {name!r}")
    return clean


class FileStore:
    """Files under `root`, read and written only through checked paths."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _target(self, name: str) -> str:
        """The checked relative path for `name`, refusing symlinks on the way (they may leave
        root); the I/O below walks it again without following links (workspace/files.py)."""
        clean = check_path(name)
        try:
            return safefs.confine(self.root, clean, label="the build directory")
        except safefs.UnsafePath as exc:
            raise FileStoreError(f"{exc} ({name!r})") from None

    def read(self, name: str) -> str:
        """The text of file `name` (FileNotFoundError when absent)."""
        rel = self._target(name)
        try:
            data = safefs.read_bytes(self.root, rel, max_bytes=MAX_FILE_BYTES)
        except safefs.UnsafePath as exc:
            raise FileStoreError(f"cannot read {name!r}: {exc}") from None
        if data is None:
            raise FileNotFoundError(f"no such file in the build: {name!r}")
        return data.decode("utf-8", errors="replace")

    def write(self, name: str, text: str) -> str:
        """Write a whole file (temp file + rename, never through a link); returns the
        normalised path."""
        clean = check_path(name)
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise FileStoreError(f"file over {MAX_FILE_BYTES} bytes: {name!r}")
        rel = self._target(clean)
        try:
            found = safefs.kind(self.root, rel)
        except safefs.UnsafePath as exc:
            raise FileStoreError(f"cannot write {name!r}: {exc}") from None
        if found == "missing" and len(self.list()) >= MAX_FILES:
            raise FileStoreError(f"the build already has {MAX_FILES} files: {name!r} refused")
        if found == "dir":
            raise FileStoreError(f"path is a directory: {name!r}")
        try:
            safefs.write_text(self.root, rel, text)
        except safefs.UnsafePath as exc:
            raise FileStoreError(f"cannot write {name!r}: {exc}") from None
        return clean

    def delete(self, name: str) -> None:
        """Remove file `name` (missing files are fine)."""
        try:
            safefs.remove(self.root, self._target(name))
        except safefs.UnsafePath as exc:
            raise FileStoreError(f"cannot delete {name!r}: {exc}") from None

    def list(self) -> list[str]:
        """Every regular file's relative path, sorted; private and cache folders skipped."""
        return sorted(path.relative_to(self.root).as_posix() for path in walk_files(self.root)
                      if path.suffix != ".pyc")

    def snapshot(self) -> dict[str, str]:
        """All files as `{path: text}` — what a sandbox run gets."""
        return {name: self.read(name) for name in self.list()}

    def index(self) -> list[FileEntry]:
        """The file index: summary and top-level symbols per file."""
        return [describe(name, self.read(name)) for name in self.list()]


def describe(path: str, text: str) -> FileEntry:
    """A file's index entry: Python files by `ast`, others by their first non-empty line."""
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    if not path.endswith(".py"):
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        return FileEntry(path, first[:100], [], lines)
    try:
        tree = parse_python(text)
    except SyntaxError as exc:
        return FileEntry(path, f"(does not parse: line {exc.lineno})", [], lines)
    doc = (ast.get_docstring(tree) or "").strip().splitlines()
    return FileEntry(path, doc[0][:100] if doc else "", top_level_symbols(tree), lines)


def top_level_symbols(tree: ast.Module) -> list[str]:
    """Names defined at module level: `def f(a, b)`, `class C(m1, m2)`, CONSTANTS."""
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(f"{node.name}({', '.join(a.arg for a in node.args.args)})")
        elif isinstance(node, ast.ClassDef):
            methods = [n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and (not n.name.startswith("_") or n.name == "__init__")]
            names.append(f"class {node.name}({', '.join(methods)})")
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()]
    return names
