"""The `codeloop` console script (typer). Domain errors become one-line CLI errors here."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Local-first multi-agent code generator.")


def main() -> None:
    """Console-script entry point."""
    app()
