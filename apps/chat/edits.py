"""Whole-file edits from a model reply: one fenced block per file, its path on the line
before the fence (aider's "whole" format, the one small models follow best).

Parsing is lenient about how the path is written (`path`, **path**, `File: path`, or the
fence's info string) because small models vary; deciding which edits may be applied is
`check_edits`'s job, and it is strict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.chat.repo import ChatRepo, RepoError

_FENCE = re.compile(r"^(```+|~~~+)\s*([^\n`]*)$")
_PATHLIKE = re.compile(r"^[\w./\\-]+\.[A-Za-z0-9]+$|^[\w./\\-]*/[\w.-]+$")


@dataclass
class Edit:
    """A new full text for one file."""

    path: str
    text: str


def _path_from(line: str) -> str:
    """The file path written on a line before a fence, or ""."""
    cleaned = line.strip().strip("*`#:").strip()
    cleaned = re.sub(r"^(file(name)?|path)\s*[:=]\s*", "", cleaned, flags=re.IGNORECASE).strip("*` ")
    return cleaned if _PATHLIKE.match(cleaned) else ""


def _info_path(info: str) -> str:
    """A path in a fence's info string (```python app.py or ```app.py)."""
    for word in reversed(info.split()):
        if _path_from(word):
            return _path_from(word)
    return ""


def parse_edits(reply: str, default_path: str = "") -> list[Edit]:
    """The whole-file blocks in `reply`, in order; a block with no path gets `default_path`
    (used when exactly one file is in the chat), else it is ignored as an example."""
    lines = reply.splitlines()
    edits: list[Edit] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i].strip())
        if not opening:
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        if end is None:  # unterminated: a cut-off reply is not a whole file
            break
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        path = _info_path(info) or _path_from(before) or default_path
        if path:
            edits.append(Edit(path.replace("\\", "/"), "\n".join(lines[i + 1:end]) + "\n"))
        i = end + 1
    return _last_per_path(edits)


def _last_per_path(edits: list[Edit]) -> list[Edit]:
    """When a reply writes a file twice, the later block wins (models restate)."""
    by_path: dict[str, Edit] = {}
    for edit in edits:
        by_path.pop(edit.path, None)
        by_path[edit.path] = edit
    return list(by_path.values())


def check_edits(repo: ChatRepo, edits: list[Edit], added: list[str]) -> tuple[list[Edit], list[str]]:
    """Split `edits` into those that may be applied and one refusal message per other:
    outside the repository, through any symlink (even one that stays inside: `.git` is
    inside), in `.git`/`.codeloop`, or a file not added to the chat."""
    accepted, refused = [], []
    for edit in edits:
        try:
            rel = repo.relpath(edit.path)
        except RepoError as exc:
            refused.append(f"refused {exc}")
            continue
        if rel not in added:
            refused.append(f"refused {rel}: not in the chat (/add {rel} to let codeloop edit it)")
            continue
        accepted.append(Edit(rel, edit.text))
    return accepted, refused
