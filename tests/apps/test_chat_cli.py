"""`codeloop chat` through the CLI (plain stdin, a stub server): a session, --continue, the
refusal outside a git repository, and streaming over server-sent events."""

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from apps.chat.stream import HTTPStreamer
from apps.chat.ui import ConsoleUI, ReplyCancelled
from apps.cli import app
from serving.fake import pieces
from tests.apps.chat_fixtures import FIXED, edit_reply, git, make_repo
from tests.sse_stub import StreamingStub


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    return CliRunner()


def chat(runner, repo, monkeypatch, url, lines, *args):
    monkeypatch.chdir(repo)
    return runner.invoke(app, ["chat", "--base-url", url, "--sandbox", "process", *args],
                         input="\n".join(lines) + "\n", catch_exceptions=False)


def test_a_plain_session_edits_commits_and_continues(runner, stub_server, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    server = stub_server([edit_reply("calc.py", FIXED), "It adds a and b."])
    result = chat(runner, repo, monkeypatch, server.base_url, ["fix add so the test passes", "/exit"], "calc.py")
    assert result.exit_code == 0, result.output
    assert "added calc.py" in result.stdout and "tests passed" in result.stdout
    assert (repo / "calc.py").read_text() == FIXED
    assert git(repo, "log", "-1", "--format=%s").strip() == "codeloop: fix add so the test passes"
    assert server.requests[0]["stream"] is True  # asked to stream; the stub answered whole
    resumed = chat(runner, repo, monkeypatch, server.base_url, ["/ask what does add do?"], "--continue")
    assert resumed.exit_code == 0 and "resumed: 2 messages, files: calc.py" in resumed.stdout
    sent = [m["content"] for m in server.requests[1]["messages"]]
    assert "fix add so the test passes" in sent  # the earlier turn is in the prompt again
    assert "#### /ask what does add do?" in (repo / ".codeloop" / "chat.history.md").read_text()


def test_chat_outside_a_git_repository_is_refused(runner, stub_server, tmp_path, monkeypatch):
    (tmp_path / "plain").mkdir()
    result = chat(runner, tmp_path / "plain", monkeypatch, stub_server([]).base_url, ["/exit"])
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_bad_test_command_is_refused(runner, stub_server, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    result = chat(runner, repo, monkeypatch, stub_server([]).base_url, ["/exit"], "--test-cmd", "pytest 'open")
    assert result.exit_code == 2 and "cannot parse the command" in result.stderr


def test_http_streamer_yields_server_sent_tokens():
    text = "def add(a, b):\n    return a + b"
    server = StreamingStub([text], report_usage=False)  # one token per event, like llama.cpp
    try:
        streamer = HTTPStreamer(server.base_url, "m")
        assert list(streamer.stream([{"role": "user", "content": "hi"}], max_tokens=8)) == pieces(text)
        assert streamer.stats.completion_tokens == len(pieces(text))  # counted: no usage was reported
    finally:
        server.close()


def test_console_ui_keeps_the_partial_reply_on_ctrl_c_and_prints_plain_off_a_terminal():
    out = io.StringIO()
    ui = ConsoleUI(Console(file=out, force_terminal=False), stream=True)
    assert not ui.stream  # not a terminal: replies are printed whole, without escapes

    def chunks():
        yield "def add"
        yield "(a, b):"
        raise KeyboardInterrupt

    with pytest.raises(ReplyCancelled) as cancel:
        ui.reply(chunks())
    assert cancel.value.partial == "def add(a, b):"
    assert ui.reply(iter(["one ", "two"])) == "one two" and "one two" in out.getvalue()
    assert "\x1b[" not in out.getvalue()
