"""Visible tests from the examples a task writes in prose: `f(x) ==> y`, `f(x) ➞ y`,
`f(x) == y`, `f(x) -> y`, `f(x) = y`, "f(x) should return y", "f(x) returns y",
"For lst = [1, 2] the output should be 3" and `Input: ... Output: ...` blocks.

Each example becomes one single-line `assert entry_point(args) == expected`; an example
is kept only when the line parses, calls the entry point and uses nothing but literal
values (a bare name such as `is_happy(a)` would raise NameError, not test anything).
A float literal as the expected value is compared within the rounding it was written
with (`6.00` means "within 0.005"). `>>>` examples are left to the doctest runner unless
the caller asks for them (when the docstring did not parse as doctests); `agents.task`
turns the doctests that runner would misjudge into asserts.
"""

from __future__ import annotations

import ast
import builtins
import logging
import re

from agents.examples_cost import (MAX_VALUE_CHARS, OPEN, PARSE_CALL, PARSE_WEIGHT, Brackets, OutOfWork, charge,
                                  charge_line_scans, input_output_pairs, match_bracket, scan, work_budget)
from codetext.pyast import parse_python

log = logging.getLogger(__name__)

_BUILTINS = set(dir(builtins))
_SEPARATOR = re.compile(r"[ \t]*(?:#[ \t]*)?(==>|=>|➞|→|->|==|=(?!=)|should\s+return|should\s+be|returns)[ \t]*")
_FOR_OUTPUT = re.compile(r"\bfor\s+(\w+\s*=.*?),?\s+(?:the\s+)?(?:output|result|answer)\s+should\s+be\s+(.+)$",
                         re.IGNORECASE | re.MULTILINE)
_NAMED = re.compile(r"^\s*([A-Za-z_]\w*)\s*[:=]\s*(.+?)\s*$", re.DOTALL)
_FOR_START = re.compile(r"\bfor\s+\w+\s*=", re.IGNORECASE)  # where `_FOR_OUTPUT` can start
_TAIL_OK = ("#", ".", ",", ";", "(")  # what may follow an expected value on its line (or nothing)


def strip_comment(text: str) -> str:
    """`text` up to a `#` outside string literals."""
    return next((text[:i] for i, ch, _ in scan(text) if ch == "#"), text)


def split_top(text: str, seps: str = ",\n") -> list[str]:
    """`text` cut at separators outside brackets and strings (blank pieces dropped)."""
    cuts = [i for i, ch, depth in scan(text) if depth == 0 and ch in seps]
    pieces = [text[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(text)])]
    return [p for p in pieces if p.strip()]


def leading_expr(text: str) -> tuple[str, str]:
    """The longest prefix of `text` that is a Python expression, and what follows it
    (("", text) when no prefix is one)."""
    for end in reversed([i + 1 for i, _, depth in scan(text) if depth == 0]):
        candidate = text[:end].strip()
        if candidate and _parses(candidate):
            return candidate, text[end:].strip()
    return "", text


def _parse(source: str, mode: str = "exec") -> ast.AST:
    """`parse_python`, its length charged to the extraction budget."""
    charge(PARSE_CALL + PARSE_WEIGHT * len(source))
    return parse_python(source, mode=mode)


def _parses(expr: str, mode: str = "eval") -> bool:
    try:
        _parse(expr, mode=mode)
    except SyntaxError:
        return False
    return True


def _literal(expr: str) -> bool:
    """True for values written out in full: constants, containers, arithmetic on them."""
    try:
        tree = _parse(expr, mode="eval")
    except SyntaxError:
        return False
    return not any(isinstance(n, (ast.Name, ast.Attribute, ast.Call, ast.Lambda, ast.NamedExpr, ast.Subscript))
                   for n in ast.walk(tree))


def expected_value(text: str) -> str | None:
    """The value written after a separator: `14`, `"1".`, `[1, 5] # why`, `true`,
    `19 - 5 - 6 = 8` (a worked sum: its last term); None when it is not a plain value (or
    longer than `MAX_VALUE_CHARS`: on one line of thousands of examples, each one's text
    runs to the line's end)."""
    if len(text) > MAX_VALUE_CHARS:
        return None
    charge(len(text))
    text = re.sub(r"^(true|false|none)\b", lambda m: m.group(1).capitalize(), strip_comment(text).strip())
    text = text[:-1] if text.endswith(".") else text  # the sentence's full stop, not `1.`
    expr, tail = leading_expr(text)
    if tail.startswith("=") and not tail.startswith("=="):
        expr, tail = leading_expr(tail.rsplit("=", 1)[1])
    if not expr or not _literal(expr) or (tail and not tail.startswith(_TAIL_OK)):
        return None
    return expr


def _float_tolerance(expr: str) -> float | None:
    """For a float literal (maybe negative), half a unit of its last written digit."""
    match = re.fullmatch(r"-?\s*\d*\.(\d*)", expr)
    if not match:
        return None
    return max(0.5 * 10 ** -len(match.group(1)), 1e-6)


