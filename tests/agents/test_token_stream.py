"""Tokens through the graph: `solve_task(on_token=...)` receives LangGraph custom events
carrying each model call's text deltas in order (they concatenate to that call's first
completion), the calls' times to first token reach the trace and the accounting, n > 1
requests still draw n samples, and the result is otherwise the same as without streaming."""

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from serving.fake import FakeLLM
from tests.agents.test_solver_stream import comparable

TASK = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n")
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
OTHER = "```python\ndef add(a, b):\n    return b + a\n```"
CONFIG = SolveConfig(confirm_samples=2, explore_samples=3)
STREAM_KEYS = ("first_token_s", "streamed")


def calls_of(chunks: list[dict]) -> list[tuple[str, int, str]]:
    """(agent, n, streamed text) per model call, from the custom events."""
    calls, text = [], None
    for chunk in chunks:
        if chunk.get("call") == "start":
            assert text is None, "a call started inside another"
            agent, n, text = chunk["agent"], chunk["n"], ""
        elif chunk.get("call") == "end":
            calls.append((agent, n, text))
            assert chunk["first_token_s"] is not None and chunk["seconds"] >= chunk["first_token_s"]
            text = None
        else:
            assert chunk["agent"] == agent
            text += chunk["delta"]
    assert text is None, "a call never ended"
    return calls


def test_streamed_tokens_arrive_in_order_and_make_each_calls_first_completion(sandbox):
    chunks: list[dict] = []
    llm = FakeLLM([WRONG, GOOD, OTHER, WRONG])  # greedy fails → 3 explore samples in one request
    result = solve_task(TASK, llm, sandbox, CONFIG, on_token=chunks.append)
    assert result.verdict == "passed"
    assert calls_of(chunks) == [("coder", 1, WRONG), ("coder", 3, GOOD)]
    deltas = [c["delta"] for c in chunks if "delta" in c]
    assert len(deltas) > 10 and "".join(deltas) == WRONG + GOOD
    assert llm.remaining == 0  # the n=3 request still drew three samples


def test_first_token_times_reach_the_trace_and_the_accounting(sandbox):
    result = solve_task(TASK, FakeLLM([WRONG, GOOD, OTHER, WRONG]), sandbox, CONFIG, on_token=lambda c: None)
    coder_events = [e for e in result.events if e["agent"] in ("coder", "sampler")]
    assert all(e["first_token_s"] == 0.0 for e in coder_events)  # FakeLLM answers at once
    assert result.usage["coder"]["streamed"] == 2 and result.usage["coder"]["first_token_s"] == 0.0


def test_the_result_is_the_same_as_without_streaming(sandbox):
    plain = solve_task(TASK, FakeLLM([WRONG, GOOD, OTHER, WRONG]), sandbox, CONFIG)
    streamed = solve_task(TASK, FakeLLM([WRONG, GOOD, OTHER, WRONG]), sandbox, CONFIG, on_token=lambda c: None)

    def without_stream_keys(value):
        if isinstance(value, dict):
            return {k: without_stream_keys(v) for k, v in value.items() if k not in STREAM_KEYS}
        return [without_stream_keys(v) for v in value] if isinstance(value, list) else value

    assert without_stream_keys(comparable(streamed)) == comparable(plain)
    assert "first_token_s" not in str(plain.to_dict())  # nothing streamed, nothing claimed


def test_repair_calls_stream_too(sandbox):
    crash = "```python\ndef add(a, b):\n    raise RuntimeError('boom')\n```"
    config = SolveConfig(adaptive=False, candidates=1, max_repairs=1, repair_samples=2)
    chunks: list[dict] = []
    result = solve_task(TASK, FakeLLM([crash, GOOD, OTHER]), sandbox, config, on_token=chunks.append)
    assert calls_of(chunks) == [("coder", 1, crash), ("repair", 2, GOOD)]
    assert result.verdict == "passed" and [e for e in result.events if e["agent"] == "repair"][0]["first_token_s"] == 0.0


def test_a_call_that_starts_over_after_a_server_restart_is_a_new_call_start(monkeypatch):
    """An empty delta (serving/supervisor.py: the server was restarted mid-answer and the call
    retried) reaches the display as a second "call start", so it drops the text it showed."""
    from agents import llm_call

    class RestartedLLM(FakeLLM):
        def complete(self, messages, **kwargs):
            kwargs["on_delta"]("def ad")
            kwargs["on_delta"]("")
            return super().complete(messages, **kwargs)

    events: list[dict] = []
    monkeypatch.setattr(llm_call, "stream_writer", lambda: events.append)
    llm_call.timed_complete(RestartedLLM([GOOD]), "coder", [{"role": "user", "content": "x"}],
                            max_tokens=8, temperature=0.0)
    starts = [i for i, e in enumerate(events) if e.get("call") == "start"]
    assert starts == [0, 2] and events[1] == {"agent": "coder", "delta": "def ad"}
    assert "".join(e.get("delta", "") for e in events[3:]) == GOOD and events[-1]["call"] == "end"
