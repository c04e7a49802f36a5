"""git, the one way codeloop runs it: `run_git` for every command (chat, fix, implement,
build, the batch's code version) and `GitRepo`, the wrapper over one working tree.

A repository's own git config is untrusted (a planted repo, or one whose `.git/config` an
earlier step could write), and several of its keys name programs git runs during ordinary
commands. `run_git` overrides those on the command line (`-c` beats every config file):

- `core.fsmonitor=false` (run by status/add/diff), `core.hooksPath` = an empty folder
  codeloop made (every hook, incl. post-commit, post-index-change, reference-transaction),
  `commit.gpgSign`/`tag.gpgSign`/`log.showSignature` off (they run `gpg.program`),
  `core.editor`/`sequence.editor` `:` (git's no-op editor), no pager, no auto-gc,
  submodules ignored (their config would be read by child gits);
- `filter.<name>.clean|smudge|process` set empty and `.required=false` for every filter
  the repository's own config (scope local/worktree) defines — `.gitattributes` can only
  name a driver, the command comes from config; the user's global drivers (git-lfs) stay;
  likewise `hook.<name>.enabled=false` for its config-based hooks (git 2.54+); a name
  that `-c` cannot address (one with "=") is refused (`GitRefused`);
- diff drivers (`diff.external`, `diff.<name>.command|textconv`) are never run because
  every diff codeloop asks for passes `--no-ext-diff --no-textconv` (`DIFF_SAFE`);
- `GIT_TERMINAL_PROMPT=0`, and no network command is ever run (no ssh, credential helpers).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workspace import files as safefs

CODELOOP_IDENTITY = ("-c", "user.name=codeloop", "-c", "user.email=codeloop@localhost")
DIFF_SAFE = ("--no-ext-diff", "--no-textconv")  # add to every diff, show or log -p
_IGNORE = ".codeloop/\n__pycache__/\n.pytest_cache/\n*.pyc\n"
_SAFE_CONFIG = {
    "core.fsmonitor": "false", "core.editor": ":", "sequence.editor": ":", "core.pager": "cat",
    "commit.gpgSign": "false", "tag.gpgSign": "false", "log.showSignature": "false",
    "gc.auto": "0", "maintenance.auto": "false", "submodule.recurse": "false",
    "diff.ignoreSubmodules": "all", "status.submoduleSummary": "false",
}
_REPO_SCOPES = ("local", "worktree")  # the repository's own config files (and what they include)
_FILTER_KEYS = ("clean", "smudge", "process")


class GitError(RuntimeError):
    """git is missing or a git command failed."""


class GitRefused(GitError):
    """codeloop will not run git here (a filter it cannot switch off, a missing folder)."""


_hooks_dirs: list[str] = []  # made on first use, not at import


def _no_hooks_dir() -> str:
    """An empty folder only this user can write (mkdtemp: 0700), made once per process and
    again if something removed it (a forked child's exit, a tmp cleaner)."""
    if not _hooks_dirs or not os.path.isdir(_hooks_dirs[-1]):
        _hooks_dirs.append(tempfile.mkdtemp(prefix="codeloop-nohooks-"))
        atexit.register(shutil.rmtree, _hooks_dirs[-1], True)
    return _hooks_dirs[-1]


def _env() -> dict[str, str]:
    return os.environ | {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_EDITOR": ":"}


def safety_args(cwd: Path) -> list[str]:
    """The `-c` options that switch off every program the repository at `cwd` could name."""
    config = {"core.hooksPath": _no_hooks_dir(), **_SAFE_CONFIG}
    named = repo_named_programs(cwd)
    for section, name in sorted(named):
        if "=" in name:  # `-c` splits at the first "=": this name cannot be overridden, so it is refused
            raise GitRefused(f"the git config of {cwd} defines a {section} named {name!r}, which codeloop cannot "
                             "switch off; remove it from .git/config")
        if section == "filter":
            config |= {f"filter.{name}.{key}": "" for key in _FILTER_KEYS} | {f"filter.{name}.required": "false"}
        else:  # config-based hooks (git 2.54+): `core.hooksPath` does not reach them
            config[f"hook.{name}.enabled"] = "false"
    return [arg for key, value in config.items() for arg in ("-c", f"{key}={value}")]


def repo_named_programs(cwd: Path) -> set[tuple[str, str]]:
    """`(section, name)` of each filter driver and config-based hook the repository's own
    config defines (every defined one when this git cannot tell config scopes apart).
    Config keys never hold a newline, so the listing is split by lines."""
    argv = ["git", "--no-pager", "config", "--name-only"]
    done = _spawn([*argv, "--show-scope", "--list"], cwd)
    scoped = done.returncode == 0
    if not scoped:
        done = _spawn([*argv, "--list"], cwd)
    found = set()
    for line in done.stdout.splitlines():
        scope, _, key = line.partition("\t") if scoped else ("local", "", line)
        section, _, rest = key.partition(".")
        name, _, leaf = rest.rpartition(".")
        if scope not in _REPO_SCOPES or not name:
            continue
        if (section.lower() == "filter" and leaf.lower() in _FILTER_KEYS) or section.lower() == "hook":
            found.add((section.lower(), name))
    return found


def run_git(cwd: Path, *args: str, check: bool = True, timeout: float = 60.0, config: tuple[str, ...] = ()) -> str:
    """`git args` in `cwd` with repository-controlled execution switched off (see the
    module docstring) and `config` (more `-c` options) before the command; returns stdout.
    GitError when git is missing, or fails and `check`."""
    done = _spawn(["git", "--no-pager", *safety_args(cwd), *config, *args], cwd, timeout)
    if check and done.returncode != 0:
        raise GitError(f"git {args[0] if args else ''} failed in {cwd}: {done.stderr.strip()[:300]}")
    return done.stdout


def _spawn(argv: list[str], cwd: Path, timeout: float = 60.0) -> subprocess.CompletedProcess:
    if not Path(cwd).is_dir():
        raise GitRefused(f"{cwd}: no such folder")
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_env(),
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise GitError("git is not installed (codeloop keeps its edits and build steps in git)") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {' '.join(argv[-2:])} did not finish in {timeout:g} s in {cwd}") from exc


class GitRepo:
    """One git working tree. `own_identity`: commit as the user when git knows who they are
    (chat, fix, implement), else always as codeloop (build directories)."""

    failure: type[Exception] = GitError  # what a failed git command raises

    def __init__(self, root: Path, *, own_identity: bool = False) -> None:
        self.root = Path(root)
        self.own_identity = own_identity
        self._identity: tuple[str, ...] | None = None

    def git(self, *args: str, check: bool = True, config: tuple[str, ...] = ()) -> str:
        """Run git in the root (safely, `run_git`); a failure raises `self.failure`."""
        try:
            return run_git(self.root, *args, check=check, config=config)
        except GitError as exc:
            raise self.failure(str(exc)) from None

    def _commit_identity(self) -> tuple[str, ...]:
        # `-c user.*` would override a configured identity, so it is passed only when git has none
        if self._identity is None:
            known = self.own_identity and self.git("config", "user.email", check=False).strip()
            self._identity = () if known else CODELOOP_IDENTITY
        return self._identity

    def git_dir(self) -> Path:
        """The repository's git directory, absolute."""
        return Path(self.git("rev-parse", "--absolute-git-dir").strip())

    def ensure(self) -> None:
        """Make `root` a repository (idempotent) that ignores codeloop's own state. Refuses
        a `.git` or `.codeloop` that is a link (a resumed directory is untrusted too)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for private in (".git", ".codeloop"):
            if safefs.kind(self.root, private) in ("link", "other"):
                raise self.failure(f"{self.root / private} is a symlink or special file; codeloop will not use it")
        if safefs.kind(self.root, ".git") == "missing":
            self.git("init", "-q")
        self.exclude(_IGNORE)

    def exclude(self, lines: str) -> None:
        """Add `lines` to `.git/info/exclude` unless its first line is there already
        (written without following links, even inside `.git`)."""
        git_dir = Path(self.git("rev-parse", "--path-format=absolute", "--git-common-dir").strip())
        old = safefs.read_text(git_dir, "info/exclude", max_bytes=1 << 20) or ""
        if lines.splitlines()[0] in old.splitlines():
            return
        safefs.append_text(git_dir, "info/exclude", ("\n" if old and not old.endswith("\n") else "") + lines)

    def head(self) -> str:
        """The current commit id, or "" in a repository with no commits."""
        return self.git("rev-parse", "--verify", "-q", "HEAD", check=False).strip()

    def subject(self, rev: str = "HEAD") -> str:
        """The first line of a commit's message ("" when there is none)."""
        return self.git("log", "-1", "--format=%s", rev, "--", check=False).strip()

    def message(self, rev: str = "HEAD") -> str:
        """A commit's whole message."""
        return self.git("log", "-1", "--format=%B", rev, "--")

    def parent(self, rev: str = "HEAD") -> str:
        """A commit's first parent ("" for a root commit or no commit)."""
        return self.git("rev-parse", "--verify", "-q", f"{rev}^", check=False).strip()

    def tracked(self, *paths: str) -> list[str]:
        """Files git tracks (under `paths`, or all), root-relative."""
        return [p for p in self.git("ls-files", "-z", *(["--", *paths] if paths else [])).split("\0") if p]

    def changed_paths(self, paths: list[str] | None = None, *, untracked: bool = True) -> list[str]:
        """Paths (of `paths`, or all) that differ from HEAD: modified, staged, deleted and,
        with `untracked`, untracked ones."""
        out = self.git("status", "--porcelain", "-z", "--ignore-submodules=all",
                       f"--untracked-files={'all' if untracked else 'no'}", *(["--", *paths] if paths else []))
        return status_paths(out)

    def commit_all(self, message: str) -> str:
        """Stage everything and commit (an empty commit when nothing changed); returns the id."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message, config=self._commit_identity())
        return self.head()

    def commit_paths(self, paths: list[str], message: str) -> str:
        """Commit exactly `paths` (other staged changes stay staged); returns the short id."""
        self.git("add", "--", *paths)
        self.git("commit", "-q", "--no-verify", "-m", message, "--only", "--", *paths, config=self._commit_identity())
        return self.git("rev-parse", "--short", "HEAD").strip()

    def restore(self, paths: list[str]) -> None:
        """Put `paths` back as HEAD has them; files HEAD lacks are removed."""
        if not paths:
            return
        tracked = set(self.tracked())
        known = [p for p in paths if p in tracked]
        if known:
            self.git("checkout", "-q", "HEAD", "--", *known)
        for path in paths:
            if path not in tracked:
                safefs.remove(self.root, path)


def status_paths(porcelain: str) -> list[str]:
    """Paths named by `git status --porcelain -z`, sorted (a rename's old path, which
    follows its entry, is skipped)."""
    paths, skip = set(), False
    for entry in porcelain.split("\0"):
        if skip:
            skip = False
        elif len(entry) > 3:
            paths.add(entry[3:])
            skip = entry[0] in "RC"
    return sorted(paths)
