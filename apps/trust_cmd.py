"""`codeloop trust [PATH] [--revoke]`: let a project's own config set the sensitive keys."""

from __future__ import annotations

from pathlib import Path

import typer

from apps.errors import fail
from settings import trust as trust_store
from settings.config import project_dir
from settings.knobs import SENSITIVE
from settings.errors import BadInput


def trust(path: Path = typer.Argument(None, help="The project (a folder in it); default: the current folder."),
          revoke: bool = typer.Option(False, "--revoke", help="Stop trusting the project.")) -> None:
    """Trust a project's codeloop.toml and [tool.codeloop] with the sensitive settings (the
    model, server, binaries, sandbox, paths: anything that could run code or send it
    elsewhere). Recorded with a hash of those files: after a change, trust it again."""
    start = (path or Path.cwd()).expanduser()
    if not start.is_dir():
        fail(f"not a folder: {start}")
    project = project_dir(start)
    if project is None:
        fail(f"no project at or above {start.resolve()} (a folder with codeloop.toml, pyproject.toml or .git)")
        return
    try:
        if revoke:
            done = trust_store.revoke(project)
            print(f"{'no longer trusted' if done else 'was not trusted'}: {project}")
            return
        keys = sorted(trust_store.configured_keys(project) & SENSITIVE)
        trust_store.trust(project)
    except BadInput as exc:
        fail(str(exc))
        return
    allowed = f"; it may now set {', '.join(keys)}" if keys else ""
    print(f"trusted: {project} (its config as it is now: after a change, trust it again){allowed}")

