"""A code-aware tokenizer for BM25.

Identifiers are kept whole *and* split into their parts, so that the query "parse json
file" matches `parse_json_file`, `parseJsonFile` and `JSONParser`, while the exact
identifier still scores highest. Tokens are lower-cased; a small English stop-word list
is dropped because BM25's idf alone under-weights them only partially on small corpora.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
# Split CamelCase / ALLCapsWord / digits: "HTTPServer2" -> HTTP, Server, 2
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

STOP_WORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to
    was were will with which what when where who how write function given""".split()
)


def split_identifier(word: str) -> list[str]:
    """Split one identifier into lower-case parts (snake_case and CamelCase)."""
    parts: list[str] = []
    for piece in word.split("_"):
        parts.extend(p.lower() for p in _CAMEL.findall(piece))
    return parts


def tokenize(text: str) -> list[str]:
    """Turn text or code into BM25 tokens: whole identifiers plus their parts."""
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        lower = word.lower().strip("_")
        if not lower or lower in STOP_WORDS:
            continue
        tokens.append(lower)
        parts = split_identifier(word)
        if len(parts) > 1:
            # Parts add recall; the whole identifier (above) keeps exact matches on top.
            tokens.extend(p for p in parts if p not in STOP_WORDS)
    return tokens
