"""Keeping visible-test extraction (agents/examples.py) linear in the task text.

A task text is untrusted input (docs/ARCHITECTURE.md, Threat model): a `solve` argument, a task file's row, a
benchmark a user downloaded. Mining it for examples must not cost more than a small multiple
of its length (issue 28: `Input:` repeated N times took O(N²)). Two tools:

- `input_output_pairs`: the `Input: ... Output: value` blocks in one pass;
- `Brackets`: bracket matching for many starts in one text, each scan's answers kept;
- a work budget (`work_budget`, `charge`): extraction charges one unit per character it
  scans and `PARSE_WEIGHT` per character it parses; a text that spends its budget
  (`WORK_PER_CHAR` × its length, plus `WORK_BASE`) stops being mined (`OutOfWork`). The
  benchmark prompts spend at most a fifth of theirs, so it only stops crafted texts whose
  examples overlap (one line of thousands of calls, each re-read to the line's end).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar

# `Input: ... Output: value` blocks are `\bInput\s*:(.*?)\bOutput\s*:[ \t]*([^\n]+)` (DOTALL). That
# regex rescans to the end of the text from every `Input:` with no `Output:` after it.
_INPUT = re.compile(r"\bInput\s*:")
_OUTPUT = re.compile(r"\bOutput\s*:")
_BLANKS = re.compile(r"[ \t]*")
OPEN, CLOSE = "([{", ")]}"  # brackets, as `scan` counts them

WORK_PER_CHAR = 200  # units per character of text: 2.5x the densest legit text measured (an example a line: 80)
WORK_BASE = 50_000  # so that short texts never run out (benchmark prompts: at most 12,702 in all)


class OutOfWork(Exception):
    """The text used up its extraction budget (caught by `example_asserts`)."""


class _Budget:
    __slots__ = ("left",)

    def __init__(self, units: int) -> None:
        self.left = units


_BUDGET: ContextVar[_Budget | None] = ContextVar("codeloop_extraction_budget", default=None)


@contextlib.contextmanager
def work_budget(text: str) -> Iterator[None]:
    """Charge the extraction work inside the block to a budget sized for `text`."""
    token = _BUDGET.set(_Budget(WORK_BASE + WORK_PER_CHAR * len(text)))
    try:
        yield
    finally:
        _BUDGET.reset(token)


PARSE_WEIGHT = 4  # a character parsed (ast.parse builds objects) costs about four scanned
PARSE_CALL = 40  # and each parse as much as 40 characters scanned, however short (measured here)
MAX_VALUE_CHARS = 2_000  # an expected value's text longer than this is not taken (benchmarks: 60)


def charge(units: int) -> None:
    """Spend `units` of the current budget (none outside `work_budget`); `OutOfWork` once
    it is spent."""
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.left -= units
    if budget.left < 0:
        raise OutOfWork


def charge_line_scans(text: str, starts: re.Pattern) -> None:
    """Charge, for each match of `starts`, the rest of its line: what a regex that goes on
    from there with a lazy `.*?` up to the line's end may scan (in C, so it cannot charge as
    it goes). A line of thousands of such starts costs its length squared: it is charged
    before the regex runs, and stops extraction instead."""
    newline = -1
    for match in starts.finditer(text):
        if match.start() > newline:
            newline = text.find("\n", match.start())
            newline = len(text) if newline < 0 else newline
        charge(newline - match.start())


def scan(text: str, start: int = 0):
    """Yield (index, char, bracket depth after it) for the characters outside string
    literals; a string literal is yielded once, as its closing quote. Stops at a string
    that is not closed on its line."""
    depth, i = 0, start
    while i < len(text):
        if not (i - start) & 255:  # every 256 characters: the budget of `example_asserts`
            charge(256)
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            while j < len(text) and text[j] != ch:
                if text[j] == "\n":
                    return
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                return
            i = j
        elif ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
        yield i, text[i], depth
        i += 1


def match_bracket(text: str, start: int) -> int | None:
    """Index just past the bracket closing `text[start]`; None when it is not closed."""
    return next((i + 1 for i, _, depth in scan(text, start) if depth == 0), None)


class Brackets:
    """`match_bracket` for many starts in one text. A scan from one bracket also finds where
    every bracket it opens closes (or that it does not close before the scan stops), and a
    scan started at such a bracket would run in step with it; those answers are kept, so a
    text of thousands of unclosed calls is scanned once, not once per call."""

    def __init__(self, text: str) -> None:
        self.text, self.known = text, {}

    def close(self, start: int) -> int | None:
        """`match_bracket(self.text, start)`."""
        if start in self.known:
            return self.known[start]
        opened: list[int] = []
        for i, ch, depth in scan(self.text, start):
            if ch in OPEN:
                opened.append(i)
            elif ch in CLOSE and opened:
                self.known[opened.pop()] = i + 1
            if depth == 0:
                break
        self.known.update(dict.fromkeys(opened))  # still open where the scan stopped: never closed
        return self.known.get(start)


def _output_lines(text: str) -> list[tuple[int, int, int]]:
    r"""(start of `Output:`, start and end of its value) for every `Output:` followed on its
    line by a value (`[ \t]*([^\n]+)`: the text after the blanks, or the last blank when
    there is nothing else), in order. Each line end is looked up once, so the cost is linear
    even for a line that repeats `Output:`."""
    found, newline = [], -1
    for match in _OUTPUT.finditer(text):
        if match.end() > newline:
            newline = text.find("\n", match.end())
            newline = len(text) if newline < 0 else newline
        value = _BLANKS.match(text, match.end()).end()
        if value == newline and value > match.end():  # blanks only: the regex backs off one
            value -= 1
        if value < newline:
            found.append((match.start(), value, newline))
    return found


def input_output_pairs(text: str):
    """Yield (input section, output value) of each `Input: ... Output: value` block, as
    `re.finditer` of the pattern above would, in time linear in the text: a block starts at
    the next `Input:` and ends at the first usable `Output:` after it; when that `Input:` has
    none, no later one has either."""
    outputs, k, pos = _output_lines(text), 0, 0
    while (match := _INPUT.search(text, pos)) is not None:
        while k < len(outputs) and outputs[k][0] < match.end():
            k += 1
        if k == len(outputs):
            return
        start, value, end = outputs[k]
        yield text[match.end():start], text[value:end]
        pos = end
