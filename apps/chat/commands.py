"""The chat's /commands. `dispatch` matches a unique prefix (`/a` is /add while no other
command starts with "a"); each handler takes the chat and the rest of the line."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from agents.edit.fix import fix_request
from agents.edit.prompting import ask_messages, files_section, layout
from retrieval.context import format_context
from sandbox.base import Limits
from workspace.pytest_run import parse_command, run_pytest
from workspace.repo import RepoError

_RUN_OUTPUT_CHARS = 3000  # of a /run's output kept in the conversation


def _files(args: str) -> list[str]:
    try:
        names = shlex.split(args)
    except ValueError as exc:
        raise RepoError(f"cannot parse the file names: {exc}") from exc
    if not names:
        raise RepoError("name at least one file")
    return names


def cmd_add(chat, args: str) -> None:
    """/add FILE…  let codeloop edit these files (a new path is created on the first edit)."""
    for name in _files(args):
        rel = chat.repo.relpath(name)
        chat.repo.read(rel)  # refuses directories, binaries and oversized files
        if rel in chat.added:
            chat.ui.info(f"{rel} is already in the chat")
            continue
        chat.added.append(rel)
        exists = chat.repo.exists(rel)
        chat.ui.info(f"added {rel}" + ("" if exists else " (new file: created on the first edit)"))
    chat.history.files(chat.added)


def cmd_drop(chat, args: str) -> None:
    """/drop [FILE…]  take files out of the chat (all of them without arguments)."""
    names = _files(args) if args.strip() else list(chat.added)
    for name in names:
        rel = chat.repo.relpath(name)
        if rel not in chat.added:
            raise RepoError(f"{rel} is not in the chat")
        chat.added.remove(rel)
        chat.ui.info(f"dropped {rel}")
    chat.history.files(chat.added)


def cmd_ls(chat, args: str) -> None:
    """/ls  the files in the chat, then the repository's other files."""
    others = [f for f in chat.repo.tracked() if f not in chat.added]
    lines = ["in the chat:", *(f"  {f}" for f in chat.added or ["(none)"]), "other files:", *(f"  {f}" for f in others)]
    chat.ui.show("\n".join(lines))


def cmd_ask(chat, args: str) -> None:
    """/ask QUESTION  answer about the code without editing (quotes the --index if given)."""
    if not args.strip():
        raise RepoError("/ask needs a question")
    context = format_context(chat.retriever.search(args, 4), max_chars=2000) if chat.retriever else ""
    files = {rel: chat.repo.read(rel) for rel in chat.added}
    reply = chat.ask(ask_messages(chat.messages, files, args, context))
    chat.remember("user", f"/ask {args}")
    chat.remember("assistant", reply)


def cmd_test(chat, args: str) -> None:
    """/test [CMD]  run the tests in the sandbox (CMD becomes the test command); failures go
    back to the model as a change request."""
    if args.strip():
        chat.config.test_command = parse_command(args)
    command = chat.config.test_command
    chat.ui.info(f"running {shlex.join(command)} in the sandbox ({chat.sandbox.name})")
    tests = run_pytest(chat.sandbox, chat.repo.text_files(chat.added, {}), command)
    chat.last_tests = tests
    chat.ui.show(tests.report)
    chat.history.note(f"/test: {tests.status}\n{tests.report[-1500:]}")
    if tests.ok:
        chat.ui.info(f"tests: {tests.status}")
    elif not chat.added:
        chat.ui.warn(f"tests: {tests.status}; /add the files to fix, then /test again")
    else:
        chat.change(fix_request(tests))


def cmd_run(chat, args: str) -> None:
    """/run CMD  run a command in the sandbox over the repository (asks first); its output
    joins the conversation."""
    command = shlex.split(args) if args.strip() else []
    if not command:
        raise RepoError("/run needs a command")
    if not (chat.config.assume_yes or chat.ui.confirm(f"run `{shlex.join(command)}` in the sandbox?")):
        chat.ui.info("not run")
        return
    limits = Limits(timeout_s=60, max_output_bytes=128 * 1024)
    result = chat.sandbox.run(chat.repo.text_files(chat.added, {}), command, limits)
    output = (result.stdout + result.stderr).strip()
    chat.ui.show(output or "(no output)")
    chat.ui.info(f"exit code {result.exit_code}" + (" (timed out)" if result.timed_out else ""))
    chat.remember("user", f"I ran `{shlex.join(command)}` (exit code {result.exit_code}):\n"
                          f"{output[-_RUN_OUTPUT_CHARS:]}")
    chat.remember("assistant", "Noted.")