def make_assert(call: str, expected: str) -> str | None:
    """`assert call == expected` on one line (a float within its written rounding), or
    None when it does not parse."""
    call = " ".join(call.split()) if "\n" in call else call
    tolerance = _float_tolerance(expected)
    line = (f"assert abs({call} - {expected}) <= {tolerance:g}" if tolerance is not None
            else f"assert {call} == {expected}")
    try:
        _parse(line)
    except SyntaxError:
        return None
    return line


def parameters(text: str, entry_point: str) -> list[str]:
    """The entry point's parameter names from its `def` in the text ([] when absent)."""
    match = re.search(rf"^[^\S\n]*def\s+{re.escape(entry_point)}\s*\(", text, re.MULTILINE)
    if not match:
        return []
    end = match_bracket(text, match.end() - 1)
    try:
        tree = _parse(f"def f{text[match.end() - 1:end]}: pass") if end else None
    except SyntaxError:
        return []
    return [a.arg for a in tree.body[0].args.args] if tree else []


def named_call(entry_point: str, pairs: list[tuple[str, str]], params: list[str]) -> str | None:
    """A positional call from `name = value` pairs: in the signature's order when the
    names are its first parameters, else in the written order when the counts agree."""
    values = dict(pairs)
    if len(values) == len(pairs) and set(values) == set(params[:len(values)]):
        return f"{entry_point}({', '.join(values[p] for p in params[:len(values)])})"
    if not params or len(pairs) == len(params):
        return f"{entry_point}({', '.join(v for _, v in pairs)})"
    return None


def assignments(text: str) -> list[tuple[str, str]]:
    """`lst = [1, 2]`, `s = "ab", c = "a"` or `grid : [[0]]` lines → [(name, value)],
    stopping at the first piece that is not one (prose after the values)."""
    pairs = []
    for piece in split_top(text):
        match = _NAMED.match(piece)
        value = leading_expr(match.group(2))[0] if match else ""
        if not value or not _literal(value):
            break
        pairs.append((match.group(1), value))
    return pairs


def quote_bare_words(call: str, params: list[str]) -> str:
    """`is_happy(abcd)` → `is_happy('abcd')`: when every argument is a bare word that is
    neither a parameter (`tri(n) = ...` is a definition) nor a builtin, the example wrote
    strings without quotes. Other calls are returned as they are."""
    try:
        tree = _parse(call, mode="eval").body
    except SyntaxError:
        return call
    args = tree.args if isinstance(tree, ast.Call) and not tree.keywords else []
    if not args or not all(isinstance(a, ast.Name) and a.id not in params and a.id not in _BUILTINS for a in args):
        return call
    return f"{ast.unparse(tree.func)}({', '.join(repr(a.id) for a in args)})"


