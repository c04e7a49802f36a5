"""Reading the build agents' answers: plans with `covers`, the one-line step summary, and
which known files a text names. Whole files are read by the one answer parser shared with
chat and fix (workspace/edits.py, `parse_files`). Anything unusable is reported, never raised.
"""

from __future__ import annotations

import re

_STEP = re.compile(r"^\s*(?:step\s*)?(\d+)\s*[.):]\s*(.+)$", re.IGNORECASE)
_COVERS = re.compile(r"[(\[]?\s*covers?\s*[:=]?\s*(R\d+(?:\s*(?:,|;|&|\band\b)?\s*R\d+)*)\s*[)\]]?", re.IGNORECASE)
_REQ_ID = re.compile(r"\bR(\d+)\b")
_SUMMARY = re.compile(r"^\s*\**SUMMARY\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def parse_plan(text: str) -> list[tuple[str, list[str]]]:
    """Numbered steps as `(text, covers)`; covers from a `(covers: R1, R2)` tag, else any
    `Rn` ids the line names. Lines that are not numbered steps are ignored."""
    steps = []
    for line in text.splitlines():
        match = _STEP.match(line.replace("**", ""))
        if not match:
            continue
        body = match.group(2).strip()
        tag = _COVERS.search(body)
        source = tag.group(1) if tag else body
        covers = [f"R{n}" for n in dict.fromkeys(_REQ_ID.findall(source))]
        if tag:
            body = (body[: tag.start()] + body[tag.end():]).strip(" -–—;,.")
        if body:
            steps.append((with_tests(body), covers))
    return steps


def with_tests(text: str) -> str:
    """Every step ends by asking for tests (L2MAC's "write and run tests")."""
    return text if "test" in text.lower() else text.rstrip(". ") + ". Write and run tests for it."


def parse_summary(text: str) -> str:
    """The answer's `SUMMARY:` line, or ""."""
    found = _SUMMARY.findall(text)
    return found[-1].strip()[:300] if found else ""


def paths_in(text: str, known: list[str]) -> list[str]:
    """Which of the `known` file paths `text` mentions (by path, or by file name alone)."""
    hits = []
    for path in known:
        name = path.rsplit("/", 1)[-1]
        if path in text or re.search(rf"(?<![\w/.]){re.escape(name)}\b", text):
            hits.append(path)
    return hits
