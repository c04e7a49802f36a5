"""agents/edit/fix.py: which files `codeloop fix` may rewrite."""

import pytest

from agents.edit.fix import fix_targets, suspects
from tests.apps.chat_fixtures import make_repo
from workspace.pytest_run import TestRun
from workspace.repo import RepoError, UserRepo

FILES = {"calc.py": "", "src/util.py": "", "tests/test_calc.py": "import calc\nfrom util import x\n",
         "tests/helpers.py": ""}


def failure(file, line, crash_file=None, crash_line=None):
    return {"id": f"{file}::t", "file": file, "line": line, "crash_file": crash_file, "crash_line": crash_line}


def test_suspects_are_crash_files_and_imported_modules_never_tests_or_unknown_files():
    failures = [failure("tests/test_calc.py", 3, "calc.py", 2), failure("tests/test_calc.py", 4, "/etc/passwd", 1),
                failure("tests/test_calc.py", 5, "tests/helpers.py", 9)]
    assert suspects(failures, FILES) == ["calc.py", "src/util.py"]
    assert suspects([failure("nope.py", 1)], FILES) == []


def test_fix_targets_refuse_uncommitted_changes_unless_committed_first(tmp_path):
    root = make_repo(tmp_path / "repo")
    repo = UserRepo.find(root)
    tests = TestRun("failed", "boom", [], [failure("tests/test_calc.py", 5, "calc.py", 2)])
    tree = repo.text_files([], {})
    notes = []
    assert fix_targets(repo, [], tests, tree, commit_first=False, notify=notes.append) == ["calc.py"]
    (root / "calc.py").write_text("# mine\n")
    with pytest.raises(RepoError, match="calc.py: uncommitted changes of yours"):
        fix_targets(repo, [], tests, tree, commit_first=False, notify=notes.append)
    assert fix_targets(repo, ["calc.py"], tests, tree, commit_first=True, notify=notes.append) == ["calc.py"]
    assert repo.dirty() == [] and notes and notes[0].startswith("committed your changes to calc.py")
    with pytest.raises(RepoError, match="no file to fix found"):
        fix_targets(repo, [], TestRun("failed", "", []), tree, commit_first=False, notify=notes.append)
