"""Turning domain errors into one-line CLI errors (exit code 2) at the edge, never tracebacks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer

from agents.task import TaskError
from eval.problems import UnknownProblem
from sandbox.base import SandboxError
from serving.base import LLMError
from serving.models import ModelError

# Errors that mean "the input or the environment is wrong": exit code 2.
USAGE_ERRORS: tuple[type[BaseException], ...] = (
    TaskError, UnknownProblem, ModelError, SandboxError, LLMError, FileNotFoundError, ValueError,
)  # fmt: skip


def fail(message: str, code: int = 2) -> None:
    """Print `error: message` on stderr and exit with `code`."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Convert known errors to a one-line message and exit code 2; Ctrl-C to exit 130."""
    try:
        yield
    except USAGE_ERRORS as exc:
        fail(str(exc) or exc.__class__.__name__)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise typer.Exit(130)
