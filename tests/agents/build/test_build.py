"""The build graph end to end with scripted answers, the real process sandbox and git:
green first time, red → repair → green, red after every round, re-planning, and the
context budget (never exceeded; overflow → summary → restart)."""

from agents.build.run import run_build
from agents.build.state import BuildConfig
from memory import registry as reg
from memory.context_budget import messages_tokens
from serving.fake import FakeLLM
from serving.tokens import CharCounter
from tests.agents.build.fixtures import ADD, BAD_ADD, BAD_MUL, MUL, NO_FILES, PLAN, PLAN_MISSING_R2, SUMMARY
from workspace.git import GitRepo

COUNTER = CharCounter()


class RecordingLLM(FakeLLM):
    """FakeLLM that also keeps each call's `max_tokens`, to check the whole window."""

    def __init__(self, outputs):
        super().__init__(outputs)
        self.max_tokens = []

    def complete(self, messages, *, max_tokens, **kwargs):
        self.max_tokens.append(max_tokens)
        return super().complete(messages, max_tokens=max_tokens, **kwargs)


def build(spec, out, llm, sandbox, **config):
    return run_build(spec, out, llm, sandbox, COUNTER, BuildConfig(**config))


def within_budget(llm, config):
    """Every call's prompt + the answer it asked room for + the reserve fit the context."""
    reserve = int(config.n_ctx * config.reserve_frac)
    return all(messages_tokens(COUNTER, call) + room + reserve <= config.n_ctx
               for call, room in zip(llm.calls, llm.max_tokens, strict=True))


def test_green_first_time(spec, tmp_path, sandbox):
    out = tmp_path / "out"
    llm = RecordingLLM([PLAN, ADD, MUL])
    result = build(spec, out, llm, sandbox)
    assert result.green and llm.remaining == 0
    saved = reg.load(out / ".codeloop" / "registry.json")
    assert [(i.status, i.verdict, i.covers) for i in saved.instructions] == [("done", "green", ["R1"]),
                                                                              ("done", "green", ["R2"])]
    assert saved.instructions[0].summary == "calc.ops.add adds two numbers."
    assert saved.instructions[1].tests == {"passed": 2, "failed": 0, "errors": 0}
    assert saved.final["verdict"] == "green" and saved.head == GitRepo(out).head()
    assert GitRepo(out).changed_paths() == []  # every step committed
    assert GitRepo(out).subject() == "codeloop step 2: Add mul to calc/ops.py. Write and run tests for it."
    rows = result.table()
    assert rows[1]["files"] == ["calc/ops.py", "tests/test_mul.py"] and rows[1]["instructions"] == ["2:done"]
    # step 2's prompt: only its requirement, the file index, and the file it names, whole
    prompt = llm.calls[2][-1]["content"]
    assert "R2: `calc/ops.py` has `mul(a, b)`" in prompt and "R1:" not in prompt
    assert "calc/ops.py (5 lines) — Arithmetic.; defines: add(a, b)" in prompt and ADD.split("\n")[2] in prompt
    assert "calc.ops.add adds two numbers." in prompt  # the previous step's summary
    assert within_budget(llm, BuildConfig())


def test_red_then_repair_then_green(spec, tmp_path, sandbox):
    llm = FakeLLM([PLAN, BAD_ADD, ADD, MUL])
    result = build(spec, tmp_path / "out", llm, sandbox)
    first = result.registry.instructions[0]
    assert result.green and first.attempts == 2 and first.status == "done"
    repair_prompt = llm.calls[2][-1]["content"]
    assert "assert -1 == 3" in repair_prompt and "test_add" in repair_prompt  # the real failure
    assert llm.calls[2][-2]["content"] == BAD_ADD  # the step's own conversation continues
    assert [e["verdict"] for e in result.events if e["agent"] == "tester"] == ["red", "green", "green"]


def test_red_after_every_round_is_not_green(spec, tmp_path, sandbox):
    llm = FakeLLM([PLAN, BAD_ADD, NO_FILES, BAD_ADD, BAD_MUL, BAD_MUL, BAD_MUL, NO_FILES])
    result = build(spec, tmp_path / "out", llm, sandbox, max_repairs=2, final_rounds=1)
    assert not result.green and llm.remaining == 0
    assert [i.status for i in result.registry.instructions] == ["failed", "failed"]
    assert result.registry.final == {"verdict": "red", "tests": {"passed": 1, "failed": 1, "errors": 0},
                                     "rounds": 1}
    assert "the answer contained no file" in llm.calls[3][-1]["content"]  # told why nothing changed
    assert GitRepo(tmp_path / "out").changed_paths() == []  # failed steps are committed too


def test_uncovered_requirements_are_replanned_once_then_added(spec, tmp_path, sandbox):
    llm = FakeLLM([PLAN_MISSING_R2, PLAN, ADD, MUL])
    result = build(spec, tmp_path / "a", llm, sandbox)
    assert "left these requirements uncovered: R2" in llm.calls[1][-1]["content"]
    assert result.green and len(result.registry.instructions) == 2
    llm = FakeLLM([PLAN_MISSING_R2, PLAN_MISSING_R2, ADD, MUL])
    result = build(spec, tmp_path / "b", llm, sandbox)
    added = result.registry.instructions[1]
    assert added.covers == ["R2"] and added.text.startswith("Implement requirement R2: `calc/ops.py` has `mul")
    assert result.green


def test_overflow_summarises_and_restarts_the_step(spec, tmp_path, sandbox):
    padded = BAD_ADD.replace('"""Arithmetic."""', '"""Arithmetic."""\n' + "# padding\n" * 600)
    config = BuildConfig(n_ctx=2600, max_tokens=300)
    llm = RecordingLLM([PLAN, padded, SUMMARY, ADD, MUL])
    result = build(spec, tmp_path / "out", llm, sandbox, n_ctx=2600, max_tokens=300)
    first = result.registry.instructions[0]
    assert result.green and first.restarts == 1 and llm.remaining == 0
    overflow = [e for e in result.events if e.get("overflow")]
    assert len(overflow) == 1 and overflow[0]["restart"] == 1
    restarted = llm.calls[3]
    assert len(restarted) == 2 and SUMMARY in restarted[-1]["content"]  # a fresh context with the summary
    assert "assert -1 == 3" in restarted[-1]["content"]  # and the failure still open
    assert within_budget(llm, config)


def test_restarts_are_bounded(spec, tmp_path, sandbox):
    padded = BAD_ADD.replace('"""Arithmetic."""', '"""Arithmetic."""\n' + "# padding\n" * 600)
    llm = FakeLLM([PLAN, padded, MUL, ADD])
    result = build(spec, tmp_path / "out", llm, sandbox, n_ctx=2600, max_tokens=300, max_restarts=0,
                   final_rounds=1)
    first = result.registry.instructions[0]
    assert first.status == "failed" and first.verdict == "overflow" and first.restarts == 0
    assert result.green  # the final round fixed what step 1 left
