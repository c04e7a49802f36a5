"""The agent graph (docs/ARCHITECTURE.md, Solve):

planner → retriever → test_writer → coder → tester → (sampler → tester)? → selector
        → (repair → tester → selector)* → done

The coder writes the greedy candidate; the sampler, once, draws more samples of the same
prompt — how many depends on greedy's test result (agents/coder.py).

Nodes are plain functions built over their dependencies; routing lives in small pure
functions so it can be tested without a model. Nodes that are switched off by the config
(test writer, retrieval with the null retriever) stay in the graph as cheap no-ops, so
the graph's shape — and a checkpoint's meaning — does not depend on the config.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agents.coder import make_coder, make_sampler
from agents.planner import make_planner
from agents.repair import make_repair
from agents.retriever import make_retriever_node
from agents.selector import make_selector
from agents.state import SolveConfig, SolveState
from agents.tester import make_tester
from agents.test_writer import make_test_writer
from retrieval.base import NullRetriever, Retriever
from sandbox.base import Sandbox
from serving.base import LLM

LINEAR = ("planner", "retriever", "test_writer", "coder", "tester")


def route_after_tester(state: SolveState) -> str:
    """Draw the extra samples once, after greedy was tested; then select."""
    return "selector" if state.get("sampled") else "sampler"


def route_after_selector(state: SolveState) -> str:
    """Finish once the selector recorded a reason to stop; otherwise repair."""
    return "done" if state.get("stop") else "repair"


def route_after_repair(state: SolveState) -> str:
    """Stop when repair only reproduced a candidate already tested (it would fail again)."""
    return "done" if state.get("stuck") else "tester"


def build_graph(llm: LLM, sandbox: Sandbox, config: SolveConfig | None = None, checkpointer=None,
                retriever: Retriever | None = None):
    """Compile the solve graph. `checkpointer` (e.g. LangGraph's SqliteSaver) makes runs
    resumable; `retriever` defaults to one that finds nothing."""
    config = config or SolveConfig()
    graph = StateGraph(SolveState)
    graph.add_node("planner", make_planner(llm, config))
    graph.add_node("retriever", make_retriever_node(retriever or NullRetriever(), config))
    graph.add_node("test_writer", make_test_writer(llm, config))
    graph.add_node("coder", make_coder(llm, config))
    graph.add_node("sampler", make_sampler(llm, config))
    graph.add_node("tester", make_tester(sandbox, config))
    graph.add_node("selector", make_selector(config))
    graph.add_node("repair", make_repair(llm, config))
    graph.add_edge(START, LINEAR[0])
    for before, after in zip(LINEAR, LINEAR[1:]):
        graph.add_edge(before, after)
    graph.add_conditional_edges("tester", route_after_tester, {"sampler": "sampler", "selector": "selector"})
    graph.add_edge("sampler", "tester")
    graph.add_conditional_edges("selector", route_after_selector, {"repair": "repair", "done": END})
    graph.add_conditional_edges("repair", route_after_repair, {"tester": "tester", "done": END})
    return graph.compile(checkpointer=checkpointer)


def recursion_limit(config: SolveConfig) -> int:
    """LangGraph's step limit for one solve: the linear part, sampling, three steps per
    repair, slack."""
    return len(LINEAR) + 3 + 3 * config.max_repairs + 4
