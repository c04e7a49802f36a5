"""Usage accounting shared by the solve pipeline and the build (agents/usage.py)."""

from agents.sampling import sample_settings
from agents.state import SolveConfig
from agents.usage import add_counts, add_usage, merge_usage, spent


def test_merge_usage_adds_per_agent_and_keeps_the_inputs():
    left = {"coder": {"calls": 1, "prompt_tokens": 10, "seconds": 0.1}}
    right = {"coder": {"calls": 2, "completion_tokens": 5, "seconds": 0.20001}, "repair": {"calls": 1}}
    merged = merge_usage(left, right)
    assert merged == {"coder": {"calls": 3, "prompt_tokens": 10, "completion_tokens": 5, "seconds": 0.3},
                      "repair": {"calls": 1}}
    assert left == {"coder": {"calls": 1, "prompt_tokens": 10, "seconds": 0.1}}  # not mutated
    assert merge_usage(None, None) == {}


def test_add_usage_sums_a_nodes_updates_like_the_reducer():
    updates = [{"coder": {"calls": 1, "prompt_tokens": 7}}, {"coder": {"calls": 1, "prompt_tokens": 3}}, None]
    assert add_usage(updates) == {"coder": {"calls": 2, "prompt_tokens": 10}}
    assert add_usage(updates) == merge_usage(updates[0], updates[1])


def test_spent_totals_calls_tokens_and_seconds_over_agents():
    usage = {"coder": {"calls": 2, "prompt_tokens": 100, "completion_tokens": 20, "seconds": 1.5},
             "planner": {"calls": 1, "prompt_tokens": 30, "completion_tokens": 5, "seconds": 0.5}}
    assert spent(usage) == {"calls": 3, "tokens": 155, "seconds": 2.0}
    assert spent(None) == {"calls": 0, "tokens": 0, "seconds": 0.0}


def test_add_counts_adds_per_key():
    assert add_counts({"a": 1}, {"a": 2, "b": 1}) == {"a": 3, "b": 1}


def test_drawn_calls_use_the_configs_sampler_knobs():
    sampling = sample_settings(SolveConfig(sample_top_p=0.9, sample_top_k=40, sample_repeat_penalty=1.1))
    assert (sampling.top_p, sampling.top_k, sampling.repeat_penalty) == (0.9, 40, 1.1)
    default = sample_settings(SolveConfig())
    assert (default.top_p, default.top_k, default.repeat_penalty) == (0.8, 20, 1.05)
