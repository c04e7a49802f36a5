"""The build graph's nodes: coder, tester, repair (with overflow restarts), finish, and the
final suite with its repair rounds. The planner is in agents/build/plan.py.

Each node updates the registry and saves it before returning, so the registry on disk is
never behind what the build has done.
"""

from __future__ import annotations

import time

from agents.build.checks import check_project
from agents.build.context import final_messages, render, step_messages, system_message
from agents.build.parse import parse_summary
from agents.build.state import BuildConfig, BuildMemory, BuildState
from agents.llm_call import timed_complete
from agents.usage import merge_usage, spent
from memory.context_budget import Budget, ContextOverflow, Section, compose, fit_exchanges, messages_tokens
from memory.files import FileStoreError
from memory.registry import Instruction
from sandbox.base import Sandbox
from serving.base import LLM, Message
from workspace.edits import parse_files


def apply_answer(memory: BuildMemory, ins: Instruction | None, text: str) -> list[str]:
    """Write the answer's files into the store; returns notes on what was refused.
    The registry learns each written path first, so an interrupted step can be undone."""
    files, notes = parse_files(text)
    for path, content in files.items():
        try:
            if ins is not None and path not in ins.files_touched:
                ins.files_touched.append(path)
                memory.save()
            memory.store.write(path, content)
        except FileStoreError as exc:
            notes.append(f"not written: {exc}")
    if not files:
        notes.append("the answer contained no file (one fenced block per file, `# file: path` first)")
    return notes


def ask(llm: LLM, config: BuildConfig, agent: str, chat: list[Message], ins: Instruction | None,
        max_tokens: int | None = None) -> tuple[str, dict]:
    """One model call charged to `agent` and to the instruction's tokens and seconds."""
    completion, update = timed_complete(llm, agent, chat, max_tokens=max_tokens or config.max_tokens,
                                        temperature=config.temperature)
    if ins is not None:
        ins.tokens += spent(update)["tokens"]
        ins.seconds = round(ins.seconds + update[agent]["seconds"], 3)
    return completion.texts[0], update


def make_coder(llm: LLM, memory: BuildMemory, config: BuildConfig):
    """Start the next open instruction from a fresh context and write its files."""

    def coder(state: BuildState) -> dict:
        ins = memory.registry.next_open()
        ins.status, ins.attempts = "running", ins.attempts + 1
        chat, cut = step_messages(memory, config, ins)
        memory.save()
        answer, usage = ask(llm, config, "coder", chat, ins)
        notes = apply_answer(memory, ins, answer)
        memory.save()
        return {"step": ins.id, "chat": chat + [{"role": "assistant", "content": answer}], "head": len(chat),
                "answer": answer, "report": "\n".join(notes), "usage": usage,
                "events": [{"agent": "coder", "step": ins.id, "cut": cut, "notes": notes}]}

    return coder


def make_tester(sandbox: Sandbox, memory: BuildMemory, config: BuildConfig):
    """Syntax check and the project's pytest in the sandbox after every write."""

    def tester(state: BuildState) -> dict:
        ins = memory.registry.get(state["step"])
        started = time.perf_counter()
        check = check_project(sandbox, memory.store.snapshot(), tests_due=bool(ins.covers),
                              timeout_s=config.test_timeout_s, memory_mb=config.test_memory_mb)
        ins.verdict, ins.tests = check.verdict, check.tests
        ins.seconds = round(ins.seconds + time.perf_counter() - started, 3)
        memory.save()
        report = "\n".join(x for x in (state.get("report", ""), check.report) if x).strip()
        return {"verdict": check.verdict, "report": report,
                "usage": {"tester": {"calls": 0, "seconds": check.seconds, "sandbox_s": check.seconds}},
                "events": [{"agent": "tester", "step": ins.id, "verdict": check.verdict, **check.tests}]}

    return tester


def summarise_and_restart(llm: LLM, memory: BuildMemory, config: BuildConfig, state: BuildState,
                          ins: Instruction) -> tuple[list[Message], dict, dict]:
    """The step's chat overflowed: drop its exchanges, ask for a progress summary from the
    instruction, the last answer and the open failure (cut to fit), and build a fresh
    context that carries the summary and the failure."""
    ins.restarts += 1
    sections = [Section("Instruction", ins.text), Section("Your last answer", state.get("answer", ""), 2),
                Section("Test report", state.get("report", ""), 1)]
    room = Budget(config.n_ctx, config.summary_tokens, config.reserve_frac).prompt_limit
    empty = render("summary", context="")
    context, _ = compose(memory.counter, sections, room - messages_tokens(memory.counter, [system_message(), {
        "role": "user", "content": empty}]))
    chat = [system_message(), {"role": "user", "content": render("summary", context=context)}]
    summary, usage = ask(llm, config, "summary", chat, ins, config.summary_tokens)
    fresh, cut = step_messages(memory, config, ins, progress=summary.strip()[:800], report=state.get("report", ""))
    return fresh, usage, {"agent": "control", "step": ins.id, "overflow": True, "restart": ins.restarts, "cut": cut}


