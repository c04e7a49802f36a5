"""Streaming through the real embedded llama-server with the smoke model (SmolLM2-135M):
deltas arrive before the answer ends and make the same text, usage and log-probabilities as
a plain request; n = 2 still gives two samples; a solve streams its coder's tokens through
the graph and accounts their time to first token."""

import pytest

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from sandbox.process import ProcessSandbox
from serving.embedded import free_port
from serving.session import llm_session

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Write a Python function that adds two numbers."}]


@pytest.fixture(scope="module")
def llm():
    with llm_session("smollm2-135m", port=free_port(), parallel=2) as client:
        yield client


def test_streamed_deltas_make_the_plain_answer(llm):
    arrivals = []
    streamed = llm.complete(MESSAGES, max_tokens=32, logprobs=True, on_delta=arrivals.append)
    plain = llm.complete(MESSAGES, max_tokens=32, logprobs=True)  # greedy: the same text
    assert len(arrivals) > 5 and "".join(arrivals) == streamed.texts[0] == plain.texts[0]
    assert 0 < streamed.first_token_s < streamed.latency_s and plain.first_token_s is None
    assert streamed.usage.completion_tokens == plain.usage.completion_tokens == len(streamed.logprobs[0])
    assert streamed.usage.prompt_tokens == plain.usage.prompt_tokens


def test_two_samples_in_one_streamed_request(llm):
    arrivals = []
    completion = llm.complete(MESSAGES, n=2, max_tokens=24, temperature=0.8, on_delta=arrivals.append)
    assert len(completion.texts) == 2 and completion.usage.calls == 1
    assert "".join(arrivals) == completion.texts[0]
    # llama-server's usage covers the first choice: the second is counted from its token entries
    assert completion.usage.completion_tokens > len(arrivals)


def test_a_solve_streams_the_coders_tokens(llm):
    chunks = []
    task = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n")
    box = ProcessSandbox()
    try:
        config = SolveConfig(confirm_samples=0, explore_samples=0, max_repairs=0, max_tokens=64)
        result = solve_task(task, llm, box, config, on_token=chunks.append)
    finally:
        box.close()
    ends = [c for c in chunks if c.get("call") == "end"]
    deltas = [c["delta"] for c in chunks if "delta" in c and c["agent"] == "coder"]
    assert ends and ends[0]["agent"] == "coder" and 0 < ends[0]["first_token_s"] < ends[0]["seconds"]
    assert len(deltas) > 3 and result.usage["coder"]["streamed"] >= 1
    assert result.usage["coder"]["first_token_s"] > 0
