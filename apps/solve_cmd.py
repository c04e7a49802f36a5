"""`codeloop solve`: one task through the agent graph, with a human or JSON report."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text

from agents.solver import SolveResult, solve_task
from agents.state import SolveConfig
from agents.task import Task, task_from_problem, task_from_text
from apps.errors import cli_errors, fail
from apps.options import (BaseUrlOption, CandidatesOption, ConfirmSamplesOption, ExploreSamplesOption, GenTestsOption,
                          LlmOption, MaxCallsOption, MaxRepairsOption, ModelOption, OutputFormat, PortOption,
                          RepairSamplesOption, RetrievalOption, SampleTemperatureOption, SandboxOption,
                          pipeline_overrides, resolved)
from apps.workspace_cmd import emit, problem_location, solve_problems
from eval.problems import Problem, get_problem
from eval.taskfile import MAX_TASK_CHARS, check_task_size
from sandbox.base import Sandbox
from serving.session import llm_session


def load_task(text: str | None, file: Path | None, problem_ref: str | None) -> tuple[Task, Problem | None]:
    """Exactly one of TEXT, --file, --problem names the task (a text or file of at most
    `MAX_TASK_CHARS`: a task is untrusted input, see eval/taskfile.py)."""
    given = [x for x in (text, file, problem_ref) if x is not None]
    if len(given) != 1:
        fail("give exactly one of TEXT, --file F or --problem BENCH:ID")
    if problem_ref is not None:
        problem = get_problem(problem_ref)
        return task_from_problem(problem), problem
    if file is not None:
        if not file.is_file():
            fail(f"task file not found: {file}")
        if file.stat().st_size > 4 * MAX_TASK_CHARS:  # UTF-8 has at most 4 bytes a character: not read whole
            fail(f"{file} is {file.stat().st_size:,} bytes; a task may have at most {MAX_TASK_CHARS:,} characters")
        text = check_task_size(file.read_text(encoding="utf-8"), str(file))
        return task_from_text(text, source=str(file)), None
    return task_from_text(check_task_size(text or "", "the task text")), None


def benchmark_check(problem: Problem, code: str, sandbox: Sandbox) -> dict:
    """The benchmark's own (hidden) check of the final code: the same `Evaluator`, limits
    and check fields (passed, base, plus, status, detail) as `batch` and `eval`."""
    from eval.evaluate import Evaluator

    return Evaluator(sandbox).check(problem, code)


def _check_line(check: dict) -> str:
    plus = "" if check["plus"] is None else f", base tests {'passed' if check['base'] else 'failed'}"
    why = f" — {escape(check['detail'])}" if check["detail"] else ""
    return f"benchmark check: [bold]{'passed' if check['passed'] else 'failed'}[/bold] ({check['status']}{plus}){why}"


def first_token_note(event: dict) -> str:
    """"; first token 0.31 s" for a node whose model calls were streamed, else ""."""
    return f"; first token {event['first_token_s']:.2f} s" if event.get("first_token_s") is not None else ""


def trace_line(event: dict) -> str:
    """One readable line for a graph event (what an agent did and why)."""
    return _trace_line(event) + first_token_note(event)


def _trace_line(event: dict) -> str:
    agent = event.get("agent", "?")
    if agent == "coder":
        return f"coder: {event['samples']} candidate(s) from one prompt ({event['distinct']} distinct)"
    if agent == "sampler":
        return (f"sampler: {event['why']} → {event['samples']} more samples "
                f"({event.get('distinct', 0)} new, {event.get('repeats', 0)} repeats)")
    if agent == "tester":
        line = f"tester: candidate {event['candidate']} {event['verdict']} ({event['passed']} passed, {event['failed']} failed)"
        return line + (f" — {event['why'].splitlines()[-1][:100]}" if event.get("why") else "")
    if agent == "selector":
        detail = event.get("why") or f"score {event.get('score', 0)}"
        return (f"selector: chose candidate {event['chosen']} of {event['candidates']} "
                f"(filter {event.get('filter', '?')}; {detail}){'; stop: ' + event['stop'] if event.get('stop') else ''}")
    if agent == "repair":
        return f"repair: round {event['attempt']}, {event.get('distinct', 0)} new fix(es){' (stuck)' if event['stuck'] else ''}"
    return f"{agent}: " + ", ".join(f"{k}={v}" for k, v in event.items() if k != "agent")


class LiveTrace:
    """What the agents do, as they do it: one plain line per event under the "trace" rule (the
    same lines as the report's trace), plus, on a TTY, a spinner saying what is under way
    and, under it, the tail of the text the model is writing as its tokens arrive."""

    TAIL_LINES = 12  # of the streamed text shown under the spinner

    def __init__(self, console: Console, show: bool = True) -> None:
        self.console, self.show = console, show
        self.status = None
        self.started = time.perf_counter()
        self.doing = ""
        self.writing = ""  # the streamed text of the model call under way
        self.writer = ""  # the agent making it

    def start(self, doing: str = "starting the model server") -> None:
        """The trace rule, and the spinner on a TTY."""
        if not self.show:
            return
        self.console.rule("trace")
        if self.console.is_terminal:
            self.status = self.console.status("")
            self.status.start()
        self.phase(doing)

    def phase(self, doing: str) -> None:
        """Say what is under way now (the spinner's text)."""
        self.doing = doing
        self._refresh()

    def token(self, chunk: dict) -> None:
        """One token event of `solve_task(on_token=...)`: a model call starts, a text delta
        arrives, or the call ends (the streamed text then leaves the screen: the trace line
        and the code report follow)."""
        if chunk.get("call") == "start":
            self.writer, self.writing = chunk.get("agent", "model"), ""
        elif chunk.get("call") == "end":
            self.writer, self.writing = "", ""
        else:
            self.writing += chunk.get("delta", "")
        self._refresh()

    def _refresh(self) -> None:
        if self.status is None:
            return
        elapsed = f"({time.perf_counter() - self.started:.0f} s)"
        if not self.writer:
            self.status.update(f"{self.doing} {elapsed}")
            return
        tail = self.writing.splitlines()[-self.TAIL_LINES:] if self.writing else []
        text = Text(f"{self.writer} is writing {elapsed}", style="bold")
        for line in tail:
            text.append("\n" + line[: max(20, self.console.width - 6)], style="dim")
        self.status.update(text)

    def event(self, event: dict) -> None:
        """One graph event: its trace line now (the `on_event` of `solve_task`)."""
        if not self.show:
            return
        self.console.print(trace_line(event), markup=False, highlight=False)
        self.phase(self.doing)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def print_code(console: Console, code: str) -> None:
    """The code as it is: highlighted and left to the terminal to soft-wrap on a TTY (nothing
    cropped, copying gives the original lines), byte for byte when piped or redirected."""
    if console.is_terminal:
        console.print(Syntax(code, "python", theme="ansi_dark"), soft_wrap=True)
    else:
        console.file.write(code if code.endswith("\n") else code + "\n")
        console.file.flush()


def print_report(console: Console, result: SolveResult, check: dict | None, sandbox: str = "",
                 trace: bool = True) -> None:
    """The human report; `trace=False` when the trace was already shown live (or hidden)."""
    if trace:
        console.rule("trace")
        for event in result.events:
            console.print(trace_line(event), markup=False, highlight=False)
    console.rule("code")
    print_code(console, result.code or "# (no code)")
    console.rule("verdict")
    tests = f"{result.tests_passed} passed, {result.tests_failed} failed"
    console.print(f"visible tests: [bold]{result.verdict}[/bold] ({tests}); repair attempts: {result.attempts}")
    if result.stuck:
        console.print("stopped early: repair reproduced a candidate or a failure already seen")
    if result.gen_tests:
        console.print(f"generated tests: {result.gen_passed}/{len(result.gen_tests)} passed; "
                      f"{result.candidates} candidates tested")
    if result.stop.startswith("budget:"):
        console.print(f"stopped: the {result.stop.split(':', 1)[1]} budget was spent")
    if check is not None:
        console.print(_check_line(check), highlight=False)
    if sandbox:
        console.print(f"sandbox: {sandbox}", markup=False, highlight=False)
    if result.verdict not in ("passed", "untested") and result.feedback:
        console.print(result.feedback[-1500:], markup=False, highlight=False)
    t = result.totals
    console.print(
        f"usage: {t['calls']} LLM calls, {t['prompt_tokens']} prompt + {t['completion_tokens']} completion tokens "
        f"({t['cached_tokens']} cached), {result.seconds:.1f} s{first_token_summary(result.usage)}"
    )


def first_token_summary(usage: dict) -> str:
    """"; first token after 0.31 s (mean of 3 streamed calls)" when calls were streamed."""
    streamed = sum(stats.get("streamed", 0) for stats in usage.values())
    if not streamed:
        return ""
    mean = sum(stats.get("first_token_s", 0.0) for stats in usage.values()) / streamed
    return f"; first token after {mean:.2f} s (mean of {streamed} streamed call{'s' if streamed > 1 else ''})"


def write_code(path: Path, code: str) -> None:
    """`--out`: the final code to `path` (a one-line error when it cannot be written)."""
    try:
        path.write_text(code if code.endswith("\n") or not code else code + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    print(f"wrote the code to {path}", file=sys.stderr)


def solve(
    ctx: typer.Context,
    text: str = typer.Argument(None, help="The task, in words (may include asserts or >>> examples)."),
    file: Path = typer.Option(None, "--file", "-f", help="Read the task from a file."),
    problem: str = typer.Option(None, "--problem", "-p", help="A benchmark problem, e.g. humaneval:HumanEval/0."),
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    llm_spec: LlmOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
    max_repairs: MaxRepairsOption = None,
    candidates: CandidatesOption = None,
    gen_tests: GenTestsOption = None,
    max_calls: MaxCallsOption = None,
    confirm_samples: ConfirmSamplesOption = None,
    explore_samples: ExploreSamplesOption = None,
    sample_temperature: SampleTemperatureOption = None,
    repair_samples: RepairSamplesOption = None,
    retrieval: RetrievalOption = "none",
    index: str = typer.Option(None, "--index", help="Also search this index (built by `codeloop index PATH --name N`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not show what the agents do while they work."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the final code to this file."),
    fmt: OutputFormat = typer.Option("text", "--format", help="text | vscode | github: verdicts as editor/CI problem lines."),
    at: str = typer.Option(None, "--at", help="FILE:LINE the task came from (where --format puts problems)."),
) -> None:
    """Solve one task: write code, test it in the sandbox, repair it from real failures."""
    from retrieval.api import retriever_for
    from sandbox import make_sandbox

    with cli_errors():
        task, bench_problem = load_task(text, file, problem)
        location = problem_location(fmt, at, file)
        # a benchmark problem's own split stays out of the example pool (leakage guard)
        retriever = retriever_for(retrieval, bench_problem.benchmark if bench_problem else None, repo=index)
        box = make_sandbox(sandbox)
        console = Console()
        live = LiveTrace(console, show=fmt == "text" and not as_json and not quiet)
        try:
            live.start()
            with llm_session(model, base_url, port=port, llm=llm_spec) as llm:
                live.phase("the agents are working")
                # each pipeline knob: its flag, else the resolved settings (CODELOOP_*, config files)
                config = SolveConfig.from_settings(resolved(ctx), **pipeline_overrides(
                    ctx, max_repairs=max_repairs, candidates=candidates, gen_tests=gen_tests, max_calls=max_calls,
                    confirm_samples=confirm_samples, explore_samples=explore_samples,
                    sample_temperature=sample_temperature, repair_samples=repair_samples))
                # tokens stream only while someone watches (--json and --quiet make plain requests)
                result = solve_task(task, llm, box, config, retriever=retriever, on_event=live.event,
                                    on_token=live.token if live.show else None)
            if bench_problem:
                live.phase("the benchmark's own check")
            check = benchmark_check(bench_problem, result.code, box) if bench_problem else None
        finally:
            live.stop()
            box.close()
    if out is not None:
        write_code(out, result.code)
    if fmt != "text":
        print(result.code)
        emit(solve_problems(result, check, location), fmt)
    elif as_json:
        print(json.dumps(result.to_dict() | {"benchmark_check": check, "task": task.source}, indent=2))
    else:
        print_report(console, result, check, getattr(box, "selection", box.name), trace=False)
    ok = check["passed"] if check is not None else result.verdict in ("passed", "untested")
    raise typer.Exit(0 if ok else 1)
