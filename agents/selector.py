"""Selector: picks the candidate to keep by execution evidence, and decides whether the
loop goes on to repair.

Default (issue 13, MBR-exec / AlphaCode style): keep the candidates that pass every
visible test — or, when none does, those that pass the most (docstrings can be wrong,
e.g. HumanEval/47) — then group them by their outputs on the probe inputs and take the
largest group, counting repeated samples. Ties go to the group holding the greedy
candidate, then to the higher mean log-probability. No predicted outputs are trusted.

`select_by_outputs=False` keeps the older CodeT-style ranking (agreement on generated
tests), for ablations.
"""

from __future__ import annotations

from collections import Counter

from agents.candidates import samples
from agents.clusters import output_clusters
from agents.budgets import budget_exhausted
from agents.state import SolveConfig, SolveState

RUNTIME_MARKERS = ("ERROR:", "TIMEOUT:", "Importing the code failed", "were stopped after",
                   "ran out of memory", "exit code")


def behaviour(cand: dict) -> tuple:
    """What a candidate does on the tests: its visible results and the generated tests it passes."""
    return tuple(cand["visible"]), frozenset(i for i, ok in enumerate(cand["generated"]) if ok)


def scores(pool: list[dict]) -> dict[int, int]:
    """CodeT score per candidate id: samples agreeing on its behaviour × generated tests passed."""
    valid = [c for c in pool if c["verdict"] != "invalid"]
    group_size = Counter()
    for cand in valid:
        group_size[behaviour(cand)] += cand.get("copies", 1)
    return {c["id"]: group_size[behaviour(c)] * sum(c["generated"]) for c in valid}


def rank_key(cand: dict, score: int) -> tuple:
    """Sort key, best first: runnable, all visible tests passed, visible passed, agreement
    score, generated passed, copies, then the earlier candidate."""
    runnable = cand["verdict"] in ("passed", "untested") or any(cand["visible"])
    return (
        cand["verdict"] != "invalid",
        runnable,
        cand["verdict"] in ("passed", "untested"),
        sum(cand["visible"]),
        score,
        sum(cand["generated"]),
        cand.get("copies", 1),
        -cand["id"],
    )


def select(pool: list[dict]) -> dict:
    """The best candidate of a non-empty pool by the CodeT-style ranking."""
    by_id = scores(pool)
    return max(pool, key=lambda c: rank_key(c, by_id.get(c["id"], 0)))


def survivors(pool: list[dict]) -> tuple[list[dict], str]:
    """The candidates the visible tests leave standing, and which filter applied:
    `visible` (they pass all), `no-tests` (nothing to run), `relaxed` (none passes all:
    those passing the most), or `none` (no valid candidate: all of them)."""
    valid = [c for c in pool if c["verdict"] != "invalid"]
    if not valid:
        return list(pool), "none"
    passing = [c for c in valid if c["verdict"] == "passed"]
    if passing:
        return passing, "visible"
    untested = [c for c in valid if c["verdict"] == "untested"]
    if untested:
        return untested, "no-tests"
    most = max(sum(c["visible"]) for c in valid)
    return [c for c in valid if sum(c["visible"]) == most], "relaxed"


def logprob_key(cand: dict) -> float:
    """A candidate's mean log-probability for sorting (unknown sorts last)."""
    value = cand.get("logprob")
    return float("-inf") if value is None else value


def select_by_execution(pool: list[dict], repeats: dict | None = None) -> tuple[dict, dict]:
    """The chosen candidate of a non-empty pool and how it was chosen (for the events)."""
    repeats = repeats or {}
    kept, how = survivors(pool)
    weighted = [c | {"copies": samples(c, repeats)} for c in kept]
    clusters = output_clusters(weighted)

    def cluster_key(cluster: list[dict]) -> tuple:
        return (sum(c["copies"] for c in cluster), max(sum(c["generated"]) for c in cluster),
                any(c.get("greedy") for c in cluster), max(logprob_key(c) for c in cluster))

    ranked = sorted(clusters, key=cluster_key, reverse=True)
    best_cluster = ranked[0]
    chosen = max(best_cluster, key=lambda c: (bool(c.get("greedy")), logprob_key(c), -c["id"]))
    sizes = [sum(c["copies"] for c in cluster) for cluster in ranked]
    tie = len(ranked) > 1 and sizes[0] == sizes[1]
    why = (f"largest of {len(ranked)} output clusters ({sizes[0]} of {sum(sizes)} samples)"
           + ("; tie broken by greedy/log-probability" if tie else ""))
    info = {"filter": how, "survivors": len(kept), "clusters": sizes, "why": why}
    return next(c for c in pool if c["id"] == chosen["id"]), info


def failure_kind(feedback: str) -> str:
    """`runtime` when the report shows an exception, import failure, timeout or crash;
    `wrong-answer` when only assertions failed (the code ran and returned something else)."""
    return "runtime" if any(marker in feedback for marker in RUNTIME_MARKERS) else "wrong-answer"


def same_failure_again(pool: list[dict]) -> bool:
    """The newest candidate is a repair that failed exactly like the candidate it repaired."""
    last = pool[-1]
    if last.get("origin") != "repair" or last["verdict"] in ("passed", "untested"):
        return False
    parent = next((c for c in pool if c["hash"] == last.get("parent")), None)
    return parent is not None and parent["feedback"] == last["feedback"]


def stop_reason(best: dict, stuck: bool, state: SolveState, config: SolveConfig) -> str:
    """Why the loop ends now, or "" to repair: solved, untested (nothing to repair
    against), wrong-answer (repair rarely fixes logic; fresh samples were drawn instead),
    stuck, a budget, or attempts used."""
    if best["verdict"] in ("passed", "untested") and all(best["generated"]):
        return "solved" if best["verdict"] == "passed" else "untested"
    if stuck:
        return "stuck"
    if config.repair_runtime_only and best["verdict"] == "failed" and failure_kind(best["feedback"]) == "wrong-answer":
        return "wrong-answer"
    spent = budget_exhausted(state, config)
    if spent:
        return f"budget:{spent}"
    if state.get("attempts", 0) >= config.max_repairs:
        return "attempts"
    return ""


def make_selector(config: SolveConfig):
    """The selector node (no model call)."""

    def selector(state: SolveState) -> dict:
        pool = state.get("pool") or []
        if config.select_by_outputs:
            best, info = select_by_execution(pool, state.get("repeats"))
        else:
            best = select(pool)
            info = {"filter": "codet", "score": scores(pool).get(best["id"], 0)}
        stuck = same_failure_again(pool)
        passed = sum(best["visible"])
        stop = stop_reason(best, stuck, state, config)
        event = {"agent": "selector", "chosen": best["id"], "candidates": len(pool), "stop": stop} | info
        return {
            "code": best["code"],
            "raw": best["raw"],
            "verdict": best["verdict"],
            "feedback": best["feedback"],
            "tests_passed": passed,
            "tests_failed": len(best["visible"]) - passed,
            "gen_passed": sum(best["generated"]),
            "stuck": stuck,
            "stop": stop,
            "selection": info,
            "events": [event],
        }

    return selector
