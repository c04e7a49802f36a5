"""The user's repository as the chat sees it: paths that may be edited, and git.

Everything that writes into the user's working tree goes through `ChatRepo`, so the
refusals live in one place: paths outside the root, symlinks that lead out, files the
user has not added, and files with uncommitted changes of the user's own.
"""

from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path
from settings.errors import BadInput

# Commits must work where no git identity is configured (CI, containers), but `-c` would
# override the user's own identity, so it is passed only when git has none (`_identity`).
TRAILER = "Codeloop-Edit: yes"  # marks the commits /undo may revert
MAX_FILE_BYTES = 256 * 1024  # a whole-file edit of anything larger would not fit a small context


class RepoError(BadInput):
    """A refusal: the path or the repository state does not allow the operation."""


class ChatRepo:
    """A git working tree rooted at `root` (the repository's top level)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    @classmethod
    def find(cls, start: Path) -> "ChatRepo":
        """The repository containing `start`; refuses outside a git repository."""
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True)
        if done.returncode != 0:
            raise RepoError(f"{start} is not inside a git repository (run `git init` first)")
        repo = cls(Path(done.stdout.strip()))
        repo.exclude_state_dir()
        return repo

    def git(self, *args: str, check: bool = True) -> str:
        """Run git in the root; a failure becomes a `RepoError` with git's message."""
        done = subprocess.run(["git", *self._identity, *args], cwd=self.root, capture_output=True, text=True,
                              timeout=60)
        if check and done.returncode != 0:
            raise RepoError(f"git {args[0]} failed: {done.stderr.strip()[:300]}")
        return done.stdout

    @cached_property
    def _identity(self) -> list[str]:
        probe = subprocess.run(["git", "config", "user.email"], cwd=self.root, capture_output=True, text=True)
        if probe.stdout.strip():
            return []
        return ["-c", "user.name=codeloop", "-c", "user.email=codeloop@localhost"]

    def exclude_state_dir(self) -> None:
        """Keep `.codeloop/` (history, transcript) out of git without touching .gitignore."""
        exclude = self.root / ".git" / "info" / "exclude"
        if not exclude.parent.is_dir():
            return
        text = exclude.read_text() if exclude.exists() else ""
        if ".codeloop/" not in text.splitlines():
            exclude.write_text(text + ("" if text.endswith("\n") or not text else "\n") + ".codeloop/\n")

    def relpath(self, name: str | Path) -> str:
        """`name` (relative to the root, or absolute) as a root-relative POSIX path.

        Refuses paths outside the root, paths whose symlinks lead out of it, and git's own
        directory."""
        raw = Path(name)
        path = raw if raw.is_absolute() else self.root / raw
        lexical = Path(*_normalize(path.parts))
        if not _inside(lexical, self.root):
            raise RepoError(f"{name}: outside the repository ({self.root})")
        if not _inside(lexical.resolve(), self.root):
            raise RepoError(f"{name}: a symlink that leads outside the repository")
        rel = lexical.relative_to(self.root).as_posix()
        if rel == "." or rel.split("/")[0] in (".git", ".codeloop"):
            raise RepoError(f"{name}: not a file codeloop may edit")
        return rel

    def read(self, rel: str) -> str:
        """The text of a root-relative file ("" for a file that does not exist yet)."""
        path = self.root / rel
        if not path.exists():
            return ""
        if path.is_dir():
            raise RepoError(f"{rel}: is a directory (add the files inside it)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RepoError(f"{rel}: larger than {MAX_FILE_BYTES // 1024} KiB, too big for whole-file edits")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise RepoError(f"{rel}: not a UTF-8 text file") from exc

    def write(self, rel: str, text: str) -> None:
        """Write a root-relative file, re-checking the path (a symlink may have appeared)."""
        rel = self.relpath(rel)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def tracked(self) -> list[str]:
        """Files git tracks, root-relative."""
        return [p for p in self.git("ls-files", "-z").split("\0") if p]

    def dirty(self, paths: list[str] | None = None) -> list[str]:
        """Paths (of `paths`, or all) with uncommitted changes: modified, staged or untracked."""
        return _status_paths(self.git("status", "--porcelain", "-z", "--untracked-files=all",
                                      *(["--", *paths] if paths else [])))

    def dirty_tracked(self) -> list[str]:
        """Tracked files with uncommitted changes (untracked files do not count)."""
        return _status_paths(self.git("status", "--porcelain", "-z", "--untracked-files=no"))

    def head(self) -> str:
        """The current commit id ("" before the first commit)."""
        return self.git("rev-parse", "--verify", "-q", "HEAD", check=False).strip()

    def commit(self, paths: list[str], message: str, *, ours: bool) -> str:
        """Commit exactly `paths` (other staged changes stay staged); `ours` marks the
        commit as codeloop's own so /undo may revert it. Returns the short id."""
        self.git("add", "--", *paths)
        body = f"{message}\n\n{TRAILER}\n" if ours else message
        self.git("commit", "-q", "--no-verify", "-m", body, "--only", "--", *paths)
        return self.git("rev-parse", "--short", "HEAD").strip()

    def head_is_ours(self) -> bool:
        """True when the last commit was made by a codeloop edit."""
        if not self.head():
            return False
        return TRAILER in self.git("log", "-1", "--format=%B")

    def undo(self) -> str:
        """Revert the last commit when codeloop made it and the tree is clean; returns its
        subject. Untracked files are left alone."""
        if not self.head_is_ours():
            raise RepoError("the last commit was not made by codeloop; /undo only reverts codeloop's own commits")
        dirty = self.dirty_tracked()
        if dirty:
            raise RepoError(f"uncommitted changes in {', '.join(dirty)}; commit or discard them before /undo")
        subject = self.git("log", "-1", "--format=%s").strip()
        if self.git("rev-list", "--count", "HEAD").strip() == "1":
            raise RepoError("the codeloop commit is the repository's first commit; nothing to go back to")
        self.git("reset", "-q", "--hard", "HEAD~1")
        return subject

    def last_diff(self) -> str:
        """The diff of the last codeloop commit, or the working tree's diff when HEAD is not ours."""
        if self.head_is_ours():
            return self.git("show", "--format=%h %s%n", "HEAD")
        return self.git("diff")


def _normalize(parts: tuple[str, ...]) -> list[str]:
    """Resolve `.` and `..` without following symlinks (they are checked separately)."""
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part != ".":
            out.append(part)
    return out


def _status_paths(porcelain: str) -> list[str]:
    """Paths named by `git status --porcelain -z` (a rename's old path, which follows
    its entry, is skipped)."""
    paths, skip = [], False
    for entry in porcelain.split("\0"):
        if skip:
            skip = False
        elif len(entry) > 3:
            paths.append(entry[3:])
            skip = entry[0] in "RC"
    return sorted(set(paths))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
