"""The conversation on disk, under the repository's `.codeloop/`:

- `chat.jsonl`: one event per line (a message, the file set, a clear), replayed by
  `codeloop chat --continue`;
- `chat.history.md`: the readable transcript (user turns as `#### ` headings, tool output
  quoted), appended as the chat goes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from serving.base import Message


class ChatHistory:
    """Appends events and replays them; nothing is ever rewritten in place."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.events = self.dir / "chat.jsonl"
        self.transcript = self.dir / "chat.history.md"

    def _append(self, path: Path, text: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)

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
        if not self.events.exists():
            return messages, files
        for line in self.events.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("type")
            if kind == "clear":
                messages = []
            elif kind == "message" and event.get("role") in ("user", "assistant"):
                messages.append({"role": event["role"], "content": str(event.get("content", ""))})
            elif kind == "files":
                files = [str(f) for f in event.get("files", [])]
        return messages, files
