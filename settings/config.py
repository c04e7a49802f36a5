"""One configuration, read in one place, with one precedence:
flags > environment (`CODELOOP_*`) > a config file > defaults.

Config files, strongest first: `codeloop.toml` in the project (the nearest folder at or above
the working directory holding `codeloop.toml`, `pyproject.toml` or `.git`), then
`[tool.codeloop]` in that project's `pyproject.toml`, then `codeloop.toml` in the user config
dir (`~/.config/codeloop/codeloop.toml`). Keys are the field names below (`base_url = "…"`).

The trust boundary (issue 28): a project's files are the repository's, not the user's, so
they may set only the `HARMLESS` keys; a sensitive key there is left out (one `Refused` line
each, printed by the CLI) unless the user trusted the project as it is now (settings/trust.py,
`codeloop trust`). Flags, the environment and the user config are the user's: fully trusted.

`load()` gives the effective `Settings` and where each value came from (`codeloop config`).
Flags are applied by the CLI: it hands the non-default values to click as the commands'
`default_map`, which click consults after the command line and the option's own envvar —
the same order (apps/cli.py).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import platformdirs
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_settings import (BaseSettings, EnvSettingsSource, InitSettingsSource, NoDecode, SettingsConfigDict,
                               TomlConfigSettingsSource)
from settings import trust as trust_store
from settings.errors import BadInput
from settings.trust import Trust

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
                                      env_ignore_empty=True)

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
        """Flags (init), environment, then the config files, strongest first — each file's values
        as `file_layers` read and filtered them, so the settings and `load()`'s origin agree."""
        files = [InitSettingsSource(settings_cls, layer.values) for layer in file_layers()]
        return (init_settings, env_settings, *files)


# The trust boundary: the keys a repository's own config may set (everything else is
# SENSITIVE). An allow-list, so a new field is refused from a project until classified here;
# tests/security/test_config_trust.py checks that the two sets cover every field.
HARMLESS = frozenset({
    # output and search breadth: they change what the pipeline tries, never where it runs
    "retrieval",  # the built-in corpora only (an index path is the separate --index/index_dir)
    "candidates", "gen_tests", "max_repairs", "max_calls",
    "confirm_samples", "explore_samples", "sample_temperature", "repair_samples", "repair_temperature",
    "adaptive", "select_by_outputs", "repair_runtime_only", "visible_tests",
    # budgets per task: the worst a repo can do is spend the user's time, which Ctrl-C ends
    "max_total_tokens", "max_wall_s",
})
SENSITIVE = frozenset({
    "llm",  # imports MODULE and calls FACTORY(**args) on the host: arbitrary code
    "llama_server",  # the binary codeloop executes
    "engine",  # which program is started (vllm, llama-cpp-python…) or that no local one is
    "model",  # a model file to load; even a built-in name is read as a path when such a file exists
    "base_url",  # where every prompt (the user's code) is sent
    "port",  # a port a planted process may already answer on, which is then adopted
    "ray_address",  # a cluster that receives the tasks and runs code
    "cache_dir",  # holds the binaries and models codeloop runs; a repo's copy could be planted
    "index_dir",  # indexes are loaded from and written there
    "data_dir",  # benchmark files are read from and downloaded there
    "offline",  # whether codeloop reaches the network at all: the user's call
    "sandbox",  # "process" would run the repo's own tests unconfined
    "sandbox_image", "sandbox_rootfs",  # what the sandbox runs in: the sandbox's own walls
    # they size the model server, a host process outside the sandbox (memory, GPU)
    "parallel", "cache_ram_mib", "gpu_layers",
})


class Refused(NamedTuple):
    """A sensitive key a project's config set and codeloop left out."""

    key: str
    where: str  # the file's label (a path, with " [tool.codeloop]" for pyproject.toml)
    project: Path
    trust: Trust  # UNTRUSTED, or CHANGED since the user trusted it

    def message(self) -> str:
        """The one line the CLI prints for it: which key, which file, how to trust."""
        why = ("the project's config changed since you trusted it" if self.trust is Trust.CHANGED
               else "the project is not trusted")
        return (f"warning: ignoring {self.key} from {self.where}: {why} (review the file, then run "
                f"`codeloop trust {shlex.quote(str(self.project))}` to allow it)")


class Layer(NamedTuple):
    """One source's values (known fields only) and what was refused from it."""

    label: str  # "flag", "env", or a config file's label
    values: dict
    refused: tuple[Refused, ...] = ()


class Loaded(NamedTuple):
    """The effective settings, where each value came from, and the refused keys."""

    settings: Settings
    origin: dict[str, str]  # field -> "flag", "env CODELOOP_X", a file's label, or "default"
    refused: tuple[Refused, ...]
    order: tuple[str, ...]  # the sources' labels, strongest first ("flag", "env", files…, "default")

    def rank(self, name: str) -> int:
        """How strong the source of setting `name` is: 0 for a flag, larger is weaker."""
        where = self.origin[name]
        return self.order.index("env" if where.startswith("env ") else where)


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
    """(kind, path) of the config files that exist, strongest first; kind is "project" or
    "pyproject" (the repository's: untrusted) or "user" (the user's own)."""
    project, user = project_dir(), user_config_file()
    found = []
    # run inside the user config dir itself, its codeloop.toml is the user's, not a project's
    if project is not None and (project / FILE_NAME).resolve() != user.resolve():
        found.append(("project", project / FILE_NAME))
    if project is not None:
        found.append(("pyproject", project / "pyproject.toml"))
    found.append(("user", user))
    return [(kind, path) for kind, path in found if path.is_file()]


