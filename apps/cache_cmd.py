"""`codeloop cache` (where everything cached lives and its size) and `codeloop cache clean`."""

from __future__ import annotations

import json
import sys

import typer

from apps.errors import fail
from settings import cache

cache_app = typer.Typer(help="Show and clean the cache (models, llama-server, data, indexes, logs, sandbox).")


def human(size: int) -> str:
    """Bytes as B/KiB/MiB/GiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _entries(kinds: list[str] | None) -> list[cache.Entry]:
    try:
        return cache.entries(kinds)
    except ValueError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits


@cache_app.callback(invoke_without_command=True)
def show(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Each kind of cached thing: its folder, size and file count (the root is $CODELOOP_CACHE_DIR)."""
    if ctx.invoked_subcommand is not None:
        return
    items = _entries(None)
    if as_json:
        print(json.dumps({"root": str(cache.cache_root()),
                          "entries": [{"kind": e.kind, "path": str(e.path), "bytes": e.bytes, "files": e.files}
                                      for e in items]}, indent=2))
        return
    print(f"cache root: {cache.cache_root()}  (set ${cache.CACHE_ENV} to move it)")
    for e in items:  # plain lines: paths are never cropped
        print(f"{e.kind:<12} {human(e.bytes):>10} {e.files:>7} files  {e.path}")
    print(f"{'total':<12} {human(sum(e.bytes for e in items)):>10} {sum(e.files for e in items):>7} files")

@cache_app.command()
def clean(kinds: list[str] = typer.Argument(None, help=f"What to remove ({', '.join(cache.KINDS)}); default: all."),
          yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Remove cached things; asks first (on a terminal) unless --yes. Only codeloop's own
    folders are removed; symlinks are unlinked, never followed."""
    items = [e for e in _entries(kinds or None) if e.path.exists() or e.path.is_symlink()]
    if not items:
        print("nothing to remove")
        return
    for e in items:
        print(f"{e.kind}: {e.path} ({human(e.bytes)}, {e.files} files)")
    if not yes:
        if not sys.stdin.isatty():
            fail("refusing to remove without --yes when not asked on a terminal")
        if not typer.confirm(f"remove these {len(items)} folder(s)?", default=False):
            print("nothing removed")
            raise typer.Exit(1)
    freed = 0
    for e in items:
        try:
            cache.remove(e)
        except OSError as exc:
            fail(f"cannot remove {e.path}: {exc.strerror or exc}")
        freed += e.bytes
    print(f"removed {len(items)} folder(s), {human(freed)} freed")
