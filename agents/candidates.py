"""Candidates as the agents keep them: a fingerprint, model texts turned into distinct
pending candidates, and how many samples one candidate stands for."""

from __future__ import annotations

import hashlib

from codetext.sanitize import candidate_code
from agents.task import Task
from serving.base import Completion


def code_hash(code: str) -> str:
    """A short fingerprint of a candidate, ignoring surrounding whitespace."""
    return hashlib.sha256(code.strip().encode()).hexdigest()[:16]


def dedupe(completion: Completion, task: Task, tried: list[str], origin: str = "coder",
           parent: str = "") -> tuple[list[dict], dict]:
    """One pending candidate per distinct new code (whitespace-insensitive), counting copies;
    code tested before is not tested again but counted in the second value
    ({hash: repeats}), because a sample that repeats a candidate is agreement evidence."""
    by_hash: dict[str, dict] = {}
    repeats: dict[str, int] = {}
    for index, raw in enumerate(completion.texts):
        code = candidate_code(raw, task.entry_point, task.prompt)
        key = code_hash(code)
        logprob = completion.mean_logprob(index)
        if key in tried:
            repeats[key] = repeats.get(key, 0) + 1
        elif key in by_hash:
            by_hash[key]["copies"] += 1
            if logprob is not None and (by_hash[key]["logprob"] is None or logprob > by_hash[key]["logprob"]):
                by_hash[key]["logprob"] = logprob
        else:
            by_hash[key] = {"code": code, "raw": raw, "origin": origin, "copies": 1, "parent": parent,
                            "logprob": logprob}
    return list(by_hash.values()), repeats


def samples(cand: dict, repeats: dict) -> int:
    """How many samples a tested candidate stands for: its copies plus later repeats of it."""
    return cand.get("copies", 1) + repeats.get(cand.get("hash", ""), 0)