def file_label(kind: str, path: Path) -> str:
    """How a config file is named in `origin` and messages."""
    return str(path) + (" [tool.codeloop]" if kind == "pyproject" else "")


def file_layers() -> list[Layer]:
    """Each existing config file's values, strongest first, with a project's sensitive keys
    left out (and listed as refused) unless the user trusted the project as it is now."""
    layers, project_trust = [], None
    for kind, path in config_files():
        label = file_label(kind, path)
        if kind == "pyproject":  # its [tool.codeloop] table, read as trust.py hashes it
            values = _read(lambda: InitSettingsSource(Settings, trust_store.pyproject_table(path.parent) or {}), label)
        else:
            values = _read(lambda: TomlConfigSettingsSource(Settings, toml_file=path), label)
        sensitive = sorted(key for key in values if key not in HARMLESS)
        if kind == "user" or not sensitive:  # a repo with harmless knobs only: not even a look at trust
            layers.append(Layer(label, values))
            continue
        if project_trust is None:
            project_trust = _trust_of(path.parent)
        if project_trust is Trust.TRUSTED:
            layers.append(Layer(label, values))
            continue
        refused = tuple(Refused(key, label, path.parent, project_trust) for key in sensitive)
        layers.append(Layer(label, {k: v for k, v in values.items() if k in HARMLESS}, refused))
    return layers


def _trust_of(project: Path) -> Trust:
    try:
        return trust_store.status(project)
    except BadInput as exc:  # an unreadable trust.json, or pyproject.toml: one line
        raise ConfigError(str(exc)) from None


def load_report(flags: dict | None = None) -> Loaded:
    """The effective settings, where each value came from (`flag`, `env CODELOOP_X`, a config
    file's label, or `default`) and the keys refused from an untrusted project. Raises
    ConfigError (one line)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    unknown = sorted(set(flags) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)} (known: {', '.join(Settings.model_fields)})")
    files = file_layers()
    layers = [Layer("flag", flags), Layer("env", _read(lambda: EnvSettingsSource(Settings))), *files]
    origin = {}
    for name in Settings.model_fields:
        where = next((layer.label for layer in layers if name in layer.values), "default")
        origin[name] = f"env {ENV_PREFIX}{name.upper()}" if where == "env" else where
    refused = tuple(r for layer in files for r in layer.refused)
    order = (*(layer.label for layer in layers), "default")
    try:
        return Loaded(Settings(**flags), origin, refused, order)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "?"
        shown = f"{ENV_PREFIX}{name.upper()}" if origin.get(name, "").startswith("env") else name
        raise ConfigError(f"{shown}={err.get('input')!r} ({origin.get(name, '?')}): {err['msg']}") from None


def load(flags: dict | None = None) -> tuple[Settings, dict[str, str]]:
    """The effective settings and, per field, where its value came from (see `load_report`)."""
    loaded = load_report(flags)
    return loaded.settings, loaded.origin


def _read(make_source, where: str = "environment") -> dict:
    """The values one source holds (only known fields); a malformed file in one line."""
    try:
        return {k: v for k, v in make_source()().items() if k in Settings.model_fields}
    except BadInput as exc:  # already one line naming the file
        raise ConfigError(str(exc)) from None
    except Exception as exc:  # TOML syntax, unreadable file, undecodable env value
        raise ConfigError(f"cannot read configuration from {where}: {exc}".splitlines()[0]) from None


def default_map(commands: dict[str, list[str]], loaded: Loaded | None = None) -> dict[str, dict]:
    """click's `default_map` for `commands` (name -> its parameter names): every setting
    that does not come from its default, for the commands that have a parameter of that name."""
    current, origin = (loaded or load_report())[:2]
    chosen = {name: getattr(current, name) for name, where in origin.items() if where != "default"}
    return {cmd: {p: chosen[p] for p in params if p in chosen} for cmd, params in commands.items()}


def file_values_as_env(flags: dict | None = None, loaded: Loaded | None = None) -> dict[str, str]:
    """The settings that come from a config file, as the CODELOOP_* variables the code reads
    (booleans: "1" or "0", read by `env_flag` and SolveConfig's parser alike). A refused key
    is not among them: `load_report` already left it out."""
    current, origin = (loaded or load_report(flags))[:2]
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


__all__ = ["HARMLESS", "SENSITIVE", "ConfigError", "LLMTable", "Layer", "Loaded", "Refused", "Settings", "config_files",
           "default_map", "env_var", "file_label", "file_layers", "file_values_as_env", "load", "load_report",
           "project_dir", "user_config_file"]
