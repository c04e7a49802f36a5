"""Each /command of the chat, its refusals, prefix matching, the history files and
`--continue`, and the whole-file edit parser."""

import pytest

from apps.chat.history import ChatHistory
from retrieval.base import Hit
from tests.apps.chat_fixtures import BUGGY, FIXED, RecordingUI, edit_reply, git, make_chat, make_repo


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo")


def test_prefix_matching(repo):
    chat = make_chat(repo, [])
    chat.handle("/a calc.py")
    assert "/a is ambiguous: /add, /ask" in chat.ui.lines[-1]
    chat.handle("/ad calc.py")
    assert chat.added == ["calc.py"]
    chat.handle("/zap")
    assert "unknown command /zap" in chat.ui.lines[-1]
    assert chat.handle("/ex") is False and chat.handle("/exit") is False


def test_drop_and_ls(repo):
    chat = make_chat(repo, [])
    chat.handle("/add calc.py tests/test_calc.py")
    chat.handle("/drop tests/test_calc.py")
    assert chat.added == ["calc.py"]
    chat.handle("/drop nothere.py")
    assert "nothere.py is not in the chat" in chat.ui.lines[-1]
    chat.handle("/ls")
    assert chat.ui.lines[-1] == "in the chat:\n  calc.py\nother files:\n  tests/test_calc.py"
    chat.handle("/drop")
    assert chat.added == []
    chat.handle("/add")
    assert "name at least one file" in chat.ui.lines[-1]


def test_diff_shows_the_last_codeloop_commit_then_your_changes(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.handle("/diff")
    assert chat.ui.lines[-1] == "(no changes)"
    chat.handle("/add calc.py")
    chat.handle("fix add")
    chat.handle("/diff")
    assert "-    return a - b\n+    return a + b" in chat.ui.lines[-1]
    chat.handle("/commit")
    assert chat.ui.lines[-1] == "nothing to commit"


def test_help_lists_every_command(repo):
    chat = make_chat(repo, [])
    chat.handle("/help")
    for name in ("add", "drop", "ls", "ask", "test", "run", "diff", "undo", "commit", "tokens", "clear", "help", "exit"):
        assert f"/{name}" in chat.ui.lines[-1]


def test_tokens_warns_past_half_the_context(repo):
    chat = make_chat(repo, [], n_ctx=20_000)
    chat.handle("/add calc.py")
    chat.handle("/tokens")
    assert "calc.py" in chat.ui.lines[-1] and "total of 20,000" in chat.ui.lines[-1]
    (repo / "big.py").write_text("x = 1\n" * 8000)
    chat.handle("/add big.py")
    chat.handle("/tokens")
    assert "over half the context is used" in chat.ui.lines[-1]


def test_test_command_passes_or_sends_failures_to_the_model(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.handle("/test")
    assert "/add the files to fix" in chat.ui.lines[-1] and chat.llm.calls == []
    chat.handle("/add calc.py")
    chat.handle("/test")
    request = chat.llm.calls[0][-1]["content"]
    assert "Make the failing tests pass" in request and "assert -1 == 3" in request
    assert (repo / "calc.py").read_text() == FIXED
    chat.handle("/test python -c 'print(42)'")
    assert chat.config.test_command == ["python", "-c", "print(42)"] and chat.ui.lines[-1] == "tests: passed"
    chat.handle("/test python -c 'unterminated")
    assert "cannot parse the command" in chat.ui.lines[-1]


def test_run_asks_first_and_keeps_the_output(repo):
    chat = make_chat(repo, [], ui=RecordingUI(confirm=False))
    chat.handle("/run python -c 'print(6 * 7)'")
    assert chat.ui.lines[-2] == "run `python -c 'print(6 * 7)'` in the sandbox?" and chat.ui.lines[-1] == "not run"
    chat.ui.answer = True
    chat.handle("/run python -c 'print(6 * 7)'")
    assert "42" in chat.ui.lines and "42" in chat.messages[-2]["content"]
    chat.handle("/run")
    assert "/run needs a command" in chat.ui.lines[-1]


def test_ask_answers_without_editing_and_quotes_the_index(repo):
    class OneHit:
        def search(self, query, k):
            return [Hit(text="def add_numbers(a, b): ...", source="lib/math.py", score=1.0)]

    chat = make_chat(repo, ["It subtracts instead of adding."])
    chat.retriever = OneHit()
    chat.handle("/add calc.py")
    chat.handle("/ask why does add fail?")
    prompt = chat.llm.calls[0][-1]["content"]
    assert "lib/math.py" in prompt and "<context>" in prompt and "return a - b" in prompt
    assert chat.messages[-1]["content"] == "It subtracts instead of adding."
    assert (repo / "calc.py").read_text() == BUGGY and len(git(repo, "log", "--oneline").splitlines()) == 1
    chat.handle("/ask")
    assert "/ask needs a question" in chat.ui.lines[-1]


def test_clear_forgets_the_conversation_but_keeps_files(repo):
    chat = make_chat(repo, ["An answer."])
    chat.handle("/add calc.py")
    chat.handle("/ask what is this?")
    chat.handle("/clear")
    assert chat.messages == [] and chat.added == ["calc.py"]
    assert ChatHistory(repo / ".codeloop").load() == ([], ["calc.py"])


def test_history_replays_the_last_conversation_and_writes_a_transcript(repo):
    chat = make_chat(repo, [edit_reply("calc.py", FIXED)])
    chat.history.start(resumed=False)
    chat.handle("/add calc.py")
    chat.handle("fix add")
    messages, files = ChatHistory(repo / ".codeloop").load()
    assert files == ["calc.py"] and [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "fix add"
    transcript = (repo / ".codeloop" / "chat.history.md").read_text()
    assert "#### fix add" in transcript and "commit" in transcript
    ChatHistory(repo / ".codeloop").start(resumed=False)  # a new session starts afresh
    assert ChatHistory(repo / ".codeloop").load()[0] == []
