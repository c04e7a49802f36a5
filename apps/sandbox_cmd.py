"""`codeloop sandbox build | check | run`: the typer sub-app, mounted by apps/cli.py.

Library errors become one-line messages here, at the edge (apps/errors.py: exit code 2 for
bad input, 1 for a sandbox that failed or is unavailable); everything else about sandboxes
lives in the `sandbox` package.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer

from apps.errors import cli_errors
from apps.options import SandboxName
from codetext.tree import SKIP_DIRS, walk_files
from sandbox import Limits, SandboxError, make_sandbox
from settings.errors import BadInput

sandbox_app = typer.Typer(no_args_is_help=True, add_completion=False,
                          help="Build, check and use the sandbox that runs generated code.")
log = logging.getLogger(__name__)

MAX_FILES = 2000
MAX_TOTAL_BYTES = 8 * 1024 * 1024


def collect_files(root: Path) -> dict[str, str]:
    """The text files under `root` (hidden and build dirs skipped), bounded in count and size."""
    files: dict[str, str] = {}
    total = 0
    for path in walk_files(root, SKIP_DIRS, skip_hidden=True):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary or unreadable: not something generated code needs
        total += len(text)
        if len(files) >= MAX_FILES or total > MAX_TOTAL_BYTES:
            raise BadInput(f"too many or too large files under {root} "
                               f"(limit {MAX_FILES} files, {MAX_TOTAL_BYTES // 2**20} MB)")
        files[path.relative_to(root).as_posix()] = text
    return files


@sandbox_app.command()
def build(method: str = typer.Option("auto", help="auto | debootstrap (offline) | dockerfile (registry)"),
          force: bool = typer.Option(False, "--force", help="rebuild even if up to date")) -> None:
    """Build the root filesystem and the Docker image (offline with debootstrap)."""
    from sandbox import image

    with cli_errors():
        try:
            tag = image.build_image(method=method, force=force)
        except SandboxError as exc:
            if method != "auto" or "Docker engine" not in str(exc):
                raise
            root = image.build_rootfs(force=force)  # no engine: bwrap can still use the rootfs
            typer.echo(f"root filesystem ready at {root}; no Docker image ({exc})")
            return
    typer.echo(f"image {tag} ready; root filesystem {image.rootfs_dir()}")


@sandbox_app.command()
def check(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Say which backends work here, why the others do not, and known risks."""
    from sandbox.check import check_all

    statuses = check_all()
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in statuses], indent=2))
        return
    for s in statuses:
        typer.echo(f"{s.name:8} {'ok' if s.available else 'unavailable'}" + (f": {s.reason}" if s.reason else ""))
        for note in s.notes:
            typer.echo(f"         {note}")
    best = next((s.name for s in statuses if s.available), None)
    typer.echo(f"auto would use: {best or 'nothing'}")


@sandbox_app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(command: list[str] = typer.Argument(..., help="the command, after --"),
        backend: SandboxName = typer.Option("auto", "--backend", help="auto | docker | bwrap | process"),
        timeout: float = typer.Option(10.0, "--timeout", help="wall-clock limit in seconds"),
        memory: int = typer.Option(1024, "--memory", help="memory limit in MB"),
        as_json: bool = typer.Option(False, "--json", help="print the RunResult as JSON")) -> None:
    """Run CMD over the current directory's files in the sandbox and print the result."""
    with cli_errors():
        limits = Limits(timeout_s=timeout, memory_mb=memory)
        files = collect_files(Path.cwd())
        sandbox = make_sandbox(backend)
        try:
            result = sandbox.run(files, list(command), limits)
        finally:
            sandbox.close()
    if backend == "auto":
        typer.echo(f"sandbox: {sandbox.selection}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        flags = [f for f in ("timed_out", "oom_killed", "truncated") if getattr(result, f)]
        typer.echo(f"[{result.backend}] exit {result.exit_code} in {result.duration_s:.2f}s"
                   + (f" ({', '.join(flags)})" if flags else ""), err=True)
    raise typer.Exit(0 if result.ok else 1)
