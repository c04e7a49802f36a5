"""The issue-13 flow end to end with scripted answers and the real process sandbox:
greedy first, confirm or explore samples by its visible-test result, selection by output
clusters on probe inputs, repair only for runtime failures."""

from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from serving.fake import FakeLLM

TASK = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\nassert add(2, 5) == 7\n")
NO_TESTS = task_from_text('def add(a, b):\n    """Return the sum of a and b."""\n')


def block(body: str) -> str:
    return f"```python\ndef add(a, b):\n    {body}\n```"


GOOD = block("return a + b")
GOOD_2 = block("return b + a")  # different code, same behaviour
OVERFIT = block("return {(1, 2): 3, (2, 5): 7}.get((a, b), 0)")  # passes the visible tests only
WRONG = block("return a - b")
WRONG_2 = block("return a * b")
CRASH = block("return a + c")  # NameError when called
CONFIG = SolveConfig(confirm_samples=2, explore_samples=3)


def agents_of(result) -> list[str]:
    return [e["agent"] for e in result.events]


def test_greedy_passes_then_confirm_samples_agree(sandbox):
    llm = FakeLLM([GOOD, GOOD_2, GOOD])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    sampler = next(e for e in result.events if e["agent"] == "sampler")
    assert sampler["samples"] == 2 and sampler["repeats"] == 1 and sampler["distinct"] == 1
    assert result.stop == "solved" and result.code.strip().endswith("return a + b")  # greedy's cluster
    assert result.selection["clusters"] == [3] and result.selection["filter"] == "visible"
    assert llm.remaining == 0 and len(llm.calls) == 2


def test_confirm_samples_outvote_an_overfitted_greedy(sandbox):
    llm = FakeLLM([OVERFIT, GOOD, GOOD_2])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    assert result.stop == "solved"
    assert "a + b" in result.code or "b + a" in result.code
    assert result.selection["clusters"] == [2, 1]


def test_greedy_fails_then_explore_samples(sandbox):
    llm = FakeLLM([WRONG, WRONG_2, GOOD, WRONG])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    sampler = next(e for e in result.events if e["agent"] == "sampler")
    assert sampler["samples"] == 3 and sampler["greedy"] == "failed"
    assert result.verdict == "passed" and result.stop == "solved" and "a + b" in result.code
    assert result.selection["survivors"] == 1


def test_no_visible_tests_explores_and_takes_the_largest_cluster(sandbox):
    llm = FakeLLM([WRONG, GOOD, GOOD_2, WRONG_2])
    config = SolveConfig(explore_samples=3, examples_from_text=False)
    result = solve_task(NO_TESTS, llm, sandbox, config)
    assert result.verdict == "untested" and result.stop == "untested"
    assert result.selection["filter"] == "no-tests"
    # without probe inputs there is no evidence to split candidates: one cluster, greedy kept
    assert result.selection["clusters"] == [4] and "a - b" in result.code


def test_all_candidates_fail_relaxed_filter_and_no_repair_for_wrong_answers(sandbox):
    half = block("return 3")  # passes the first visible test only
    llm = FakeLLM([WRONG, half, WRONG_2, WRONG])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    assert result.selection["filter"] == "relaxed" and result.code.strip().endswith("return 3")
    assert result.stop == "wrong-answer" and result.attempts == 0 and llm.remaining == 0
    assert "repair" not in agents_of(result)


def test_cluster_tie_goes_to_greedy(sandbox):
    llm = FakeLLM([GOOD, OVERFIT], logprobs=[-2.0, -0.1])
    config = SolveConfig(confirm_samples=1)
    result = solve_task(TASK, llm, sandbox, config)
    assert result.selection["clusters"] == [1, 1] and "tie" in result.selection["why"]
    assert result.code.strip().endswith("return a + b")


def test_cluster_tie_without_greedy_goes_to_higher_logprob(sandbox):
    llm = FakeLLM([WRONG, OVERFIT, GOOD, WRONG_2], logprobs=[-0.1, -0.2, -0.9, -0.3])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    assert result.selection["clusters"] == [1, 1]
    assert "{(1, 2): 3" in result.code  # the overfit one has the higher mean log-probability


