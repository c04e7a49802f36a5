"""workspace/repo.py: what a test run of the user's repository carries into the sandbox."""

import os

import pytest

from tests.apps.chat_fixtures import BUGGY, FIXED, TEST, make_repo
from workspace import repo as repo_module
from workspace.repo import RepoError, UserRepo


def test_text_files_are_the_tracked_and_extra_texts_with_overrides_on_top(tmp_path):
    root = make_repo(tmp_path / "repo")
    (root / "new.py").write_text("N = 1\n")  # untracked: only when named
    (root / "blob.bin").write_bytes(b"\x00\xff\x00")
    (root / "secret.txt").write_text("outside\n")
    os.symlink(root / "secret.txt", root / "link.py")
    repo = UserRepo.find(root)
    repo.git("add", "blob.bin", "link.py")
    assert repo.text_files([], {}) == {"calc.py": BUGGY, "tests/test_calc.py": TEST}
    assert repo.text_files(["new.py"], {"calc.py": FIXED}) == {"tests/test_calc.py": TEST, "new.py": "N = 1\n",
                                                               "calc.py": FIXED}


def test_text_files_refuse_a_repository_too_big_to_test(tmp_path, monkeypatch):
    repo = UserRepo.find(make_repo(tmp_path / "repo"))
    monkeypatch.setattr(repo_module, "MAX_REPO_BYTES", len(BUGGY) + 1)
    with pytest.raises(RepoError, match="too big to test"):
        repo.text_files([], {})
