"""The chat controller: one `handle(line)` per input line — a /command, or a change request
for the agents. It owns the conversation state; files and git go through `UserRepo`, model
calls through a streamer, output through the UI."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agents.edit.loop import EditContext, run_change
from apps.chat import commands
from apps.chat.history import ChatHistory
from apps.chat.ui import ReplyCancelled
from retrieval.base import Retriever
from sandbox.base import Sandbox, SandboxError
from serving.base import LLMError, Message
from serving.tokens import CharCounter, TokenCounter
from workspace.pytest_run import TestRun
from workspace.repo import RepoError, UserRepo


@dataclass
class ChatConfig:
    """Settings of one chat session."""

    test_command: list[str]
    n_ctx: int = 4096
    max_tokens: int = 1536
    max_repairs: int = 3
    assume_yes: bool = False  # /run without asking (scripts, tests)


@dataclass
class Chat:
    """State of one session: the files in the chat and the conversation."""

    repo: UserRepo
    streamer: object  # HTTPStreamer | LLMStreamer: .stream(messages, max_tokens=) and .stats
    sandbox: Sandbox
    ui: object  # ConsoleUI or a test recorder
    history: ChatHistory
    config: ChatConfig
    retriever: Retriever | None = None
    added: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    last_tests: TestRun | None = None
    cancelled: bool = False  # the last line was cancelled with Ctrl-C
    # /tokens: the server's tokenizer where there is one (command.py), else ~4 characters a token
    counter: TokenCounter = field(default_factory=lambda: CharCounter(4.0))


    def handle(self, line: str) -> bool:
        """Act on one input line; False when the session should end. Refusals and errors
        are shown and the session goes on."""
        text = line.strip()
        self.cancelled = False
        if not text:
            return True
        try:
            if text.startswith("/"):
                return commands.dispatch(self, text)
            self.change(text)
        except (RepoError, SandboxError, LLMError, ValueError, OSError) as exc:
            self.ui.warn(f"error: {exc}")
            self.history.note(f"error: {exc}")
        except KeyboardInterrupt:
            self.cancelled = True
            self.ui.warn("cancelled; no files were changed")
        return True

    def ask(self, messages: list[Message]) -> str:
        """One streamed model reply; on Ctrl-C the partial reply is kept in the conversation
        and the turn stops."""
        started = time.perf_counter()
        try:
            text = self.ui.reply(self.streamer.stream(messages, max_tokens=self.config.max_tokens))
        except ReplyCancelled as cancel:
            self.remember("assistant", cancel.partial + "\n[reply cancelled]")
            raise KeyboardInterrupt from None
        stats = self.streamer.stats
        self.history.record({"type": "reply", "seconds": round(time.perf_counter() - started, 3),
                             "first_token_s": getattr(self.ui, "first_token_s", None),
                             "prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens})
        return text

    def remember(self, role: str, content: str) -> None:
        """Add a message to the conversation and the history files."""
        self.messages.append({"role": role, "content": content})
        self.history.message(role, content)

    def edit_context(self) -> EditContext:
        """What the edit loop needs from this session."""
        return EditContext(self.repo, list(self.added), self.ask, self.sandbox, self.config.test_command,
                           self.ui.info, list(self.messages), self.config.max_repairs)

    def change(self, request: str) -> None:
        """A change request: edit, test, repair, commit (agents/edit/loop.py)."""
        started = time.perf_counter()
        outcome = run_change(self.edit_context(), request)
        self.remember("user", request)
        self.remember("assistant", outcome.replies[-1] if outcome.replies else "")
        self.last_tests = outcome.tests or self.last_tests
        if outcome.commit:
            verdict = outcome.tests.status if outcome.tests else "not run"
            summary = (f"applied {', '.join(outcome.applied)}; tests {verdict} after {outcome.repairs} repair "
                       f"round(s); commit {outcome.commit} (/undo reverts it)")
        else:
            summary = "no file changed (the reply had no whole-file edit for a file in the chat)"
        (self.ui.info if outcome.tests is None or outcome.tests.ok else self.ui.warn)(summary)
        self.history.note(summary)
        self.history.record({"type": "turn", "request": request, "applied": outcome.applied,
                             "tests": outcome.tests.status if outcome.tests else None, "repairs": outcome.repairs,
                             "commit": outcome.commit, "seconds": round(time.perf_counter() - started, 3)})
