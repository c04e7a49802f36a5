"""Per-test outcomes for pytest runs, via pytest's JUnit XML report."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from sandbox.base import TestOutcome

log = logging.getLogger(__name__)

JUNIT_NAME = ".codeloop-junit.xml"
# The report is written by untrusted code: bound what we parse.
MAX_JUNIT_BYTES = 2 * 1024 * 1024
MAX_MESSAGE_CHARS = 2000


def is_pytest(command: list[str]) -> bool:
    """True for `pytest …`, `py.test …` and `python -m pytest …`."""
    if not command:
        return False
    exe = command[0].rsplit("/", 1)[-1]
    if exe in ("pytest", "py.test"):
        return True
    return exe.startswith("python") and command[1:3] == ["-m", "pytest"]


def with_junit(command: list[str], path: str = JUNIT_NAME) -> list[str]:
    """The pytest command with a JUnit report added (unchanged for other commands)."""
    if not is_pytest(command) or any(a.startswith("--junitxml") or a.startswith("--junit-xml") for a in command):
        return list(command)
    return [*command, f"--junitxml={path}", "-o", "junit_family=xunit1"]


def parse_junit(text: str | bytes) -> list[TestOutcome]:
    """Parse a JUnit XML report into outcomes; an unreadable report gives `[]`."""
    if isinstance(text, str):
        text = text.encode("utf-8", "replace")
    # Refuse DTDs outright: no entity expansion from an untrusted file.
    if len(text) > MAX_JUNIT_BYTES or b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        log.warning("ignoring an oversized or DTD-bearing JUnit report")
        return []
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        log.warning("unreadable JUnit report: %s", exc)
        return []
    outcomes = []
    for case in root.iter("testcase"):
        name = "::".join(p for p in (case.get("classname", ""), case.get("name", "")) if p)
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            child = case.find(tag)
            if child is not None:
                outcome = "failed" if tag == "failure" else tag
                message = (child.get("message") or "") + ("\n" + child.text if child.text else "")
                break
        outcomes.append(TestOutcome(name=name, outcome=outcome, message=message.strip()[:MAX_MESSAGE_CHARS]))
    return outcomes
