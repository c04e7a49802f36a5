"""`codeloop chat` in a real terminal: tmux drives it with send-keys (the model is a stub
server behind --base-url), capture-pane reads the screen, and the repository's files and
git log are checked afterwards."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.apps.chat_fixtures import FIXED, edit_reply, git, make_repo

CODELOOP = str(Path(sys.executable).parent / "codeloop")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (scripts/setup.sh --tests installs it)")


class Tmux:
    def __init__(self, command: str, cwd: Path, env: dict) -> None:
        self.name = f"codeloop-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "150", "-y", "50", "-c", str(cwd),
                        f"env {exports} {command}"], check=True)
        subprocess.run(["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"], check=True)

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-S", "-200", "-t", self.name], capture_output=True,
                              text=True).stdout

    def wait_for(self, text: str, timeout: float = 60.0, count: int = 1) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} did not appear; screen:\n{self.screen()}")

    def dead(self, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["tmux", "display-message", "-p", "-t", self.name, "#{pane_dead}"],
                                 capture_output=True, text=True).stdout.strip()
            if out == "1":
                return True
            time.sleep(0.3)
        return False

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def session(tmp_path, stub_server):
    repo = make_repo(tmp_path / "repo")
    server = stub_server([edit_reply("calc.py", FIXED, "I change add to add.")])
    env = {"CODELOOP_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm-256color", "PATH": os.environ["PATH"]}
    tmux = Tmux(f"{CODELOOP} chat --base-url {server.base_url} --sandbox process calc.py", repo, env)
    yield tmux, repo
    tmux.kill()


def test_chat_in_a_terminal(session):
    tmux, repo = session
    tmux.wait_for("codeloop>")
    assert "added calc.py" in tmux.screen()
    tmux.send("fix add so the test passes", "Enter")
    screen = tmux.wait_for("reverts it)")
    assert "I change add to add." in screen and "tests: passed" in screen
    tmux.send("/di", "Enter")  # a unique prefix of /diff
    assert "+    return a + b" in tmux.wait_for("+    return a + b")
    tmux.send("/exit", "Enter")
    assert tmux.dead()
    assert (repo / "calc.py").read_text() == FIXED
    assert git(repo, "log", "-1", "--format=%s").strip() == "codeloop: fix add so the test passes"
    assert "fix add so the test passes" in (repo / ".codeloop" / "input.history").read_text()
    assert "#### fix add so the test passes" in (repo / ".codeloop" / "chat.history.md").read_text()


def test_two_ctrl_c_exit(session):
    tmux, repo = session
    tmux.wait_for("codeloop>")
    tmux.send("C-c")
    tmux.wait_for("(Ctrl-C again or /exit to quit)")
    assert not tmux.dead(timeout=1)
    tmux.send("C-c")
    assert tmux.dead()
    assert git(repo, "log", "--format=%s").strip() == "initial"
