"""The commands' shared options, declared once: choice types (`Literal`s: typer validates
them with a one-line `error:` naming the choices, and the shell completes them; values stay
plain strings), the model/server/sandbox options of solve, batch and chat, and the
pipeline's knobs of solve and batch with `pipeline_overrides`. The choice lists mirror the
libraries' own tables (tests/apps/test_usable_output.py keeps them equal) without
importing the heavy modules."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer

SandboxName = Literal["auto", "docker", "bwrap", "process"]  # sandbox.BACKENDS
EngineName = Literal["llama-server", "llama-cpp-python", "vllm", "openai"]  # serving.engines.ENGINES
RetrievalChoice = Literal["none", "examples", "docs", "all"]  # retrieval.api.RETRIEVAL_CHOICES
BatchMode = Literal["pipeline", "baseline"]  # codeloop batch --mode
OutputFormat = Literal["text", "vscode", "github"]  # apps.problems_format.FORMATS

# --- options several commands share, declared once (typer reads `Annotated` metadata) -------
# Their CODELOOP_* variables and config-file values reach them through click: a flag first,
# then the variable, then the configuration's default_map (apps/cli.py).
ModelOption = Annotated[Optional[str], typer.Option("--model", "-m", envvar="CODELOOP_MODEL",
                                                    help="Model name or .gguf path.")]
BaseUrlOption = Annotated[Optional[str], typer.Option("--base-url", envvar="CODELOOP_BASE_URL",
                                                      help="Use this OpenAI-compatible server.")]
LlmOption = Annotated[Optional[str], typer.Option(
    "--llm", envvar="CODELOOP_LLM", help="A LangChain chat model instead of a server: langchain:MODULE:FACTORY "
                                         "(FACTORY() returns a BaseChatModel; needs the langchain extra).")]
PortOption = Annotated[int, typer.Option("--port", envvar="CODELOOP_PORT", help="Port for the embedded server.")]
SandboxOption = Annotated[SandboxName, typer.Option("--sandbox", envvar="CODELOOP_SANDBOX",
                                                    help="auto|docker|bwrap|process")]
RetrievalOption = Annotated[RetrievalChoice, typer.Option(
    "--retrieval", envvar="CODELOOP_RETRIEVAL",
    help="Context for the coder: none | examples (solved pool) | docs (stdlib) | all.")]

# The pipeline's knobs (agents/state.py SolveConfig), for solve and batch. None: not given
# here, so `config_from_env` takes the CODELOOP_* variable or SolveConfig's default.
CandidatesOption = Annotated[Optional[int], typer.Option(
    "--candidates", min=1, max=16, envvar="CODELOOP_CANDIDATES",
    help="A fixed number of candidates from one prompt instead of adaptive sampling "
         "(1 = adaptive: greedy, then --confirm-samples or --explore-samples by its test result).")]
GenTestsOption = Annotated[Optional[bool], typer.Option("--gen-tests/--no-gen-tests", envvar="CODELOOP_GEN_TESTS",
                                                        help="Write tests from the specification before coding.")]
MaxRepairsOption = Annotated[Optional[int], typer.Option("--max-repairs", min=0, max=10, envvar="CODELOOP_MAX_REPAIRS",
                                                         help="Repair rounds after the first candidates [default: 2].")]
MaxCallsOption = Annotated[Optional[int], typer.Option("--max-calls", min=1, envvar="CODELOOP_MAX_CALLS",
                                                       help="LLM calls allowed per task [default: 12].")]
ConfirmSamplesOption = Annotated[Optional[int], typer.Option(
    "--confirm-samples", min=0, max=32, envvar="CODELOOP_CONFIRM_SAMPLES",
    help="Samples drawn after a greedy answer that passed its visible tests [default: 2].")]
ExploreSamplesOption = Annotated[Optional[int], typer.Option(
    "--explore-samples", min=0, max=32, envvar="CODELOOP_EXPLORE_SAMPLES",
    help="Samples drawn after one that failed or had nothing to test [default: 8].")]
SampleTemperatureOption = Annotated[Optional[float], typer.Option(
    "--sample-temperature", min=0.0, max=2.0, envvar="CODELOOP_SAMPLE_TEMPERATURE",
    help="Temperature of those samples [default: 0.7].")]
RepairSamplesOption = Annotated[Optional[int], typer.Option(
    "--repair-samples", min=1, max=16, envvar="CODELOOP_REPAIR_SAMPLES",
    help="Fixes drawn per repair round [default: 2].")]

# flag name -> SolveConfig field, where they differ
_FIELD = {"max_calls": "max_llm_calls"}


def pipeline_overrides(ctx: typer.Context, **given) -> dict:
    """SolveConfig overrides from the pipeline flags given on the command line or by a config
    file (its default_map). A value from a CODELOOP_* variable is left to `config_from_env`,
    which reads the same variable (so a run directory's variant is the same either way)."""
    overrides: dict = {}
    for name, value in given.items():
        source = ctx.get_parameter_source(name)
        if value is None or source is None or source.name not in ("COMMANDLINE", "DEFAULT_MAP"):
            continue
        if name == "candidates":  # more than one means a fixed count, not adaptive
            overrides |= {"candidates": value, "adaptive": value == 1}
        else:
            overrides[_FIELD.get(name, name)] = value
    return overrides
