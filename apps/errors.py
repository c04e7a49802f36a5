"""Turning domain errors into one-line CLI errors at the edge, never tracebacks.

Exit code 2 only for bad usage or input (a flag, a file, a task, a model name: fix the
command); 1 for a run that failed (the model server died, the sandbox broke, the disk is
full, a bug), each line saying what to do next; 130 for Ctrl-C."""

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
from sandbox.base import InvalidLimits, SandboxError
from serving.base import LLMError, ServerLost
from serving.embedded import ServerStartError
from serving.models import ModelError
from serving.openai_client import ServerUnreachable
from settings.errors import BadInput

# Errors that mean "the input is wrong": exit code 2. (`BadInput` covers every domain's
# input errors: tasks, task files, configuration, flags checked below the CLI.)
USAGE_ERRORS: tuple[type[BaseException], ...] = (
    BadInput, TaskError, UnknownProblem, ModelError, InvalidLimits, FileNotFoundError,
)  # fmt: skip
# Errors of a run that started right but could not finish: exit code 1, with what to do.
RUNTIME_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (ServerLost, ""),  # its message already says what to do
    (ServerStartError, "the model server could not start; see its log, or try --engine/--port"),
    (ServerUnreachable, "is the model server running? check --base-url, then run the command again"),
    (LLMError, "the model failed; check the model server (its log) and run the command again"),
    (SandboxError, "the sandbox failed; `codeloop sandbox check` shows what works here"),
    (OSError, "check the disk (free space, permissions) and run the command again"),
)


def exit_code_for(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an error reaching the CLI edge: 2 for bad input, 1
    for a runtime fault (with a hint what to do), 1 and "internal error" for anything else."""
    message = " ".join((str(exc) or exc.__class__.__name__).split())
    if isinstance(exc, BadInput):  # also a runtime class (a taken --port, a missing extra): the input wins
        return 2, message
    for cls, hint in RUNTIME_HINTS:  # before the usage errors: ServerStartError is a ModelError
        if isinstance(exc, cls) and not isinstance(exc, (InvalidLimits, FileNotFoundError)):
            return 1, f"{message} ({hint})" if hint else message
    if isinstance(exc, USAGE_ERRORS):
        return 2, message
    return 1, f"internal error: {exc.__class__.__name__}: {message} (please report it)"


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


def fail_for(exc: BaseException) -> None:
    """Exit with the one-line message and the code `exit_code_for` gives `exc`."""
    code, message = exit_code_for(exc)
    fail(message, code)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Known errors become one `error:` line: exit code 2 for bad input, 1 for a runtime
    fault or a bug (`exit_code_for`); Ctrl-C exits 130."""
    try:
        yield
    except (*USAGE_ERRORS, LLMError, SandboxError, OSError, ValueError) as exc:
        fail_for(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
