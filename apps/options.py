"""The commands' shared options, generated from the one knob table (settings/knobs.py): each
knob's `Annotated[..., typer.Option(...)]` (its flag spelling(s), CODELOOP_* variable, help
and bounds) comes from its row, so a flag, its variable and its config key cannot drift
apart. Choice types are `Literal`s (typer validates them with a one-line `error:` naming the
choices, and the shell completes them); their lists are the table's, which mirror the
libraries' own tables (tests/apps/test_usable_output.py keeps them equal).

Values reach the options through click: a flag first, then the option's variable, then the
configuration's `default_map` (apps/cli.py). The resolved settings are `ctx.obj`
(`resolved`); `pipeline_overrides` adds only what was typed on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from settings import knobs
from settings.config import Loaded, current

SandboxName = Literal[knobs.SANDBOXES]  # sandbox.BACKENDS
EngineName = Literal[knobs.ENGINES]  # serving.engines.ENGINES
RetrievalChoice = Literal[knobs.RETRIEVALS]  # retrieval.api.RETRIEVAL_CHOICES
BatchMode = Literal["pipeline", "baseline"]  # codeloop batch --mode
OutputFormat = Literal["text", "vscode", "github"]  # apps.problems_format.FORMATS

# the Python type of a knob's option where it is not the Settings type (a table, a validator)
_OPTION_TYPE = {"llm": str, "gen_tests": bool, "offline": bool, "adaptive": bool, "select_by_outputs": bool,
                "repair_runtime_only": bool}


def knob_option(name: str, *, optional: bool = False, help: str | None = None, kind: type | None = None):
    """`Annotated[TYPE, typer.Option(...)]` for knob `name`, from its row: flag(s), CODELOOP_*
    variable, help, bounds. `optional`: None means "not given" (the pipeline's knobs, whose
    value then comes from the resolved settings); `help` and `kind` (e.g. Path for a str
    knob) where a command words or takes it its own way."""
    knob = knobs.BY_NAME[name]
    if not knob.flags:
        raise ValueError(f"knob {name!r} has no CLI flag (settings/knobs.py)")
    kind = kind or _OPTION_TYPE.get(name, knob.type)
    if optional:
        kind = Optional[kind]
    return Annotated[kind, typer.Option(*knob.flags, envvar=knob.env, help=help or knob.help, **knob.limits)]


# --- options several commands share, declared once (typer reads `Annotated` metadata) -------
ModelOption = knob_option("model")
BaseUrlOption = knob_option("base_url")
LlmOption = knob_option("llm")
PortOption = knob_option("port")
SandboxOption = knob_option("sandbox")
RetrievalOption = knob_option("retrieval")
EngineOption = knob_option("engine")
ParallelOption = knob_option("parallel")
GpuLayersOption = knob_option("gpu_layers")
DataDirOption = knob_option("data_dir", optional=True, kind=Path)
IndexDirOption = knob_option("index_dir", optional=True, kind=Path)
RayAddressOption = knob_option("ray_address", help="Fan out on a Ray cluster: HOST:PORT, auto (the cluster `ray "
                               "start` made here) or local (a private one); --workers per node. Needs the ray extra.")

# The pipeline's knobs (agents/state.py SolveConfig), for solve and batch. None: not given
# on the command line, so the resolved settings' value is used (SolveConfig.from_settings).
PIPELINE_OPTIONS = ("candidates", "gen_tests", "max_repairs", "max_calls", "confirm_samples", "explore_samples",
                    "sample_temperature", "repair_samples")
CandidatesOption = knob_option("candidates", optional=True)
GenTestsOption = knob_option("gen_tests", optional=True)
MaxRepairsOption = knob_option("max_repairs", optional=True)
MaxCallsOption = knob_option("max_calls", optional=True)
ConfirmSamplesOption = knob_option("confirm_samples", optional=True)
ExploreSamplesOption = knob_option("explore_samples", optional=True)
SampleTemperatureOption = knob_option("sample_temperature", optional=True)
RepairSamplesOption = knob_option("repair_samples", optional=True)


def resolved(ctx: typer.Context | None = None):
    """The resolved settings (flags aside) the CLI loaded for this command (`ctx.obj`, set by
    apps/cli.py), else loaded now."""
    root = ctx.find_root() if ctx is not None else None
    loaded = getattr(root, "obj", None)
    return loaded.settings if isinstance(loaded, Loaded) else current()


def pipeline_overrides(ctx: typer.Context, **given) -> dict:
    """SolveConfig overrides from the pipeline flags typed on the command line (their
    SolveConfig fields, settings/knobs.py). Values from CODELOOP_* or a config file are
    already in the resolved settings that `SolveConfig.from_settings` starts from."""
    overrides: dict = {}
    for name, value in given.items():
        source = ctx.get_parameter_source(name)
        if value is None or source is None or source.name != "COMMANDLINE":
            continue
        if name == "candidates":  # more than one means a fixed count, not adaptive
            overrides |= {"candidates": value, "adaptive": value == 1}
        else:
            overrides[knobs.PIPELINE[name]] = value
    return overrides
