"""Shared pieces of the chat tests: a small git repository with a bug and a failing test,
a recording UI, and a chat wired to a FakeLLM and the process sandbox."""

from __future__ import annotations

import subprocess
from pathlib import Path

from apps.chat.chat import Chat, ChatConfig
from apps.chat.history import ChatHistory
from apps.chat.stream import LLMStreamer
from apps.chat.ui import ReplyCancelled
from sandbox import make_sandbox
from serving.fake import FakeLLM
from workspace.pytest_run import DEFAULT_COMMAND
from workspace.repo import UserRepo

BUGGY = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout


def make_repo(root: Path) -> Path:
    """calc.py with a bug, tests/test_calc.py that catches it, one commit."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    (root / "calc.py").write_text(BUGGY)
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(TEST)
    git(root, "add", ".")
    git(root, "commit", "-qm", "initial")
    return root


def edit_reply(path: str, text: str, intro: str = "Here is the change.") -> str:
    return f"{intro}\n\n{path}\n```python\n{text}```\n"


class RecordingUI:
    """Collects what the chat shows; `cancel_after` makes the next reply raise Ctrl-C."""

    def __init__(self, confirm: bool = False) -> None:
        self.lines: list[str] = []
        self.answer = confirm
        self.cancel_next = False
        self.first_token_s = 0.0

    def info(self, text, lexer=""):
        self.lines.append(text)

    warn = info
    show = info

    def reply(self, chunks):
        parts = []
        for chunk in chunks:
            parts.append(chunk)
            if self.cancel_next:
                self.cancel_next = False
                raise ReplyCancelled("".join(parts))
        return "".join(parts)

    def confirm(self, question):
        self.lines.append(question)
        return self.answer

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def make_chat(root: Path, outputs: list[str], *, ui: RecordingUI | None = None, **config) -> Chat:
    llm = FakeLLM(outputs)
    repo = UserRepo.find(root)
    chat = Chat(repo, LLMStreamer(llm), make_sandbox("process"), ui or RecordingUI(),
                ChatHistory(root / ".codeloop"), ChatConfig(list(DEFAULT_COMMAND), **config))
    chat.llm = llm  # for assertions on calls
    return chat
