"""Test writer (the tester's first job): assert lines from the specification, written
before any candidate exists so the tests are not fitted to the code.

Generated tests are evidence, not truth: small models often get expected values wrong.
They are kept apart from the task's own visible tests, capped, and weighed by the
selector through agreement between candidates.
"""

from __future__ import annotations

from dataclasses import replace

from agents.examples import calls_name
from agents.llm_call import timed_complete
from agents.prompts import entry_point_line, example_messages, layout, render
from agents.sampling import GREEDY_TEMPERATURE
from agents.state import SolveConfig, SolveState
from agents.task import Task, assert_lines
from agents.usage import merge_usage
from codetext.extract import fenced_blocks
from serving.base import LLM


def parse_tests(text: str, task: Task, cap: int) -> list[str]:
    """Assert lines from the answer's code block(s) (or its text), deduplicated, without the
    task's own asserts, each calling the entry point when there is one, at most `cap`."""
    source = "\n".join(fenced_blocks(text)) or text
    own = set(task.asserts)
    found: list[str] = []
    for line in assert_lines(source):
        if line in own or line in found:
            continue
        if task.entry_point and not calls_name(line, task.entry_point):
            continue
        found.append(line)
    return found[:cap]


def writer_messages(task: Task, config: SolveConfig) -> list:
    """Shared system prompt, the fixed example, then the task."""
    values = {"max_tests": str(config.max_gen_tests)}
    user = render("tests_user", task=task.prompt, entry_point_line=entry_point_line(task.entry_point), **values)
    return layout(user, example_messages("tests_user", "tests_example_answer", **values))


EXAMPLES_MAX_TOKENS = 256  # a handful of assert lines
EXAMPLES_CAP = 10


def examples_messages(task: Task) -> list:
    """Shared system prompt, then the request to rewrite the task's own examples."""
    return layout(render("examples_user", task=task.prompt, entry_point=task.entry_point))


def examples_from_text(llm: LLM, task: Task) -> tuple[Task, dict, dict]:
    """One short model call that rewrites the examples written in the task's prose as
    asserts: the task with them as visible tests, the usage and an event. Only lines
    that parse and call the entry point are kept; an answer without any leaves the task
    as it was (a task may have no examples at all)."""
    completion, usage = timed_complete(llm, "examples", examples_messages(task),
                                       max_tokens=EXAMPLES_MAX_TOKENS, temperature=GREEDY_TEMPERATURE)
    found = parse_tests(completion.texts[0], task, EXAMPLES_CAP)
    return replace(task, asserts=[*task.asserts, *found]), usage, {"agent": "examples", "asserts": len(found)}


def make_test_writer(llm: LLM, config: SolveConfig):
    """The test-writer node. First, when the task has no visible tests and
    `config.examples_from_text` is on, one call rewrites its prose examples as asserts
    (they become visible tests: the task in the state is replaced). Then, when
    `config.gen_tests` is on, the generated tests; otherwise no further call."""

    def write_tests(state: SolveState) -> dict:
        task = Task.from_dict(state["task"])
        update: dict = {"gen_tests": []}
        # the model's rewrite of prose examples is part of "every format": off in the ablations
        rewrite = config.examples_from_text and config.visible_tests == "all"
        if rewrite and task.entry_point and not task.has_tests:
            task, usage, event = examples_from_text(llm, task)
            update |= {"task": task.to_dict(), "usage": usage, "events": [event]}
        if not config.gen_tests:
            return update
        completion, usage = timed_complete(llm, "test_writer", writer_messages(task, config),
                                           max_tokens=min(config.max_tokens, 512), temperature=GREEDY_TEMPERATURE)
        tests = parse_tests(completion.texts[0], task, config.max_gen_tests)
        return update | {"gen_tests": tests, "usage": merge_usage(update.get("usage"), usage),
                         "events": [*update.get("events", []), {"agent": "test_writer", "tests": len(tests)}]}

    return write_tests
