"""Resuming a build: a kill -9 mid-step redoes no finished instruction; a changed spec, a
foreign edit or a corrupt registry is refused; --replan, --force, --from-step, --program."""

import json
import signal
import subprocess
import sys

import pytest

from agents.build.run import BuildError, BuildOptions, run_build
from memory import registry as reg
from serving.tokens import CharCounter
from memory.registry import RegistryError
from serving.fake import FakeLLM
from tests.agents.build.fixtures import ADD, MUL, PLAN, SPEC
from workspace.git import GitRepo


def build(spec, out, llm, sandbox, **options):
    return run_build(spec, out, llm, sandbox, CharCounter(), options=BuildOptions(**options))


@pytest.fixture
def built(spec, tmp_path, sandbox):
    out = tmp_path / "out"
    assert build(spec, out, FakeLLM([PLAN, ADD, MUL]), sandbox).green
    return out


def test_kill_9_mid_step_resumes_without_redoing_finished_steps(spec, tmp_path, sandbox):
    out = tmp_path / "out"
    # calls: 1 plan, 2 step-1 coder, 3 step-2 coder (writes a wrong mul), 4 step-2 repair: killed
    worker = subprocess.run([sys.executable, "-m", "tests.agents.build.kill_worker", str(spec), str(out), "4"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    saved = reg.load(out / ".codeloop" / "registry.json")
    assert [i.status for i in saved.instructions] == ["done", "running"]
    step1_commit = saved.instructions[0].commit
    assert sorted(GitRepo(out).changed_paths()) == ["calc/ops.py", "tests/test_mul.py"]  # the step's partial work
    llm = FakeLLM([MUL])
    result = build(spec, out, llm, sandbox)
    assert result.green and len(llm.calls) == 1  # only step 2 ran again
    assert "step 2 of 2" in llm.calls[0][-1]["content"]
    assert result.registry.instructions[0].commit == step1_commit
    assert result.registry.instructions[1].attempts == 1


def test_a_finished_build_reruns_only_the_final_check(spec, built, sandbox):
    llm = FakeLLM([])
    assert build(spec, built, llm, sandbox).green and llm.calls == []


def test_changed_spec_is_refused_unless_replan(spec, built, sandbox):
    spec.write_text(SPEC + "3. `calc/ops.py` has `neg(a)` returning -a.\n")
    with pytest.raises(BuildError, match="spec changed.*--replan"):
        build(spec, built, FakeLLM([]), sandbox)
    plan = "1. Add neg to calc/ops.py (covers: R1, R2, R3)\n"
    neg = MUL.replace("def mul(a, b):\n    return a * b\n", "def mul(a, b):\n    return a * b\n\n\ndef neg(a):\n    return -a\n")
    llm = FakeLLM([plan, neg])
    result = build(spec, built, llm, sandbox, replan=True)
    assert result.green and [i.covers for i in result.registry.instructions] == [["R1", "R2", "R3"]]


def test_foreign_edits_are_refused_unless_force(spec, built, sandbox):
    (built / "calc" / "ops.py").write_text("# hand edit\n")
    with pytest.raises(BuildError, match="files changed since the last step's commit: calc/ops.py"):
        build(spec, built, FakeLLM([]), sandbox)
    GitRepo(built).commit_all("a hand commit")
    with pytest.raises(BuildError, match="is not the last step's commit"):
        build(spec, built, FakeLLM([]), sandbox)
    llm = FakeLLM([MUL])  # --force adopts the tree; the final check fails; one repair round fixes it
    result = build(spec, built, llm, sandbox, force=True)
    assert result.green and GitRepo(built).subject() == "codeloop final repair round 1"


def test_from_step_redoes_that_step_on(spec, built, sandbox):
    llm = FakeLLM([MUL])
    result = build(spec, built, llm, sandbox, from_step=2)
    assert result.green and "step 2 of 2" in llm.calls[0][-1]["content"]
    with pytest.raises(BuildError, match="has 2 steps"):
        build(spec, built, FakeLLM([]), sandbox, from_step=3)


def test_no_resume_plans_again(spec, built, sandbox):
    llm = FakeLLM([PLAN, MUL, MUL])  # the old files stay: step 1 must keep test_mul.py passing
    assert build(spec, built, llm, sandbox, resume=False).green and llm.remaining == 0


def test_corrupt_registry_is_an_error(spec, built, sandbox):
    (built / ".codeloop" / "registry.json").write_text(json.dumps({"kind": "other"}))
    with pytest.raises(RegistryError, match="not a codeloop build registry"):
        build(spec, built, FakeLLM([]), sandbox)


def test_program_file_replaces_the_planner(spec, tmp_path, sandbox):
    program = tmp_path / "program.txt"
    program.write_text("1. Write calc/ops.py with add and mul (covers: R1, R2)\n")
    llm = FakeLLM([MUL])
    result = build(spec, tmp_path / "out", llm, sandbox, program=program)
    assert result.green and len(llm.calls) == 1
    program.write_text("1. Write add (covers: R1)\n")
    with pytest.raises(BuildError, match="leaves requirements uncovered: R2"):
        build(spec, tmp_path / "other", FakeLLM([]), sandbox, program=program)
