"""Leakage guard: a benchmark's own evaluation problems never reach its solver.

Two layers, both keyed by (benchmark family, task id) carried in each pool entry's meta:
1. the solved-example pool is built without the evaluation ids (`corpora`), and
2. `LeakageGuard` wraps any retriever and drops such hits at search time, so an index
   built for another purpose (or by mistake) cannot leak either.
MBPP+, sanitized MBPP and the tuning split mbpp-dev are subsets of MBPP, so they share the
family "mbpp". A user's task file (`*.jsonl`) shares no ids with the pool: it excludes nothing.
"""

from __future__ import annotations

import gzip
import json
import logging
import os

from eval.data import resolve_data_dir  # where the benchmark files live, as for the corpora
from retrieval.base import Hit, Retriever
from settings.errors import BadInput

log = logging.getLogger(__name__)

# MBPP splits (Austin et al. 2021): prompt 1–10, test 11–510, validation 511–600, train 601–974.
POOL_TASK_IDS = frozenset(range(1, 11)) | frozenset(range(601, 975))
MBPP_TEST_IDS = frozenset(range(11, 511))
FAMILY = {"mbpp": "mbpp", "mbpp+": "mbpp", "mbpp-sanitized": "mbpp", "mbpp-dev": "mbpp",
          "humaneval": "humaneval", "humaneval+": "humaneval"}
DEV_RANGE = frozenset(range(511, 975))  # mbpp-dev: these ids minus MBPP+'s
ALL_MBPP = frozenset(range(1, 975))


def _mbpp_plus_ids(data_dir: str | os.PathLike | None) -> frozenset[int]:
    path = resolve_data_dir(data_dir) / "MbppPlus-v0.2.0.jsonl.gz"
    if not path.exists():
        # Without the task list we cannot tell which pool entries MBPP+ evaluates: ban all.
        log.warning("%s not found: excluding every MBPP task from the example pool", path)
        return ALL_MBPP
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(int(json.loads(line)["task_id"].split("/")[-1]) for line in fh)


def _sanitized_ids(data_dir: str | os.PathLike | None) -> frozenset[int]:
    path = resolve_data_dir(data_dir) / "sanitized-mbpp.json"
    if not path.exists():
        log.warning("%s not found: excluding every MBPP task from the example pool", path)
        return ALL_MBPP
    return frozenset(int(row["task_id"]) for row in json.loads(path.read_text(encoding="utf-8")))


def evaluation_ids(benchmark: str | None, data_dir: str | os.PathLike | None = None) -> frozenset[tuple[str, int]]:
    """(family, task id) pairs that must not be retrieved while solving `benchmark`."""
    if benchmark is None:
        return frozenset()
    name = benchmark.lower()
    if name.endswith(".jsonl"):
        return frozenset()  # a user's own task file: no pool entry is one of its tasks
    if name not in FAMILY:
        raise BadInput(f"unknown benchmark {benchmark!r}; known: {', '.join(sorted(FAMILY))}")
    if name == "mbpp":
        ids = MBPP_TEST_IDS
    elif name == "mbpp+":
        ids = _mbpp_plus_ids(data_dir)
    elif name == "mbpp-sanitized":
        ids = _sanitized_ids(data_dir)
    elif name == "mbpp-dev":
        plus = _mbpp_plus_ids(data_dir)
        # Without MBPP+'s list we cannot tell dev ids apart: ban the whole range, never too few.
        ids = DEV_RANGE if plus == ALL_MBPP else DEV_RANGE - plus
    else:
        return frozenset()  # the pool holds no HumanEval problems
    return frozenset(("mbpp", i) for i in ids)


def is_banned(hit: Hit, banned: frozenset[tuple[str, int]]) -> bool:
    """Whether `hit` is one of the banned evaluation problems."""
    bench, tid = hit.meta.get("benchmark"), hit.meta.get("task_id")
    if bench is None or tid is None:
        return False
    try:
        return (FAMILY.get(str(bench).lower(), str(bench).lower()), int(tid)) in banned
    except (TypeError, ValueError):
        return False


class LeakageGuard:
    """Wraps a retriever and removes hits that are banned evaluation problems.

    It asks the inner retriever for more than `k` (doubling) so that filtering does not
    silently shrink the result below `k` when enough clean hits exist.
    """

    def __init__(self, inner: Retriever, banned: frozenset[tuple[str, int]]) -> None:
        self.inner = inner
        self.banned = banned

    def search(self, query: str, k: int) -> list[Hit]:
        """Top-`k` hits of the inner retriever with banned problems removed."""
        if k <= 0:
            return []
        want = k
        while True:
            hits = self.inner.search(query, want)
            clean = [h for h in hits if not is_banned(h, self.banned)]
            if len(clean) >= k or len(hits) < want or want > 64 * k:
                if len(clean) < len(hits):
                    log.debug("leakage guard dropped %d hits", len(hits) - len(clean))
                return clean[:k]
            want *= 2
