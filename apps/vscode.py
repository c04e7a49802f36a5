"""`codeloop init vscode`: a `.vscode/tasks.json` whose tasks run codeloop as processes
(no shell, so selected text is never re-quoted) with the problem matcher inline — a named
`$matcher` would only resolve to VS Code's built-ins or an extension's. The file is read and
written without following links (a repository may plant `.vscode/tasks.json` as one)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import typer

from apps.errors import cli_errors, fail
from apps.problems_format import RUN_FINISHED, RUN_STARTED, VSCODE_REGEXP
from workspace import files as safefs

init_app = typer.Typer(no_args_is_help=True, help="Set up editor integrations.")


def problem_matcher() -> dict:
    """The inline matcher for `--format vscode` output (apps/problems_format.py)."""
    return {
        "owner": "codeloop",
        "source": "codeloop",
        # paths are workspace-relative, or absolute for files outside it
        "fileLocation": ["autoDetect", "${workspaceFolder}"],
        "pattern": {"regexp": VSCODE_REGEXP, "file": 1, "line": 2, "column": 3, "severity": 4, "message": 5},
        "background": {"activeBegins": True, "beginsPattern": f"^{RUN_STARTED}$", "endsPattern": f"^{RUN_FINISHED}$"},
    }


def _task(label: str, command: str, args: list[str], detail: str) -> dict:
    return {
        "label": label,
        "detail": detail,
        "type": "process",
        "command": command,
        "args": args,
        "options": {"cwd": "${workspaceFolder}"},
        "problemMatcher": problem_matcher(),
        "presentation": {"reveal": "always", "panel": "dedicated", "clear": True},
    }


def codeloop_tasks(command: str) -> tuple[list[dict], list[dict]]:
    """codeloop's tasks and the inputs they prompt for."""
    tasks = [
        _task("codeloop: solve selection", command,
              ["solve", "--format", "vscode", "--at", "${file}:${lineNumber}", "--", "${selectedText}"],
              "Solve the selected task text; failing visible tests land at the selection."),
        _task("codeloop: implement function at cursor", command,
              ["implement", "${file}", "--line", "${lineNumber}", "--format", "vscode"],
              "Write the body of the function under the cursor in place (git commit or backup)."),
        _task("codeloop: fix failing tests", command, ["fix", "--format", "vscode"],
              "Run the tests in the sandbox, let the agents fix the code, report what still fails."),
        _task("codeloop: run tests", command, ["test", "--format", "vscode"],
              "Run the workspace's tests in the sandbox; failures land in the Problems panel."),
        _task("codeloop: build from spec", command, ["build", "${input:spec}", "--out", "${input:buildOut}"],
              "Build a small multi-file program from a specification file."),
    ]
    inputs = [
        {"id": "spec", "type": "promptString", "description": "Specification file for codeloop build",
         "default": "spec.md"},
        {"id": "buildOut", "type": "promptString", "description": "Directory codeloop build writes into",
         "default": "build"},
    ]
    return tasks, inputs


def merge(existing: dict, tasks: list[dict], inputs: list[dict]) -> dict:
    """`existing` with codeloop's tasks and inputs replacing those of the same label / id;
    everything else is kept in its order."""
    labels = {t["label"] for t in tasks}
    ids = {i["id"] for i in inputs}
    kept_tasks = [t for t in existing.get("tasks", []) if t.get("label") not in labels]
    kept_inputs = [i for i in existing.get("inputs", []) if i.get("id") not in ids]
    return existing | {"version": "2.0.0", "tasks": kept_tasks + tasks, "inputs": kept_inputs + inputs}


def default_command() -> str:
    """The codeloop executable the tasks run: the one running now (a venv's codeloop need not
    be on VS Code's PATH), else `codeloop`."""
    here = Path(sys.argv[0])
    if here.name == "codeloop" and here.exists():
        return str(here.resolve())
    return shutil.which("codeloop") or "codeloop"


@init_app.command("vscode")
def init_vscode(
    folder: Path = typer.Option(Path("."), "--dir", help="The workspace folder."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing tasks.json."),
    merge_tasks: bool = typer.Option(False, "--merge", help="Add codeloop's tasks to an existing tasks.json (by label)."),
    command: str = typer.Option(None, "--command", help="The codeloop executable the tasks run."),
) -> None:
    """Write .vscode/tasks.json with codeloop's tasks and an inline problem matcher."""
    with cli_errors():
        if not folder.is_dir():
            fail(f"workspace folder not found: {folder}")
        root, rel = folder.resolve(), ".vscode/tasks.json"
        path = folder / rel
        tasks, inputs = codeloop_tasks(command or default_command())
        data = {"version": "2.0.0", "tasks": tasks, "inputs": inputs}
        found = safefs.kind(root, rel)  # refuses a .vscode that is a link
        if found == "link":
            fail(f"{path} is a symlink; codeloop does not write through links (remove it first)")
        if found != "missing" and not force:
            if not merge_tasks:
                fail(f"{path} exists: --merge adds codeloop's tasks by label, --force overwrites it")
            try:
                existing = json.loads(safefs.read_text(root, rel, max_bytes=4 * 1024 * 1024) or "")
            except (ValueError, RecursionError):
                fail(f"{path} is not plain JSON (comments or trailing commas?): cannot merge; --force overwrites it")
            if not isinstance(existing, dict) or not isinstance(existing.get("tasks", []), list):
                fail(f"{path} has no tasks list: cannot merge; --force overwrites it")
            data = merge(existing, tasks, inputs)
        safefs.write_text(root, rel, json.dumps(data, indent=2) + "\n")  # temp file + rename: never through a link
    print(f"wrote {path} ({len(tasks)} codeloop tasks)")
