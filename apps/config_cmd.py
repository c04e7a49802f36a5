"""`codeloop config`: the effective settings, where each value came from, the keys refused
from an untrusted project, with secrets (API keys, tokens, passwords) masked."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import typer

from apps.errors import fail
from settings.config import ConfigError, config_files, load_report, settings_env, user_config_file

MASK = "****"
# a key naming a secret: one of these words as a whole part of the name (api_key, apiKey,
# access-token, db_password), not max_total_tokens
_SECRET_WORDS = {"key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential", "credentials",
                 "auth", "authorization", "bearer"}


def is_secret_key(key: str) -> bool:
    """Whether a setting or argument called `key` holds a secret."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()  # apiKey -> api_key
    parts = set(re.split(r"[^a-z0-9]+", spaced))
    return bool(parts & _SECRET_WORDS) or spaced.replace("_", "").replace("-", "") in _SECRET_WORDS


def masked(value: Any, key: str = "") -> Any:
    """`value` for display: a secret's value (by its key, at any depth) as ****, and the
    password of a URL with credentials (https://user:****@host)."""
    if key and is_secret_key(key) and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str) and "@" in value and "://" in value:
        return _url_without_password(value)
    return value


def _url_without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{MASK}@{host}"))


def config(assign: list[str] = typer.Option(None, "--set", metavar="KEY=VALUE",
                                            help="A value as if given as a flag (repeatable)."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
           as_env: bool = typer.Option(False, "--env", help="The config files' values as shell `export` lines "
                                                            "(for scripts: eval \"$(codeloop config --env)\").")) -> None:
    """Show the effective settings and their source: flag > CODELOOP_* env > codeloop.toml
    (project) > the tool.codeloop table of pyproject.toml > codeloop.toml (user config dir) > default.
    A project's sensitive keys apply only once you trust it (`codeloop trust`)."""
    flags = {}
    for item in assign or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--set needs KEY=VALUE, got {item!r}")
        flags[key.strip().replace("-", "_")] = value
    try:
        loaded = load_report(flags)
        exported = settings_env(loaded, files_only=True) if as_env else {}
    except ConfigError as exc:
        fail(str(exc))
        return
    if as_env:  # what every codeloop command sees, for the shell scripts that read CODELOOP_* too
        # quoted: a value holding $(…), `…` or ; is data when the script evals these lines
        print("".join(f"export {var}={shlex.quote(value)}\n" for var, value in exported.items()), end="")
        return
    current, origin = loaded.settings, loaded.origin
    values = masked(current.model_dump())
    refused = {r.key: r for r in loaded.refused}  # the strongest file's refusal, when two set the key
    if as_json:
        out = {name: {"value": values[name], "source": origin[name]} for name in values}
        for name, r in refused.items():
            out[name]["refused"] = {"from": r.where, "why": r.trust.value, "fix": f"codeloop trust {r.project}"}
        print(json.dumps(out, indent=2))
        return
    files = [str(path) for _kind, path in config_files()]
    print(f"config files: {', '.join(files) if files else f'none (e.g. ./codeloop.toml or {user_config_file()})'}")
    for name, value in values.items():
        note = f"  (refused from {refused[name].where}: {refused[name].trust.value}; see `codeloop trust`)" \
            if name in refused else ""
        print(f"{name:<20} {shown(value):<28} {origin[name]}{note}")


def shown(value: Any) -> str:
    """A (masked) value as the listing prints it; the [llm] table as "spec (k='v', …)"."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict) and set(value) == {"spec", "args"}:
        args = ", ".join(f"{k}={v!r}" for k, v in value["args"].items())
        return f"{value['spec'] or '(none)'}{f' ({args})' if args else ''}"
    return str(value)