def cmd_diff(chat, args: str) -> None:
    """/diff  the last codeloop commit (or your uncommitted changes when HEAD is yours)."""
    diff = chat.repo.last_diff()
    chat.ui.show(diff or "(no changes)", "diff")


def cmd_undo(chat, args: str) -> None:
    """/undo  revert the last commit codeloop made (refused when the tree is dirty)."""
    subject = chat.repo.undo()
    chat.ui.info(f"reverted: {subject}")
    chat.history.note(f"/undo: reverted {subject}")


def cmd_commit(chat, args: str) -> None:
    """/commit [MESSAGE]  commit your own changes (tracked files, and files in the chat)."""
    paths = sorted(set(chat.repo.dirty_tracked()) | set(chat.repo.dirty(chat.added) if chat.added else []))
    if not paths:
        chat.ui.info("nothing to commit")
        return
    commit = chat.repo.commit(paths, args.strip() or "your changes, committed from codeloop chat", ours=False)
    chat.ui.info(f"committed {', '.join(paths)} as {commit}")


def cmd_tokens(chat, args: str) -> None:
    """/tokens  context use: system prompt, history, each file (the server's tokenizer where
    it has one, else an estimate from characters)."""
    count = chat.counter.count
    rows = [("system prompt", count(layout([], "")[0]["content"])),
            ("history", sum(count(m["content"]) for m in layout(chat.messages, "")[1:]))]
    rows += [(rel, count(files_section({rel: chat.repo.read(rel)}))) for rel in chat.added]
    total = sum(n for _, n in rows)
    lines = [f"{n:>7,}  {name}" for name, n in rows] + [f"{total:>7,}  total of {chat.config.n_ctx:,} context tokens"]
    chat.ui.show("\n".join(lines))
    if total > chat.config.n_ctx // 2:
        chat.ui.warn("over half the context is used: the reply may be cut off; /drop files or /clear the history")


def cmd_clear(chat, args: str) -> None:
    """/clear  forget the conversation (the files stay in the chat)."""
    chat.messages.clear()
    chat.history.record({"type": "clear"})
    chat.history.files(chat.added)
    chat.ui.info("conversation cleared")


def cmd_help(chat, args: str) -> None:
    """/help  this list."""
    lines = [(handler.__doc__ or "").splitlines()[0] for handler in COMMANDS.values()]
    chat.ui.show("\n".join(lines + ["Anything else is a change request for the files in the chat."]))


def cmd_exit(chat, args: str) -> bool:
    """/exit  leave (the conversation is saved; `codeloop chat --continue` resumes it)."""
    return False


COMMANDS: dict[str, Callable] = {
    "add": cmd_add, "drop": cmd_drop, "ls": cmd_ls, "ask": cmd_ask, "test": cmd_test, "run": cmd_run,
    "diff": cmd_diff, "undo": cmd_undo, "commit": cmd_commit, "tokens": cmd_tokens, "clear": cmd_clear,
    "help": cmd_help, "exit": cmd_exit,
}


def match(word: str) -> str:
    """The command a (prefix of a) name means; refuses unknown and ambiguous prefixes."""
    if word in COMMANDS:
        return word
    hits = [name for name in COMMANDS if name.startswith(word)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise RepoError(f"unknown command /{word} (/help lists them)")
    raise RepoError(f"/{word} is ambiguous: {', '.join('/' + h for h in hits)}")


def dispatch(chat, line: str) -> bool:
    """Run the /command on `line`; False when the chat should end."""
    word, _, args = line[1:].partition(" ")
    return COMMANDS[match(word.strip())](chat, args.strip()) is not False
