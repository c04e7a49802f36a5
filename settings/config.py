"""One configuration, read in one place, with one precedence:
flags > environment (`CODELOOP_*`) > a config file > defaults.

Config files, strongest first: `codeloop.toml` in the project (the nearest folder at or above
the working directory holding `codeloop.toml`, `pyproject.toml` or `.git`), then
`[tool.codeloop]` in that project's `pyproject.toml`, then `codeloop.toml` in the user config
dir (`~/.config/codeloop/codeloop.toml`). Keys are the field names below (`base_url = "…"`).

`load()` gives the effective `Settings` and where each value came from (`codeloop config`).
Flags are applied by the CLI: it hands the non-default values to click as the commands'
`default_map`, which click consults after the command line and the option's own envvar —
the same order (apps/cli.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_settings import (BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource,
                               NoDecode, PyprojectTomlConfigSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)
from settings.errors import BadInput

ENV_PREFIX = "CODELOOP_"
FILE_NAME = "codeloop.toml"


class ConfigError(BadInput):
    """A configuration value or file is invalid (a one-line CLI error)."""


class LLMTable(BaseModel):
    """The `[llm]` table: a LangChain chat model instead of a server (`--llm`).

        [llm]
        spec = "langchain:langchain_openai:ChatOpenAI"   # langchain:MODULE:FACTORY
        args = { model = "gpt-4o-mini", base_url = "https://gateway.example/v1" }

    `args` are FACTORY's keyword arguments. `llm = "langchain:..."` (a plain string, also
    `CODELOOP_LLM` and `--set llm=...`) is the table without args."""

    spec: str | None = None
    args: dict[str, Any] = {}

    def as_env(self) -> dict[str, str]:
        """The variables the commands read: CODELOOP_LLM (the spec) and CODELOOP_LLM_ARGS
        (the args as JSON; serving/session.py applies them only to this same spec)."""
        return {"CODELOOP_LLM": self.spec or ""} | ({"CODELOOP_LLM_ARGS": json.dumps(self.args)} if self.args else {})

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.spec or '(none)'}{f' ({args})' if args else ''}"


def _llm_table(value: Any) -> Any:
    """A plain string is the table's spec."""
    return {"spec": value} if isinstance(value, str) else value


class Settings(BaseSettings):
    """Every knob the commands share (the `codeloop config` listing)."""

    # env_ignore_empty: `CODELOOP_X=` means unset, as it always has for the code that reads it
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True,
                                      env_ignore_empty=True, pyproject_toml_table_header=("tool", "codeloop"))

    model: str | None = None  # model name or .gguf path (None: the default model)
    base_url: str | None = None  # an OpenAI-compatible server to use instead of starting one
    engine: Literal["llama-server", "llama-cpp-python", "vllm", "openai"] | None = None
    port: int = 8765  # the embedded server's port on 127.0.0.1
    sandbox: Literal["auto", "docker", "bwrap", "process"] = "auto"
    retrieval: Literal["none", "examples", "docs", "all"] = "none"
    candidates: int = 1  # 1 = adaptive sampling
    gen_tests: bool = False
    max_repairs: int = 2
    max_calls: int = 12
    data_dir: str | None = None  # benchmark files (else the cache)
    ray_address: str | None = None  # batch --ray: a Ray cluster (HOST:PORT, auto, local)
    # read where they are used, from their CODELOOP_* variables (a config file's value is
    # exported to the command as that variable: apps/cli.py)
    cache_dir: str | None = None  # the one cache root (settings/cache.py)
    index_dir: str | None = None  # retrieval indexes (else the cache)
    offline: bool = False  # never try a download hub
    parallel: int | None = None  # llama-server slots (else from cores and memory)
    cache_ram_mib: int | None = None  # llama-server's host-memory prompt cache
    gpu_layers: int | None = None  # layers offloaded to a GPU (a CUDA build)
    llama_server: str | None = None  # a llama-server binary to use
    sandbox_image: str | None = None  # the docker backend's image (else codeloop-sandbox:bookworm)
    sandbox_rootfs: str | None = None  # bwrap's root filesystem (else sandbox/ under the cache root)
    # the pipeline (agents/state.py SolveConfig; config_from_env reads their variables)
    confirm_samples: int = 2  # samples after a greedy answer that passed
    explore_samples: int = 8  # samples after one that failed or had nothing to test
    sample_temperature: float = 0.7
    repair_samples: int = 2  # fixes drawn per repair round
    repair_temperature: float = 0.7  # < 0: the greedy temperature
    adaptive: bool = True  # off: a fixed `candidates` count (ablations)
    select_by_outputs: bool = True  # off: CodeT-style ranking instead of output clusters
    repair_runtime_only: bool = True  # off: wrong answers are repaired too
    visible_tests: Literal["all", "doctest", "none"] = "all"  # tests taken from the task (ablations)
    max_total_tokens: int = 40_000  # per task
    max_wall_s: float = 600.0  # per task
    # a LangChain chat model instead of a server: the [llm] table (or llm = "langchain:M:F")
    llm: Annotated[LLMTable | None, NoDecode, BeforeValidator(_llm_table)] = None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """Flags (init), environment, then the config files, strongest first."""
        return (init_settings, env_settings, *file_sources(settings_cls))


