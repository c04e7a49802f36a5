"""Visible tests from examples written in prose (agents/examples.py), their place in the
task, and the one-call fallback that rewrites free-text examples (agents/test_writer.py)."""

import pytest

from agents.examples import example_asserts, expected_value, leading_expr
from agents.state import SolveConfig
from agents.task import Task, doctest_assert, task_from_problem, task_from_text, with_visible_tests
from agents.test_writer import make_test_writer
from eval.problems import get_problem
from serving.fake import FakeLLM


def stub(name: str, params: str, doc: str) -> str:
    """A HumanEval-shaped prompt: signature and docstring."""
    return f'def {name}({params}):\n    """{doc}\n    """\n'


@pytest.mark.parametrize(
    "prompt,entry,expected",
    [
        (stub("digitSum", "s", 'Examples:\n        digitSum("") => 0\n        digitSum("abAB") => 131'), "digitSum",
         ['assert digitSum("") == 0', 'assert digitSum("abAB") == 131']),
        (stub("iscube", "a", "Examples:\n    iscube(1) ==> True\n    iscube(2) ==> False"), "iscube",
         ["assert iscube(1) == True", "assert iscube(2) == False"]),
        (stub("will_it_fly", "q, w", "Example:\n    will_it_fly([1, 2], 5) ➞ False \n    # 1+2 is less"),
         "will_it_fly", ["assert will_it_fly([1, 2], 5) == False"]),
        (stub("search", "lst", "Examples:\n        search([4, 1, 2, 2, 3, 1]) == 2"), "search",
         ["assert search([4, 1, 2, 2, 3, 1]) == 2"]),
        (stub("compare", "game,guess", "compare([1,2,3,4,5,1],[1,2,3,4,2,-2]) -> [0,0,0,0,3,3]"), "compare",
         ["assert compare([1,2,3,4,5,1],[1,2,3,4,2,-2]) == [0,0,0,0,3,3]"]),
        (stub("multiply", "a, b", "Examples:\n    multiply(148, 412) should return 16.\n    multiply(14,-15) should return 20."),
         "multiply", ["assert multiply(148, 412) == 16", "assert multiply(14,-15) == 20"]),
        (stub("count_upper", "s", "For example:\n    count_upper('aBCdEf') returns 1"), "count_upper",
         ["assert count_upper('aBCdEf') == 1"]),
        (stub("choose_num", "x, y", "For example:\n    choose_num(12, 15) = 14"), "choose_num",
         ["assert choose_num(12, 15) == 14"]),
        (stub("is_simple_power", "x, n", "For example:\n    is_simple_power(1, 4) => true\n    is_simple_power(3, 2) => false"),
         "is_simple_power", ["assert is_simple_power(1, 4) == True", "assert is_simple_power(3, 2) == False"]),
        (stub("fruit_distribution", "s,n", 'fruit_distribution("5 apples and 6 oranges", 19) ->19 - 5 - 6 = 8'),
         "fruit_distribution", ['assert fruit_distribution("5 apples and 6 oranges", 19) == 8']),
        (stub("file_name_check", "file_name", 'file_name_check("1example.dll") # => \'No\' (the name should start with a letter)'),
         "file_name_check", ["assert file_name_check(\"1example.dll\") == 'No'"]),
        (stub("get_odd_collatz", "n", "get_odd_collatz(5) returns [1, 5] # The collatz sequence for 5 is [5, 16, 8]"),
         "get_odd_collatz", ["assert get_odd_collatz(5) == [1, 5]"]),
    ],
)
def test_call_then_separator_formats(prompt, entry, expected):
    assert example_asserts(prompt, entry) == expected


def test_for_and_the_output_should_be():
    sum_squares = stub("sum_squares", "lst", "Examples:\n    For lst = [1,2,3] the output should be 14\n"
                                             "    For lst = []  the output should be 0")
    assert example_asserts(sum_squares, "sum_squares") == ["assert sum_squares([1,2,3]) == 14",
                                                            "assert sum_squares([]) == 0"]
    reverse_delete = stub("reverse_delete", "s,c", 'For s = "abcde", c = "ae", the result should be (\'bcd\',False)')
    assert example_asserts(reverse_delete, "reverse_delete") == ["assert reverse_delete(\"abcde\", \"ae\") == ('bcd',False)"]
    solve = stub("solve", "N", 'For N = 1000, the sum of digits will be 1 the output should be "1".')
    assert example_asserts(solve, "solve") == ['assert solve(1000) == "1"']


