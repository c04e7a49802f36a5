"""The agent graph: coder → tester → (repair → tester)* → done.

Nodes are plain functions built over their dependencies; routing lives in small pure
functions so it can be tested without a model.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agents.coder import make_coder
from agents.repair import make_repair
from agents.state import SolveConfig, SolveState
from agents.tester import make_tester
from sandbox.base import Sandbox
from serving.base import LLM

FINAL_VERDICTS = {"passed", "untested"}


def route_after_tester(state: SolveState, max_repairs: int) -> str:
    """Repair while the candidate fails and attempts remain; else finish."""
    if state.get("verdict") in FINAL_VERDICTS:
        return "done"
    if state.get("attempts", 0) >= max_repairs:
        return "done"
    return "repair"


def route_after_repair(state: SolveState) -> str:
    """Stop when repair only reproduced a candidate already tested (it would fail again)."""
    return "done" if state.get("stuck") else "tester"


def build_graph(llm: LLM, sandbox: Sandbox, config: SolveConfig | None = None, checkpointer=None):
    """Compile the solve graph. `checkpointer` (e.g. LangGraph's SqliteSaver) makes runs resumable."""
    config = config or SolveConfig()
    graph = StateGraph(SolveState)
    graph.add_node("coder", make_coder(llm, config))
    graph.add_node("tester", make_tester(sandbox, config))
    graph.add_node("repair", make_repair(llm, config))
    graph.add_edge(START, "coder")
    graph.add_edge("coder", "tester")
    graph.add_conditional_edges(
        "tester", lambda s: route_after_tester(s, config.max_repairs), {"repair": "repair", "done": END}
    )
    graph.add_conditional_edges("repair", route_after_repair, {"tester": "tester", "done": END})
    return graph.compile(checkpointer=checkpointer)
