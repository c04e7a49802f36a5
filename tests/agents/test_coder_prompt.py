"""The coder's prompt: a task written as code is asked exactly as the baseline asks it (the
prompt that measured better on mbpp-dev); prose tasks keep the tagged prompt."""

from agents.coder import coder_messages
from agents.task import Task, task_from_problem, task_from_text
from eval.baseline import baseline_messages
from eval.problems import Problem

HUMANEVAL_STYLE = Problem("humaneval", "HumanEval/x", 'def add(a: int, b: int) -> int:\n    """Sum of a and b.\n'
                          '    >>> add(1, {"b": 2}["b"])\n    3\n    """\n', "add", "")
MBPP_STYLE = Problem("mbpp", "Mbpp/x", '"""\nWrite a function to add two numbers.\nassert add(1, 2) == 3\n"""\n', "add", "")


def test_code_tasks_get_the_baselines_own_prompt():
    for problem in (HUMANEVAL_STYLE, MBPP_STYLE):
        assert coder_messages(task_from_problem(problem)) == baseline_messages(problem)


def test_prose_tasks_keep_the_system_prompt_and_task_tags():
    messages = coder_messages(task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n"))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "<task>" in messages[-1]["content"] and "`add`" in messages[-1]["content"]


def test_context_and_plan_come_before_the_code_to_complete():
    plan = [{"step": 1, "instruction": "parse the input"}, {"step": 2, "instruction": "add"}]
    content = coder_messages(task_from_problem(MBPP_STYLE), context="<<<BEGIN RETRIEVED 1>>>\nx\n", plan=plan)[0]["content"]
    assert content.index("<context>") < content.index("Plan:\n1. parse the input") < content.index("Complete the following")
    assert content.rstrip().endswith('"""\n```')


def test_is_code_tells_code_from_prose():
    assert Task(HUMANEVAL_STYLE.prompt).is_code() and Task(MBPP_STYLE.prompt).is_code()
    assert Task("class Stack:\n    pass\n").is_code()
    for prose in ("Write fizzbuzz(n) returning a list of strings.", "fizzbuzz", "x = 1", "def broken(:", ""):
        assert not Task(prose).is_code(), prose
