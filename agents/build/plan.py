"""The build planner: the spec → an ordered prompt program whose steps say which
requirements they cover. Code, not the model, checks coverage: a plan that leaves
requirements out is asked for again once, naming them; whatever is still uncovered
then gets a step of its own, so no requirement is silently dropped.
"""

from __future__ import annotations

from agents.build.context import render, system_message
from agents.build.nodes import ask
from agents.build.parse import parse_plan, with_tests
from agents.build.state import BuildConfig, BuildMemory, BuildState
from agents.usage import merge_usage
from serving.base import LLM


def planner_messages(memory: BuildMemory, config: BuildConfig, missing: list[str]) -> list:
    reqs = "\n".join(memory.registry.requirement_texts([r["id"] for r in memory.registry.requirements]))
    note = (f"\nYour previous plan left these requirements uncovered: {', '.join(missing)}. "
            "Write the whole list again so that every requirement id is covered.\n") if missing else ""
    user = render("planner", spec=memory.spec.strip(), requirements=reqs, missing=note,
                  max_steps=str(config.max_steps))
    return [system_message(), {"role": "user", "content": user}]


def cover_the_rest(steps: list[tuple[str, list[str]]], memory: BuildMemory) -> list[tuple[str, list[str]]]:
    """`steps` plus one step per requirement none of them covers."""
    covered = {rid for _, covers in steps for rid in covers}
    extra = [(with_tests(f"Implement requirement {r['id']}: {r['text']}"), [r["id"]])
             for r in memory.registry.requirements if r["id"] not in covered]
    return steps + extra


def make_planner(llm: LLM, memory: BuildMemory, config: BuildConfig):
    """The planner node: a no-op when the registry already has a program (resume, --program)."""

    def planner(state: BuildState) -> dict:
        registry = memory.registry
        if registry.instructions:
            return {"events": [{"agent": "planner", "reused": len(registry.instructions)}]}
        usage: dict = {}
        missing: list[str] = []
        steps: list[tuple[str, list[str]]] = []
        replanned = False
        for attempt in range(2):  # the first plan, then one re-plan naming what it missed
            replanned = attempt > 0
            answer, update = ask(llm, config, "planner", planner_messages(memory, config, missing), None, 512)
            usage = merge_usage(usage, update)
            steps = parse_plan(answer)[: config.max_steps] or steps
            registry.set_instructions(steps)
            missing = registry.uncovered()
            if not missing and steps:
                break
        registry.set_instructions(cover_the_rest(steps, memory))
        memory.save()
        return {"usage": usage, "events": [{"agent": "planner", "steps": len(registry.instructions),
                                            "replanned": replanned, "added": missing}]}

    return planner
