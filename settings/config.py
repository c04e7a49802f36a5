"""One configuration, read in one place, with one precedence:
flags > environment (`CODELOOP_*`) > a config file > defaults.

Config files, strongest first: `codeloop.toml` in the project (the nearest folder at or above
the working directory holding `codeloop.toml`, `pyproject.toml` or `.git`), then
`[tool.codeloop]` in that project's `pyproject.toml`, then `codeloop.toml` in the user config
dir (`~/.config/codeloop/codeloop.toml`). Keys are the knob names of settings/knobs.py, the one
table `Settings` is generated from (`base_url = "…"`).

The trust boundary (issue 28): a project's files are the repository's, not the user's, so
they may set only the `HARMLESS` keys; a sensitive key there is left out (one `Refused` line
each, printed by the CLI) unless the user trusted the project as it is now (settings/trust.py,
`codeloop trust`). Flags, the environment and the user config are the user's: fully trusted.

`load()` gives the effective `Settings` and where each value came from (`codeloop config`);
`current()` is how library code gets a value it was not handed (nothing is copied into
os.environ: the apps pass resolved values down, the rest ask `current()`).
Flags are applied by the CLI: it hands the non-default values to click as the commands'
`default_map`, which click consults after the command line and the option's own envvar —
the same order (apps/cli.py).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import NamedTuple

import platformdirs
from pydantic import ValidationError, create_model
from pydantic_settings import (BaseSettings, EnvSettingsSource, InitSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)
from settings import knobs
from settings import trust as trust_store
from settings.errors import BadInput
from settings.llm_table import LLMTable
from settings.trust import Trust

FILE_NAME = "codeloop.toml"


class ConfigError(BadInput):
    """A configuration value or file is invalid (a one-line CLI error)."""


class _SettingsBase(BaseSettings):
    """What every generated `Settings` shares: the CODELOOP_ prefix and the sources' order."""

    # env_ignore_empty: `CODELOOP_X=` means unset, as it always has
    model_config = SettingsConfigDict(env_prefix=knobs.ENV_PREFIX, extra="ignore", validate_default=True,
                                      env_ignore_empty=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """Flags (init), environment, then the config files, strongest first — each file's values
        as `file_layers` read and filtered them, so the settings and `load()`'s origin agree."""
        files = [InitSettingsSource(settings_cls, layer.values) for layer in file_layers()]
        return (init_settings, env_settings, *files)


# Every knob the commands share (the `codeloop config` listing): one field per row of
# settings/knobs.py KNOBS, in its order. The trust boundary is the table's too.
def settings_model(table: tuple[knobs.Knob, ...] = knobs.KNOBS) -> type[_SettingsBase]:
    """The `Settings` class of a knob table: one field per row, in its order."""
    return create_model("Settings", __base__=_SettingsBase, __module__=__name__, **knobs.fields(table),
                        __doc__="Every knob the commands share (settings/knobs.py).")


Settings = settings_model()


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
            values = _read(lambda path=path: InitSettingsSource(Settings, trust_store.pyproject_table(path.parent) or {}),
                           label)
        else:
            values = _read(lambda path=path: TomlConfigSettingsSource(Settings, toml_file=path), label)
        sensitive = sorted(key for key in values if key not in knobs.HARMLESS)
        if kind == "user" or not sensitive:  # a repo with harmless knobs only: not even a look at trust
            layers.append(Layer(label, values))
            continue
        if project_trust is None:
            project_trust = _trust_of(path.parent)
        if project_trust is Trust.TRUSTED:
            layers.append(Layer(label, values))
            continue
        refused = tuple(Refused(key, label, path.parent, project_trust) for key in sensitive)
        layers.append(Layer(label, {k: v for k, v in values.items() if k in knobs.HARMLESS}, refused))
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
        origin[name] = f"env {knobs.env_name(name)}" if where == "env" else where
    refused = tuple(r for layer in files for r in layer.refused)
    order = (*(layer.label for layer in layers), "default")
    try:
        return Loaded(Settings(**flags), origin, refused, order)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "?"
        shown = knobs.env_name(name) if origin.get(name, "").startswith("env") else name
        raise ConfigError(f"{shown}={err.get('input')!r} ({origin.get(name, '?')}): {err['msg']}") from None


def current() -> Settings:
    """The settings every codeloop process sees without flags: CODELOOP_* env, then the config
    files (the trust boundary applied), then defaults. Library code that was not handed a
    value (the cache root, the engine, offline, …) asks this, so nothing is copied into
    os.environ and no global state is kept: read afresh each call (a few ms), a test's
    monkeypatched variable or an edited file is seen at once. Raises ConfigError (one line)."""
    return load_report().settings


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
    that does not come from its default, for the commands with the parameter that takes it
    (settings/knobs.py: `llm` goes to `llm_spec`, as its spec)."""
    current_, origin = (loaded or load_report())[:2]
    chosen = {}
    for name, where in origin.items():
        if where != "default":
            value = getattr(current_, name)
            chosen[knobs.BY_NAME[name].parameter] = value.spec if isinstance(value, LLMTable) else value
    return {cmd: {p: chosen[p] for p in params if p in chosen} for cmd, params in commands.items()}


def settings_env(loaded: Loaded, files_only: bool = False) -> dict[str, str]:
    """The settings that do not come from their default (with `files_only`, only a config
    file's), as CODELOOP_* variables: for `codeloop config --env` and for shipping the
    resolved settings to another process (Ray nodes). Booleans are "1"/"0", which
    settings/env.py `yes_no` reads back. A refused key is not among them: `load_report`
    already left it out. Flags are not settings here (load_report() without flags)."""
    out = {}
    for name, where in loaded.origin.items():
        if where == "default" or (files_only and (where == "flag" or where.startswith("env "))):
            continue
        value = getattr(loaded.settings, name)
        if isinstance(value, LLMTable):
            out |= value.as_env()
            continue
        out[knobs.env_name(name)] = ("1" if value else "0") if isinstance(value, bool) else "" if value is None else str(value)
    return out


__all__ = ["ConfigError", "LLMTable", "Layer", "Loaded", "Refused", "Settings", "config_files", "current",
           "default_map", "file_label", "file_layers", "load", "load_report", "project_dir", "settings_env",
           "user_config_file"]
