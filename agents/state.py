"""The graph's state: one TypedDict, with reducers for what accumulates, and the config."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict

from agents.sampling import GREEDY_TEMPERATURE, SAMPLE_REPEAT_PENALTY, SAMPLE_TEMPERATURE, SAMPLE_TOP_K, SAMPLE_TOP_P
from agents.task import VISIBLE_TEST_LEVELS
from agents.usage import add_counts, merge_usage  # the reducers of SolveState
from settings.errors import BadInput
from settings.knobs import PIPELINE


class SolveState(TypedDict, total=False):
    task: dict  # agents.task.Task as plain data (the state is checkpointed)
    plan: list[dict]  # [{step, instruction, acceptance}] from the planner
    hits: list[dict]  # retrieved chunks as plain data: {text, source, score, meta}
    gen_tests: list[str]  # assert lines written from the specification (may be wrong)
    pending: list[dict]  # candidates written but not yet tested: {code, raw, origin, copies, parent, logprob}
    pool: Annotated[list[dict], operator.add]  # every tested candidate with its per-test results
    code: str  # the selected candidate
    raw: str  # the model's raw text for the selected candidate
    verdict: str  # of the selected candidate: "passed" | "failed" | "invalid" | "untested" | "error"
    feedback: str  # the selected candidate's real failures, for repair
    tests_passed: int  # visible tests the selected candidate passes
    tests_failed: int
    gen_passed: int  # generated tests the selected candidate passes
    attempts: int  # repair attempts used
    stuck: bool  # repair produced code already tried, or the same failure again
    stop: str  # why the loop ended: passed | stuck | attempts | budget:<what>
    tried: Annotated[list[str], operator.add]  # hashes of every candidate tested
    sampled: bool  # the sampler has drawn its extra samples (or adaptive sampling is off)
    repeats: Annotated[dict, add_counts]  # candidate hash -> later samples that repeated it
    selection: dict  # how the selector chose: filter, cluster sizes, why
    usage: Annotated[dict, merge_usage]  # per-agent LLM and time accounting
    events: Annotated[list[dict], operator.add]  # one line per node run, for display/records


@dataclass(frozen=True)
class SolveConfig:
    """Bounds and sampling for one solve.

    The default flow (issue 13) spends samples where they help: one greedy candidate; if it
    passes every visible test, `confirm_samples` more (agreement evidence); if it fails or
    there is nothing to test it on, `explore_samples` more. All come from one prompt in one
    `n` request. The selector keeps candidates that pass the visible tests and picks the
    largest cluster of identical behaviour on probe inputs. Repair runs only for runtime
    failures (errors, timeouts); wrong answers were already given fresh samples.
    `adaptive=False` gives the fixed `candidates` count instead (ablations)."""

    max_repairs: int = 2  # repair rounds
    max_tokens: int = 768  # per completion
    temperature: float = GREEDY_TEMPERATURE  # the first (greedy) candidate
    test_timeout_s: float = 10.0  # per test; all tests of one candidate get twice this
    test_memory_mb: int = 1024
    test_workers: int = 2  # candidates tested side by side
    adaptive: bool = True
    confirm_samples: int = 2
    explore_samples: int = 8
    candidates: int = 1  # with adaptive off: coder samples from one prompt
    # drawn samples and sampled repairs: the defaults of agents/sampling.py (Qwen2.5-Coder's own)
    sample_temperature: float = SAMPLE_TEMPERATURE
    sample_top_p: float = SAMPLE_TOP_P
    sample_top_k: int = SAMPLE_TOP_K
    sample_repeat_penalty: float = SAMPLE_REPEAT_PENALTY
    select_by_outputs: bool = True  # cluster by probe outputs; off: CodeT-style ranking
    repair_runtime_only: bool = True  # wrong answers (assertions) are not repaired
    repair_samples: int = 2  # fixes drawn per repair round, one request
    repair_temperature: float = 0.7  # < 0: same as `temperature`
    gen_tests: bool = False  # tester writes asserts from the specification first
    examples_from_text: bool = True  # no visible tests: one short call rewrites the prompt's examples as asserts
    # which visible tests the task keeps (ablation of step 1, `agents.task.VISIBLE_TEST_LEVELS`):
    # "all" formats (default), "doctest" (asserts and `>>>` only: the first extractor), "none"
    visible_tests: str = "all"
    max_gen_tests: int = 8
    plan_multi_part: bool = True  # LLM plan for tasks without a single entry point
    retrieval_k: int = 3
    max_llm_calls: int = 12  # budgets per task (0 = unlimited)
    max_total_tokens: int = 40_000
    max_wall_s: float = 600.0

    def __post_init__(self) -> None:
        if self.visible_tests not in VISIBLE_TEST_LEVELS:
            raise BadInput(f"visible tests {self.visible_tests!r}: choose one of {', '.join(VISIBLE_TEST_LEVELS)}")

    @classmethod
    def from_settings(cls, settings, **overrides) -> "SolveConfig":
        """The pipeline the resolved `settings` (settings.config.Settings: flags > CODELOOP_*
        > config files > defaults) ask for, then `overrides` (a command's own flags, the
        batch's temperature). Which setting feeds which field is the knob table's
        (settings/knobs.py PIPELINE: max_calls -> max_llm_calls). A `candidates` that was
        set without `adaptive` means what its flag means: more than one is a fixed count."""
        values = {field: getattr(settings, knob) for knob, field in PIPELINE.items()}
        chosen = getattr(settings, "model_fields_set", set())
        if "candidates" in chosen and "adaptive" not in chosen:
            values["adaptive"] = settings.candidates == 1
        return cls(**(values | overrides))

    @classmethod
    def v1(cls, **overrides) -> "SolveConfig":
        """The first pipeline's flow, kept for ablations: a fixed number of candidates,
        CodeT-style ranking, a greedy repair of every failure."""
        return cls(**({"adaptive": False, "select_by_outputs": False, "repair_runtime_only": False,
                       "repair_temperature": -1.0} | overrides))