def _call_examples(text: str, entry_point: str, with_doctests: bool, params: list[str]) -> list[str]:
    """Examples written as `entry_point(args) <separator> expected` (and `>>>` ones when asked)."""
    found, brackets = [], Brackets(text)
    assert_lines: dict[int, bool] = {}  # line start -> the line is a whole assert (parsed once per line)

    def _assert_line(start: int) -> bool:
        if start not in assert_lines:
            assert_lines[start] = _parses(_line_at(text, start).strip(), "exec")
        return assert_lines[start]

    defines = re.search(rf"\b{re.escape(entry_point)}\(\s*[A-Za-z_]\w*\s*(?:[-+]\s*\d+\s*)?\)\s*=(?!=)", text)
    line_start = searched = 0
    for match in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\s*\(", text):
        newline = text.rfind("\n", searched, match.start())  # only since the last call: linear
        line_start, searched = (newline + 1 if newline >= 0 else line_start), match.start()
        charge(match.start() - line_start)
        before = text[line_start:match.start()].strip()
        end = brackets.close(match.end() - 1)
        if end is None or re.search(r"\bdef$", before) or (before.startswith("assert") and _assert_line(line_start)):
            continue
        call = quote_bare_words(text[match.start():end], params)
        if not literal_args(call):
            continue
        line_end = text.find("\n", end)
        rest = _line_at(text, end)
        if before == ">>>":
            if with_doctests and not rest.strip():
                want = _line_at(text, line_end + 1).strip() if line_end >= 0 else ""
                value = expected_value(want) if want and not want.startswith(">>>") else None
                found.append(make_assert(call, value) if value else None)
            continue
        sep = _SEPARATOR.match(rest)
        if not sep or (sep.group(1) == "=" and defines):  # `tri(n) = ...` defines f: `=` lines are maths
            continue
        value = expected_value(_continued(brackets, end + sep.end(), rest[sep.end():]))
        found.append(make_assert(call, value) if value else None)
    return [line for line in found if line]


def _line_at(text: str, start: int) -> str:
    """From `start` to the end of its line."""
    end = text.find("\n", start)
    charge((end if end >= 0 else len(text)) - start)
    return text[start:end if end >= 0 else None]


def literal_args(call: str) -> bool:
    """True when the call's arguments are written-out values (no names, no calls)."""
    try:
        tree = _parse(call, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(tree, ast.Call) and all(_literal(ast.unparse(a)) for a in [*tree.args, *(k.value for k in tree.keywords)])


def _continued(brackets: Brackets, start: int, rest: str) -> str:
    """The expected value's text: the rest of the line, or up to its closing bracket when
    a bracket opened on this line closes on a later one."""
    stripped = rest.lstrip()
    if stripped[:1] in OPEN:
        text = brackets.text
        end = brackets.close(start + len(rest) - len(stripped))
        if end is not None:
            line_end = text.find("\n", end)
            return text[start:line_end if line_end >= 0 else None]
    return rest


def _for_output_examples(text: str, entry_point: str, params: list[str]) -> list[str]:
    """'For lst = [1,2,3] the output should be 14' / 'For s = "ab", c = "b", the result should be ...'."""
    found = []
    charge_line_scans(text, _FOR_START)
    for match in _FOR_OUTPUT.finditer(text):
        pairs, value = assignments(match.group(1)), expected_value(match.group(2))
        call = named_call(entry_point, pairs, params) if pairs and value else None
        found.append(make_assert(call, value) if call else None)
    return [line for line in found if line]


def _input_output_examples(text: str, entry_point: str, params: list[str]) -> list[str]:
    """`Input: arr = [..], k = 3` / `Input: [4,2,3]` (maybe over several lines) then `Output: value`."""
    found = []
    for inputs, output in input_output_pairs(text):
        section = inputs.rsplit("Input:", 1)[-1].strip()
        value = expected_value(output)
        if not section or not value:
            continue
        pairs = assignments(section)
        if pairs and len(pairs) == len(split_top(section)):
            call = named_call(entry_point, pairs, params)
        else:
            call = f"{entry_point}({' '.join(section.split())})"
        if call and literal_args(call):
            found.append(make_assert(call, value))
    return [line for line in found if line]


def example_alias(text: str, entry_point: str) -> str:
    """The one other name the examples call when they never call `entry_point`: a
    function written at a line's start (maybe after `assert`/`>>>`), not defined in the
    text and not a builtin ("" when there is none or several)."""
    # `^[^\S\n]*`, not `^\s*`: the same names, without rescanning a run of blank lines from each
    defined = set(re.findall(r"^[^\S\n]*def\s+(\w+)", text, re.MULTILINE)) | _BUILTINS | {entry_point}
    called = {m for m in re.findall(r"^[^\S\n]*(?:assert\s+|>>>\s*|[*-]\s+)?([A-Za-z_]\w*)\(.*\)\s*(?:==>|=>|➞|->|==)",
                                    text, re.MULTILINE) if m not in defined}
    return called.pop() if len(called) == 1 else ""


def calls_name(line: str, name: str) -> bool:
    """True when the assert line calls `name` (a test that never calls the function is useless).
    Here, below task and test_writer, because both the example miner and the test writer filter by it."""
    try:
        tree = parse_python(line)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(tree))


def example_asserts(text: str, entry_point: str, *, with_doctests: bool = False) -> list[str]:
    """Assert lines from every example format in `text` that calls `entry_point`, in
    order, deduplicated. `with_doctests`: also turn `>>> f(x)` + result line into asserts
    (for text whose doctests could not be parsed as such). The work is bounded by a budget
    linear in the text (agents/examples_cost.py): a text that spends it yields none."""
    if not entry_point:
        return []
    try:
        with work_budget(text):
            lines = _all_examples(text, entry_point, with_doctests)
    except OutOfWork:
        log.warning("task text too costly to mine for examples (%d characters): no visible tests from them", len(text))
        return []
    seen: set[str] = set()
    kept = []
    for line in lines:  # the first of equal lines decides, as before; a set keeps this linear
        if line not in seen:
            seen.add(line)
            if calls_name(line, entry_point):
                kept.append(line)
    return kept


def _all_examples(text: str, entry_point: str, with_doctests: bool) -> list[str]:
    """Every example format's assert lines, in order (the alias's when none calls `entry_point`)."""
    params = parameters(text, entry_point)
    lines = (_call_examples(text, entry_point, with_doctests, params) + _for_output_examples(text, entry_point, params)
             + _input_output_examples(text, entry_point, params))
    alias = "" if lines else example_alias(text, entry_point)
    if alias:  # `sorted_list_sum`'s examples call `list_sort`: the same function, misnamed
        lines = [re.sub(rf"(?<![\w.]){alias}\(", f"{entry_point}(", line)
                 for line in _call_examples(text, alias, with_doctests, params)]
    return lines