def project_dir(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` with codeloop.toml, pyproject.toml or .git."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / name).exists() for name in (FILE_NAME, "pyproject.toml", ".git")):
            return folder
    return None


def user_config_file() -> Path:
    """codeloop.toml in the user config dir (honours $XDG_CONFIG_HOME)."""
    return Path(platformdirs.user_config_dir("codeloop")) / FILE_NAME


def config_files() -> list[tuple[str, Path]]:
    """(kind, path) of the config files that exist, strongest first."""
    project = project_dir()
    found = []
    if project is not None:
        found += [("toml", project / FILE_NAME), ("pyproject", project / "pyproject.toml")]
    found.append(("toml", user_config_file()))
    return [(kind, path) for kind, path in found if path.is_file()]


def file_sources(settings_cls: type[BaseSettings]) -> list[PydanticBaseSettingsSource]:
    """One pydantic-settings source per existing config file, strongest first."""
    sources: list[PydanticBaseSettingsSource] = []
    for kind, path in config_files():
        if kind == "pyproject":
            sources.append(PyprojectTomlConfigSettingsSource(settings_cls, toml_file=path))
        else:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
    return sources


def load(flags: dict | None = None) -> tuple[Settings, dict[str, str]]:
    """The effective settings and, per field, where its value came from: `flag`,
    `env CODELOOP_X`, a config file's path, or `default`. Raises ConfigError (one line)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    unknown = sorted(set(flags) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)} (known: {', '.join(Settings.model_fields)})")
    layers: list[tuple[str, dict]] = [("flag", flags), ("env", _read(lambda: EnvSettingsSource(Settings)))]
    for kind, path in config_files():
        source_cls = PyprojectTomlConfigSettingsSource if kind == "pyproject" else TomlConfigSettingsSource
        label = str(path) + (" [tool.codeloop]" if kind == "pyproject" else "")
        layers.append((label, _read(lambda: source_cls(Settings, toml_file=path), label)))
    origin = {}
    for name in Settings.model_fields:
        where = next((label for label, values in layers if name in values), "default")
        origin[name] = f"env {ENV_PREFIX}{name.upper()}" if where == "env" else where
    try:
        with warnings.catch_warnings():  # without a pyproject.toml its table header has nothing to apply to
            warnings.filterwarnings("ignore", message="Config key `pyproject_toml_table_header`")
            return Settings(**flags), origin
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "?"
        shown = f"{ENV_PREFIX}{name.upper()}" if origin.get(name, "").startswith("env") else name
        raise ConfigError(f"{shown}={err.get('input')!r} ({origin.get(name, '?')}): {err['msg']}") from None


def _read(make_source, where: str = "environment") -> dict:
    """The values one source holds (only known fields); a malformed file in one line."""
    try:
        return {k: v for k, v in make_source()().items() if k in Settings.model_fields}
    except Exception as exc:  # TOML syntax, unreadable file, undecodable env value
        raise ConfigError(f"cannot read configuration from {where}: {exc}".splitlines()[0]) from None


def default_map(commands: dict[str, list[str]]) -> dict[str, dict]:
    """click's `default_map` for `commands` (name -> its parameter names): every setting
    that does not come from its default, for the commands that have a parameter of that name."""
    current, origin = load()
    chosen = {name: getattr(current, name) for name, where in origin.items() if where != "default"}
    return {cmd: {p: chosen[p] for p in params if p in chosen} for cmd, params in commands.items()}


def file_values_as_env(flags: dict | None = None) -> dict[str, str]:
    """The settings that come from a config file, as the CODELOOP_* variables the code reads
    (booleans: "1" or "0", read by `env_flag` and SolveConfig's parser alike)."""
    current, origin = load(flags)
    out = {}
    for name, where in origin.items():
        if where in ("default", "flag") or where.startswith("env "):
            continue
        value = getattr(current, name)
        if isinstance(value, LLMTable):
            out |= value.as_env()
            continue
        out[env_var(name)] = ("1" if value else "0") if isinstance(value, bool) else "" if value is None else str(value)
    return out


def env_var(name: str) -> str:
    """The environment variable of a setting."""
    return f"{ENV_PREFIX}{name.upper()}"


__all__ = ["ConfigError", "LLMTable", "Settings", "config_files", "default_map", "env_var", "file_values_as_env", "load",
           "project_dir", "user_config_file"]
