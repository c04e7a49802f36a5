"""Selector: picks the candidate to keep by evidence (CodeT-style dual agreement).

Candidates are grouped by behaviour — the set of tests they pass. A group's score is
(#candidate samples in it) × (#generated tests they pass): a test that agreeing
candidates pass counts more than a test one odd candidate passes, so a single wrong
generated test cannot sink a correct solution that several samples agree on. The task's
own visible tests are trusted and dominate: a candidate failing one never beats a
candidate passing them all.

The selector also decides whether the loop stops (recorded in `stop`), so the routing
function after it stays trivial and pure.
"""

from __future__ import annotations

from collections import Counter

from agents.control import budget_exhausted
from agents.state import SolveConfig, SolveState


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
    """The best candidate of a non-empty pool."""
    by_id = scores(pool)
    return max(pool, key=lambda c: rank_key(c, by_id.get(c["id"], 0)))


def same_failure_again(pool: list[dict]) -> bool:
    """The newest candidate is a repair that failed exactly like the candidate it repaired."""
    last = pool[-1]
    if last.get("origin") != "repair" or last["verdict"] in ("passed", "untested"):
        return False
    parent = next((c for c in pool if c["hash"] == last.get("parent")), None)
    return parent is not None and parent["feedback"] == last["feedback"]


def stop_reason(best: dict, stuck: bool, state: SolveState, config: SolveConfig) -> str:
    """Why the loop ends now, or "" to repair: solved, stuck, a budget, or attempts used."""
    if best["verdict"] in ("passed", "untested") and all(best["generated"]):
        return "solved"
    if stuck:
        return "stuck"
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
        best = select(pool)
        stuck = same_failure_again(pool)
        score = scores(pool).get(best["id"], 0)
        passed = sum(best["visible"])
        event = {"agent": "selector", "chosen": best["id"], "score": score, "candidates": len(pool)}
        return {
            "code": best["code"],
            "raw": best["raw"],
            "verdict": best["verdict"],
            "feedback": best["feedback"],
            "tests_passed": passed,
            "tests_failed": len(best["visible"]) - passed,
            "gen_passed": sum(best["generated"]),
            "stuck": stuck,
            "stop": stop_reason(best, stuck, state, config),
            "events": [event],
        }

    return selector
