"""What enters each build prompt (the control unit's choice, L2MAC style).

A step starts from a fresh context: the spec overview, only the requirements the
instruction covers, the file index, the files the instruction names (whole or excerpted),
the previous step's summary — cut to the token budget by `memory.context_budget.compose`.
"""

from __future__ import annotations

from agents.build.parse import paths_in
from agents.build.state import BuildConfig, BuildMemory
from agents.prompts import load_prompt
from codetext.prompts import render_prompt
from memory.context_budget import Section, compose, messages_tokens
from memory.registry import Instruction
from serving.base import Message

# Cutting order (higher first): whole files, then the index, then the spec overview;
# the previous summary is short and goes last. 0 = never cut.
CUT_FILES, CUT_INDEX, CUT_SPEC, CUT_SUMMARY = 4, 3, 2, 1
EXCHANGE_REPORT_TOKENS = 800  # a repair request with its capped test report


def render(name: str, **values: str) -> str:
    """The build prompt `agents/build/prompts/<name>.md` with its placeholders filled."""
    return render_prompt("agents.build", name, **values)


def system_message() -> Message:
    """The system prompt every agent shares (one cached prefix for the solve and the build)."""
    return {"role": "system", "content": load_prompt("system").strip()}


def file_sections(memory: BuildMemory, paths: list[str]) -> list[Section]:
    """The named files as fenced sections (missing ones skipped)."""
    known = set(memory.store.list())
    return [Section(f"Current content of {p}", memory.store.read(p), CUT_FILES,
                    "python" if p.endswith(".py") else "") for p in paths if p in known]


def shared_sections(memory: BuildMemory, files: list[str]) -> list[Section]:
    """Spec overview, file index and the given files: what every build prompt carries."""
    index = "\n".join(e.render() for e in memory.store.index()) or "(no files yet)"
    return [Section("Project specification", memory.spec, CUT_SPEC),
            Section("Files in the project", index, CUT_INDEX),
            *file_sections(memory, files)]


def step_files(memory: BuildMemory, ins: Instruction, extra: str = "") -> list[str]:
    """The files an instruction's prompt shows whole: those it names or touched already,
    those its requirements or `extra` text (a failure report) mention; tests last."""
    known = memory.store.list()
    text = " ".join([ins.text, *memory.registry.requirement_texts(ins.covers), extra])
    chosen = list(dict.fromkeys([*ins.files_touched, *paths_in(text, known)]))
    return sorted(chosen, key=lambda p: (p.startswith("tests/"), p))


def allowance(memory: BuildMemory, config: BuildConfig, template_text: str, exchange_room: bool = False) -> int:
    """Prompt tokens left for the sections once the system prompt and the template are in;
    with `exchange_room`, room for one more answer and test report is kept when the
    context is large enough, so a repair does not overflow at once."""
    fixed = [system_message(), {"role": "user", "content": template_text}]
    left = config.budget.prompt_limit - messages_tokens(memory.counter, fixed)
    room = config.max_tokens + EXCHANGE_REPORT_TOKENS
    return left - room if exchange_room and left - room >= left // 2 else left


def step_messages(memory: BuildMemory, config: BuildConfig, ins: Instruction, *, progress: str = "",
                  report: str = "") -> tuple[list[Message], list[str]]:
    """A fresh context for instruction `ins`; returns the chat and the sections cut to fit.

    `progress` (a summary after an overflow restart) and `report` (the failure that is
    still open) are carried into the restarted step whole."""
    total = len(memory.registry.instructions)
    previous = [i.summary for i in memory.registry.instructions if i.id < ins.id and i.summary]
    sections = [
        *shared_sections(memory, step_files(memory, ins, report)),
        Section("Requirements for this step", "\n".join(memory.registry.requirement_texts(ins.covers))
                or "(setup step: no requirement of its own)"),
        Section("Previous step", previous[-1] if previous else "", CUT_SUMMARY),
        Section("Progress so far on this step (before a context restart)", progress),
        Section("Open failures", report[-1500:]),
    ]
    empty = render("coder", context="", step=str(ins.id), total=str(total), instruction=ins.text)
    context, cut = compose(memory.counter, sections, allowance(memory, config, empty, exchange_room=True))
    user = render("coder", context=context, step=str(ins.id), total=str(total), instruction=ins.text)
    return [system_message(), {"role": "user", "content": user}], cut


def final_messages(memory: BuildMemory, config: BuildConfig, report: str) -> tuple[list[Message], list[str]]:
    """A fresh context for a repair round on the full suite: the files the report names."""
    files = sorted(paths_in(report, memory.store.list()), key=lambda p: (p.startswith("tests/"), p))
    empty = render("final", context="", report=report)
    context, cut = compose(memory.counter, shared_sections(memory, files), allowance(memory, config, empty))
    return [system_message(), {"role": "user", "content": render("final", context=context, report=report)}], cut
