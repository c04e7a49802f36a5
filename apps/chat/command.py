"""`codeloop chat`: the terminal pair programmer, wired from the session's parts."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer
from rich.console import Console

from apps.errors import cli_errors
from apps.options import BaseUrlOption, LlmOption, ModelOption, PortOption, SandboxOption


def chat(
    files: list[str] = typer.Argument(None, help="Files to add to the chat at the start."),
    resume: bool = typer.Option(False, "--continue", "-c", help="Resume the last conversation of this repository."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    llm_spec: LlmOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
    test_cmd: str = typer.Option(None, "--test-cmd", help="Test command run in the sandbox (default: pytest)."),
    max_repairs: int = typer.Option(3, "--max-repairs", min=0, max=10, help="Fix rounds after failing tests."),
    no_stream: bool = typer.Option(False, "--no-stream", help="Print replies whole instead of streaming them."),
    index: str = typer.Option(None, "--index", help="An index (`codeloop index`) that /ask quotes from."),
    n_ctx: int = typer.Option(4096, "--ctx", min=512, help="The model's context size (for /tokens)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Run /run commands without asking."),
) -> None:
    """Pair-program in this git repository: /add files, describe a change; codeloop writes
    whole files, tests them in the sandbox, repairs, and commits each accepted change."""
    from apps.chat.chat import Chat, ChatConfig
    from apps.chat.history import ChatHistory
    from apps.chat.repl import interactive_loop, plain_loop
    from apps.chat.stream import HTTPStreamer, LLMStreamer
    from apps.chat.ui import ConsoleUI
    from retrieval.api import retriever_for
    from sandbox import make_sandbox
    from serving.session import llm_session
    from serving.tokens import token_counter
    from workspace.pytest_run import parse_command
    from workspace.repo import UserRepo

    with cli_errors():
        repo = UserRepo.find(Path.cwd())
        config = ChatConfig(parse_command(test_cmd), n_ctx=n_ctx, max_repairs=max_repairs, assume_yes=yes)
        retriever = retriever_for("none", repo=index) if index else None
        history = ChatHistory(repo.state_dir())  # refuses a linked or tracked .codeloop/
        messages, saved = history.load() if resume else ([], [])
        added, refused = repo.usable(saved)  # the log is untrusted: its paths are confined again
        box = make_sandbox(sandbox)
        try:
            with llm_session(model, base_url, port=port, n_ctx=n_ctx, llm=llm_spec) as llm:
                # a LangChain model has no server URL to stream from: its whole answers are chunked
                streamer = (LLMStreamer(llm) if no_stream or llm_spec  # revive: a server that died is restarted
                            else HTTPStreamer(llm.base_url, llm.model, revive=getattr(llm, "revive", None)))
                ui = ConsoleUI(Console(highlight=False), stream=not no_stream)
                session = Chat(repo, streamer, box, ui, history, config, retriever, added=added, messages=messages)
                if getattr(llm, "base_url", None):  # /tokens counts with the server's own tokenizer
                    session.counter = token_counter(llm.base_url, model)  # model: its GGUF tokenizer if no /tokenize
                history.start(resumed=resume)
                ui.info(f"codeloop chat in {repo.root} — model {llm.model}, sandbox {box.name}; /help for commands")
                if resume:
                    ui.info(f"resumed: {len(messages)} messages, files: {', '.join(added) or '(none)'}")
                for line in refused:
                    ui.warn(line)
                if files:
                    session.handle("/add " + shlex.join(files))
                interactive = sys.stdin.isatty() and sys.stdout.isatty()
                interactive_loop(session, repo.state_file("input.history")) if interactive else plain_loop(session)
        finally:
            box.close()
