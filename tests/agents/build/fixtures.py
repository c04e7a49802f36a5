"""Scripted answers and a spec shared by the build tests."""

SPEC = """# calc

A tiny arithmetic package.

1. `calc/ops.py` has `add(a, b)` returning a + b.
2. `calc/ops.py` has `mul(a, b)` returning a * b.
"""

PLAN = "Here is the plan:\n1. Write calc/ops.py with add (covers: R1)\n2. Add mul to calc/ops.py (covers: R2)\n"
PLAN_MISSING_R2 = "1. Write calc/ops.py with add (covers: R1)\n"

ADD_CODE = '"""Arithmetic."""\n\n\ndef add(a, b):\n    return a + b\n'
ADD = f"""```python
# file: calc/ops.py
{ADD_CODE}```

```python
# file: tests/test_add.py
from calc.ops import add


def test_add():
    assert add(1, 2) == 3
```
SUMMARY: calc.ops.add adds two numbers.
"""
BAD_ADD = ADD.replace("return a + b", "return a - b").replace("SUMMARY: calc.ops.add adds two numbers.", "")
MUL = """```python
# file: calc/ops.py
\"\"\"Arithmetic.\"\"\"


def add(a, b):
    return a + b


def mul(a, b):
    return a * b
```

```python
# file: tests/test_mul.py
from calc.ops import mul


def test_mul():
    assert mul(2, 3) == 6
```
SUMMARY: mul added.
"""
BAD_MUL = MUL.replace("return a * b", "return a ** b")
NO_FILES = "I think the code is fine."
SUMMARY = "Wrote calc/ops.py; add subtracts instead of adding."
