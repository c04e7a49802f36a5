"""Whole-file edits from a model answer: one fenced block per file, with its path (aider's
"whole" format, the one small models follow best). The one parser for chat, fix and the
build, with the two formats they prompt for (`CHAT`, `BUILD`).

Both take the path from the fence's info string (```python app.py) or the line before the
fence (`path`, **path**, `File: path`, ### ./path). The build's prompt asks for a `# file:
path` first line inside the block (that line is not part of the file) and also accepts a
known file name at the end of the line before ("Here is `app.py`:"); the chat never reads a
path from a block's own text, so a file that starts with a `# app.py` comment keeps it. A
block left open (a cut-off answer) is never a whole file for the chat; the build keeps it
(its tests then say what is missing). Deciding which edits may be applied is
`check_edits`'s job, and it is strict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workspace.repo import RepoError, UserRepo

_FENCE = re.compile(r"^(```+|~~~+)\s*([^\n`]*)$")
_PATHLIKE = re.compile(r"^[\w./\\-]+\.[A-Za-z0-9]+$|^[\w./\\-]*/[\w.-]+$")
# where a path is only part of a line, only these endings count (not "version 1.0:")
_KNOWN = r"([A-Za-z0-9_][A-Za-z0-9_./-]*\.(?:py|pyi|json|md|txt|ini|cfg|toml|yaml|yml|csv|html|css|js|sh))"
_PATH_COMMENT = re.compile(r"^\s*(?:#|//)\s*(?:file(?:name)?|path)?\s*:?\s*(?:\./)?" + _KNOWN + r"\s*$",
                           re.IGNORECASE)
_PATH_AT_END = re.compile(r"[`*#:\s](?:\./)?" + _KNOWN + r"[`*:\s]*$")
NO_PATH = "a code block without a `# file: path` first line was ignored"
CUT_OFF = "a code block that was never closed (a cut-off answer?) was ignored"


@dataclass(frozen=True)
class Rules:
    """Where one answer format finds a block's path, and what a cut-off block is."""

    path_comment: bool  # a `# file: path` first line inside the block (dropped from the text)
    path_at_line_end: bool  # a known file name ending the line before the fence
    keep_cut_off: bool  # a block never closed runs to the end of the answer instead of being dropped


CHAT = Rules(path_comment=False, path_at_line_end=False, keep_cut_off=False)
BUILD = Rules(path_comment=True, path_at_line_end=True, keep_cut_off=True)


@dataclass
class Edit:
    """A new full text for one file."""

    path: str
    text: str


def _path_from(line: str) -> str:
    """The file path a whole line names (`path`, **path**, `File: path`), or ""."""
    cleaned = line.strip().strip("*`#:").strip()
    cleaned = re.sub(r"^(file(name)?|path)\s*[:=]\s*", "", cleaned, flags=re.IGNORECASE).strip("*` ")
    return cleaned if _PATHLIKE.match(cleaned) else ""


def _info_path(info: str) -> str:
    """A path in a fence's info string (```python app.py or ```app.py)."""
    for word in reversed(info.split()):
        if _path_from(word):
            return _path_from(word)
    return ""


def _line_before_path(line: str, at_end: bool) -> str:
    """The path the line before a fence names: the whole line, else (with `at_end`) its end."""
    found = _PATH_AT_END.search(" " + line) if at_end else None
    return _path_from(line) or (found.group(1) if found else "")


def _clean(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


def scan(reply: str, default_path: str = "", rules: Rules = CHAT) -> tuple[list[Edit], list[str]]:
    """The whole-file blocks in `reply`, in order (the later block wins when one file is
    written twice), and a note for each block that was ignored. A block with no path gets
    `default_path` (one file in play), else it is ignored as an example."""
    lines = reply.splitlines()
    edits: list[Edit] = []
    notes: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i].strip())
        if not opening:
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        if end is None and not rules.keep_cut_off:
            notes.append(CUT_OFF)
            break
        body = lines[i + 1:end]
        first = _PATH_COMMENT.match(body[0]) if body and rules.path_comment else None
        if first:
            path, body = first.group(1), body[1:]
        else:
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            path = _info_path(info) or _line_before_path(before, rules.path_at_line_end) or default_path
        if path:
            edits.append(Edit(_clean(path), "\n".join(body).strip("\n") + "\n"))
        elif any(line.strip() for line in body):
            notes.append(NO_PATH)
        i = len(lines) if end is None else end + 1
    return _last_per_path(edits), notes


def parse_edits(reply: str, default_path: str = "") -> list[Edit]:
    """The whole-file edits in `reply` (see `scan`)."""
    return scan(reply, default_path)[0]


def parse_files(reply: str) -> tuple[dict[str, str], list[str]]:
    """`{path: text}` of the whole-file blocks in a build answer (`BUILD` rules), and notes on
    ignored blocks."""
    edits, notes = scan(reply, rules=BUILD)
    return {edit.path: edit.text for edit in edits}, notes


def _last_per_path(edits: list[Edit]) -> list[Edit]:
    """When a reply writes a file twice, the later block wins (models restate)."""
    by_path: dict[str, Edit] = {}
    for edit in edits:
        by_path.pop(edit.path, None)
        by_path[edit.path] = edit
    return list(by_path.values())


def check_edits(repo: UserRepo, edits: list[Edit], allowed: list[str]) -> tuple[list[Edit], list[str]]:
    """Split `edits` into those that may be applied and one refusal message per other:
    outside the repository, through any symlink (even one that stays inside: `.git` is
    inside), in `.git`/`.codeloop`, or a file not in `allowed` (the chat's added files)."""
    accepted, refused = [], []
    for edit in edits:
        try:
            rel = repo.relpath(edit.path)
        except RepoError as exc:
            refused.append(f"refused {exc}")
            continue
        if rel not in allowed:
            refused.append(f"refused {rel}: not in the chat (/add {rel} to let codeloop edit it)")
            continue
        accepted.append(Edit(rel, edit.text))
    return accepted, refused