def test_input_output_blocks():
    maximum = stub("maximum", "arr, k", "Example 1:\n\n        Input: arr = [-3, -4, 5], k = 3\n"
                                        "        Output: [-4, -3, 5]\n\n    Example 2:\n        Input: arr = [4, -4, 4], k = 2\n"
                                        "        Output: [4, 4]\n\n    Note:\n        1. The length")
    assert example_asserts(maximum, "maximum") == ["assert maximum([-3, -4, 5], 3) == [-4, -3, 5]",
                                                    "assert maximum([4, -4, 4], 2) == [4, 4]"]
    pluck = stub("pluck", "arr", "Example 1:\n        Input: [4,2,3]\n        Output: [2, 1]\n        Explanation: 2 has")
    assert example_asserts(pluck, "pluck") == ["assert pluck([4,2,3]) == [2, 1]"]
    # names that differ from the parameters: positional, in the written order
    max_fill = stub("max_fill", "grid, capacity", "Example 1:\n        Input: \n            grid : [[0,0,1,0], [1,1,1,1]]\n"
                                                  "            bucket_capacity : 1\n        Output: 6")
    assert example_asserts(max_fill, "max_fill") == ["assert max_fill([[0,0,1,0], [1,1,1,1]], 1) == 6"]
    comment = stub("add_elements", "arr, k", "Input: arr = [111,21,3,4000,5], k = 4\n        Output: 24 # sum of 21 + 3")
    assert example_asserts(comment, "add_elements") == ["assert add_elements([111,21,3,4000,5], 4) == 24"]


def test_a_call_over_several_lines_becomes_one_line():
    get_row = stub("get_row", "lst, x", "Examples:\n    get_row([\n      [1,2,3],\n      [1,2,1]\n    ], 1) == [(0, 0), (1, 2)]")
    assert example_asserts(get_row, "get_row") == ["assert get_row([ [1,2,3], [1,2,1] ], 1) == [(0, 0), (1, 2)]"]


def test_float_results_are_compared_within_their_written_rounding():
    area = stub("triangle_area", "a, b, c", "Example:\n    triangle_area(3, 4, 5) == 6.00\n    triangle_area(1, 2, 10) == -1")
    lines = example_asserts(area, "triangle_area")
    assert lines == ["assert abs(triangle_area(3, 4, 5) - 6.00) <= 0.005", "assert triangle_area(1, 2, 10) == -1"]
    namespace = {"triangle_area": lambda a, b, c: 6.0 + 0.001}
    exec(lines[0], namespace)  # 6.001 rounds to the 6.00 the docstring wrote


@pytest.mark.parametrize(
    "prompt,entry",
    [
        (stub("tri", "n", "tri(1) = 3\n    tri(n) = 1 + n / 2, if n is even.\n    tri(4) = 3"), "tri"),  # a definition
        (stub("f", "x", "f(x) returns the sum of the digits"), "f"),  # prose, no value
        (stub("f", "lst", "f(lst) == [1, 2]"), "f"),  # the argument is the parameter's name
        (stub("f", "x", "g(1) == 2"), "f"),  # another function... that is defined
        (stub("find_max", "words", 'find_max(["aaaaaaa", "bb" ,"cc"]) == ""aaaaaaa"'), "find_max"),  # broken quoting
        (stub("f", "x", "f(1) == y"), "f"),  # an undefined name as the expected value
        (stub("f", "x", "Write a function f() that returns 3."), "f"),
        ("def f(x):\n    pass\n", ""),  # no entry point
    ],
)
def test_lines_that_are_not_examples_give_nothing(prompt, entry):
    if entry == "f" and "g(1)" in prompt:
        prompt = "def g(y):\n    return y\n" + prompt
    assert example_asserts(prompt, entry) == []


def test_assert_lines_and_doctests_are_not_repeated():
    text = "Write add(a, b).\nassert add(1, 2) == 3\n>>> add(2, 2)\n4\n\nadd(5, 5) ==> 10\nadd(2, 2) ==> 4\n"
    task = task_from_text(text)
    assert task.asserts == ["assert add(1, 2) == 3", "assert add(5, 5) == 10"]  # add(2, 2) is a doctest already
    assert task.doctests == ">>> add(2, 2)\n4\n"


def test_bare_words_are_strings_and_a_misnamed_function_is_the_entry_point():
    happy = stub("is_happy", "s", "For example:\n    is_happy(a) => False\n    is_happy(abcd) => True")
    assert example_asserts(happy, "is_happy") == ["assert is_happy('a') == False", "assert is_happy('abcd') == True"]
    alias = stub("sorted_list_sum", "lst", 'For example:\n    assert list_sort(["aa", "a", "aaa"]) => ["aa"]')
    assert example_asserts(alias, "sorted_list_sum") == ['assert sorted_list_sum(["aa", "a", "aaa"]) == ["aa"]']


