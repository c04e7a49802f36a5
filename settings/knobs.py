"""Every knob, declared once: the one table codeloop's configuration is generated from.

A row (`Knob`) says a setting's name, type, default, help, its CLI flag spelling(s) where it
has one, its trust class (harmless or sensitive, with the one-line why) and, for the
pipeline's knobs, the `SolveConfig` field it feeds. From `KNOBS` come:

- the `Settings` fields (settings/config.py, `pydantic.create_model` over `fields()`),
- the trust boundary `HARMLESS` / `SENSITIVE` (a project's config may set only the former),
- the environment names (`env_name`: CODELOOP_<NAME>) and config-file keys (the name),
- the typer options of the commands (apps/options.py `knob_option`),
- the rows of `codeloop config` (one per knob, in this order),
- `SolveConfig.from_settings` (agents/state.py: `PIPELINE`, knob -> field).

Adding a knob is adding a row here; tests/settings/test_knobs.py checks that each one
reaches every place. No heavy imports (pydantic only): settings is a leaf package.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

from settings.env import yes_no
from settings.llm_table import LLMTable, llm_table

ENV_PREFIX = "CODELOOP_"
HARMLESS_CLASS, SENSITIVE_CLASS = "harmless", "sensitive"

# The one yes/no parser (settings/env.py) for every boolean knob, whatever its source
# (a TOML boolean passes through as it is).
Bool = Annotated[bool, BeforeValidator(lambda v, info: yes_no(v, info.field_name) if isinstance(v, str) else v)]

SANDBOXES = ("auto", "docker", "bwrap", "process")  # sandbox.BACKENDS
ENGINES = ("llama-server", "llama-cpp-python", "vllm", "openai")  # serving.engines.ENGINES
RETRIEVALS = ("none", "examples", "docs", "all")  # retrieval.api.RETRIEVAL_CHOICES
VISIBLE_TESTS = ("all", "doctest", "none")  # agents.task.VISIBLE_TEST_LEVELS


@dataclass(frozen=True)
class Knob:
    """One setting: everything every place that names it needs to know."""

    name: str  # the Settings field and config-file key; CODELOOP_<NAME> is its variable
    type: Any  # the Settings annotation
    default: Any
    help: str
    trust: str  # HARMLESS_CLASS or SENSITIVE_CLASS
    why: str  # why that class: the one line a reviewer needs
    flags: tuple[str, ...] = ()  # CLI spelling(s), e.g. ("--model", "-m"); () when there is none
    param: str = ""  # the commands' parameter name when it is not `name` (llm -> llm_spec)
    field: str | None = None  # the SolveConfig field it feeds (pipeline knobs)
    limits: dict = dataclass_field(default_factory=dict)  # typer.Option bounds and metavar (min, max, metavar)

    @property
    def env(self) -> str:
        """Its environment variable."""
        return env_name(self.name)

    @property
    def parameter(self) -> str:
        """The commands' parameter that takes it."""
        return self.param or self.name


def _k(name, type_, default, help_, trust, why, *flags, **extra) -> Knob:
    return Knob(name, type_, default, help_, trust, why, tuple(flags), **extra)


H, S = HARMLESS_CLASS, SENSITIVE_CLASS
_SEARCH = "output and search breadth: changes what the pipeline tries, never where it runs"
_BUDGET = "a budget per task: the worst a repo can do is spend the user's time, which Ctrl-C ends"
_SIZE = "sizes the model server, a host process outside the sandbox (memory, GPU)"

