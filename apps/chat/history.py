"""The conversation on disk, under the repository's `.codeloop/`:

- `chat.jsonl`: one event per line (a message, the file set, a clear), replayed by
  `codeloop chat --continue`;
- `chat.history.md`: the readable transcript (user turns as `#### ` headings, tool output
  quoted), appended as the chat goes.

Both are opened without following links (workspace/files.py), so a `.codeloop/` shipped
with a repository cannot point the transcript at a file outside it. What `load` returns is
still untrusted: the caller confines the file names (`UserRepo.usable`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from serving.base import Message
from workspace import files as safefs

MAX_LOG_BYTES = 64 * 1024 * 1024  # a log this size is not one codeloop wrote in a normal life


class ChatHistory:
    """Appends events and replays them; nothing is ever rewritten in place."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.root = self.dir.parent  # the repository: paths below it are walked link-free
        self.events = f"{self.dir.name}/chat.jsonl"
        self.transcript = f"{self.dir.name}/chat.history.md"

    def _append(self, rel: str, text: str) -> None:
        safefs.append_text(self.root, rel, text)

    def start(self, resumed: bool) -> None:
        """Mark a session start in the transcript; a new session also starts a new
        conversation in the event log (older ones stay readable above it)."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._append(self.transcript, f"\n# codeloop chat {'resumed' if resumed else 'started'} {stamp}\n")
        if not resumed:
            self.record({"type": "clear"})

    def record(self, event: dict) -> None:
        """Append one event to the JSONL log."""
        self._append(self.events, json.dumps(event, ensure_ascii=False) + "\n")

    def message(self, role: str, content: str) -> None:
        """A conversation message: logged for replay and written to the transcript."""
        self.record({"type": "message", "role": role, "content": content})
        if role == "user":
            quoted = "\n".join(f"#### {line}" for line in content.splitlines() or [""])
            self._append(self.transcript, f"\n{quoted}\n\n")
        else:
            self._append(self.transcript, content.rstrip() + "\n")

    def note(self, text: str) -> None:
        """Tool output (test results, refusals, commits) quoted in the transcript only."""
        self._append(self.transcript, "\n".join(f"> {line}" for line in text.splitlines()) + "\n\n")

    def files(self, files: list[str]) -> None:
        """The current file set, so `--continue` restores it."""
        self.record({"type": "files", "files": list(files)})

    def load(self) -> tuple[list[Message], list[str]]:
        """The last conversation's messages and file set (empty when there is none).
        Unreadable lines (a crash mid-write) are skipped."""
        messages: list[Message] = []
        files: list[str] = []
        text = safefs.read_bytes(self.root, self.events, max_bytes=MAX_LOG_BYTES)
        if text is None:
            return messages, files
        for line in text.decode("utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            kind = event.get("type")
            if kind == "clear":
                messages = []
            elif kind == "message" and event.get("role") in ("user", "assistant"):
                messages.append({"role": event["role"], "content": str(event.get("content", ""))})
            elif kind == "files" and isinstance(event.get("files"), list):
                files = [str(f) for f in event["files"]]
        return messages, files
