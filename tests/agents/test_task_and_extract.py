"""Task parsing (visible tests) and code extraction/validation."""

import pytest

from codetext.extract import extract_code, validate, with_task_imports
from agents.task import TaskError, task_from_problem, task_from_text
from eval.problems import get_problem


def test_text_task_finds_asserts_examples_and_entry_point():
    task = task_from_text(
        "Write add(a, b) returning the sum.\nassert add(1, 2) == 3\nassert add(-1, 1) == 0\n>>> add(2, 2)\n4\n"
    )
    assert task.asserts == ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
    assert task.doctests == ">>> add(2, 2)\n4\n"
    assert task.entry_point == "add"


def test_signature_in_text_names_the_entry_point():
    task = task_from_text("def slugify(title: str) -> str:\n    '''Lower-case, dashes for spaces.'''\n")
    assert task.entry_point == "slugify" and not task.has_tests


def test_empty_task_is_an_error():
    with pytest.raises(TaskError, match="empty"):
        task_from_text("   \n")


def test_humaneval_doctests_come_from_docstrings_only():
    task = task_from_problem(get_problem("humaneval:HumanEval/0"))
    assert task.entry_point == "has_close_elements"
    assert task.doctests.splitlines()[-1] == "True"  # not the docstring's closing quotes
    assert task.doctests.count(">>>") == 2


FENCED = "Here you go:\n```python\nimport math\n```\nand\n```python\ndef f(x):\n    return x\n```\nDone."


@pytest.mark.parametrize(
    "text,entry,expected",
    [
        (FENCED, "f", "def f(x):\n    return x"),
        (FENCED, "", "import math"),
        ("```python\ndef f(x):\n    return x", "f", "def f(x):\n    return x"),  # cut off before the fence closed
        ("def f(x):\n    return x\n", "f", "def f(x):\n    return x"),  # no fence at all
        ("Sorry, I cannot help.", "f", ""),
    ],
)
def test_extract_code(text, entry, expected):
    assert extract_code(text, entry) == expected


def test_validate_reports_why_code_cannot_be_tested():
    assert validate("", "f") == "The answer contained no code block."
    assert "does not parse" in validate("def f(:\n", "f")
    assert "does not define the required function `f`" in validate("def g():\n    pass", "f")
    assert validate("def f():\n    pass", "f") == ""


def test_the_task_imports_a_candidate_lacks_are_added():
    prompt = "from typing import List\nimport math\n\n\ndef f(xs: List[int]) -> int:\n    '''Sum.'''\n"
    assert with_task_imports("def f(xs: List[int]) -> int:\n    return sum(xs)", prompt).splitlines()[:2] == [
        "from typing import List", "import math"]
    assert with_task_imports("import math\nx = 1", prompt) == "from typing import List\nimport math\nx = 1"
    assert with_task_imports("x = 1", "Write f that sums a list.") == "x = 1"  # prose task: nothing to add
    assert with_task_imports("", prompt) == ""
