"""`codeloop config`: the effective settings and where each value came from."""

from __future__ import annotations

import json
import shlex

import typer

from apps.errors import fail
from settings.config import ConfigError, config_files, file_values_as_env, load, user_config_file


def config(assign: list[str] = typer.Option(None, "--set", metavar="KEY=VALUE",
                                            help="A value as if given as a flag (repeatable)."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
           as_env: bool = typer.Option(False, "--env", help="The config files' values as shell `export` lines "
                                                            "(for scripts: eval \"$(codeloop config --env)\").")) -> None:
    """Show the effective settings and their source: flag > CODELOOP_* env > codeloop.toml
    (project) > the tool.codeloop table of pyproject.toml > codeloop.toml (user config dir) > default."""
    flags = {}
    for item in assign or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--set needs KEY=VALUE, got {item!r}")
        flags[key.strip().replace("-", "_")] = value
    try:
        current, origin = load(flags)
        exported = file_values_as_env(flags) if as_env else {}
    except ConfigError as exc:
        fail(str(exc))
        return
    if as_env:  # what every codeloop command sees, for the shell scripts that read CODELOOP_* too
        print("".join(f"export {var}={shlex.quote(value)}\n" for var, value in exported.items()), end="")
        return
    values = current.model_dump()
    if as_json:
        print(json.dumps({name: {"value": values[name], "source": origin[name]} for name in values}, indent=2))
        return
    files = [str(path) for _kind, path in config_files()]
    print(f"config files: {', '.join(files) if files else f'none (e.g. ./codeloop.toml or {user_config_file()})'}")
    for name, value in values.items():
        # str of the setting itself: the [llm] table reads as "spec (args)", not as a dict
        shown = "(none)" if value is None else str(value).lower() if isinstance(value, bool) else str(getattr(current, name))
        print(f"{name:<20} {shown:<28} {origin[name]}")
