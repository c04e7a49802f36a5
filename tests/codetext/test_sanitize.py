"""The one sanitiser: imports and the entry point's definitions stay, test code goes."""

from codetext.sanitize import answer_code, candidate_code, sanitize

ANSWER = '''import math
from typing import List
LIMIT = 3
UNUSED = 7

def helper(x):
    return math.sqrt(x) + LIMIT

@staticmethod
def decorated():
    return 1

def f(x):
    """Doc."""
    assert x >= 0  # an assert inside the function is the function's own business
    return helper(x)

def unrelated():
    return OTHER

class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

OTHER = 8
result = f(16)

# Test cases
assert f(4) == 3
print(f(9))
for i in range(3):
    f(i)
if __name__ == "__main__":
    import unittest
    unittest.main()
'''


def test_keeps_imports_and_what_the_entry_point_needs():
    code = sanitize(ANSWER, "f")
    assert code.splitlines()[:2] == ["import math", "from typing import List"]
    for kept in ("LIMIT = 3", "def helper(x):", 'assert x >= 0  # an assert inside', "def f(x):",
                 "@staticmethod\ndef decorated", "def unrelated", "class Pair:", "OTHER = 8"):
        assert kept in code  # definitions run nothing; a benchmark's tests may call them
    for dropped in ("UNUSED", "result = f(16)", "assert f(4)", "print(", "for i in", "__main__", "unittest.main"):
        assert dropped not in code
    namespace: dict = {}
    exec(code, namespace)  # the wrong self-test no longer fails the import
    assert namespace["f"](4) == 5.0


def test_without_the_entry_point_every_definition_stays():
    code = sanitize(ANSWER, "g")  # e.g. helpers for a function the prompt defines
    assert "def unrelated" in code and "@staticmethod" in code and "UNUSED = 7" in code and "result = f(16)" in code
    assert "assert f(4)" not in code and "__main__" not in code


def test_scripts_and_unparsable_code_are_left_alone():
    assert sanitize("print('hi')\n", "") == "print('hi')\n"  # no entry point: a script's calls are its point
    assert sanitize("def f(:\n", "f") == "def f(:\n"  # the check reports the syntax error
    assert sanitize("print('only tests')\n", "f") == ""


def test_it_is_idempotent():
    once = sanitize(ANSWER, "f")
    assert sanitize(once, "f") == once


def test_answer_and_candidate_code():
    raw = "Here you go:\n```python\n" + ANSWER + "```\nHope it helps."
    assert answer_code(raw, "f") == sanitize(ANSWER, "f")
    assert answer_code("no code here, sorry", "f") == ""
    prompt = "from typing import List\nimport collections\n\ndef f(x: List[int]) -> int:\n    '''Doc.'''\n"
    assert candidate_code(raw, "f", prompt).startswith("import collections\nimport math")
