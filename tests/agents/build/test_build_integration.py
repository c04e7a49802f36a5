"""`codeloop build` with the real embedded model and the real sandbox, on the smallest
possible spec with a one-step program and bounded repairs (a few minutes on a CPU)."""

import pytest

from agents.build.run import BuildOptions, run_build
from agents.build.state import BuildConfig
from memory import registry as reg
from serving.tokens import ServerCounter
from sandbox import make_sandbox
from serving.embedded import free_port
from serving.session import llm_session
from workspace.git import GitRepo

pytestmark = pytest.mark.integration

SPEC = """# mathx

A tiny package `mathx` (a folder `mathx/` with `__init__.py` and `ops.py`).

1. `mathx/ops.py` defines `add(a, b)` returning a + b.
2. `mathx/ops.py` defines `is_even(n)` returning True when n is even.
"""
PROGRAM = "1. Write mathx/__init__.py, mathx/ops.py with add and is_even, and tests/test_ops.py (covers: R1, R2)\n"


def test_build_smallest_spec_with_the_default_model(tmp_path):
    (tmp_path / "spec.md").write_text(SPEC)
    (tmp_path / "program.txt").write_text(PROGRAM)
    out = tmp_path / "out"
    box = make_sandbox("auto")
    config = BuildConfig(max_repairs=1, final_rounds=1, max_tokens=768)
    try:
        with llm_session(port=free_port()) as llm:
            counter = ServerCounter(llm.base_url)
            result = run_build(tmp_path / "spec.md", out, llm, box, counter, config,
                               BuildOptions(program=tmp_path / "program.txt"))
    finally:
        box.close()
    saved = reg.load(out / ".codeloop" / "registry.json")
    step = saved.instructions[0]
    assert counter._route, "the embedded server's tokenizer was not used"
    assert step.status in ("done", "failed") and step.commit and step.tokens > 0
    assert "mathx/ops.py" in step.files_touched and GitRepo(out).changed_paths() == []
    why = f"events: {result.events}\nfiles: {sorted(p.name for p in out.rglob('*.py'))}"
    assert result.green, why  # greedy 1.5B writes these two functions and their tests
