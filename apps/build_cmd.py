"""`codeloop build SPEC --out DIR`: an L2MAC-style multi-file build, resumable.

Progress goes to stderr as it happens; the requirement → instruction → files/tests table
(or JSON) to stdout at the end. Exit 0 only when the project's full suite is green.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.errors import cli_errors, fail
from apps.options import BaseUrlOption, ModelOption, PortOption, SandboxOption


def open_llm(model: str | None, base_url: str | None, port: int, n_ctx: int):
    """The LLM context manager (tests replace this with one yielding a FakeLLM)."""
    from serving.session import llm_session

    return llm_session(model, base_url, port=port, n_ctx=n_ctx)


def token_counter(llm):
    """The one token counter (serving/tokens.py) when the LLM talks to a server: its tokenizer,
    else the served model's GGUF tokenizer, else a character estimate; without a server, the estimate."""
    from serving.tokens import CharCounter
    from serving.tokens import token_counter as server_counter

    base_url = getattr(llm, "base_url", None)
    return server_counter(base_url, getattr(llm, "model", None)) if isinstance(base_url, str) else CharCounter()


@contextlib.contextmanager
def build_errors() -> Iterator[None]:
    """The build's own domain errors as one-line errors (exit code 2), like apps.errors'."""
    from memory.context_budget import ContextOverflow
    from workspace.git import GitError

    with cli_errors():
        try:
            yield
        except GitError as exc:
            fail(str(exc))
        except ContextOverflow as exc:
            fail(f"{exc} (raise --n-ctx or shorten the spec); finished steps are kept")


def progress_line(event: dict) -> str:
    """One human line per graph event."""
    facts = ", ".join(f"{k}={v}" for k, v in event.items() if k != "agent" and v not in ("", [], None))
    return f"[dim]{event.get('agent', '?')}[/dim] {escape(facts)}"


def print_table(console: Console, result) -> None:
    table = Table(title="requirements → instructions → files / tests", show_lines=False)
    for column in ("req", "requirement", "instructions", "files", "tests"):
        table.add_column(column, overflow="fold")
    for row in result.table():
        table.add_row(row["requirement"], row["text"][:60], " ".join(row["instructions"]),
                      "\n".join(row["files"]), " ".join(row["tests"]))
    console.print(table)
    final = result.registry.final
    t = result.totals()
    console.print(f"full suite: [bold]{final.get('verdict', 'not run')}[/bold] {final.get('tests', {})} "
                  f"after {final.get('rounds', 0)} repair round(s)")
    console.print(f"usage: {t['calls']} LLM calls, {t['prompt_tokens']} prompt + {t['completion_tokens']} "
                  f"completion tokens, {result.seconds:.1f} s")


def build(
    spec: Path = typer.Argument(..., help="The specification: a text file with numbered requirements."),
    out: Path = typer.Option(..., "--out", "-o", help="The project directory (a git repository; created if missing)."),
    program: Path = typer.Option(None, "--program", help="Hand-written instructions: `1. text (covers: R1, R2)` per line."),
    replan: bool = typer.Option(False, "--replan", help="Plan again (needed when the spec changed)."),
    force: bool = typer.Option(False, "--force", help="Continue from a working tree that differs from the last step's commit."),
    from_step: int = typer.Option(0, "--from-step", min=0, help="Redo instructions from this one on."),
    no_resume: bool = typer.Option(False, "--no-resume", help="Start over even if DIR holds a build."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
    max_steps: int = typer.Option(6, "--max-steps", min=1, max=30, help="Most instructions the planner may write."),
    max_repairs: int = typer.Option(2, "--max-repairs", min=0, max=10, help="Repairs per instruction."),
    final_rounds: int = typer.Option(2, "--final-rounds", min=0, max=10, help="Repair rounds on the full suite."),
    n_ctx: int = typer.Option(4096, "--n-ctx", min=1024, help="The model's context window in tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Build a small multi-file program from SPEC into DIR, one instruction at a time (resumable)."""
    from agents.build.run import BuildOptions, run_build
    from agents.build.state import BuildConfig
    from sandbox import make_sandbox

    err = Console(stderr=True)
    options = BuildOptions(program=program, replan=replan, force=force, from_step=from_step, resume=not no_resume)
    config = BuildConfig(max_steps=max_steps, max_repairs=max_repairs, final_rounds=final_rounds, n_ctx=n_ctx)
    with build_errors():
        box = make_sandbox(sandbox)
        try:
            with open_llm(model, base_url, port, n_ctx) as llm:
                result = run_build(spec, out, llm, box, token_counter(llm), config, options,
                                   on_event=lambda e: err.print(progress_line(e), highlight=False))
        finally:
            box.close()
    if as_json:
        print(json.dumps({"green": result.green, "seconds": round(result.seconds, 1), "totals": result.totals(),
                          "table": result.table(), "registry": asdict(result.registry)}, indent=2))
    else:
        print_table(Console(), result)
    raise typer.Exit(0 if result.green else 1)


def bench_builder(llm, box, config):
    """`(spec, out) -> facts` for eval.build_bench: one `codeloop build`, errors recorded."""
    from agents.build.run import BuildOptions, run_build

    def build_one(spec: Path, out: Path) -> dict:
        try:
            result = run_build(spec, out, llm, box, token_counter(llm), config, BuildOptions())
        except (ValueError, RuntimeError, OSError) as exc:  # one spec's failure must not stop the bench
            return {"green": False, "error": f"{exc.__class__.__name__}: {exc}"}
        t, ins = result.totals(), result.registry.instructions
        return {"green": result.green, "tokens": t["prompt_tokens"] + t["completion_tokens"], "calls": t["calls"],
                "steps": len(ins), "steps_done": sum(i.status == "done" for i in ins),
                "restarts": sum(i.restarts for i in ins), "overflowed_steps": sum(i.restarts > 0 for i in ins)}

    return build_one


def build_bench(
    specs: Path = typer.Argument(None, help="Folder of specs (default: the shipped eval/specs)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder: one build per spec, results.jsonl, report.md."),
    only: list[str] = typer.Option(None, "--only", help="Only these spec folders (repeatable)."),
    redo: bool = typer.Option(False, "--redo", help="Score specs again even when results.jsonl has them."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
    max_repairs: int = typer.Option(2, "--max-repairs", min=0, max=10, help="Repairs per instruction."),
    final_rounds: int = typer.Option(2, "--final-rounds", min=0, max=10, help="Repair rounds on the full suite."),
    n_ctx: int = typer.Option(4096, "--n-ctx", min=1024, help="The model's context window in tokens."),
) -> None:
    """Build every spec and score it with its hidden acceptance tests (features %)."""
    from agents.build.state import BuildConfig
    from eval.build_bench import SPECS_DIR, bench, discover, markdown
    from sandbox import make_sandbox

    with build_errors():
        cases = discover(specs or SPECS_DIR, only or None)
        box = make_sandbox(sandbox)
        try:
            with open_llm(model, base_url, port, n_ctx) as llm:
                config = BuildConfig(max_repairs=max_repairs, final_rounds=final_rounds, n_ctx=n_ctx)
                rows = bench(cases, out, bench_builder(llm, box, config), box, redo=redo)
        finally:
            box.close()
    report = markdown(rows)
    (out / "report.md").write_text(report, encoding="utf-8")
    Console().print(report, markup=False, highlight=False)
