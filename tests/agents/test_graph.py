"""Every route through the graph, with scripted model answers and the real process sandbox."""

from pathlib import Path

import pytest

from agents.graph import build_graph, route_after_repair, route_after_selector
from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from serving.fake import FakeLLM

TASK = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\nassert add(2, 5) == 7\n")
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
WRONG_2 = "```python\ndef add(a, b):\n    return a * b\n```"
CORE = {"coder", "tester", "repair"}


def flow(result) -> list[str]:
    """The model- and sandbox-facing steps of a run, in order."""
    return [e["agent"] for e in result.events if e["agent"] in CORE]


def test_passes_at_first_try(sandbox):
    llm = FakeLLM([GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1())
    assert result.verdict == "passed" and result.attempts == 0
    assert (result.tests_passed, result.tests_failed) == (2, 0)
    assert result.totals["calls"] == 1 and llm.remaining == 0


def test_fail_then_repair_then_pass(sandbox):
    llm = FakeLLM([WRONG, GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1())
    assert result.verdict == "passed" and result.attempts == 1
    assert flow(result) == ["coder", "tester", "repair", "tester"]
    # repair saw the real failure: the failing assert and the value actually produced
    repair_prompt = llm.calls[1][-1]["content"]
    assert "FAILED: assert add(1, 2) == 3" in repair_prompt and "-1" in repair_prompt
    assert {a for a, u in result.usage.items() if u.get("calls")} == {"coder", "repair"}


def test_attempts_exhausted(sandbox):
    llm = FakeLLM([WRONG, WRONG_2, WRONG.replace("a - b", "a - b - 1")])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1(max_repairs=2))
    assert result.verdict == "failed" and result.attempts == 2 and not result.stuck
    assert result.stop == "attempts"
    assert llm.remaining == 0


def test_stuck_detector_stops_identical_retries(sandbox):
    llm = FakeLLM([WRONG, WRONG, GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1(max_repairs=5))
    assert result.stuck and result.verdict == "failed" and result.attempts == 1
    assert llm.remaining == 1  # it did not keep asking


def test_invalid_answer_goes_to_repair_with_the_reason(sandbox):
    llm = FakeLLM(["I think you should add the numbers.", GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1())
    tested = [e for e in result.events if e["agent"] == "tester"]
    assert result.verdict == "passed" and tested[0]["verdict"] == "invalid"
    assert "no code block" in llm.calls[1][-1]["content"]


def test_timeout_is_reported_to_repair(sandbox):
    loop = "```python\ndef add(a, b):\n    while True:\n        pass\n```"
    llm = FakeLLM([loop, GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig.v1(test_timeout_s=1.0))
    assert result.verdict == "passed"
    assert "stopped after 1 s" in llm.calls[1][-1]["content"]


def test_task_without_tests_is_untested_but_must_import(sandbox):
    task = task_from_text("def greet(name):\n    '''Return a greeting.'''\n")
    # no examples in the prompt: the examples call answers with nothing, the task stays untested
    ok = solve_task(task, FakeLLM(["```python\n```", "```python\ndef greet(name):\n    return 'hi ' + name\n```"]),
                    sandbox, SolveConfig.v1())
    assert ok.verdict == "untested"
    assert [e["asserts"] for e in ok.events if e["agent"] == "examples"] == [0]
    broken = "```python\nimport no_such_module_xyz\ndef greet(name):\n    return name\n```"
    bad = solve_task(task, FakeLLM([broken, broken]), sandbox, SolveConfig.v1(max_repairs=1, examples_from_text=False))
    assert bad.verdict == "failed" and "no_such_module_xyz" in bad.feedback


def test_routing_is_pure():
    assert route_after_selector({"stop": "solved"}) == "done"
    assert route_after_selector({"stop": ""}) == "repair"
    assert route_after_repair({"stuck": True}) == "done"
    assert route_after_repair({"stuck": False}) == "tester"


def test_graph_shape_snapshot():
    drawn = build_graph(None, None).get_graph().draw_mermaid()
    snapshot = Path(__file__).with_name("graph.mermaid.snapshot")
    assert drawn == snapshot.read_text(), "graph shape changed: update the snapshot if intended"


def test_resume_from_checkpoint_after_a_crash(sandbox, tmp_path):
    db = tmp_path / "checkpoints.sqlite"
    crashing = FakeLLM([WRONG])  # coder answers, then the model "dies" when repair asks
    with pytest.raises(Exception, match="ran out"):
        solve_task(TASK, crashing, sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t1")
    resumed = FakeLLM([GOOD])  # only repair's answer: the finished coder step must not rerun
    result = solve_task(TASK, resumed, sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t1")
    assert result.verdict == "passed" and result.attempts == 1 and resumed.remaining == 0
    assert flow(result) == ["coder", "tester", "repair", "tester"]
    again = FakeLLM([])  # a finished thread is returned as it was, without calling the model
    assert solve_task(TASK, again, sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t1").verdict == "passed"
