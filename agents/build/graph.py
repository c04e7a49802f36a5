"""The build graph (`codeloop build`), L2MAC style:

planner → (coder → tester → (repair → tester)* → finish_step)* → final_test → (final_repair → final_test)*

Per instruction: the coder writes whole files, the tester runs a syntax check and the
project's pytest in the sandbox after every write, repair fixes from the real failures
(restarting the step's context when it overflows), finish_step records a summary and
commits. At the end the whole suite runs, with bounded repair rounds.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agents.build.nodes import (make_coder, make_final_repair, make_final_test, make_finish_step, make_repair,
                                make_tester)
from agents.build.plan import make_planner
from agents.build.state import BuildConfig, BuildMemory, BuildState
from sandbox.base import Sandbox
from serving.base import LLM


def route_next_step(memory: BuildMemory):
    """After planning or a finished step: the next open instruction, or the final suite."""

    def route(state: BuildState) -> str:
        return "coder" if memory.registry.next_open() is not None else "final_test"

    return route


def route_after_tester(memory: BuildMemory, config: BuildConfig):
    """Green → finish; red with repairs left → repair; otherwise finish (as failed)."""

    def route(state: BuildState) -> str:
        if state.get("verdict") == "green":
            return "finish_step"
        ins = memory.registry.get(state["step"])
        return "repair" if ins.attempts <= config.max_repairs else "finish_step"

    return route


def route_after_repair(state: BuildState) -> str:
    """Out of context restarts → finish the step as failed; otherwise test the fix."""
    return "finish_step" if state.get("verdict") == "overflow" else "tester"


def route_after_final(config: BuildConfig):
    def route(state: BuildState) -> str:
        if state.get("verdict") == "green" or state.get("final_round", 0) >= config.final_rounds:
            return "done"
        return "final_repair"

    return route


def build_build_graph(llm: LLM, sandbox: Sandbox, memory: BuildMemory, config: BuildConfig | None = None):
    """Compile the build graph over `memory` (registry, file store, repository)."""
    config = config or BuildConfig()
    graph = StateGraph(BuildState)
    graph.add_node("planner", make_planner(llm, memory, config))
    graph.add_node("coder", make_coder(llm, memory, config))
    graph.add_node("tester", make_tester(sandbox, memory, config))
    graph.add_node("repair", make_repair(llm, memory, config))
    graph.add_node("finish_step", make_finish_step(memory, config))
    graph.add_node("final_test", make_final_test(sandbox, memory, config))
    graph.add_node("final_repair", make_final_repair(llm, memory, config))
    next_step = {"coder": "coder", "final_test": "final_test"}
    graph.add_edge(START, "planner")
    graph.add_conditional_edges("planner", route_next_step(memory), next_step)
    graph.add_edge("coder", "tester")
    graph.add_conditional_edges("tester", route_after_tester(memory, config),
                                {"repair": "repair", "finish_step": "finish_step"})
    graph.add_conditional_edges("repair", route_after_repair, {"tester": "tester", "finish_step": "finish_step"})
    graph.add_conditional_edges("finish_step", route_next_step(memory), next_step)
    graph.add_conditional_edges("final_test", route_after_final(config), {"final_repair": "final_repair", "done": END})
    graph.add_edge("final_repair", "final_test")
    return graph.compile()


def build_recursion_limit(max_instructions: int, config: BuildConfig) -> int:
    """LangGraph's step limit: per instruction coder, tester, two per repair or restart,
    finish; then the final rounds; plus slack."""
    per_step = 3 + 2 * (config.max_repairs + config.max_restarts)
    return 2 + max_instructions * per_step + 2 * config.final_rounds + 8
