"""The read loop: prompt_toolkit on a terminal (history file, multi-line with Alt-Enter,
Ctrl-C handling), plain lines from stdin otherwise (pipes, scripts)."""

from __future__ import annotations

import sys
from pathlib import Path

from apps.chat.chat import Chat

PROMPT = "codeloop> "


def _session(history_file: Path):
    """A prompt_toolkit session: Enter sends, Alt-Enter (Esc Enter) adds a line."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event) -> None:
        event.current_buffer.insert_text("\n")

    history_file.parent.mkdir(parents=True, exist_ok=True)
    return PromptSession(history=FileHistory(str(history_file)), key_bindings=bindings, multiline=False)


def interactive_loop(chat: Chat, history_file: Path) -> None:
    """Prompt until /exit, Ctrl-D, or two Ctrl-C in a row (the first one, while a reply
    streams, only cancels that reply)."""
    session = _session(history_file)
    armed = False  # a Ctrl-C just happened: the next one exits
    while True:
        try:
            line = session.prompt(PROMPT)
        except EOFError:
            return
        except KeyboardInterrupt:
            if armed:
                return
            armed = True
            chat.ui.info("(Ctrl-C again or /exit to quit)")
            continue
        armed = False
        if not chat.handle(line):
            return
        armed = chat.cancelled


def plain_loop(chat: Chat) -> None:
    """One input line per message from stdin, until /exit or end of input."""
    for line in sys.stdin:
        if not chat.handle(line):
            return