def test_doctests_the_runner_would_misjudge_become_asserts():
    assert doctest_assert("count_nums([]) == 0\n", "", "count_nums") == "assert count_nums([]) == 0"
    assert doctest_assert("circular_shift(12, 1)\n", '"21"\n', "circular_shift") == "assert circular_shift(12, 1) == '21'"
    assert doctest_assert("sort_array([1, 0]) [0, 1]\n", "", "sort_array") == "assert sort_array([1, 0]) == [0, 1]"
    assert doctest_assert("add(2, 2)\n", "4\n", "add") is None  # the doctest is right as it is
    assert doctest_assert("x = add(2, 2)\n", "", "add") is None


def test_humaneval_prompts_in_every_format():
    assert task_from_problem(get_problem("humaneval:HumanEval/133")).asserts[0] == "assert sum_squares([1,2,3]) == 14"
    assert task_from_problem(get_problem("humaneval:HumanEval/120")).asserts[0] == (
        "assert maximum([-3, -4, 5], 3) == [-4, -3, 5]")
    count_nums = task_from_problem(get_problem("humaneval:HumanEval/108"))
    assert count_nums.asserts[0] == "assert count_nums([]) == 0" and not count_nums.doctests
    has_close = task_from_problem(get_problem("humaneval:HumanEval/0"))  # plain doctests stay doctests
    assert has_close.asserts == [] and has_close.doctests.count(">>>") == 2


def test_value_helpers():
    assert leading_expr("[1, 5] x") == ("[1, 5]", "x")
    assert expected_value("1 + 9 + 0 + 0 = 10") == "10"
    assert expected_value("True.") == "True"
    assert expected_value("the sum") is None


def writer_state(task: Task) -> dict:
    return {"task": task.to_dict()}


def test_free_text_examples_fallback_adds_visible_tests():
    task = task_from_text("def double(x):\n    '''Twice x. Doubling three gives six, and zero stays zero.'''\n")
    assert not task.has_tests
    llm = FakeLLM(["```python\nassert double(3) == 6\nassert double(0) == 0\nassert other(1) == 2\nassert double(\n```"])
    update = make_test_writer(llm, SolveConfig())(writer_state(task))
    assert Task.from_dict(update["task"]).asserts == ["assert double(3) == 6", "assert double(0) == 0"]
    assert update["usage"]["examples"]["calls"] == 1 and update["events"] == [{"agent": "examples", "asserts": 2}]
    assert update["gen_tests"] == [] and llm.remaining == 0


def test_fallback_is_skipped_with_tests_or_when_off_and_may_find_nothing():
    with_tests = task_from_text("Write add(a, b).\nassert add(1, 2) == 3\n")
    assert make_test_writer(FakeLLM([]), SolveConfig())(writer_state(with_tests)) == {"gen_tests": []}
    bare = task_from_text("def greet(name):\n    '''Return a greeting.'''\n")
    assert make_test_writer(FakeLLM([]), SolveConfig(examples_from_text=False))(writer_state(bare)) == {"gen_tests": []}
    update = make_test_writer(FakeLLM(["There are no examples."]), SolveConfig())(writer_state(bare))
    assert Task.from_dict(update["task"]).asserts == [] and update["events"][0]["asserts"] == 0


def test_fallback_then_generated_tests_in_one_node():
    task = task_from_text("def double(x):\n    '''Twice x: 3 gives 6.'''\n")
    llm = FakeLLM(["```python\nassert double(3) == 6\n```", "```python\nassert double(3) == 6\nassert double(5) == 10\n```"])
    update = make_test_writer(llm, SolveConfig(gen_tests=True))(writer_state(task))
    assert Task.from_dict(update["task"]).asserts == ["assert double(3) == 6"]
    assert update["gen_tests"] == ["assert double(5) == 10"]  # the visible one is not repeated
    assert set(update["usage"]) == {"examples", "test_writer"} and len(update["events"]) == 2


def test_visible_test_levels_keep_every_format_only_doctests_or_nothing():
    prompt = stub("iscube", "a", "Examples:\n    iscube(1) ==> True\n    >>> iscube(8)\n    True")
    task = task_from_text(prompt)
    assert task.asserts == ["assert iscube(1) == True"] and ">>> iscube(8)" in task.doctests
    assert with_visible_tests(task, "all") == task
    legacy = with_visible_tests(task, "doctest")  # the first pipeline's extractor: `>>>` and asserts only
    assert legacy.asserts == [] and legacy.doctests == task.doctests
    bare = with_visible_tests(task, "none")
    assert not bare.has_tests and bare.prompt == task.prompt
    # without visible tests the one-call rewrite of prose examples stays off too
    assert make_test_writer(FakeLLM([]), SolveConfig(visible_tests="doctest"))(writer_state(bare)) == {"gen_tests": []}
