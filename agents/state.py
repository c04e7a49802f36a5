"""The graph's state: one TypedDict, with reducers for what accumulates, and the config."""

from __future__ import annotations

import operator
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Annotated, TypedDict


def merge_usage(left: dict | None, right: dict | None) -> dict:
    """Add per-agent counters: {agent: {calls, prompt_tokens, ..., seconds}}."""
    merged = {agent: dict(stats) for agent, stats in (left or {}).items()}
    for agent, stats in (right or {}).items():
        slot = merged.setdefault(agent, {})
        for key, value in stats.items():
            slot[key] = round(slot.get(key, 0) + value, 4)
    return merged


class SolveState(TypedDict, total=False):
    task: dict  # agents.task.Task as plain data (the state is checkpointed)
    plan: list[dict]  # [{step, instruction, acceptance}] from the planner
    hits: list[dict]  # retrieved chunks as plain data: {text, source, score, meta}
    gen_tests: list[str]  # assert lines written from the specification (may be wrong)
    pending: list[dict]  # candidates written but not yet tested: {code, raw, origin, copies, parent}
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
    usage: Annotated[dict, merge_usage]  # per-agent LLM and time accounting
    events: Annotated[list[dict], operator.add]  # one line per node run, for display/records


@dataclass(frozen=True)
class SolveConfig:
    """Bounds and sampling for one solve. Defaults keep a solve fast on a 2-core CPU:
    one candidate and no generated tests (switch on with `candidates`/`gen_tests`)."""

    max_repairs: int = 2
    max_tokens: int = 768  # per completion
    temperature: float = 0.0
    test_timeout_s: float = 10.0  # per test; all tests of one candidate get twice this
    test_memory_mb: int = 1024
    candidates: int = 1  # coder samples from one prompt
    sample_temperature: float = 0.8  # for the extra samples when candidates > 1
    repair_temperature: float = -1.0  # < 0: same as `temperature`; > 0 samples the fixes
    gen_tests: bool = False  # tester writes asserts from the specification first
    examples_from_text: bool = True  # no visible tests: one short call rewrites the prompt's examples as asserts
    max_gen_tests: int = 8
    plan_multi_part: bool = True  # LLM plan for tasks without a single entry point
    retrieval_k: int = 3
    max_llm_calls: int = 12  # budgets per task (0 = unlimited)
    max_total_tokens: int = 40_000
    max_wall_s: float = 600.0


# environment variable → SolveConfig field; lets batch runs and ablations change the
# pipeline without new flags on every command
ENV_FIELDS = {
    "CODELOOP_CANDIDATES": "candidates",
    "CODELOOP_GEN_TESTS": "gen_tests",
    "CODELOOP_MAX_REPAIRS": "max_repairs",
    "CODELOOP_REPAIR_TEMPERATURE": "repair_temperature",
    "CODELOOP_MAX_CALLS": "max_llm_calls",
    "CODELOOP_MAX_TOTAL_TOKENS": "max_total_tokens",
    "CODELOOP_MAX_WALL_S": "max_wall_s",
}


def _parse(kind: type, text: str):
    if kind is bool:
        return text.strip().lower() in {"1", "true", "yes", "on"}
    return kind(text)


def config_from_env(environ: Mapping[str, str] | None = None, **overrides) -> SolveConfig:
    """A `SolveConfig` from `CODELOOP_*` variables (see ENV_FIELDS), then `overrides`.
    A malformed value raises ValueError naming the variable."""
    environ = os.environ if environ is None else environ
    kinds = {f.name: type(getattr(SolveConfig(), f.name)) for f in fields(SolveConfig)}
    values = {}
    for var, name in ENV_FIELDS.items():
        if environ.get(var, "").strip():
            try:
                values[name] = _parse(kinds[name], environ[var])
            except ValueError as exc:
                raise ValueError(f"{var}={environ[var]!r} is not a valid {kinds[name].__name__}") from exc
    return replace(SolveConfig(), **(values | overrides))
