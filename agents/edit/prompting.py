"""The prompts of the chat and its edit loop (data files in agents/edit/prompts/) and their
message layout.

Layout for the server's prefix cache: the fixed system prompt first, then earlier turns
(with their file blocks shortened, since the files' current text is sent anyway), then the
current files and request — the only part that changes from call to call."""

from __future__ import annotations

import re

from codetext.prompts import package_prompt
from serving.base import Message

HISTORY_MESSAGES = 6  # earlier messages kept; a 4k context fills up fast with whole files
_BLOCK = re.compile(r"^(```+|~~~+)[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def load(name: str) -> str:
    """The text of `agents/edit/prompts/<name>.md`."""
    return package_prompt("agents.edit", name)


def files_section(files: dict[str, str]) -> str:
    """Every file in the chat, path then full text in a fence ("" when there are none)."""
    if not files:
        return ""
    parts = []
    for path, text in files.items():
        fence = "````" if "```" in text else "```"
        body = text if text else "(new file, empty)\n"
        parts.append(f"{path}\n{fence}\n{body}{'' if body.endswith(chr(10)) else chr(10)}{fence}\n")
    return load("files").format(files="\n".join(parts)).rstrip() + "\n\n"


def shorten(message: Message) -> Message:
    """An earlier assistant reply without its code blocks (the files are re-sent in full)."""
    if message["role"] != "assistant":
        return message
    return {"role": "assistant", "content": _BLOCK.sub("[full file written]", message["content"])}


def layout(history: list[Message], user: str) -> list[Message]:
    """System prompt, the recent shortened history, then the current request."""
    recent = [shorten(m) for m in history[-HISTORY_MESSAGES:]]
    return [{"role": "system", "content": load("system").strip()}, *recent, {"role": "user", "content": user}]


def change_messages(history: list[Message], files: dict[str, str], request: str) -> list[Message]:
    """Ask for whole-file edits that carry out `request`."""
    return layout(history, load("change_user").format(files=files_section(files), request=request))


def fix_messages(history: list[Message], files: dict[str, str], command: str, report: str) -> list[Message]:
    """Ask for whole-file edits that fix the failing tests in `report`."""
    return layout(history, load("fix_user").format(files=files_section(files), command=command, report=report))


def ask_messages(history: list[Message], files: dict[str, str], question: str, context: str = "") -> list[Message]:
    """Ask a question about the files without editing; `context` is retrieved, quoted data."""
    quoted = f"<context>\n{context.strip()}\n</context>\n\n" if context.strip() else ""
    return layout(history, load("ask_user").format(files=files_section(files), context=quoted, question=question))
