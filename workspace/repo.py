"""The user's repository as chat, fix, test and implement see it: paths that may be
edited, the files a test run needs, and git.

Everything that reads or writes the user's working tree goes through `UserRepo`, so the
refusals live in one place: paths outside the root, any symlink on the way (workspace/files.py
checks each component, and the I/O never follows a link), `.git` and `.codeloop`, and files
with uncommitted changes of the user's own (the doors add their own rules, e.g. the chat's
added files). git itself runs through `workspace.git.run_git`, with the repository's hooks,
fsmonitor and filters off.
"""

from __future__ import annotations

from pathlib import Path

from settings.errors import BadInput
from workspace import files as safefs
from workspace.git import DIFF_SAFE, GitError, GitRefused, GitRepo, run_git

TRAILER = "Codeloop-Edit: yes"  # marks the commits /undo may revert
MAX_FILE_BYTES = 256 * 1024  # a whole-file edit of anything larger would not fit a small context
MAX_REPO_BYTES = 8 * 1024 * 1024  # what travels into the sandbox for a test run; a repo worked in is small
STATE_DIR = ".codeloop"


class RepoError(BadInput):
    """A refusal: the path or the repository state does not allow the operation."""


class UserRepo(GitRepo):
    """The user's git working tree rooted at `root` (the repository's top level)."""

    failure = RepoError

    def __init__(self, root: Path) -> None:
        super().__init__(Path(root).resolve(), own_identity=True)

    @classmethod
    def find(cls, start: Path) -> UserRepo:
        """The repository containing `start`; refuses outside a git repository, and a
        work tree that does not contain `start` (a `core.worktree` pointing elsewhere)."""
        try:
            top = run_git(Path(start), "rev-parse", "--show-toplevel").strip()
        except GitRefused as exc:
            raise RepoError(str(exc)) from None
        except GitError:
            raise RepoError(f"{start} is not inside a git repository (run `git init` first)") from None
        repo = cls(Path(top))
        here = Path(start).resolve()
        if repo.root != here and repo.root not in here.parents:
            raise RepoError(f"{start}: git says its work tree is {repo.root}, which does not contain it; "
                            "codeloop only works inside the repository's own folder")
        repo.exclude(f"{STATE_DIR}/\n")
        return repo

    def state_dir(self) -> Path:
        """`.codeloop/`, codeloop's own state (history, transcript); refuses one that is a
        link or that git tracks (state a repository ships is not codeloop's)."""
        found = safefs.kind(self.root, STATE_DIR)
        if found not in ("dir", "missing"):
            raise RepoError(f"{self.root / STATE_DIR} is a {found}, not a folder; codeloop keeps its state only "
                            "in a real .codeloop/ folder (remove it)")
        if self.tracked(STATE_DIR):
            raise RepoError(f"the repository tracks {STATE_DIR}/; codeloop does not trust state it did not write "
                            f"(git rm -r --cached {STATE_DIR} to untrack it)")
        return self.root / STATE_DIR

    def state_file(self, name: str) -> Path:
        """`.codeloop/NAME` for a library that opens it itself (prompt_toolkit's history):
        the folder is made link-free and the file must be absent or a regular file."""
        self.state_dir()
        rel = f"{STATE_DIR}/{name}"
        try:
            safefs.make_dirs(self.root, STATE_DIR)
            found = safefs.kind(self.root, rel)
        except safefs.UnsafePath as exc:
            raise RepoError(str(exc)) from None
        if found not in ("file", "missing"):
            raise RepoError(f"{self.root / rel} is a {found}, not a file; codeloop will not write through it")
        return self.root / rel

    def relpath(self, name: str | Path) -> str:
        """`name` (relative to the root, or absolute) as a root-relative POSIX path.

        Refuses paths outside the root, any symlink on the way (checked per component),
        git's own directory and `.codeloop/`."""
        try:
            return safefs.confine(self.root, name, label="the repository")
        except safefs.UnsafePath as exc:
            raise RepoError(str(exc)) from None

    def usable(self, names: list[str]) -> tuple[list[str], list[str]]:
        """Of `names` (e.g. a resumed chat's files), those a door may use as root-relative
        paths, and one refusal line for each other."""
        kept, refused = [], []
        for name in names:
            try:
                rel = self.relpath(name)
                self.read(rel)
            except RepoError as exc:
                refused.append(f"not restored: {exc}")
                continue
            if rel not in kept:
                kept.append(rel)
        return kept, refused

    def text_files(self, extra: list[str], overrides: dict[str, str]) -> dict[str, str]:
        """What a test run needs: the tracked text files plus `extra` (e.g. added, maybe
        untracked), with `overrides` (proposed new texts) on top; binaries, links, special
        and oversized files stay out."""
        files: dict[str, str] = {}
        total = 0
        for rel in dict.fromkeys([*self.tracked(), *extra]):
            if rel in overrides:
                continue
            try:  # never through a link
                text = safefs.read_text(self.root, rel, max_bytes=MAX_FILE_BYTES)
            except (safefs.UnsafePath, OSError):
                continue
            if text is None:
                continue
            total += len(text)
            if total > MAX_REPO_BYTES:
                raise RepoError(f"the repository's text files exceed {MAX_REPO_BYTES // 2**20} MiB; too big to test")
            files[rel] = text
        return files | overrides

    def exists(self, rel: str) -> bool:
        """Whether anything is at root-relative `rel` (links not followed)."""
        try:
            return safefs.kind(self.root, rel) != "missing"
        except safefs.UnsafePath as exc:
            raise RepoError(str(exc)) from None

    def read(self, rel: str) -> str:
        """The text of a root-relative file ("" for a file that does not exist yet)."""
        try:
            if safefs.kind(self.root, rel) == "dir":
                raise RepoError(f"{rel}: is a directory (add the files inside it)")
            text = safefs.read_text(self.root, rel, max_bytes=MAX_FILE_BYTES)
        except safefs.UnsafePath as exc:
            too_big = ", too big for whole-file edits" if "larger than" in str(exc) else ""
            raise RepoError(f"{exc}{too_big}") from None
        return text or ""

    def write(self, rel: str, text: str) -> None:
        """Write a root-relative file, re-checking the path (a symlink may have appeared);
        a temp file renamed into place, never through a link."""
        rel = self.relpath(rel)
        try:
            safefs.write_text(self.root, rel, text)
        except safefs.UnsafePath as exc:
            raise RepoError(str(exc)) from None

    def dirty(self, paths: list[str] | None = None) -> list[str]:
        """Paths (of `paths`, or all) with uncommitted changes: modified, staged or untracked."""
        return self.changed_paths(paths)

    def dirty_tracked(self) -> list[str]:
        """Tracked files with uncommitted changes (untracked files do not count)."""
        return self.changed_paths(untracked=False)

    def commit(self, paths: list[str], message: str, *, ours: bool) -> str:
        """Commit exactly `paths` (other staged changes stay staged); `ours` marks the
        commit as codeloop's own so /undo may revert it. Returns the short id."""
        return self.commit_paths(paths, f"{message}\n\n{TRAILER}\n" if ours else message)

    def head_is_ours(self) -> bool:
        """True when the last commit was made by a codeloop edit."""
        if not self.head():
            return False
        return TRAILER in self.message()

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
            return self.git("show", *DIFF_SAFE, "--format=%h %s%n", "HEAD")
        return self.git("diff", *DIFF_SAFE)
