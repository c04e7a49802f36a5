"""Turning domain errors into one-line CLI errors (exit code 2) at the edge, never tracebacks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer
try:  # typer >= 0.2x vendors its own click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - an older typer on the real click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from agents.task import TaskError
from eval.problems import UnknownProblem
from sandbox.base import SandboxError
from serving.base import LLMError
from serving.models import ModelError

# Errors that mean "the input or the environment is wrong": exit code 2.
USAGE_ERRORS: tuple[type[BaseException], ...] = (
    TaskError, UnknownProblem, ModelError, SandboxError, LLMError, FileNotFoundError, ValueError,
)  # fmt: skip


class OneLineErrors(TyperGroup):
    """Usage errors (a bad option, a value outside its choices) as one `error:` line with exit
    code 2, like the domain errors in apps/errors.py, instead of click's boxed usage text."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            print(f"error: {_one_line(exc.format_message())}{where}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except ClickException as exc:
            print(f"error: {_one_line(exc.format_message())}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("interrupted", file=sys.stderr)
            sys.exit(130)
        # Without standalone mode click returns an Exit's code, or the command's return value.
        sys.exit(rv if isinstance(rv, int) else 0)


def _one_line(message: str) -> str:
    """Click's message without pydantic's "Value error, " prefix, on one line."""
    return " ".join(message.replace("Value error, ", "").split())


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
