"""Issue 28, "git": every git command codeloop runs (chat, fix, implement, build) ignores what
a repository's own git config and `.git/` say to execute — hooks, `core.hooksPath`,
fsmonitor, clean/smudge filters, diff drivers and textconv, signing programs — while an
honest repository (and the user's own global filters) behave as before.

Each test plants the program in a throwaway repository under tmp_path; the program touches a
marker file, which must never appear."""

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from tests.apps.chat_fixtures import FIXED, edit_reply, git, make_repo
from workspace.git import GitError, GitRepo, run_git
from workspace.repo import RepoError, UserRepo

HOOKS = ("pre-commit", "commit-msg", "post-commit", "post-index-change", "reference-transaction", "post-checkout",
         "pre-auto-gc", "prepare-commit-msg")


def program(path: Path, marker: Path) -> str:
    """An executable that leaves `marker` and passes its input through (a valid filter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo")


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "pwned"


def edit_and_commit(root: Path) -> None:
    """What a chat edit does: write an added file, commit it as codeloop's, show the diff."""
    chat_repo = UserRepo.find(root)
    chat_repo.write("calc.py", FIXED)
    chat_repo.commit(["calc.py"], "codeloop: fix", ours=True)
    chat_repo.last_diff()
    chat_repo.dirty()


def test_repository_hooks_never_run(repo, marker):
    for name in HOOKS:
        program(repo / ".git" / "hooks" / name, marker)
    edit_and_commit(repo)
    assert not marker.exists()


def test_a_hooks_path_into_the_repository_is_ignored(repo, marker):
    for name in HOOKS:
        program(repo / "githooks" / name, marker)
    git(repo, "add", "githooks")
    git(repo, "commit", "-qm", "hooks")
    git(repo, "config", "core.hooksPath", "githooks")
    edit_and_commit(repo)
    assert not marker.exists()


def test_fsmonitor_from_the_repository_never_runs(repo, marker):
    git(repo, "config", "core.fsmonitor", program(repo.parent / "fsmon", marker))
    edit_and_commit(repo)
    UserRepo.find(repo).undo()
    assert not marker.exists()


def test_filters_named_by_gitattributes_never_run(repo, marker):
    evil = program(repo.parent / "filter", marker)
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    git(repo, "config", "filter.evil.clean", evil)
    git(repo, "config", "filter.evil.smudge", evil)
    git(repo, "config", "filter.evil.required", "true")
    (repo / "calc.py").touch()
    edit_and_commit(repo)
    UserRepo.find(repo).undo()  # reset --hard: a smudge
    assert not marker.exists()


def test_a_filter_whose_name_defeats_command_line_overrides_is_refused(repo, marker):
    (repo / ".gitattributes").write_text("*.py filter=a=b\n")  # `-c filter.a=b.clean=` would set `filter.a`
    git(repo, "config", "filter.a=b.clean", program(repo.parent / "filter", marker))
    (repo / "calc.py").write_text(FIXED)
    with pytest.raises(RepoError, match="cannot switch off"):
        UserRepo.find(repo).commit(["calc.py"], "codeloop: fix", ours=True)
    assert not marker.exists()


def test_a_long_running_filter_process_never_runs(repo, marker):
    (repo / ".gitattributes").write_text("* filter=lfsish\n")
    git(repo, "config", "filter.lfsish.process", program(repo.parent / "proc", marker))
    edit_and_commit(repo)
    assert not marker.exists()


def test_config_based_hooks_are_switched_off_by_name(repo, marker):
    # git 2.54+ runs `hook.<name>.command` for `hook.<name>.event`; core.hooksPath does not reach it
    git(repo, "config", "hook.linter.event", "post-commit")
    git(repo, "config", "hook.linter.command", f"touch {marker}")
    assert run_git(repo, "config", "hook.linter.enabled").strip() == "false"
    edit_and_commit(repo)
    assert not marker.exists()


def test_diff_drivers_and_textconv_never_run(repo, marker):
    evil = program(repo.parent / "differ", marker)
    (repo / ".gitattributes").write_text("*.py diff=evil\n")
    git(repo, "config", "diff.external", evil)
    git(repo, "config", "diff.evil.command", evil)
    git(repo, "config", "diff.evil.textconv", evil)
    chat_repo = UserRepo.find(repo)
    chat_repo.write("calc.py", FIXED)
    assert "a + b" in chat_repo.last_diff()  # HEAD is not ours: the working tree's diff
    chat_repo.commit(["calc.py"], "codeloop: fix", ours=True)
    assert "a + b" in chat_repo.last_diff()  # git show of codeloop's commit
    assert not marker.exists()


def test_signing_programs_never_run(repo, marker):
    git(repo, "config", "commit.gpgSign", "true")
    git(repo, "config", "gpg.program", program(repo.parent / "gpg", marker))
    edit_and_commit(repo)
    assert not marker.exists()


def test_build_directory_commits_ignore_hooks_and_filters(tmp_path, marker):
    out = tmp_path / "out"
    build = GitRepo(out)
    build.ensure()
    program(out / ".git" / "hooks" / "post-commit", marker)
    (out / ".gitattributes").write_text("* filter=evil\n")
    run_git(out, "config", "filter.evil.clean", program(tmp_path / "filter", marker))
    run_git(out, "config", "core.fsmonitor", program(tmp_path / "fsmon", marker))
    (out / "a.py").write_text("A = 1\n")
    build.commit_all("step 1")
    assert build.changed_paths() == [] and not marker.exists()


def test_chat_session_through_the_cli_runs_no_repository_program(tmp_path, marker, stub_server, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    for name in HOOKS:
        program(repo / ".git" / "hooks" / name, marker)
    git(repo, "config", "core.fsmonitor", program(tmp_path / "fsmon", marker))
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(repo)
    server = stub_server([edit_reply("calc.py", FIXED)])
    result = CliRunner().invoke(app, ["chat", "--base-url", server.base_url, "--sandbox", "process", "calc.py"],
                                input="fix add\n/diff\n/undo\n/exit\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "tests passed" in result.output and "reverted" in result.output
    assert not marker.exists()


def test_a_work_tree_configured_elsewhere_is_refused(repo, tmp_path):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    git(repo, "config", "core.worktree", str(elsewhere))
    with pytest.raises(RepoError, match="does not contain it"):
        UserRepo.find(repo)


def test_a_linked_codeloop_folder_in_a_build_directory_is_refused(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / ".codeloop").symlink_to(outside)
    with pytest.raises(GitError, match="symlink"):
        GitRepo(out).ensure()
    assert list(outside.iterdir()) == []


def test_the_users_own_global_filters_still_apply(repo, tmp_path, monkeypatch):
    user_config = tmp_path / "gitconfig"
    user_config.write_text("[filter \"upper\"]\n\tclean = tr a-z A-Z\n\tsmudge = cat\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(user_config))
    (repo / ".gitattributes").write_text("notes.txt filter=upper\n")
    (repo / "notes.txt").write_text("hello\n")
    chat_repo = UserRepo.find(repo)
    chat_repo.commit(["notes.txt", ".gitattributes"], "notes", ours=False)
    assert run_git(repo, "show", "HEAD:notes.txt") == "HELLO\n"


def test_the_hooks_folder_codeloop_points_git_at_is_empty_and_private(repo):
    path = run_git(repo, "config", "core.hooksPath").strip()
    assert os.path.isdir(path) and os.listdir(path) == [] and stat.S_IMODE(os.stat(path).st_mode) == 0o700
