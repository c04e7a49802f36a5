"""Problems (file, line, severity, message) and the two line formats editors and CI read.

`vscode`: `relpath:line:col: severity: message [test id]`, bracketed by
`codeloop: run started` / `codeloop: run finished` so a background problem matcher knows
when a run begins and ends. `github`: workflow commands (`::error file=…,line=…::…`).
The matcher shipped in `.vscode/tasks.json` (apps/vscode.py) parses exactly `VSCODE_REGEXP`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUN_STARTED = "codeloop: run started"
RUN_FINISHED = "codeloop: run finished"
# file, line, column, severity, message (the test id stays part of the message)
VSCODE_REGEXP = r"^(.+?):(\d+):(\d+): (error|warning|info): (.*)$"
FORMATS = ("text", "vscode", "github")


@dataclass
class Problem:
    """One problem at a root-relative file and 1-based line."""

    path: str
    line: int
    message: str
    severity: str = "error"  # error | warning | info
    col: int = 1
    test_id: str = ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def vscode_line(p: Problem) -> str:
    """`relpath:line:col: severity: message [test id]`."""
    tail = f" [{p.test_id}]" if p.test_id else ""
    return f"{p.path}:{max(p.line, 1)}:{max(p.col, 1)}: {p.severity}: {_one_line(p.message)}{tail}"


def _gh_escape(text: str, prop: bool = False) -> str:
    # GitHub's escaping for workflow command data and properties
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github_line(p: Problem) -> str:
    """`::error file=…,line=…,col=…,title=…::message` (info becomes `notice`)."""
    kind = {"info": "notice"}.get(p.severity, p.severity)
    props = f"file={_gh_escape(p.path, True)},line={max(p.line, 1)},col={max(p.col, 1)}"
    if p.test_id:
        props += f",title={_gh_escape(p.test_id, True)}"
    return f"::{kind} {props}::{_gh_escape(p.message)}"


def render(problems: list[Problem], fmt: str) -> list[str]:
    """The output lines for `fmt` (vscode output is bracketed for background matchers)."""
    if fmt == "github":
        return [github_line(p) for p in problems]
    return [RUN_STARTED, *(vscode_line(p) for p in problems), RUN_FINISHED]


def from_pytest(items: list[dict], known_files: set[str] | None = None) -> list[Problem]:
    """Problems from the sandboxed pytest plugin's records (workspace/guest/pytest_problems.py): an
    error at the failing line of the test's own file, and an info note at the crash line
    when the exception was raised elsewhere (in the code under test)."""
    problems = []
    for item in items:
        message = f"{item.get('message') or 'failed'}"
        if item.get("when") not in ("call", None):
            message = f"{item['when']} error: {message}"
        problems.append(Problem(item["file"], int(item.get("line") or 1), message, "error", 1, item["id"]))
        crash_file, crash_line = item.get("crash_file"), item.get("crash_line")
        if crash_file and (crash_file, crash_line) != (item["file"], item.get("line")):
            if known_files is None or crash_file in known_files:
                problems.append(Problem(crash_file, int(crash_line or 1), f"raised here: {message}", "info", 1,
                                        item["id"]))
    return problems


def parse_vscode(lines: list[str]) -> list[tuple[str, int, int, str, str]]:
    """Lines matched by `VSCODE_REGEXP` as (file, line, col, severity, message): what a
    VS Code problem matcher with that pattern would pick up."""
    pattern = re.compile(VSCODE_REGEXP)
    found = []
    for line in lines:
        m = pattern.match(line)
        if m:
            found.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5)))
    return found