def make_repair(llm: LLM, memory: BuildMemory, config: BuildConfig):
    """Fix the step from the real failures; restart the step's context when it overflows."""

    def repair(state: BuildState) -> dict:
        ins = memory.registry.get(state["step"])
        ins.attempts += 1
        chat = state["chat"] + [{"role": "user", "content": render("repair", report=state["report"])}]
        events, usage = [], {}
        try:
            fits, dropped = fit_exchanges(memory.counter, config.budget, chat, state["head"])
        except ContextOverflow:
            fits, dropped = chat, -1
        if dropped:  # overflow: summarise, restart from a fresh context (bounded)
            if ins.restarts >= config.max_restarts:
                memory.save()
                return {"verdict": "overflow", "events": [{"agent": "control", "step": ins.id, "overflow": True,
                                                           "restart": "refused: restarts spent"}]}
            fits, usage, event = summarise_and_restart(llm, memory, config, state, ins)
            events.append(event)
        memory.save()
        answer, update = ask(llm, config, "repair", fits, ins)
        notes = apply_answer(memory, ins, answer)
        memory.save()
        return {"chat": fits + [{"role": "assistant", "content": answer}],
                "head": state["head"] if not dropped else len(fits), "answer": answer, "report": "\n".join(notes),
                "usage": merge_usage(usage, update),
                "events": events + [{"agent": "repair", "step": ins.id, "notes": notes}]}

    return repair


def make_finish_step(memory: BuildMemory, config: BuildConfig):
    """Close the instruction: status, summary, one commit; the registry names the commit."""

    def finish_step(state: BuildState) -> dict:
        ins = memory.registry.get(state["step"])
        ins.status = "done" if state.get("verdict") == "green" else "failed"
        ins.verdict = state.get("verdict", ins.verdict)
        ins.summary = parse_summary(state.get("answer", "")) or default_summary(ins)
        memory.save()  # status first: a kill before the commit redoes nothing already judged
        ins.commit = memory.registry.head = memory.repo.commit_all(f"codeloop step {ins.id}: {ins.text[:60]}")
        memory.save()
        return {"step": 0, "chat": [], "answer": "", "report": "",
                "events": [{"agent": "finish", "step": ins.id, "status": ins.status, "commit": ins.commit[:10]}]}

    return finish_step


def default_summary(ins: Instruction) -> str:
    """A summary from facts when the answer gave none."""
    tests = ins.tests or {}
    return (f"Step {ins.id} wrote {', '.join(ins.files_touched) or 'no files'}; "
            f"tests: {tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed.")


def make_final_test(sandbox: Sandbox, memory: BuildMemory, config: BuildConfig):
    """The full suite once every instruction is finished."""

    def final_test(state: BuildState) -> dict:
        check = check_project(sandbox, memory.store.snapshot(), tests_due=True,
                              timeout_s=config.test_timeout_s, memory_mb=config.test_memory_mb)
        rounds = state.get("final_round", 0)
        memory.registry.final = {"verdict": check.verdict, "tests": check.tests, "rounds": rounds}
        if memory.repo.changed_paths():
            commit = memory.repo.commit_all(f"codeloop final repair round {rounds}")
            memory.registry.final["commit"] = memory.registry.head = commit
        memory.save()
        return {"verdict": check.verdict, "report": check.report,
                "usage": {"tester": {"calls": 0, "seconds": check.seconds, "sandbox_s": check.seconds}},
                "events": [{"agent": "final", "round": rounds, "verdict": check.verdict, **check.tests}]}

    return final_test


def make_final_repair(llm: LLM, memory: BuildMemory, config: BuildConfig):
    """One repair round over the whole project from the full suite's failures."""

    def final_repair(state: BuildState) -> dict:
        chat, cut = final_messages(memory, config, state["report"])
        answer, usage = ask(llm, config, "final_repair", chat, None)
        notes = apply_answer(memory, None, answer)
        return {"final_round": state.get("final_round", 0) + 1, "usage": usage,
                "events": [{"agent": "final_repair", "cut": cut, "notes": notes}]}

    return final_repair
