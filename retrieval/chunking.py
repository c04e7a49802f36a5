"""Split documents into retrievable chunks that keep their source path and line span.

- Python: one chunk per top-level function and class (decorators, signature and docstring
  included); a large class is split into a header chunk and one chunk per method; the
  module header (docstring, imports, constants) is its own chunk. Parsed with `ast`, so no
  code is imported or run.
- Markdown / reST: one chunk per section (heading to next heading), headings inside fenced
  code blocks ignored.
- Anything else, or Python that does not parse: fixed line windows.
Every chunk is bounded by `max_chars`; oversized pieces are cut into line windows.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from codetext.pyast import parse_python

MAX_CHARS = 3000
WINDOW_LINES = 60


@dataclass
class Chunk:
    """A piece of a document. Lines are 1-based and inclusive."""

    text: str
    source: str
    start_line: int
    end_line: int
    kind: str = "text"
    meta: dict = field(default_factory=dict)


def _window(lines: list[str], source: str, first: int, kind: str, meta: dict,
            max_chars: int = MAX_CHARS, window: int = WINDOW_LINES) -> list[Chunk]:
    """Cut `lines` (starting at line `first`) into chunks of ≤ window lines and ≤ max_chars."""
    chunks: list[Chunk] = []
    start = 0
    while start < len(lines):
        end, size = start, 0
        while end < len(lines) and end - start < window and (size + len(lines[end]) <= max_chars or end == start):
            size += len(lines[end]) + 1
            end += 1
        text = "\n".join(lines[start:end])
        if text.strip():
            chunks.append(Chunk(text[:max_chars], source, first + start, first + end - 1, kind, dict(meta)))
        start = end
    return chunks


def _bounded(lines: list[str], source: str, first: int, kind: str, meta: dict, max_chars: int) -> list[Chunk]:
    """One chunk for the span if it fits in `max_chars`, else line windows."""
    text = "\n".join(lines)
    if not text.strip():
        return []
    if len(text) <= max_chars:
        return [Chunk(text, source, first, first + len(lines) - 1, kind, dict(meta))]
    return _window(lines, source, first, kind, meta, max_chars)


def _node_start(node: ast.AST) -> int:
    """First line of a definition, including its decorators."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def chunk_python(text: str, source: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Split Python source along top-level definitions (methods for large classes)."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return chunk_text(text, source, max_chars)
    lines = text.splitlines()
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    chunks: list[Chunk] = []
    header_end = len(lines)
    top_defs = [n for n in tree.body if isinstance(n, defs)]
    if top_defs:
        header_end = _node_start(top_defs[0]) - 1
    # Module header: docstring, imports, constants before the first definition.
    chunks += _bounded(lines[:header_end], source, 1, "module", {"qualname": "<module>"}, max_chars)
    covered = header_end
    for node in top_defs:
        start, end = _node_start(node), node.end_lineno
        # Top-level statements between definitions (constants, registrations) stay findable.
        chunks += _bounded(lines[covered:start - 1], source, covered + 1, "module", {"qualname": "<module>"}, max_chars)
        covered = end
        span = lines[start - 1:end]
        meta = {"qualname": node.name}
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        if len("\n".join(span)) <= max_chars or not isinstance(node, ast.ClassDef):
            chunks += _bounded(span, source, start, kind, meta, max_chars)
            continue
        methods = [n for n in node.body if isinstance(n, defs)]
        head_end = (_node_start(methods[0]) - 1) if methods else end
        chunks += _bounded(lines[start - 1:head_end], source, start, "class", meta, max_chars)
        for m in methods:
            m_start = _node_start(m)
            chunks += _bounded(lines[m_start - 1:m.end_lineno], source, m_start, "method",
                               {"qualname": f"{node.name}.{m.name}"}, max_chars)
    chunks += _bounded(lines[covered:], source, covered + 1, "module", {"qualname": "<module>"}, max_chars)
    return chunks


_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")


def _heading_starts(lines: list[str], rst: bool) -> list[tuple[int, str]]:
    """(0-based line index, title) of each section start, skipping fenced code."""
    starts: list[tuple[int, str]] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not rst:
            m = _ATX.match(line)
            if m:
                starts.append((i, m.group(2)))
        elif (i + 1 < len(lines) and line.strip() and not _RST_UNDERLINE.match(line)
              and _RST_UNDERLINE.match(lines[i + 1]) and len(lines[i + 1].rstrip()) >= len(line.rstrip())):
            # reST title: a text line underlined by punctuation at least as long.
            # An overline above the title belongs to the same section.
            begin = i - 1 if i > 0 and _RST_UNDERLINE.match(lines[i - 1]) else i
            starts.append((begin, line.strip()))
    return starts


def chunk_markup(text: str, source: str, rst: bool = False, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Split Markdown (or reST when `rst`) along headings, each section bounded in size."""
    lines = text.splitlines()
    starts = _heading_starts(lines, rst)
    if not starts or starts[0][0] != 0:
        starts.insert(0, (0, ""))
    chunks: list[Chunk] = []
    for n, (begin, title) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        chunks += _bounded(lines[begin:stop], source, begin + 1, "doc", {"section": title}, max_chars)
    return chunks


def chunk_text(text: str, source: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Fixed line windows, for files we have no structure for."""
    return _window(text.splitlines(), source, 1, "text", {}, max_chars)


def chunk_document(text: str, source: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Pick a chunker by the source's file extension."""
    lower = source.lower()
    if lower.endswith((".py", ".pyi")):
        return chunk_python(text, source, max_chars)
    if lower.endswith((".md", ".markdown")):
        return chunk_markup(text, source, rst=False, max_chars=max_chars)
    if lower.endswith((".rst", ".txt")):
        return chunk_markup(text, source, rst=True, max_chars=max_chars)
    return chunk_text(text, source, max_chars)
