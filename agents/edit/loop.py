"""The chat/fix edit loop. A change request, start to end: whole-file edits from the model, the repository's tests
in the sandbox after each edit, up to `max_repairs` fix rounds from the real failures, then
the files written into the working tree and committed as one git commit.

Nothing touches the working tree before the loop ends: candidate files are tested in the
sandbox over a copy, so a cancelled or failed turn leaves the user's files as they were.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from agents.edit.prompting import change_messages, fix_messages
from sandbox.base import Sandbox
from serving.base import Message
from workspace.edits import check_edits, parse_edits
from workspace.pytest_run import TestRun, run_pytest
from workspace.repo import RepoError, UserRepo

Ask = Callable[[list[Message]], str]  # messages -> the reply text (streamed to the user)


@dataclass
class EditContext:
    """What a change request needs; `ask` and `notify` are the UI's side."""

    repo: UserRepo
    added: list[str]
    ask: Ask
    sandbox: Sandbox
    test_command: list[str]
    notify: Callable[[str], None]
    history: list[Message] = field(default_factory=list)
    max_repairs: int = 3


@dataclass
class ChangeOutcome:
    """What one change request did."""

    applied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    tests: TestRun | None = None
    repairs: int = 0
    commit: str = ""
    replies: list[str] = field(default_factory=list)


def refuse_dirty(repo: UserRepo, paths: list[str]) -> None:
    """Refuse when a file codeloop may write has changes of the user's own."""
    dirty = repo.dirty(paths) if paths else []
    if dirty:
        raise RepoError(f"{', '.join(dirty)}: uncommitted changes of yours would be overwritten; "
                        "/commit them first (or discard them)")


def proposed(ctx: EditContext, reply: str, current: dict[str, str], outcome: ChangeOutcome) -> dict[str, str]:
    """The files a reply rewrites (changed ones only); refusals go to `outcome.refused`."""
    default = ctx.added[0] if len(ctx.added) == 1 else ""
    accepted, refused = check_edits(ctx.repo, parse_edits(reply, default), ctx.added)
    outcome.refused += refused
    for line in refused:
        ctx.notify(line)
    return {e.path: e.text for e in accepted if current.get(e.path) != e.text}


def run_change(ctx: EditContext, request: str) -> ChangeOutcome:
    """Carry out `request` on the added files; see the module docstring."""
    if not ctx.added:
        raise RepoError("no files in the chat: /add the files to change first")
    refuse_dirty(ctx.repo, ctx.added)
    originals = {rel: ctx.repo.read(rel) for rel in ctx.added}
    current = dict(originals)
    outcome = ChangeOutcome()
    reply = ctx.ask(change_messages(ctx.history, current, request))
    outcome.replies.append(reply)
    changes = proposed(ctx, reply, current, outcome)
    while changes:
        current |= changes
        ctx.notify(f"testing {', '.join(sorted(changes))} in the sandbox: {shlex.join(ctx.test_command)}")
        overrides = {p: t for p, t in current.items() if t != originals[p]}
        outcome.tests = run_pytest(ctx.sandbox, ctx.repo.text_files(ctx.added, overrides), ctx.test_command)
        ctx.notify(f"tests: {outcome.tests.status}")
        if outcome.tests.ok or outcome.repairs >= ctx.max_repairs:
            break
        outcome.repairs += 1
        ctx.notify(f"repair round {outcome.repairs} of {ctx.max_repairs}")
        reply = ctx.ask(fix_messages(ctx.history, current, shlex.join(ctx.test_command), outcome.tests.report))
        outcome.replies.append(reply)
        changes = proposed(ctx, reply, current, outcome)
    outcome.applied = sorted(p for p in current if current[p] != originals[p])
    if outcome.applied:
        outcome.commit = apply(ctx.repo, {p: current[p] for p in outcome.applied}, request, outcome.tests)
    return outcome


def apply(repo: UserRepo, files: dict[str, str], request: str, tests: TestRun | None) -> str:
    """Write `files` into the working tree and commit them as codeloop's; returns the id."""
    for rel, text in files.items():
        repo.write(rel, text)
    subject = " ".join(request.split())[:60] or "edit"
    note = "" if tests is None or tests.ok else f" (tests {tests.status})"
    return repo.commit(sorted(files), f"codeloop: {subject}{note}", ours=True)
