"""Commands an editor task runs in a workspace: `codeloop test`, `fix` and `implement`.
Their `--format vscode|github` output is what the problem matcher in tasks.json reads."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from apps.errors import cli_errors, fail
from apps.options import BaseUrlOption, ModelOption, OutputFormat, PortOption, SandboxOption
from apps.problems_format import FORMATS, Problem, from_pytest, render

FORMAT_HELP = "text | vscode (file:line:col: severity: message) | github (::error workflow commands)"


def check_format(fmt: str) -> None:
    """Refuse an unknown --format."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def emit(problems: list[Problem], fmt: str) -> None:
    """Print problems in `fmt` (text prints them in the vscode layout, unbracketed)."""
    lines = render(problems, "vscode" if fmt == "text" else fmt)
    if fmt == "text":
        lines = lines[1:-1]
    print("\n".join(lines), flush=True)


def _open_workspace(fmt: str, cmd: str | None, sandbox: str):
    """What `test` and `fix` start from: the repo around the working directory, the parsed
    test command and the sandbox (call inside `cli_errors`, after the format is checked)."""
    from sandbox import make_sandbox
    from workspace.pytest_run import parse_command
    from workspace.repo import UserRepo

    check_format(fmt)
    return UserRepo.find(Path.cwd()), parse_command(cmd), make_sandbox(sandbox)


def _say(text: str) -> None:
    # progress goes to stderr so stdout carries only code and problems
    print(text, file=sys.stderr, flush=True)


def test(
    cmd: str = typer.Option(None, "--cmd", help="Test command run in the sandbox (default: pytest)."),
    fmt: OutputFormat = typer.Option("text", "--format", help=FORMAT_HELP),
    sandbox: SandboxOption = "auto",
) -> None:
    """Run this repository's tests in the sandbox and report each failure's location."""
    from workspace.pytest_run import run_pytest

    with cli_errors():
        repo, command, box = _open_workspace(fmt, cmd, sandbox)
        try:
            tree = repo.text_files([], {})
            tests = run_pytest(box, tree, command)
        finally:
            box.close()
    if fmt == "text":
        print(tests.report)
    emit(from_pytest(tests.failures, set(tree)), fmt)
    _say(f"tests: {tests.status}")
    raise typer.Exit(0 if tests.ok else 1)


def fix(
    files: list[str] = typer.Argument(None, help="Files the agents may edit (default: where the failures were raised)."),
    cmd: str = typer.Option(None, "--cmd", help="Test command run in the sandbox (default: pytest)."),
    fmt: OutputFormat = typer.Option("text", "--format", help=FORMAT_HELP),
    commit_first: bool = typer.Option(False, "--commit-first", help="Commit your uncommitted changes to those files first."),
    max_repairs: int = typer.Option(3, "--max-repairs", min=0, max=10, help="Fix rounds after failing tests."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
) -> None:
    """Run the tests; when they fail, let the agents rewrite the code (whole files), test
    again in the sandbox, and commit the fix. Reports what still fails."""
    from agents.edit.fix import fix_targets, run_fix
    from agents.edit.loop import EditContext
    from apps.chat.stream import LLMStreamer
    from serving.session import llm_session
    from workspace.pytest_run import run_pytest

    with cli_errors():
        repo, command, box = _open_workspace(fmt, cmd, sandbox)
        try:
            tree = repo.text_files([], {})
            tests = run_pytest(box, tree, command)
            if not tests.ok:
                targets = fix_targets(repo, files or [], tests, tree, commit_first=commit_first, notify=_say)
                with llm_session(model, base_url, port=port) as llm:
                    streamer = LLMStreamer(llm)
                    ctx = EditContext(repo, targets, lambda m: "".join(streamer.stream(m, max_tokens=1536)), box,
                                      command, _say, max_repairs=max_repairs)
                    outcome = run_fix(ctx, tests)
                tests = outcome.tests or tests
                if outcome.commit:
                    _say(f"fixed {', '.join(outcome.applied)}: commit {outcome.commit} (git revert or reset to undo)")
        finally:
            box.close()
    emit(from_pytest(tests.failures, set(tree)), fmt)
    _say(f"tests: {tests.status}")
    raise typer.Exit(0 if tests.ok else 1)


def implement(
    file: Path = typer.Argument(..., help="The Python file."),
    line: int = typer.Option(..., "--line", min=1, help="A line inside the function to implement (1-based)."),
    fmt: OutputFormat = typer.Option("text", "--format", help=FORMAT_HELP),
    max_repairs: int = typer.Option(2, "--max-repairs", min=0, max=10, help="Repair attempts."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
) -> None:
    """Write the body of the function at --line in place, tested against its docstring's
    examples; the rest of the file stays byte-for-byte. Leaves a git commit (clean file in
    a repository) or a FILE.bak backup."""
    from agents.edit.implement import find_target, implement_target
    from sandbox import make_sandbox
    from serving.session import llm_session

    with cli_errors():
        check_format(fmt)
        target = find_target(file, line)
        box = make_sandbox(sandbox)
        try:
            with llm_session(model, base_url, port=port) as llm:
                result, kept = implement_target(target, llm, box, max_repairs)
        finally:
            box.close()
    func = target.func
    _say(f"implemented {func.name} in {file}: visible tests {result.verdict}; {kept}")
    where = _shown_path(file)
    problems = [] if result.verdict in ("passed", "untested") else [
        Problem(where, func.lineno, f"{func.name}: visible tests {result.verdict} "
                f"({result.tests_failed} failed): {_first_line(result.feedback)}")]
    emit(problems, fmt)
    raise typer.Exit(0 if not problems else 1)


def _shown_path(path: Path) -> str:
    """Workspace-relative when inside the current directory, else absolute."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    failing = [line for line in lines if line.startswith(("FAILED", "ERROR", "TIMEOUT"))]
    return (failing or lines or ["failed"])[0][:200]


def problem_location(fmt: str, at: str | None, task_file: Path | None) -> tuple[str, int] | None:
    """Where `solve --format vscode|github` puts its problems: --at FILE:LINE, else the task
    file's first line. None for text output; refused when there is nowhere to point."""
    check_format(fmt)
    if at:
        path, _, line = at.rpartition(":")
        if not path or not line.isdigit() or int(line) < 1:
            fail(f"--at must be FILE:LINE (a 1-based line), got {at!r}")
        return _shown_path(Path(path)), int(line)
    if fmt == "text":
        return None
    if task_file is None:
        fail(f"--format {fmt} needs a place for its problems: --at FILE:LINE or --file F")
    return _shown_path(task_file), 1


def solve_problems(result, check: dict | None, location: tuple[str, int]) -> list[Problem]:
    """`solve`'s verdicts as problems at `location`: failing visible tests, a failed
    benchmark check, an exhausted budget."""
    path, line = location
    problems = []
    if result.verdict not in ("passed", "untested"):
        problems.append(Problem(path, line, f"visible tests {result.verdict}: {result.tests_passed} passed, "
                                            f"{result.tests_failed} failed: {_first_line(result.feedback)}"))
    if check is not None and not check["passed"]:
        problems.append(Problem(path, line, f"benchmark check failed ({check['status']}): {check['detail']}"))
    if result.verdict == "untested":
        problems.append(Problem(path, line, "no visible tests (asserts or >>> examples): the code is unchecked",
                                "warning"))
    return problems
