"""`solve_task(on_event=...)`: each node's events arrive while the graph runs, in order, and
the result is the same as without the callback (checkpointed runs included)."""

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from serving.fake import FakeLLM

TASK = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n")
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
CONFIG = SolveConfig(confirm_samples=2, explore_samples=3)


TIMINGS = ("seconds", "sandbox_s", "model_s")


def untimed(value):
    """`value` without wall-clock fields, which differ from run to run."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def comparable(result) -> dict:
    return untimed(result.to_dict())


def test_events_arrive_in_order_while_the_graph_runs(sandbox):
    llm = FakeLLM([WRONG, GOOD, GOOD, WRONG])  # greedy fails → explore samples
    seen: list[tuple[dict, int]] = []
    result = solve_task(TASK, llm, sandbox, CONFIG, on_event=lambda e: seen.append((e, len(llm.calls))))
    assert [e for e, _ in seen] == result.events and result.verdict == "passed"
    agents = [e["agent"] for e, _ in seen]
    assert agents.index("coder") < agents.index("sampler") < agents.index("selector")
    # the coder's and the first tester's events came before the sampler's request was sent: live
    calls_at = {e["agent"]: n for e, n in reversed(seen)}  # the first time each agent reported
    assert calls_at["coder"] == 1 and calls_at["tester"] == 1 and calls_at["sampler"] == 2


def test_the_result_is_the_same_with_or_without_the_callback(sandbox):
    plain = solve_task(TASK, FakeLLM([WRONG, GOOD, GOOD, WRONG]), sandbox, CONFIG)
    streamed = solve_task(TASK, FakeLLM([WRONG, GOOD, GOOD, WRONG]), sandbox, CONFIG, on_event=lambda e: None)
    assert comparable(streamed) == comparable(plain)


def test_checkpointed_runs_stream_and_finished_threads_are_not_rerun(sandbox, tmp_path):
    db = tmp_path / "ckpt.sqlite"
    seen: list[dict] = []
    first = solve_task(TASK, FakeLLM([GOOD, GOOD, GOOD]), sandbox, CONFIG, checkpoint=db, thread_id="t",
                       on_event=seen.append)
    assert seen == first.events and first.verdict == "passed"
    again: list[dict] = []
    second = solve_task(TASK, FakeLLM([]), sandbox, CONFIG, checkpoint=db, thread_id="t", on_event=again.append)
    assert again == [] and comparable(second) == comparable(first)