KNOBS: tuple[Knob, ...] = (
    # the model and where it runs
    _k("model", Optional[str], None, "Model name or .gguf path.", S,
       "a model file to load; even a built-in name is read as a path when such a file exists", "--model", "-m"),
    _k("base_url", Optional[str], None, "Use this OpenAI-compatible server.", S,
       "where every prompt (the user's code) is sent", "--base-url"),
    _k("engine", Optional[Literal[ENGINES]], None, "Model server to start: " + " | ".join(ENGINES) + ".", S,
       "which program is started (vllm, llama-cpp-python…) or that no local one is", "--engine"),
    _k("port", int, 8765, "Port for the embedded server on 127.0.0.1.", S,
       "a port a planted process may already answer on, which is then adopted", "--port"),
    _k("sandbox", Literal[SANDBOXES], "auto", "|".join(SANDBOXES), S,
       '"process" would run the repo\'s own tests unconfined', "--sandbox"),
    _k("retrieval", Literal[RETRIEVALS], "none",
       "Context for the coder: none | examples (solved pool) | docs (stdlib) | all.", H,
       "the built-in corpora only (an index path is the separate index_dir)", "--retrieval"),
    # the pipeline (agents/state.py SolveConfig)
    _k("candidates", int, 1, "A fixed number of candidates from one prompt instead of adaptive sampling "
       "(1 = adaptive: greedy, then --confirm-samples or --explore-samples by its test result).", H, _SEARCH,
       "--candidates", field="candidates", limits={"min": 1, "max": 16}),
    _k("gen_tests", Bool, False, "Write tests from the specification before coding.", H, _SEARCH,
       "--gen-tests/--no-gen-tests", field="gen_tests"),
    _k("max_repairs", int, 2, "Repair rounds after the first candidates [default: 2].", H, _SEARCH,
       "--max-repairs", field="max_repairs", limits={"min": 0, "max": 10}),
    _k("max_calls", int, 12, "LLM calls allowed per task [default: 12].", H, _SEARCH,
       "--max-calls", field="max_llm_calls", limits={"min": 1}),
    _k("data_dir", Optional[str], None, "Benchmark files (else `benchmarks` under the cache root).", S,
       "benchmark files are read from and downloaded there", "--data-dir"),
    _k("ray_address", Optional[str], None, "batch --ray: a Ray cluster (HOST:PORT, auto, local).", S,
       "a cluster that receives the tasks and runs code", "--ray", limits={"metavar": "ADDRESS"}),
    # paths and the model server, read where they are used (settings.config.current)
    _k("cache_dir", Optional[str], None, "The one cache root (settings/cache.py).", S,
       "holds the binaries and models codeloop runs; a repo's copy could be planted"),
    _k("index_dir", Optional[str], None, "Retrieval indexes (else `indexes` under the cache root).", S,
       "indexes are loaded from and written there", "--index-dir"),
    _k("offline", Bool, False, "Never try a download hub.", S,
       "whether codeloop reaches the network at all: the user's call"),
    _k("parallel", Optional[int], None, "llama-server slots (else from cores and memory).", S, _SIZE,
       "--parallel", limits={"min": 1, "max": 64}),
    _k("cache_ram_mib", Optional[int], None, "llama-server's host-memory prompt cache (MiB).", S, _SIZE),
    _k("gpu_layers", Optional[int], None, "Layers offloaded to a GPU (a CUDA build).", S, _SIZE,
       "--gpu-layers", limits={"min": 0}),
    _k("llama_server", Optional[str], None, "A llama-server binary to use.", S, "the binary codeloop executes"),
    _k("sandbox_image", Optional[str], None, "The docker backend's image (else codeloop-sandbox:bookworm).", S,
       "what the sandbox runs in: the sandbox's own walls"),
    _k("sandbox_rootfs", Optional[str], None, "bwrap's root filesystem (else sandbox/ under the cache root).", S,
       "what the sandbox runs in: the sandbox's own walls"),
    # the pipeline's sampling and selection (ablations)
    _k("confirm_samples", int, 2, "Samples drawn after a greedy answer that passed its visible tests [default: 2].",
       H, _SEARCH, "--confirm-samples", field="confirm_samples", limits={"min": 0, "max": 32}),
    _k("explore_samples", int, 8, "Samples drawn after one that failed or had nothing to test [default: 8].",
       H, _SEARCH, "--explore-samples", field="explore_samples", limits={"min": 0, "max": 32}),
    _k("sample_temperature", float, 0.7, "Temperature of those samples [default: 0.7].", H, _SEARCH,
       "--sample-temperature", field="sample_temperature", limits={"min": 0.0, "max": 2.0}),
    _k("repair_samples", int, 2, "Fixes drawn per repair round [default: 2].", H, _SEARCH,
       "--repair-samples", field="repair_samples", limits={"min": 1, "max": 16}),
    _k("repair_temperature", float, 0.7, "Temperature of the fixes (< 0: the greedy temperature).", H, _SEARCH,
       field="repair_temperature"),
    _k("adaptive", Bool, True, "Adaptive sampling (off: a fixed `candidates` count, for ablations).", H, _SEARCH,
       field="adaptive"),
    _k("select_by_outputs", Bool, True, "Select by probe-output clusters (off: CodeT-style ranking).", H, _SEARCH,
       field="select_by_outputs"),
    _k("repair_runtime_only", Bool, True, "Repair only runtime failures (off: wrong answers too).", H, _SEARCH,
       field="repair_runtime_only"),
    _k("visible_tests", Literal[VISIBLE_TESTS], "all", "Which tests are taken from the task (ablations).", H,
       _SEARCH, field="visible_tests"),
    _k("max_total_tokens", int, 40_000, "Tokens allowed per task.", H, _BUDGET, field="max_total_tokens"),
    _k("max_wall_s", float, 600.0, "Seconds allowed per task.", H, _BUDGET, field="max_wall_s"),
    # a LangChain chat model instead of a server: the [llm] table (or llm = "langchain:M:F")
    _k("llm", Annotated[Optional[LLMTable], NoDecode, BeforeValidator(llm_table)], None,
       "A LangChain chat model instead of a server: langchain:MODULE:FACTORY "
       "(FACTORY() returns a BaseChatModel; needs the langchain extra).", S,
       "imports MODULE and calls FACTORY(**args) on the host: arbitrary code", "--llm", param="llm_spec"),
)

BY_NAME: dict[str, Knob] = {knob.name: knob for knob in KNOBS}
# The trust boundary: an allow-list, so a new knob must say its class before a project may set it.
HARMLESS = frozenset(k.name for k in KNOBS if k.trust == HARMLESS_CLASS)
SENSITIVE = frozenset(k.name for k in KNOBS if k.trust == SENSITIVE_CLASS)
PIPELINE: dict[str, str] = {k.name: k.field for k in KNOBS if k.field}  # knob -> SolveConfig field


def env_name(name: str) -> str:
    """The environment variable of knob `name`: CODELOOP_<NAME>."""
    return f"{ENV_PREFIX}{name.upper()}"


def fields(table: tuple[Knob, ...] = KNOBS) -> dict[str, tuple[Any, Any]]:
    """The `Settings` fields, for `pydantic.create_model`: name -> (annotation, default)."""
    return {k.name: (k.type, k.default) for k in table}


def by_parameter(name: str) -> Knob | None:
    """The knob a command's parameter called `name` takes (llm_spec -> llm), if any."""
    return next((k for k in KNOBS if k.parameter == name), None)
