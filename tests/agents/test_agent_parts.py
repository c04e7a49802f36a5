"""Pure parts of the agents: selection, plan and test parsing, budgets, config."""

import pytest

from agents.budgets import budget_exhausted
from agents.planner import parse_plan
from agents.selector import scores, select, stop_reason
from agents.state import SolveConfig
from settings.config import Settings, current
from agents.task import task_from_text
from agents.test_writer import parse_tests


def cand(id_, visible, generated, verdict=None, copies=1):
    verdict = verdict or ("passed" if all(visible) else "failed")
    return {"id": id_, "visible": visible, "generated": generated, "verdict": verdict, "copies": copies,
            "code": f"# {id_}", "raw": "", "feedback": "", "hash": str(id_), "origin": "coder"}


def test_visible_tests_dominate_agreement():
    failing_one = cand(0, [True, False], [True] * 5, copies=4)  # big group, every generated test
    passing_all = cand(1, [True, True], [False] * 5)
    assert select([failing_one, passing_all])["id"] == 1


def test_agreement_beats_a_lone_candidate_with_as_many_tests():
    lone = cand(0, [True], [True, True, False])
    agree_a, agree_b = cand(1, [True], [True, False, True]), cand(2, [True], [True, False, True])
    assert scores([lone, agree_a, agree_b]) == {0: 2, 1: 4, 2: 4}
    assert select([lone, agree_a, agree_b])["id"] == 1


def test_invalid_candidates_never_win():
    invalid = cand(0, [False], [], verdict="invalid")
    crashing = cand(1, [False], [])
    assert select([invalid, crashing])["id"] == 1


def test_stop_reasons():
    config = SolveConfig(max_repairs=1)
    assert stop_reason(cand(0, [True], [True]), False, {}, config) == "solved"
    assert stop_reason(cand(0, [True], [False]), False, {"attempts": 0}, config) == ""
    assert stop_reason(cand(0, [True], [False]), False, {"attempts": 1}, config) == "attempts"
    assert stop_reason(cand(0, [False], []), True, {}, config) == "stuck"


def test_budgets_read_the_accumulated_usage():
    config = SolveConfig(max_llm_calls=3, max_total_tokens=10_000, max_tokens=500, max_wall_s=30)
    usage = {"coder": {"calls": 2, "prompt_tokens": 4000, "completion_tokens": 1000, "seconds": 10.0}}
    assert budget_exhausted({"usage": usage}, config) == ""
    usage["repair"] = {"calls": 1}
    assert budget_exhausted({"usage": usage}, config) == "calls"
    assert budget_exhausted({"usage": {"coder": {"prompt_tokens": 9600}}}, config) == "tokens"
    assert budget_exhausted({"usage": {"tester": {"seconds": 31.0}}}, config) == "seconds"


@pytest.mark.parametrize(
    "text,steps",
    [
        ("1. Parse input | done when: returns a list\n2. Sum it", [("Parse input", "returns a list"), ("Sum it", "")]),
        ("**1.** Step one\nprose\n2) Step two done when: it works", [("Step one", ""), ("Step two", "it works")]),
        ("Step 1: read the file", [("read the file", "")]),
        ("no numbered lines here", []),
    ],
)
def test_parse_plan(text, steps):
    assert [(s["instruction"], s["acceptance"]) for s in parse_plan(text)] == steps


def test_parse_tests_without_a_fence_and_without_a_function_name():
    task = task_from_text("Return the largest number in a list.")
    assert parse_tests("assert max_of([1, 3]) == 3\nassert 1 == 1 + \n", task, 8) == ["assert max_of([1, 3]) == 3"]


def config_with_env(monkeypatch, env: dict, **overrides) -> SolveConfig:
    """The SolveConfig the resolved settings give with only `env` among the CODELOOP_* variables."""
    import os

    for var in [v for v in os.environ if v.startswith("CODELOOP_")]:
        monkeypatch.delenv(var)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    return SolveConfig.from_settings(current(), **overrides)


def test_solve_config_from_the_resolved_settings(monkeypatch):
    env = {"CODELOOP_CANDIDATES": "3", "CODELOOP_GEN_TESTS": "yes", "CODELOOP_MAX_WALL_S": "90",
           "CODELOOP_MAX_CALLS": "7"}
    config = config_with_env(monkeypatch, env, temperature=0.8)
    assert (config.candidates, config.gen_tests, config.max_wall_s, config.temperature) == (3, True, 90.0, 0.8)
    assert config.max_llm_calls == 7  # max_calls feeds max_llm_calls (settings/knobs.py)
    assert config_with_env(monkeypatch, {}) == SolveConfig()
    assert SolveConfig.from_settings(Settings(max_repairs=5)).max_repairs == 5  # settings passed down, no environment
    with pytest.raises(ValueError, match="CODELOOP_CANDIDATES"):
        config_with_env(monkeypatch, {"CODELOOP_CANDIDATES": "many"})


def test_repair_samples_at_its_own_temperature_when_set(monkeypatch):
    from agents.repair import make_repair
    from serving.fake import FakeLLM

    class Recording(FakeLLM):
        def complete(self, messages, **kwargs):
            self.temperatures = [*getattr(self, "temperatures", []), kwargs.get("temperature")]
            return super().complete(messages, **kwargs)

    task = task_from_text("Write add(a, b).\nassert add(1, 2) == 3\n")
    state = {"task": task.to_dict(), "code": "def add(a, b):\n    return a - b\n", "feedback": "FAILED", "attempts": 0}
    fixes = ["```python\ndef add(a, b):\n    return a + b\n```", "```python\ndef add(a, b):\n    return b + a\n```"]
    # default: sampled fixes, two per round; a temperature < 0 means greedy, one fix
    for env, expected, drawn in (({}, 0.7, 2), ({"CODELOOP_REPAIR_TEMPERATURE": "0.9"}, 0.9, 2),
                                 ({"CODELOOP_REPAIR_TEMPERATURE": "-1"}, 0.0, 1)):
        llm = Recording(fixes)
        update = make_repair(llm, config_with_env(monkeypatch, env))(state)
        assert llm.temperatures == [expected] and update["attempts"] == 1 and len(update["pending"]) == drawn
