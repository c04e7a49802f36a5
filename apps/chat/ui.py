"""How the chat talks to the person: rich on a terminal, plain lines otherwise.

The controller (apps/chat/chat.py) only calls these methods, so tests swap in a recorder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax


class ReplyCancelled(Exception):
    """Ctrl-C while a reply streamed; `partial` is what had arrived."""

    def __init__(self, partial: str) -> None:
        super().__init__("reply cancelled")
        self.partial = partial


class ConsoleUI:
    """Streams replies as they arrive (or prints them whole with `stream=False`)."""

    def __init__(self, console: Console | None = None, *, stream: bool = True) -> None:
        self.console = console or Console(highlight=False)
        self.stream = stream and self.console.is_terminal
        self.first_token_s: float | None = None

    def info(self, text: str) -> None:
        """A status line (dim on a terminal)."""
        self.console.print(f"[dim]{escape(text)}[/dim]")

    def warn(self, text: str) -> None:
        """A refusal or a problem the person should read."""
        self.console.print(f"[yellow]{escape(text)}[/yellow]")

    def show(self, text: str, lexer: str = "") -> None:
        """A block of output: a diff, a listing, command output."""
        if lexer and self.console.is_terminal:
            self.console.print(Syntax(text, lexer, theme="ansi_dark", word_wrap=True))
        else:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def reply(self, chunks: Iterator[str]) -> str:
        """Show the model's reply as it streams and return it whole. Ctrl-C stops the
        stream (closing the connection) and raises `ReplyCancelled` with the partial text."""
        parts: list[str] = []
        started = time.perf_counter()
        self.first_token_s = None
        try:
            for chunk in chunks:
                if self.first_token_s is None:
                    self.first_token_s = time.perf_counter() - started
                parts.append(chunk)
                if self.stream:
                    self.console.file.write(chunk)
                    self.console.file.flush()
        except KeyboardInterrupt:
            close = getattr(chunks, "close", None)
            if close:
                close()
            self.console.print()
            raise ReplyCancelled("".join(parts)) from None
        text = "".join(parts)
        if self.stream:
            self.console.file.write("\n")
        else:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
        return text

    def confirm(self, question: str) -> bool:
        """Ask yes/no on the terminal; anything but y/yes is no (and no terminal is no)."""
        if not self.console.is_terminal:
            return False
        try:
            answer = self.console.input(f"{escape(question)} [y/N] ")
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in ("y", "yes")