def test_runtime_error_gets_sampled_repairs_with_history(sandbox):
    llm = FakeLLM([CRASH, CRASH, CRASH, CRASH,  # greedy + 3 explore samples: all the same crash
                   CRASH, block("return a + d"),  # repair round 1: one repeat, one new crash
                   GOOD, GOOD_2])  # repair round 2: fixed
    result = solve_task(TASK, llm, sandbox, CONFIG)
    assert result.stop == "solved" and result.attempts == 2 and result.verdict == "passed"
    second_round = llm.calls[-1][-1]["content"]
    assert "Earlier fixes of this code also failed" in second_round and "NameError" in second_round


def test_adaptive_off_keeps_fixed_candidates(sandbox):
    llm = FakeLLM([GOOD, GOOD_2, WRONG])
    result = solve_task(TASK, llm, sandbox, SolveConfig(adaptive=False, candidates=3))
    assert "sampler" not in agents_of(result) and result.candidates == 3 and result.stop == "solved"


def test_visible_asserts_may_use_math_without_the_solution_importing_it(sandbox):
    task = task_from_text("Write half(x).\nassert math.isclose(half(3), 1.5, rel_tol=0.001)\n")
    llm = FakeLLM(["```python\ndef half(x):\n    return x / 2\n```"] * 3)
    result = solve_task(task, llm, sandbox, CONFIG)
    assert result.verdict == "passed" and result.tests_passed == 1


def test_result_summarises_every_candidate_for_offline_analysis(sandbox):
    llm = FakeLLM([OVERFIT, GOOD, GOOD])
    result = solve_task(TASK, llm, sandbox, CONFIG)
    assert [(c["origin"], c["greedy"], c["copies"], c["verdict"]) for c in result.pool] == [
        ("coder", True, 1, "passed"), ("sample", False, 2, "passed")]
    assert result.pool[0]["outputs"] != result.pool[1]["outputs"] and "a + b" in result.pool[1]["code"]


def pipeline_from_env(monkeypatch, env: dict) -> SolveConfig:
    """The SolveConfig the resolved settings give with only `env` among the CODELOOP_* variables."""
    import os

    from settings.config import current

    for var in [v for v in os.environ if v.startswith("CODELOOP_")]:
        monkeypatch.delenv(var)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    return SolveConfig.from_settings(current())


def test_candidates_from_the_environment_mean_a_fixed_count_like_the_flag(monkeypatch):
    assert pipeline_from_env(monkeypatch, {"CODELOOP_CANDIDATES": "3"}).adaptive is False
    assert pipeline_from_env(monkeypatch, {"CODELOOP_CANDIDATES": "1"}).adaptive is True
    assert pipeline_from_env(monkeypatch, {"CODELOOP_CANDIDATES": "3", "CODELOOP_ADAPTIVE": "1"}).adaptive is True
    assert pipeline_from_env(monkeypatch, {}).adaptive is True


def test_visible_tests_off_sends_a_testable_task_down_the_explore_branch(sandbox):
    # the ablation of step 1: the same task, its asserts hidden from the agents
    llm = FakeLLM([GOOD, GOOD_2, WRONG, GOOD])
    result = solve_task(TASK, llm, sandbox, SolveConfig(confirm_samples=2, explore_samples=3, visible_tests="none"))
    sampler = next(e for e in result.events if e["agent"] == "sampler")
    assert sampler["samples"] == 3 and result.selection["filter"] == "no-tests" and llm.remaining == 0
    assert "examples" not in agents_of(result)  # nor does the model rewrite examples for it


def test_visible_tests_level_comes_from_the_environment_and_is_checked(monkeypatch):
    import pytest

    from settings.errors import BadInput

    assert pipeline_from_env(monkeypatch, {"CODELOOP_VISIBLE_TESTS": "doctest"}).visible_tests == "doctest"
    assert pipeline_from_env(monkeypatch, {}).visible_tests == "all"
    with pytest.raises(BadInput, match="CODELOOP_VISIBLE_TESTS='some'"):  # one line naming the variable
        pipeline_from_env(monkeypatch, {"CODELOOP_VISIBLE_TESTS": "some"})
    with pytest.raises(BadInput, match="choose one of all, doctest, none"):  # the pipeline's own check
        SolveConfig(visible_tests="some")
