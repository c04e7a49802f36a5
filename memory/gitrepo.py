"""The build directory as a git repository: one commit per finished instruction.

Commits are what resume trusts: the registry names the commit of every finished step, and
a working tree that differs from the last one was changed by someone else (or by a step
that was interrupted — the registry tells which).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# Commits must work on machines with no git identity configured (CI, containers).
_IDENTITY = ["-c", "user.name=codeloop", "-c", "user.email=codeloop@localhost", "-c", "commit.gpgsign=false"]
_IGNORE = ".codeloop/\n__pycache__/\n.pytest_cache/\n*.pyc\n"


class GitError(RuntimeError):
    """git is missing or a git command failed."""


class GitRepo:
    """A thin wrapper over the `git` command for one directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _git(self, *args: str, check: bool = True) -> str:
        try:
            done = subprocess.run(["git", *_IDENTITY, *args], cwd=self.root, capture_output=True,
                                  text=True, timeout=60)
        except FileNotFoundError as exc:
            raise GitError("git is not installed (codeloop build keeps its steps in a git repository)") from exc
        if check and done.returncode != 0:
            raise GitError(f"git {args[0]} failed in {self.root}: {done.stderr.strip()[:300]}")
        return done.stdout

    def ensure(self) -> None:
        """Make `root` a repository (idempotent) that ignores codeloop's own state."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / ".git").exists():
            self._git("init", "-q")
        exclude = self.root / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        text = exclude.read_text() if exclude.exists() else ""
        if ".codeloop/" not in text:
            exclude.write_text(text + ("\n" if text and not text.endswith("\n") else "") + _IGNORE)

    def head(self) -> str:
        """The current commit id, or "" in a repository with no commits."""
        out = self._git("rev-parse", "--verify", "-q", "HEAD", check=False).strip()
        return out

    def subject(self, rev: str = "HEAD") -> str:
        """The first line of a commit's message ("" when there is none)."""
        return self._git("log", "-1", "--format=%s", rev, "--", check=False).strip()

    def parent(self, rev: str = "HEAD") -> str:
        """A commit's first parent ("" for a root commit or no commit)."""
        return self._git("rev-parse", "--verify", "-q", f"{rev}^", check=False).strip()

    def commit_all(self, message: str) -> str:
        """Stage everything and commit (an empty commit when nothing changed); returns the id."""
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        return self.head()

    def changed_paths(self) -> list[str]:
        """Paths that differ from HEAD (modified, added, deleted, untracked)."""
        out = self._git("status", "--porcelain", "--untracked-files=all", "-z")
        paths = []
        entries = out.split("\0")
        skip = False
        for entry in entries:
            if skip:
                skip = False
                continue
            if len(entry) > 3:
                paths.append(entry[3:])
                skip = entry[0] in "RC"  # a rename is followed by its old path
        return sorted(paths)

    def restore(self, paths: list[str]) -> None:
        """Put `paths` back as HEAD has them; files HEAD lacks are removed."""
        if not paths:
            return
        tracked = set(self._git("ls-files", "-z").split("\0"))
        known = [p for p in paths if p in tracked]
        if known:
            self._git("checkout", "-q", "HEAD", "--", *known)
        for path in paths:
            if path not in tracked:
                (self.root / path).unlink(missing_ok=True)
