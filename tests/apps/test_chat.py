"""The chat controller with a FakeLLM and the process sandbox: change requests (whole-file
edits, sandboxed tests, repair rounds, one commit each) and every refusal."""

import os

import pytest

from tests.apps.chat_fixtures import BUGGY, FIXED, TEST, edit_reply, git, make_chat, make_repo

WRONG = "def add(a, b):\n    return a * b\n"


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo")


def commits(root):
    return git(root, "log", "--format=%s").splitlines()


def test_change_request_edits_tests_and_commits(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.handle("/add calc.py")
    chat.handle("fix add")
    assert (repo / "calc.py").read_text() == FIXED
    assert commits(repo)[0] == "codeloop: fix add"
    assert "Codeloop-Edit: yes" in git(repo, "log", "-1", "--format=%B")
    assert "tests passed after 0 repair" in chat.ui.text
    assert git(repo, "status", "--porcelain") == ""  # .codeloop/ is excluded, nothing else left over


def test_failing_edit_is_repaired_from_the_real_failure(repo):
    chat = make_chat(repo, [edit_reply("calc.py", WRONG), edit_reply("calc.py", FIXED)])
    chat.handle("/add calc.py")
    chat.handle("fix add")
    assert (repo / "calc.py").read_text() == FIXED
    assert "assert 2 == 3" in chat.llm.calls[1][-1]["content"]  # the sandbox's failure went back
    assert len(commits(repo)) == 2  # one commit for the whole turn


def test_repairs_are_bounded_and_the_commit_says_tests_fail(repo):
    chat = make_chat(repo, [edit_reply("calc.py", WRONG + f"# {i}\n") for i in range(4)], max_repairs=3)
    chat.handle("/add calc.py")
    chat.handle("fix add")
    assert chat.llm.remaining == 0 and len(chat.llm.calls) == 4
    assert commits(repo)[0] == "codeloop: fix add (tests failed)"
    assert "tests failed after 3 repair" in chat.ui.text


def test_edits_outside_the_repo_or_not_added_are_refused(repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo / "link")
    reply = (edit_reply("../evil.py", "x = 1\n") + edit_reply("link/evil.py", "x = 1\n")
             + edit_reply("tests/test_calc.py", "x = 1\n") + edit_reply("calc.py", FIXED))
    chat = make_chat(repo, [reply])
    chat.handle("/add calc.py")
    chat.handle("fix add")
    text = chat.ui.text
    assert "refused ../evil.py: outside the repository" in text
    assert "refused link/evil.py: goes through a symlink (link)" in text
    assert "refused tests/test_calc.py: not in the chat (/add tests/test_calc.py" in text
    assert not (tmp_path / "evil.py").exists() and not (outside / "evil.py").exists()
    assert (repo / "tests" / "test_calc.py").read_text() == TEST
    assert (repo / "calc.py").read_text() == FIXED


def test_add_refusals(repo, tmp_path):
    (tmp_path / "secret.py").write_text("x = 1\n")
    os.symlink(tmp_path / "secret.py", repo / "alias.py")
    (repo / "blob.bin").write_bytes(b"\xff\xfe\x00")
    chat = make_chat(repo, [])
    for name, why in [("../secret.py", "outside the repository"), ("alias.py", "symlink"),
                      ("tests", "is a directory"), (".git/config", "inside .git/, which codeloop never edits"),
                      ("blob.bin", "not a UTF-8 text file")]:
        chat.handle(f"/add {name}")
        assert why in chat.ui.lines[-1], name
    assert chat.added == []
    chat.handle("/add new_module.py")
    assert chat.added == ["new_module.py"] and "new file" in chat.ui.lines[-1]


def test_dirty_files_are_never_overwritten(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    (repo / "calc.py").write_text(BUGGY + "# mine\n")
    chat.handle("/add calc.py")
    chat.handle("fix add")
    assert "calc.py: uncommitted changes of yours would be overwritten; /commit them first" in chat.ui.text
    assert (repo / "calc.py").read_text() == BUGGY + "# mine\n" and chat.llm.calls == []
    chat.handle("/commit my note")
    assert commits(repo)[0] == "my note"
    chat.handle("fix add")
    assert (repo / "calc.py").read_text() == FIXED


def test_undo_reverts_only_codeloop_commits_on_a_clean_tree(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.handle("/undo")
    assert "only reverts codeloop's own commits" in chat.ui.lines[-1]
    chat.handle("/add calc.py")
    chat.handle("fix add")
    (repo / "calc.py").write_text("dirty\n")
    chat.handle("/undo")
    assert "uncommitted changes in calc.py" in chat.ui.lines[-1]
    (repo / "calc.py").write_text(FIXED)
    chat.handle("/undo")
    assert "reverted: codeloop: fix add" in chat.ui.lines[-1]
    assert (repo / "calc.py").read_text() == BUGGY and commits(repo) == ["initial"]


def test_a_new_file_is_created_and_undo_removes_it(repo):
    # calc's own test still fails; no repair rounds, so the new file is committed as is
    chat = make_chat(repo, [edit_reply("util.py", "def double(x):\n    return 2 * x\n")], max_repairs=0)
    chat.handle("/add util.py")
    chat.handle("write double")
    assert (repo / "util.py").exists()
    chat.handle("/undo")
    assert not (repo / "util.py").exists()


def test_a_reply_without_edits_changes_nothing(repo):
    chat = make_chat(repo, ["I am not sure what to change."])
    chat.handle("/add calc.py")
    chat.handle("fix add")
    assert "no file changed" in chat.ui.lines[-1] and len(commits(repo)) == 1


def test_change_without_files_is_refused(repo):
    chat = make_chat(repo, [])
    chat.handle("fix add")
    assert "no files in the chat: /add" in chat.ui.lines[-1]


def test_cancelled_reply_keeps_the_partial_text_and_changes_nothing(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.handle("/add calc.py")
    chat.ui.cancel_next = True
    chat.handle("fix add")
    assert chat.cancelled and "cancelled; no files were changed" in chat.ui.lines[-1]
    assert chat.messages[-1]["content"].endswith("[reply cancelled]")
    assert (repo / "calc.py").read_text() == BUGGY and len(commits(repo)) == 1
