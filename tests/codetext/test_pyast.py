"""`codetext.pyast.parse_python`: ast.parse that threads cannot break (python/cpython#106905),
and the rule that codeloop's own process parses only through it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from codetext.pyast import parse_python

REPO = Path(__file__).resolve().parents[2]
# Four threads parse a large module while every garbage collection sleeps, handing the GIL
# to another thread in the middle of a tree's conversion: the race a batch hit.
RACE = """
import ast, gc, sys, threading, time
from codetext.pyast import parse_python
parse = {parse}
code = "\\n".join(f"def f{{i}}(x):\\n    return [(a, {{{{b: [c for c in range(3)]}}}}) for a, b in x]" for i in range(200))
gc.set_threshold(50)
gc.callbacks.append(lambda phase, info: time.sleep(0.0005))
errors = []
def work():
    for _ in range(3):
        try:
            parse(code)
        except SystemError as exc:
            errors.append(exc)
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors))
"""


def system_errors(parse: str) -> int:
    out = subprocess.run([sys.executable, "-c", RACE.format(parse=parse)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_parse_python_survives_the_race_that_breaks_ast_parse():
    if system_errors("ast.parse") == 0:
        pytest.skip("this Python's ast.parse has no thread race to guard against")
    assert system_errors("parse_python") == 0


def test_parse_python_is_ast_parse():
    assert isinstance(parse_python("x = 1").body[0], type(parse_python("y = 2").body[0]))
    assert parse_python("1 + 2", mode="eval").body.op.__class__.__name__ == "Add"
    with pytest.raises(SyntaxError):
        parse_python("def (", filename="broken.py")


def test_codeloop_parses_only_through_parse_python():
    # the sandbox harness runs in its own process (one thread) and must not import codeloop
    allowed = {"codetext/pyast.py", "agents/guest/tester_harness.py"}
    offenders = [str(path.relative_to(REPO)) for folder in ("agents", "apps", "codetext", "eval", "memory",
                                                            "retrieval", "sandbox", "serving", "settings")
                 for path in (REPO / folder).rglob("*.py")
                 if str(path.relative_to(REPO)) not in allowed and re.search(r"\bast\.parse\(", path.read_text())]
    assert offenders == []


@pytest.mark.parametrize("source", ["x = " + "-" * 100_000 + "1", "x = " + "+".join(["1"] * 200_000),
                                    "x = a" + ".b" * 100_000])
def test_source_nested_too_deeply_is_a_syntax_error(source):
    """CPython raises MemoryError or RecursionError on these (issue 28: a task file's row made
    `codeloop batch` end in a traceback); callers handle SyntaxError as "not Python"."""
    with pytest.raises(SyntaxError, match="nested too deeply"):
        parse_python(source)
