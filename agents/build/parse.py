"""Reading the build agents' answers: plans with `covers`, whole files with their paths,
and the one-line step summary.

Small models handle "one fenced block per file, its path on the first line" best, and
drift from it in predictable ways (the path in a heading or in backticks before the
fence instead); those are accepted too. Anything unusable is reported, never raised.
"""

from __future__ import annotations

import re

_STEP = re.compile(r"^\s*(?:step\s*)?(\d+)\s*[.):]\s*(.+)$", re.IGNORECASE)
_COVERS = re.compile(r"[(\[]?\s*covers?\s*[:=]?\s*(R\d+(?:\s*(?:,|;|&|\band\b)?\s*R\d+)*)\s*[)\]]?", re.IGNORECASE)
_REQ_ID = re.compile(r"\bR(\d+)\b")
_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PATH = r"([A-Za-z0-9_][A-Za-z0-9_./-]*\.(?:py|json|md|txt|ini|cfg|toml))"
_PATH_LINE = re.compile(r"^\s*(?:#|//)\s*(?:file(?:name)?|path)?\s*:?\s*" + _PATH + r"\s*$", re.IGNORECASE)
_PATH_BEFORE = re.compile(r"[`*#:\s](?:\./)?" + _PATH + r"[`*:\s]*$")
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


def parse_files(text: str) -> tuple[dict[str, str], list[str]]:
    """`{path: content}` from fenced blocks, and notes on blocks that had no path."""
    files: dict[str, str] = {}
    notes: list[str] = []
    for match in _FENCE.finditer(text):
        body = match.group(1)
        lines = body.splitlines()
        first = _PATH_LINE.match(lines[0]) if lines else None
        if first:
            path, content = first.group(1), "\n".join(lines[1:])
        else:
            before = text[: match.start()].rstrip().splitlines()
            found = _PATH_BEFORE.search(" " + before[-1]) if before else None
            path, content = (found.group(1), body) if found else ("", body)
        if not path:
            if body.strip():
                notes.append("a code block without a `# file: path` first line was ignored")
            continue
        files[path[2:] if path.startswith("./") else path] = content.strip("\n") + "\n"
    return files, notes


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
